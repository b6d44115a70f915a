/**
 * ffs_bmaprun's run through an indirect block: how many of the next pointers follow the mapped one on
 * disk. The run is found from the block's words in place when the image's byte order is the host's,
 * and pointer by pointer otherwise; both must give the run the pointers themselves give, and a large
 * read over broken runs must give the file's bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Ufsmount, ffs_dirlookup, ffs_iget, ffs_read, ondisk } from '../src/index.js';
import { bmapRun, ffs_bmaprun } from '../src/bmap.js';
import { HAVE_MAKEFS, MemBlockDevice, oneFileImage, pattern, tempDir } from './helpers.js';

describe.skipIf(!HAVE_MAKEFS)('ffs_bmaprun runs in an indirect block', () => {
  const tmp = tempDir('bmaprun');
  afterAll(() => tmp.cleanup());

  for (const version of [1, 2] as const) {
    for (const endian of ['le', 'be'] as const) {
      it(`UFS${version} ${endian}: runs end where the pointers stop following each other`, () => {
        const bsize = 4096;
        const nblocks = 12 + 60;
        const data = pattern(`runs${version}${endian}`, nblocks * bsize);
        const img = oneFileImage(tmp.path, `${version}${endian}`, data, { version, endian, bsize, fsize: 512, size: '8m' });
        const le = endian === 'le';
        const dv = new DataView(img.buffer);
        let ump = Ufsmount.open(new MemBlockDevice(img));
        const fs = ump.fs;
        const ino = ffs_dirlookup(ffs_iget(ump, 2), 'f');
        const ib0 = ffs_iget(ump, ino).din.ib[0]!;
        expect(ib0).toBeGreaterThan(0);
        const ptr = version === 2 ? 8 : 4;
        const at = (i: number): number => ondisk.fsbtob(fs, ib0) + i * ptr;
        const getPtr = (i: number): number => (version === 2 ? Number(dv.getBigInt64(at(i), le)) : dv.getInt32(at(i), le));
        const setPtr = (i: number, v: number): void => {
          if (version === 2) dv.setBigInt64(at(i), BigInt(v), le);
          else dv.setInt32(at(i), v, le);
        };
        // Break the runs: swap the blocks of pointers 5 and 6 (and what the file holds there), and
        // make pointer 30 a hole.
        const expected = Buffer.from(data);
        const p5 = getPtr(5);
        const p6 = getPtr(6);
        setPtr(5, p6);
        setPtr(6, p5);
        expected.set(data.subarray((12 + 6) * bsize, (12 + 7) * bsize), (12 + 5) * bsize);
        expected.set(data.subarray((12 + 5) * bsize, (12 + 6) * bsize), (12 + 6) * bsize);
        setPtr(30, 0);
        expected.fill(0, (12 + 30) * bsize, (12 + 31) * bsize);

        ump = Ufsmount.open(new MemBlockDevice(img));
        const ip = ffs_iget(ump, ino);
        const nptrs = nblocks - 12;
        for (let i = 0; i < nptrs; i++) {
          for (const maxrun of [0, 3, 15, 100]) {
            const addr = ffs_bmaprun(ip, 12 + i, maxrun);
            expect(addr).toBe(getPtr(i));
            let want = 0;
            if (addr !== 0) {
              const last = Math.min(fs.nindir - 1, i + maxrun);
              while (i + want + 1 <= last && getPtr(i + want + 1) === addr + (want + 1) * fs.frag) want++;
            }
            expect(bmapRun(), `pointer ${i}, maxrun ${maxrun}`).toBe(want);
          }
        }
        // Pointer 0's run stops before the swapped pair, and pointer 6's (the swapped-back one) is 0.
        ffs_bmaprun(ip, 12, 100);
        expect(bmapRun()).toBe(4);
        ffs_bmaprun(ip, 12 + 7, 100);
        expect(bmapRun()).toBe(30 - 7 - 1);

        const got = Buffer.alloc(nblocks * bsize);
        const chunk = Buffer.alloc(128 << 10);
        for (let off = 0; off < got.length; ) {
          const n = ffs_read(ip, chunk, off);
          expect(n).toBeGreaterThan(0);
          got.set(chunk.subarray(0, n), off);
          off += n;
        }
        expect(got.equals(expected)).toBe(true);
      });
    }
  }
});
