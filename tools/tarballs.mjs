// pnpm tarballs: every package packed as npm would publish it (pnpm pack: workspace ranges become
// versions), into dist/tarballs/ — what a third party installs before the packages are on npm:
//   npm install /path/to/dist/tarballs/*.tgz     or     create-rumpfs NAME --from dist/tarballs
//
//   node tools/tarballs.mjs [--out DIR] [package…]     (package: a folder name under packages/)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/** pnpm pack in one package folder; resolves to its stderr on failure, undefined on success. */
function pack(p) {
  return new Promise((done) => {
    const child = spawn('pnpm', ['pack', '--pack-destination', out], { cwd: join(root, 'packages', p), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done(code === 0 ? undefined : err || `status ${code}`));
  });
}

// A few at a time: each pack is mostly pnpm starting up.
const queue = [...pick];
const failures = [];
await Promise.all(
  Array.from({ length: Math.min(4, Math.max(2, availableParallelism() * 2)) }, async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const err = await pack(p);
      if (err !== undefined) failures.push(`packages/${p}: ${err}`);
    }
  }),
);
if (failures.length > 0) {
  console.error(`tarballs: pnpm pack failed:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log(`tarballs: ${pick.length} package(s) in ${out}`);
