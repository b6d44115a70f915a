// pnpm tarballs: every package packed as npm would publish it (pnpm pack: workspace ranges become
// versions), into dist/tarballs/ — what a third party installs before the packages are on npm:
//   npm install /path/to/dist/tarballs/rumpts-librump-0.1.0.tgz …   or   create-rumpfs NAME --from dist/tarballs
//
//   node tools/tarballs.mjs [--out DIR] [package…]     (package: a folder name under packages/)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
let out = join(root, 'dist', 'tarballs');
const names = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--out') out = resolve(argv[++i] ?? '');
  else names.push(argv[i]);
}
const all = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')));
const pick = names.length > 0 ? names : all;
for (const p of pick) {
  if (!all.includes(p)) {
    console.error(`tarballs: no package '${p}' (packages: ${all.join(', ')})`);
    process.exit(2);
  }
  if (!existsSync(join(root, 'packages', p, 'dist'))) {
    console.error(`tarballs: packages/${p} is not built (no dist/): run pnpm build first`);
    process.exit(1);
  }
}
mkdirSync(out, { recursive: true });
for (const p of pick) {
  const r = spawnSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(root, 'packages', p), encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`tarballs: pnpm pack in packages/${p} failed:\n${r.stderr}`);
    process.exit(1);
  }
}
console.log(`tarballs: ${pick.length} package(s) in ${out}`);
