/**
 * makefs: images built from host trees (UFS1/UFS2, both byte orders, computed or given size) hold
 * exactly the tree — checked by the independent readers of verify_ffs_image.sh (sleuthkit with its
 * fsck-like checks, grub-fstest for little-endian) — and our fsck finds them clean.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, lstatSync, mkdirSync, openSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { type MakefsProgress, Ufsmount, ffs_dirlookup, ffs_iget, makefs, makefsSize } from '../src/index.js';
import { tempDir, writeTree } from './helpers.js';
import { runFsck } from './fsckhelpers.js';
import { HAVE_GRUB, HAVE_TSK } from './rwhelpers.js';

const VERIFY = resolve(import.meta.dirname, '../../../tools/ffs/verify_ffs_image.sh');
const HAVE_VERIFY = existsSync(VERIFY) && HAVE_TSK;

function build(src: string, img: string, o: Parameters<typeof makefs>[2] & { bytes?: number }): ReturnType<typeof makefs> {
  const bytes = o?.bytes ?? makefsSize(src, o).size;
  const fd = openSync(img, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  try {
    return makefs(dev, src, o);
  } finally {
    dev.close();
  }
}

function verify(img: string, src: string, readers: string): void {
  const r = spawnSync(VERIFY, [img, src], { encoding: 'utf8', env: { ...process.env, READERS: readers }, timeout: 300_000 });
  expect(r.status, `${readers}: ${r.stderr}`).toBe(0);
}

describe('makefs', () => {
  for (const version of [1, 2] as const) {
    for (const endian of ['le', 'be'] as const) {
      it(`UFS${version}-${endian}: the image holds exactly the tree (computed size)`, () => {
        const t = tempDir(`mkfs${version}${endian}`);
        try {
          const src = join(t.path, 'src');
          mkdirSync(src);
          writeTree(src, { bsize: 8192, big: false, bigdir: 400 });
          const img = join(t.path, 'img');
          const seen: MakefsProgress[] = [];
          const r = build(src, img, { version, endian, progress: (p) => seen.push(p) });
          expect(r.version).toBe(version);
          expect(seen.length).toBeGreaterThan(0);
          const last = seen[seen.length - 1]!;
          expect(last.entries).toBe(last.totalEntries);
          expect(last.bytes).toBe(last.totalBytes);
          const f = runFsck(img, false);
          expect(f.problems.map((p) => p.message)).toEqual([]);
          if (HAVE_VERIFY) verify(img, src, 'tsk');
          if (HAVE_VERIFY && HAVE_GRUB && endian === 'le') {
            // grub-fstest shows fifos as regular files: check it on the tree without one.
            rmSync(join(src, 'special/fifo'));
            const img2 = join(t.path, 'img2');
            build(src, img2, { version, endian });
            verify(img2, src, 'grub');
          }
        } finally {
          t.cleanup();
        }
      }, 120_000);
    }
  }

  it('a computed size holds trees whose fragment tails do not pack, and trees at a group boundary', () => {
    const t = tempDir('mkfstails');
    try {
      // Seven- and five-fragment tails leave runs no other tail of theirs can use; 10,100 inodes
      // of small files put UFS2's single group right where newfs shrinks it.
      const cases: [string, (i: number) => number, number][] = [
        ['tails7', () => 7 * 1024 - 5, 1500],
        ['tails5', (i) => (i % 2 ? 5 : 6) * 1024 - 5, 1500],
        ['small', (i) => (i * 7919) % 8192, 10_000],
      ];
      for (const [name, size, count] of cases) {
        const src = join(t.path, name);
        for (let d = 0; d < count / 100; d++) {
          mkdirSync(join(src, `d${d}`), { recursive: true });
          for (let f = 0; f < 100; f++) writeFileSync(join(src, `d${d}`, `f${f}`), Buffer.alloc(size(d * 100 + f), 0x61 + (f % 26)));
        }
        for (const version of [1, 2] as const) {
          const img = join(t.path, `${name}-${version}.img`);
          build(src, img, { version });
          expect(runFsck(img, false).problems.map((p) => p.message), `${name} UFS${version}`).toEqual([]);
          rmSync(img);
        }
      }
    } finally {
      t.cleanup();
    }
  }, 300_000);

  it('a given size, block size and volume name; a size too small is ENOSPC', () => {
    const t = tempDir('mkfsopt');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      writeTree(src, { bsize: 4096, big: false, bigdir: 100 });
      const img = join(t.path, 'img');
      const r = build(src, img, { version: 2, bsize: 16384, fsize: 2048, size: 48 << 20, bytes: 48 << 20, volname: 'tree' });
      expect(r.bsize).toBe(16384);
      expect(r.size * r.fsize).toBeLessThanOrEqual(48 << 20);
      expect(runFsck(img, false).problems).toEqual([]);
      if (HAVE_VERIFY) verify(img, src, 'tsk');
      const small = join(t.path, 'small');
      let code = 'ok';
      try {
        build(src, small, { version: 2, size: 2 << 20, bytes: 2 << 20 });
      } catch (e) {
        code = isRumpError(e) ? e.code : String(e);
      }
      expect(code).toBe('ENOSPC');
      expect(() => makefsSize(join(t.path, 'absent'))).toThrow(/ENOENT|absent/);
    } finally {
      t.cleanup();
    }
  }, 120_000);

  it('host times keep their nanoseconds, before 1970 too (seconds floored, nanoseconds 0..1e9-1 as in struct timespec)', () => {
    const t = tempDir('mkfstimes');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      // 1969-06-01 12:00:00.5 (a Date: utimes takes a negative number for now) and a time with
      // microseconds.
      const files: [string, Date | number][] = [['old', new Date(-18446399500)], ['new', 1234567890.123456]];
      for (const [name, when] of files) {
        writeFileSync(join(src, name), name);
        utimesSync(join(src, name), when, when);
      }
      for (const version of [1, 2] as const) {
        const img = join(t.path, `img${version}`);
        build(src, img, { version });
        const dev = new HostFileBlockDevice(img);
        try {
          const ump = Ufsmount.open(dev);
          const root = ffs_iget(ump, 2);
          for (const [name] of files) {
            const ns = lstatSync(join(src, name), { bigint: true }).mtimeNs;
            const { mtime } = ffs_iget(ump, ffs_dirlookup(root, name)).din;
            expect(mtime.nsec, `${name} UFS${version}`).toBeGreaterThanOrEqual(0);
            expect(mtime.nsec).toBeLessThan(1e9);
            expect(BigInt(mtime.sec) * 1_000_000_000n + BigInt(mtime.nsec), `${name} UFS${version}`).toBe(ns);
          }
        } finally {
          dev.close();
        }
      }
    } finally {
      t.cleanup();
    }
  });
});
