/**
 * Interoperability with dosfstools and mtools, both ways, on FAT12, FAT16 and FAT32:
 *  - a tree written through our mount (names, contents, modification times) passes fsck.fat -n and
 *    comes back exactly through `mcopy -s -m`, and `mdir -/ -b` lists exactly its paths;
 *  - an image made by mkfs.fat and filled by `mcopy -s -m` reads back exactly through our mount.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_RDONLY, O_CREAT, O_WRONLY } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs_msdos } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MKFS_FAT, HAVE_MTOOLS, MTOOLS_ENV, fsckFat, mkfsFat, mountImage, tempDir } from './helpers.js';
import { entries, hostTree, mountedTree, writeTree } from './tree.js';

const UTF8 = { ...MTOOLS_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
const VARIANTS = [
  { fat: 12, kib: 6144, spc: 8, many: 40 },
  { fat: 16, kib: 32768, spc: 4, many: 300 },
  { fat: 32, kib: 65536, spc: 1, many: 300 },
] as const;

describe.skipIf(!(HAVE_MKFS_FAT && HAVE_FSCK_FAT && HAVE_MTOOLS))('dosfstools and mtools', () => {
  for (const v of VARIANTS) {
    it(`FAT${v.fat}: what we write, mtools reads back exactly`, async () => {
      const t = tempDir(`ours${v.fat}`);
      try {
        const src = join(t.path, 'src');
        writeTree(src, { bpc: 512 * v.spc, many: v.many });
        const want = hostTree(src);
        const img = join(t.path, 'img');
        writeFileSync(img, new Uint8Array(0));
        truncateSync(img, v.kib * 1024);
        const dev = new HostFileBlockDevice(img);
        newfs_msdos(dev, { fatType: v.fat, sectorsPerCluster: v.spc });
        dev.close();
        const m = await mountImage(img);
        const p = m.k.proc;
        for (const [rel, n] of entries(want)) {
          if (n.dir) {
            p.mkdir(`/mnt/${rel}`, 0o755);
            continue;
          }
          const fd = p.open(`/mnt/${rel}`, O_CREAT | O_WRONLY, 0o644);
          p.write(fd, readFileSync(join(src, rel)));
          p.close(fd);
          p.utimes(`/mnt/${rel}`, { sec: n.mtime, nsec: 0 }, { sec: n.mtime, nsec: 0 });
        }
        expect(entries(mountedTree(p, '/mnt'))).toEqual(entries(want));
        m.done();
        const f = fsckFat(img);
        expect(f.ok, f.out).toBe(true);
        const listed = execFileSync('mdir', ['-/', '-b', '-i', img, '::'], { env: UTF8, encoding: 'utf8' })
          .split('\n').filter(Boolean).map((l) => l.replace(/^::\//, '').replace(/\/$/, '')).sort();
        expect(listed).toEqual([...want.keys()].sort());
        const out = join(t.path, 'out');
        mkdirSync(out);
        execFileSync('mcopy', ['-s', '-m', '-n', '-i', img, '::', `${out}/`], { env: UTF8 });
        const got = hostTree(out);
        // Directories' times are not compared (mcopy does not keep them).
        expect(entries(got)).toEqual(entries(want));
      } finally {
        t.cleanup();
      }
    });

    it(`FAT${v.fat}: what mkfs.fat and mcopy write, we read back exactly`, async () => {
      const t = tempDir(`theirs${v.fat}`);
      try {
        const src = join(t.path, 'src');
        writeTree(src, { bpc: 512 * v.spc, many: v.many });
        const want = hostTree(src);
        const img = join(t.path, 'img');
        mkfsFat(img, v.kib, ['-F', String(v.fat), '-s', String(v.spc)]);
        const top = [...want.keys()].filter((k) => !k.includes('/')).map((k) => join(src, k));
        execFileSync('mcopy', ['-s', '-m', '-i', img, ...top, '::'], { env: UTF8 });
        const m = await mountImage(img, MNT_RDONLY);
        try {
          expect(entries(mountedTree(m.k.proc, '/mnt'))).toEqual(entries(want));
        } finally {
          m.done();
        }
      } finally {
        t.cleanup();
      }
    });
  }
});
