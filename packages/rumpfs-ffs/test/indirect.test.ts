/**
 * Double and triple indirect blocks and files past 4 GiB. makefs writes every byte of a file (no
 * sparse output), so such files are planted into a small makefs image instead: a chain of indirect
 * blocks in free space at the end of the fs, data blocks with a known pattern, and a 64-bit di_size.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Ufsmount, ffs_getattr, ffs_iget, ffs_dirlookup, ffs_read, ondisk } from '../src/index.js';
import { HAVE_MAKEFS, MemBlockDevice, oneFileImage, pattern, tempDir } from './helpers.js';

describe.skipIf(!HAVE_MAKEFS)('planted deep indirect chains', () => {
  const tmp = tempDir('indirect');
  afterAll(() => tmp.cleanup());

  for (const version of [1, 2] as const) {
    for (const endian of ['le', 'be'] as const) {
      it(`UFS${version} ${endian}: data through double and triple indirect blocks, past 4 GiB`, () => {
        const img = oneFileImage(tmp.path, `${version}${endian}`, pattern('first', 4096), { version, endian, bsize: 4096, fsize: 512, size: '16m' });
        const le = endian === 'le';
        const dv = new DataView(img.buffer);
        let ump = Ufsmount.open(new MemBlockDevice(img));
        const fs = ump.fs;
        const ino = ffs_dirlookup(ffs_iget(ump, 2), 'f');
        const F = version === 2 ? ondisk.UFS2_FIELDS : ondisk.UFS1_FIELDS;
        const dinode = ondisk.fsbtob(fs, ondisk.ino_to_fsba(fs, ino)) + ondisk.ino_to_fsbo(fs, ino) * ondisk.dinodeSize(fs);
        const ptr = version === 2 ? 8 : 4;
        const setPtr = (off: number, v: number): void => {
          if (version === 2) dv.setBigInt64(off, BigInt(v), le);
          else dv.setInt32(off, v, le);
        };
        // Seven free blocks at the end of the file system, block-aligned.
        const last = Math.floor(fs.size / fs.frag) * fs.frag;
        const blk = (i: number): number => last - (i + 1) * fs.frag;
        const byteOf = (frag: number): number => ondisk.fsbtob(fs, frag);
        const n = fs.nindir;
        // Double: ib[1] → blk0 [j1] → blk1 [j0] → data blk2
        const j1 = 7, j0 = 9;
        setPtr(dinode + F.ib + 1 * ptr, blk(0));
        setPtr(byteOf(blk(0)) + j1 * ptr, blk(1));
        setPtr(byteOf(blk(1)) + j0 * ptr, blk(2));
        const lbnDouble = 12 + n + j1 * n + j0;
        // Triple: ib[2] → blk3 [k2] → blk4 [k1] → blk5 [k0] → data blk6; k2 = 5 puts it past 4 GiB.
        const k2 = 5, k1 = 3, k0 = 11;
        setPtr(dinode + F.ib + 2 * ptr, blk(3));
        setPtr(byteOf(blk(3)) + k2 * ptr, blk(4));
        setPtr(byteOf(blk(4)) + k1 * ptr, blk(5));
        setPtr(byteOf(blk(5)) + k0 * ptr, blk(6));
        const lbnTriple = 12 + n + n * n + k2 * n * n + k1 * n + k0;
        const dDouble = pattern('double', fs.bsize);
        const dTriple = pattern('triple', fs.bsize);
        img.set(dDouble, byteOf(blk(2)));
        img.set(dTriple, byteOf(blk(6)));
        const size = (lbnTriple + 1) * fs.bsize - 100;
        expect(size).toBeGreaterThan(2 ** 32);
        // di_size is 64-bit in both formats.
        dv.setUint32(dinode + F.size + (le ? 0 : 4), size % 2 ** 32, le);
        dv.setUint32(dinode + F.size + (le ? 4 : 0), Math.floor(size / 2 ** 32), le);

        ump = Ufsmount.open(new MemBlockDevice(img));
        const ip = ffs_iget(ump, ino);
        expect(ffs_getattr(ip).size).toBe(size);
        const at = (off: number, len: number): Buffer => {
          const b = Buffer.alloc(len);
          expect(ffs_read(ip, b, off)).toBe(Math.min(len, size - off));
          return b;
        };
        expect(at(0, 4096).equals(pattern('first', 4096))).toBe(true);
        expect(at(lbnDouble * fs.bsize, fs.bsize).equals(dDouble)).toBe(true);
        // A read straddling the hole before the double-indirect block and into it.
        const straddle = at(lbnDouble * fs.bsize - 10, 20);
        expect(straddle.subarray(0, 10).every((x) => x === 0)).toBe(true);
        expect(straddle.subarray(10).equals(dDouble.subarray(0, 10))).toBe(true);
        // The triple-indirect block, past 4 GiB, and a read clipped at EOF.
        expect(at(lbnTriple * fs.bsize, fs.bsize - 100).equals(dTriple.subarray(0, fs.bsize - 100))).toBe(true);
        const tail = Buffer.alloc(500);
        expect(ffs_read(ip, tail, size - 50)).toBe(50);
        expect(tail.subarray(0, 50).equals(dTriple.subarray(fs.bsize - 150, fs.bsize - 100))).toBe(true);
        // Holes at every level read as zeros.
        for (const off of [8 * fs.bsize, (12 + 3) * fs.bsize, (12 + n + 2 * n) * fs.bsize, 2 ** 32 + 12345]) {
          expect(at(off, 64).every((x) => x === 0), `hole at ${off}`).toBe(true);
        }
      });
    }
  }
});
