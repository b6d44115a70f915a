/**
 * Corrupt images: targeted damage to the superblock, cylinder groups, inodes, block pointers and
 * directory entries must end in a RumpError naming what is wrong — and a bounded mutation fuzz run
 * must never produce anything else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { Ufsmount, ffs_dirlookup, ffs_dirwalk, ffs_iget, ffs_read, ondisk } from '../src/index.js';
import { fuzz, walkImage } from '../tools/fuzz.js';
import { HAVE_MAKEFS, MemBlockDevice, makeImage, pattern, tempDir } from './helpers.js';
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';

const { FS_FIELDS, UFS1_FIELDS, UFS2_FIELDS, CG_FIELDS } = ondisk;

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (!isRumpError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  return { code: 'ok', message: '' };
}

interface Img {
  bytes: Uint8Array;
  le: boolean;
  ufs2: boolean;
}

/** Write a 32-bit value in the image's byte order. */
function put32(img: Img, off: number, v: number): Uint8Array {
  const b = img.bytes.slice();
  new DataView(b.buffer).setInt32(off, v | 0, img.le);
  return b;
}
function put16(b: Uint8Array, le: boolean, off: number, v: number): void {
  new DataView(b.buffer).setUint16(off, v, le);
}

describe.skipIf(!HAVE_MAKEFS)('corrupt images', () => {
  const tmp = tempDir('corrupt');
  const imgs: Record<string, Img> = {};
  beforeAll(() => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    mkdirSync(join(src, 'd'));
    writeFileSync(join(src, 'd/small'), pattern('small', 3000));
    writeFileSync(join(src, 'big'), pattern('big', 200 * 1024));
    symlinkSync('y'.repeat(200), join(src, 'slow'));
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `d/f${i}`), pattern(`f${i}`, i * 100));
    for (const [name, version, endian] of [['ufs1le', 1, 'le'], ['ufs2be', 2, 'be']] as const) {
      const path = join(tmp.path, name);
      makeImage(src, path, { version, endian, bsize: 4096, fsize: 512, size: '4m' });
      imgs[name] = { bytes: new Uint8Array(readFileSync(path)), le: endian === 'le', ufs2: version === 2 };
    }
  });
  afterAll(() => tmp.cleanup());

  const each = (fn: (img: Img, name: string) => void): void => {
    for (const name of ['ufs1le', 'ufs2be']) fn(imgs[name]!, name);
  };
  const sb = (img: Img, field: keyof typeof FS_FIELDS): number => 8192 + FS_FIELDS[field][0];

  it('the pristine images walk cleanly', () => {
    each((img) => expect(walkImage(new MemBlockDevice(img.bytes))).toBeGreaterThan(40));
  });

  it('superblock fields NetBSD validates: EINVAL naming the field', () => {
    each((img) => {
      const cases: [keyof typeof FS_FIELDS, number, string][] = [
        ['bsize', 3000, 'fs_bsize'],
        ['bsize', 1 << 20, 'fs_bsize'],
        ['fsize', 0, 'fs_fsize'],
        ['frag', 3, 'fs_frag'],
        ['inopb', 7, 'fs_inopb'],
        ['cgsize', 0, 'fs_cgsize'],
        ['cgsize', 1 << 20, 'fs_cgsize'],
        ['ncg', 0, 'fs_ncg'],
        ['ipg', 0, 'fs_ipg'],
        ['sbsize', 100, 'fs_sbsize'],
        ['bshift', 5, 'fs_bshift'],
        ['bmask', 0, 'fs_bmask'],
      ];
      for (const [field, v, name] of cases) {
        const f = failure(() => Ufsmount.open(new MemBlockDevice(put32(img, sb(img, field), v))));
        expect(f.code, `${field}=${v}`).toBe('EINVAL');
        expect(f.message, `${field}=${v}`).toContain(name);
      }
      const nomagic = failure(() => Ufsmount.open(new MemBlockDevice(put32(img, sb(img, 'magic'), 0x12345678))));
      expect(nomagic.code).toBe('EINVAL');
      expect(nomagic.message).toContain('no FFS magic');
    });
  });

  it('geometry the read path relies on: EFTYPE naming the field', () => {
    each((img) => {
      const cases: [keyof typeof FS_FIELDS, number, string][] = [
        ['nindir', 5, 'fs_nindir'],
        ['ncg', 1000, 'fs_ncg'],
        ['iblkno', 1 << 30, 'fs_iblkno'],
        ['fsbtodb', 9, 'fs_fsbtodb'],
        ['maxsymlinklen', 500, 'fs_maxsymlinklen'],
      ];
      for (const [field, v, name] of cases) {
        const f = failure(() => Ufsmount.open(new MemBlockDevice(put32(img, sb(img, field), v))));
        expect(f.code, `${field}=${v}`).toBe('EFTYPE');
        expect(f.message, `${field}=${v}`).toContain(name);
      }
    });
  });

  it('a bad cylinder group magic is EIO when an inode of it is read', () => {
    each((img) => {
      const fs = Ufsmount.open(new MemBlockDevice(img.bytes)).fs;
      const cgoff = ondisk.fsbtob(fs, ondisk.cgtod(fs, 0));
      const ump = Ufsmount.open(new MemBlockDevice(put32(img, cgoff + CG_FIELDS.magic[0], 0x1234)));
      const f = failure(() => ffs_iget(ump, 2));
      expect(f.code).toBe('EIO');
      expect(f.message).toContain('cg_magic');
    });
  });

  /** The byte offset of inode `ino`'s dinode. */
  const dinodeAt = (img: Img, ino: number): number => {
    const fs = Ufsmount.open(new MemBlockDevice(img.bytes)).fs;
    return ondisk.fsbtob(fs, ondisk.ino_to_fsba(fs, ino)) + ondisk.ino_to_fsbo(fs, ino) * ondisk.dinodeSize(fs);
  };
  const inoOf = (img: Img, ...path: string[]): number => {
    const ump = Ufsmount.open(new MemBlockDevice(img.bytes));
    let ino = 2;
    for (const p of path) ino = ffs_dirlookup(ffs_iget(ump, ino), p);
    return ino;
  };

  it('inode fields: unknown type, impossible size, block pointers outside the fs, indirect loops', () => {
    each((img) => {
      const F = img.ufs2 ? UFS2_FIELDS : UFS1_FIELDS;
      const big = inoOf(img, 'big');
      const at = dinodeAt(img, big);
      const open = (b: Uint8Array): Ufsmount => Ufsmount.open(new MemBlockDevice(b));
      // di_mode with IFMT 0170000 (whiteout) is no file type an inode may have.
      const b1 = img.bytes.slice();
      put16(b1, img.le, at + F.mode, 0o170644);
      expect(failure(() => ffs_iget(open(b1), big)).code).toBe('EIO');
      // di_size beyond what the block pointers can map.
      const b2 = put32(img, at + F.size + (img.le ? 4 : 0), 0x7fffffff);
      expect(failure(() => ffs_iget(open(b2), big)).message).toContain('di_size');
      // A direct block pointer past fs_size, and a negative one.
      const ptr = img.ufs2 ? 8 : 4;
      for (const bad of [0x7ffffff0, -5]) {
        const b3 = img.bytes.slice();
        const dv = new DataView(b3.buffer);
        if (img.ufs2) dv.setBigInt64(at + F.db + 3 * ptr, BigInt(bad), img.le);
        else dv.setInt32(at + F.db + 3 * ptr, bad, img.le);
        const ip = ffs_iget(open(b3), big);
        const f = failure(() => ffs_read(ip, new Uint8Array(ip.size), 0));
        expect(f.code).toBe('EIO');
        expect(f.message).toContain('outside the file system');
      }
      // The single-indirect block pointing at itself: bounded (3 levels), reads its own bytes as pointers.
      const b4 = img.bytes.slice();
      const dv4 = new DataView(b4.buffer);
      const ib0 = img.ufs2 ? Number(dv4.getBigInt64(at + F.ib, img.le)) : dv4.getInt32(at + F.ib, img.le);
      const fs = open(img.bytes).fs;
      const off = ondisk.fsbtob(fs, ib0);
      for (let i = 0; i < fs.nindir; i++) {
        if (img.ufs2) dv4.setBigInt64(off + i * 8, BigInt(ib0), img.le);
        else dv4.setInt32(off + i * 4, ib0, img.le);
      }
      const ip4 = ffs_iget(open(b4), big);
      expect(ffs_read(ip4, new Uint8Array(ip4.size), 0)).toBe(ip4.size);
      // Inode numbers out of range.
      expect(failure(() => ffs_iget(open(img.bytes), 0)).code).toBe('EIO');
      expect(failure(() => ffs_iget(open(img.bytes), 1e9)).code).toBe('EIO');
    });
  });

  it('directory entries with bad d_reclen / d_namlen: EIO naming the field', () => {
    each((img) => {
      const ump = Ufsmount.open(new MemBlockDevice(img.bytes));
      const d = ffs_iget(ump, inoOf(img, 'd'));
      const blk = ondisk.fsbtob(ump.fs, d.din.db[0]!);
      // Entry 0 is '.', 12 bytes; entry 1 '..' at 12.
      const cases: [number, number, 'u16' | 'u8', string][] = [
        [blk + 4, 0, 'u16', 'd_reclen'],
        [blk + 4, 13, 'u16', 'd_reclen'],
        [blk + 4, 1024, 'u16', 'd_reclen'],
        [blk + 12 + 4, 4, 'u16', 'd_reclen'],
        [blk + 12 + 7, 200, 'u8', 'd_namlen'],
      ];
      for (const [off, v, kind, name] of cases) {
        const b = img.bytes.slice();
        if (kind === 'u16') put16(b, img.le, off, v);
        else b[off] = v;
        const dip = ffs_iget(Ufsmount.open(new MemBlockDevice(b)), d.ino);
        const f = failure(() => ffs_dirwalk(dip, 0, () => true));
        expect(f.code, `${off - blk}=${v}`).toBe('EIO');
        expect(f.message, `${off - blk}=${v}`).toContain(name);
      }
    });
  });

  it('a bounded mutation fuzz run yields only RumpErrors and never reads outside the device', () => {
    each((img, name) => {
      const r = fuzz(img.bytes, 150, name === 'ufs1le' ? 1 : 2);
      expect(r.failures).toEqual([]);
      expect(r.clean + Object.values(r.errors).reduce((a, b) => a + b, 0)).toBe(150);
      // The mutations do hit: a good share of cases end in an error.
      expect(Object.keys(r.errors).length).toBeGreaterThan(0);
    });
  }, 120_000);
});
