/**
 * The read core against images made by the real makefs(8) from trees this test writes: every name,
 * type, size, mode, owner, link count, mtime, symlink target and every file byte must match the
 * source tree as the host sees it.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DT_DIR, DT_FIFO, DT_LNK, DT_REG, S_IFMT } from '@rumpts/librump';
import { Ufsmount, ffs_dirwalk, ffs_dirlookup, ffs_getattr, ffs_iget, ffs_read, ffs_readlink, ffs_statvfs } from '../src/index.js';
import type { Inode } from '../src/index.js';
import { FileBlockDevice, HAVE_MAKEFS, makeImage, tempDir, writeTree, type ImageOptions } from './helpers.js';

const CONFIGS: (ImageOptions & { big: boolean; bigdir: number })[] = [
  { version: 1, endian: 'le', bsize: 4096, fsize: 512, big: true, bigdir: 3000 },
  { version: 1, endian: 'be', big: false, bigdir: 300 },
  { version: 2, endian: 'le', big: true, bigdir: 3000 },
  { version: 2, endian: 'be', bsize: 4096, fsize: 1024, big: true, bigdir: 300 },
  { version: 2, endian: 'le', bsize: 32768, fsize: 4096, big: false, bigdir: 300 },
];

const DT_OF_HOST: Record<number, number> = { 0o100000: DT_REG, 0o040000: DT_DIR, 0o120000: DT_LNK, 0o010000: DT_FIFO };

/** Read a whole file through ffs_read in uneven chunks (exercises block-crossing reads). */
function readAll(ip: Inode): Buffer {
  const out = Buffer.alloc(ip.size);
  let off = 0;
  let step = 1000;
  while (off < ip.size) {
    const n = ffs_read(ip, out.subarray(off, off + step), off);
    expect(n).toBeGreaterThan(0);
    off += n;
    step = step * 3 + 7;
  }
  expect(ffs_read(ip, Buffer.alloc(10), ip.size)).toBe(0);
  return out;
}

interface Counts {
  entries: number;
  bytes: number;
}

function compareDir(ump: Ufsmount, ip: Inode, parentIno: number, src: string, inoMap: Map<number, number>, c: Counts): void {
  const seen: string[] = [];
  ffs_dirwalk(ip, 0, (e) => {
    if (e.name === '.') {
      expect(e.ino).toBe(ip.ino);
      return true;
    }
    if (e.name === '..') {
      expect(e.ino).toBe(parentIno);
      return true;
    }
    seen.push(e.name);
    const path = join(src, e.name);
    const st = lstatSync(path);
    const child = ffs_iget(ump, e.ino);
    const va = ffs_getattr(child);
    const ctx = `${path} (ino ${e.ino})`;
    expect(child.mode & S_IFMT, ctx).toBe(st.mode & S_IFMT);
    expect(e.type, ctx).toBe(DT_OF_HOST[st.mode & S_IFMT]);
    expect(va.mode, ctx).toBe(st.mode & 0o7777);
    expect(va.nlink, ctx).toBe(st.nlink);
    expect(va.uid, ctx).toBe(st.uid);
    expect(va.gid, ctx).toBe(st.gid);
    const mtimeNs = lstatSync(path, { bigint: true }).mtimeNs;
    expect(va.mtime.sec, ctx).toBe(Number(mtimeNs / 1_000_000_000n));
    // Debian's makefs stores whole seconds only (nsec 0); nanoseconds are checked on the NetBSD images.
    expect(va.fileid).toBe(e.ino);
    // Hard links: the same host inode must map to the same FFS inode.
    const prev = inoMap.get(st.ino);
    if (prev !== undefined) expect(e.ino, ctx).toBe(prev);
    else inoMap.set(st.ino, e.ino);
    c.entries++;
    if (st.isFile()) {
      expect(va.size, ctx).toBe(st.size);
      const data = readAll(child);
      expect(data.equals(readFileSync(path)), ctx).toBe(true);
      c.bytes += data.length;
    } else if (st.isSymbolicLink()) {
      expect(ffs_readlink(child), ctx).toBe(readlinkSync(path));
      expect(va.size, ctx).toBe(Buffer.byteLength(readlinkSync(path)));
    } else if (st.isDirectory()) {
      expect(va.size % 512).toBe(0);
      compareDir(ump, child, ip.ino, path, inoMap, c);
    }
    return true;
  });
  expect(seen.sort()).toEqual(readdirSync(src).sort());
}

function countTree(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    n++;
    if (e.isDirectory()) n += countTree(join(dir, e.name));
  }
  return n;
}

describe.skipIf(!HAVE_MAKEFS)('makefs images read byte for byte', () => {
  const tmp = tempDir('img');
  afterAll(() => tmp.cleanup());

  for (const [i, cfg] of CONFIGS.entries()) {
    const label = `UFS${cfg.version} ${cfg.endian} bsize ${cfg.bsize ?? 'default'} fsize ${cfg.fsize ?? 'default'}`;
    describe(label, () => {
      const src = join(tmp.path, `src${i}`);
      const img = join(tmp.path, `img${i}`);
      let dev: FileBlockDevice;
      let ump: Ufsmount;
      beforeAll(() => {
        // The tree is written per config because file sizes follow the block size.
        const bsize = cfg.bsize ?? 8192;
        mkdirSync(src);
        writeTree(src, { bsize, big: cfg.big, bigdir: cfg.bigdir });
        makeImage(src, img, cfg);
        dev = new FileBlockDevice(img);
        ump = Ufsmount.open(dev);
      }, 120_000);
      afterAll(() => dev?.close());

      it('finds the superblock with the right flavour, byte order and geometry', () => {
        expect(ump.fs.ufsVersion).toBe(cfg.version);
        expect(ump.le).toBe(cfg.endian === 'le');
        if (cfg.bsize) expect(ump.fs.bsize).toBe(cfg.bsize);
        if (cfg.fsize) expect(ump.fs.fsize).toBe(cfg.fsize);
        expect(ump.dtype).toBe(true);
      });

      it('matches every name, attribute, link target and byte of the source tree', () => {
        const root = ffs_iget(ump, 2);
        const c: Counts = { entries: 0, bytes: 0 };
        compareDir(ump, root, 2, src, new Map(), c);
        expect(c.entries).toBe(countTree(src));
        expect(c.bytes).toBeGreaterThan(cfg.big ? 20 * 1024 * 1024 : 0);
      }, 60_000);

      it('looks names up, including .. and 255-byte names', () => {
        const root = ffs_iget(ump, 2);
        const files = ffs_dirlookup(root, 'files');
        expect(files).toBeGreaterThan(2);
        expect(ffs_dirlookup(ffs_iget(ump, files), '..')).toBe(2);
        expect(ffs_dirlookup(root, 'nope')).toBe(0);
        const names = ffs_iget(ump, ffs_dirlookup(root, 'names'));
        const long = ffs_iget(ump, ffs_dirlookup(names, 'n'.repeat(255)));
        expect(Buffer.from(readAll(long)).toString()).toBe('longest name');
        const bigdir = ffs_iget(ump, ffs_dirlookup(root, 'bigdir'));
        expect(ffs_dirlookup(bigdir, `e${cfg.bigdir - 1}`)).toBeGreaterThan(2);
      });

      it('reports statvfs counts that agree with the tree', () => {
        const s = ffs_statvfs(ump);
        expect(s.bsize).toBe(ump.fs.bsize);
        expect(s.frsize).toBe(ump.fs.fsize);
        // Inodes in use: the tree's entries less hard links, plus the root (inodes 0 and 1 are reserved).
        const uniq = new Set<number>();
        const walk = (d: string): void => {
          for (const e of readdirSync(d)) {
            const st = lstatSync(join(d, e));
            uniq.add(st.ino);
            if (st.isDirectory()) walk(join(d, e));
          }
        };
        walk(src);
        expect(s.files - s.ffree).toBe(uniq.size + 1);
        expect(s.bfree).toBeLessThan(s.blocks);
        expect(s.bavail).toBeLessThanOrEqual(s.bfree);
      });
    });
  }
});

