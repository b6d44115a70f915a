// pnpm docs: the API reference of every package (TypeDoc, typedoc.json) into dist/docs.
//
// Every package's own typedoc.json sets validation.notDocumented and treatValidationWarningsAsErrors:
// one public export without a doc comment fails. A package without such a typedoc.json fails the
// check too, so a new package cannot join undocumented.
//
//   node tools/docs.mjs           build the reference (fails on an undocumented export of a strict package)
//   node tools/docs.mjs --check   only check the strict packages, writing nothing (part of pnpm lint)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');

/** Packages whose typedoc.json turns validation.notDocumented on. */
function strictPackages() {
  return readdirSync(join(root, 'packages')).filter((p) => {
    const f = join(root, 'packages', p, 'typedoc.json');
    if (!existsSync(f)) return false;
    return JSON.parse(readFileSync(f, 'utf8')).validation?.notDocumented === true;
  });
}

const strict = strictPackages();
const loose = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')) && !strict.includes(p));
if (loose.length > 0) {
  console.error(`docs: ${loose.join(', ')}: no typedoc.json with validation.notDocumented (copy packages/etfs/typedoc.json)`);
  process.exit(1);
}
const args = check ? ['--emit', 'none', ...strict.flatMap((p) => ['--entryPoints', `packages/${p}`])] : [];
if (check && strict.length === 0) {
  console.log('docs: no package holds itself to validation.notDocumented');
  process.exit(0);
}
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const r = spawnSync(process.execPath, [typedoc, ...args], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`docs: TypeDoc failed (status ${r.status}); every public export of ${strict.join(', ')} needs a /** doc comment */`);
  process.exit(1);
}
console.log(check ? `docs: ${strict.join(', ')}: every public export is documented` : `docs: API reference in ${join('dist', 'docs')} (strict: ${strict.join(', ')})`);
