/**
 * newfs: our images are read by sleuthkit (fls/icat: UFS2 too, since the superblock is at 65536)
 * and grub-fstest (little-endian), mounted by us read-write, changed by random operations against a
 * model, and read back exactly by those independent readers.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { Ufsmount, newfs } from '../src/index.js';
import { tempDir } from './helpers.js';
import { Rng, compareMounted, modelPaths, runOps } from './model.js';
import { HAVE_GRUB, HAVE_TSK, flsTree, icatHash, mountImage, sha256 } from './rwhelpers.js';

function makeDev(path: string, bytes: number): HostFileBlockDevice {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return new HostFileBlockDevice(path);
}

const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);

describe('newfs', () => {
  it('refuses bad geometry with EINVAL', () => {
    const t = tempDir('nfbad');
    try {
      const dev = makeDev(join(t.path, 'img'), 8 << 20);
      const codeOf = (f: () => unknown): string => {
        try {
          f();
          return 'ok';
        } catch (e) {
          return isRumpError(e) ? e.code : 'other';
        }
      };
      expect(codeOf(() => newfs(dev, { bsize: 3000 }))).toBe('EINVAL');
      expect(codeOf(() => newfs(dev, { bsize: 8192, fsize: 512 }))).toBe('EINVAL');
      expect(codeOf(() => newfs(dev, { size: 16 << 20 }))).toBe('EINVAL');
      expect(codeOf(() => newfs(dev, { size: 64 * 1024 }))).toBe('EINVAL');
      dev.close();
    } finally {
      t.cleanup();
    }
  });

  for (const version of [1, 2] as const) {
    for (const endian of ['le', 'be'] as const) {
      it(`UFS${version}-${endian}: readable by sleuthkit/grub, mountable, and consistent after random ops (seed ${SEED})`, async () => {
        const t = tempDir(`nf${version}${endian}`);
        try {
          const img = join(t.path, 'img');
          const dev = makeDev(img, 40 << 20);
          const r = newfs(dev, { version, endian, bsize: 4096, fsize: 512, density: 8192, volname: 'rumpts' });
          dev.close();
          expect(r.ncg).toBeGreaterThan(1);
          expect(r.sblockloc).toBe(version === 1 ? 8192 : 65536);
          const ump = Ufsmount.open(new HostFileBlockDevice(img, { readonly: true }));
          expect(ump.fs.volname).toBe('rumpts');
          expect(ump.fs.bsize).toBe(4096);
          expect(ump.fs.ncg).toBe(r.ncg);
          // Every backup superblock is a copy of the primary's geometry.
          const raw = readFileSync(img);
          for (const f of r.backups) {
            const at = f * 512;
            expect(raw.subarray(at + 8, at + 200).equals(raw.subarray(r.sblockloc + 8, r.sblockloc + 200))).toBe(true);
          }
          const ufs = version === 1 ? 'ufs1' : 'ufs2';
          if (HAVE_TSK) expect([...flsTree(img, ufs).keys()].filter((p) => !p.startsWith('$'))).toEqual(['lost+found']);

          const model = join(t.path, 'model');
          mkdirSync(join(model, 'lost+found'), { recursive: true });
          chmodSync(join(model, 'lost+found'), 0o700);
          const env = await mountImage(img);
          env.k.proc.umask(0);
          try {
            runOps(env.k, '/mnt', model, new Rng(SEED * 7 + version * 2 + (endian === 'be' ? 1 : 0)), 250);
            compareMounted(env.k, '/mnt', model);
          } finally {
            env.done();
          }
          if (HAVE_TSK) {
            const tree = flsTree(img, ufs);
            const want = modelPaths(model);
            expect([...tree.keys()].filter((p) => !p.startsWith('$OrphanFiles')).sort()).toEqual([...want.files, ...want.dirs, ...want.links].sort());
            for (const f of want.files) expect(icatHash(img, ufs, tree.get(f)!.ino), f).toBe(sha256(readFileSync(join(model, f))));
          }
          if (HAVE_GRUB && endian === 'le') {
            const out = execFileSync('timeout', ['20', 'grub-fstest', img, '--', 'ls', '/'], { encoding: 'utf8' });
            const names = out.trim().split(/\s+/).filter((n) => n.length > 0).map((n) => n.replace(/\/$/, '')).sort();
            expect(names).toEqual(modelPaths(model).dirs.concat(modelPaths(model).files, modelPaths(model).links).filter((p) => !p.includes('/')).sort());
          }
        } finally {
          t.cleanup();
        }
      }, 120_000);
    }
  }
});
