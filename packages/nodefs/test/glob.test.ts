/**
 * glob (v10+ takes an `fs` override, the path-scurry FSOption: lstatSync, readdir, readdirSync,
 * readlinkSync, realpathSync and promises.{lstat,readdir,readlink,realpath}) walking a tmpfs in a
 * rump kernel. The oracle is glob itself on the same tree built on the host's real file system.
 */
import * as host from 'node:fs';
import { glob, type GlobOptionsWithFileTypesFalse, globSync } from 'glob';
import { describe, expect, it } from 'vitest';
import type { RumpFs } from '../src/index.js';
import { hostTmp, tmpfsFs } from './helpers.js';

type TreeFs = Pick<RumpFs, 'mkdirSync' | 'writeFileSync' | 'symlinkSync'>;

/** The same tree on either side: nested dirs, dotfiles, symlinks to a file and to a dir. */
function build(fs: TreeFs, root: string): void {
  fs.mkdirSync(`${root}/src/lib/deep/er`, { recursive: true });
  fs.mkdirSync(`${root}/docs`, { recursive: true });
  for (const f of ['src/a.ts', 'src/b.js', 'src/lib/c.ts', 'src/lib/deep/d.ts', 'src/lib/deep/er/e.md', 'docs/x.md', '.hidden.ts', 'README.md']) {
    fs.writeFileSync(`${root}/${f}`, f);
  }
  fs.symlinkSync('src/a.ts', `${root}/alias.ts`);
  fs.symlinkSync('src/lib', `${root}/liblink`);
}

const patterns: [string, Omit<GlobOptionsWithFileTypesFalse, 'fs' | 'cwd'>][] = [
  ['**/*.ts', {}],
  ['**/*.ts', { dot: true }],
  ['**/*.md', { follow: true }],
  ['liblink/**', {}],
  ['src/*/**/*.{ts,md}', {}],
  ['**', { nodir: true }],
  ['**/', {}],
  ['*', { mark: true }],
  ['**/*.ts', { realpath: true, absolute: true }],
];

describe('glob with the facade as its fs', () => {
  it('matches exactly what glob finds on the same tree on the host', async () => {
    const hostRoot = hostTmp();
    build(host, hostRoot);
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/data');
    build(fs, '/data');
    for (const [pattern, opts] of patterns) {
      const want = globSync(pattern, { ...opts, cwd: hostRoot }).map((p) => p.replace(hostRoot, '<root>')).sort();
      const gotSync = globSync(pattern, { ...opts, cwd: '/data', fs }).map((p) => p.replace('/data', '<root>')).sort();
      const gotAsync = (await glob(pattern, { ...opts, cwd: '/data', fs })).map((p) => p.replace('/data', '<root>')).sort();
      expect(want.length, pattern).toBeGreaterThan(0);
      expect(gotSync, `${pattern} sync ${JSON.stringify(opts)}`).toEqual(want);
      expect(gotAsync, `${pattern} async ${JSON.stringify(opts)}`).toEqual(want);
    }
  });
});
