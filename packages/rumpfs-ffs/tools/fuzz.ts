/**
 * A mutation fuzzer for the FFS read path: flip bytes in the metadata of a good image (superblock,
 * cylinder group headers, inode blocks, directory and indirect blocks), mount the copy with the
 * read core and walk everything. Any failure must be a RumpError: never another exception, a hang
 * or a read outside the device. Usage: tsx tools/fuzz.ts <image> [cases] [seed]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { Ufsmount, ffs_dirwalk, ffs_getattr, ffs_iget, ffs_read, ffs_readlink, ffs_statvfs, ondisk } from '../src/index.js';

/** A BlockDevice over bytes that also records any attempt to leave the medium. */
class FuzzDevice implements BlockDevice {
  readonly secsize = 512;
  readonly readonly = true;
  /** Reads the file system should never have issued (bio must stop them first). */
  violation: string | null = null;
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(buf: Uint8Array, off: number): void {
    if (off < 0 || off + buf.length > this.bytes.length || off % 512 !== 0 || buf.length % 512 !== 0) {
      this.violation = `read outside the device or unaligned: ${buf.length}@${off}`;
      throw errno('EIO', this.violation);
    }
    buf.set(this.bytes.subarray(off, off + buf.length));
  }
  write(): void {
    throw errno('EROFS');
  }
  flush(): void {}
}

/** xorshift32: reproducible cases from a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Byte ranges worth mutating: superblock, cg headers, inode blocks, the first blocks of every directory and indirect block. */
export function metadataRanges(img: Uint8Array): [number, number][] {
  const ump = Ufsmount.open(new FuzzDevice(img));
  const fs = ump.fs;
  const g = ondisk;
  const r: [number, number][] = [[ump.sbloc, ump.sbloc + ondisk.SIZEOF_FS]];
  for (let c = 0; c < fs.ncg; c++) {
    r.push([g.fsbtob(fs, g.cgtod(fs, c)), g.fsbtob(fs, g.cgtod(fs, c)) + fs.cgsize]);
    const ib = g.fsbtob(fs, g.cgimin(fs, c));
    // Only the first inode blocks hold live inodes in these small images.
    r.push([ib, ib + Math.min(fs.ipg * g.dinodeSize(fs), 4 * fs.bsize)]);
  }
  const seen = new Set<number>();
  const walk = (ino: number): void => {
    if (seen.has(ino)) return;
    seen.add(ino);
    const ip = ffs_iget(ump, ino);
    for (const a of [...ip.din.db, ...ip.din.ib]) {
      if (a > 0 && ((ip.mode & 0o170000) === 0o040000 || ip.din.ib.includes(a))) r.push([g.fsbtob(fs, a), g.fsbtob(fs, a) + fs.bsize]);
    }
    if ((ip.mode & 0o170000) !== 0o040000) return;
    ffs_dirwalk(ip, 0, (e) => {
      if (e.name !== '.' && e.name !== '..') walk(e.ino);
      return true;
    });
  };
  walk(ondisk.UFS_ROOTINO);
  return r.filter(([a, b]) => a >= 0 && b <= img.length);
}

/** Mount and walk a (possibly corrupt) image; reads at most `cap` bytes per file. */
export function walkImage(dev: BlockDevice, cap = 256 * 1024): number {
  const ump = Ufsmount.open(dev);
  ffs_statvfs(ump);
  const seen = new Set<number>();
  const buf = new Uint8Array(65536);
  let n = 0;
  const visit = (ino: number): void => {
    if (seen.has(ino) || seen.size > 20000) return;
    seen.add(ino);
    const ip = ffs_iget(ump, ino);
    ffs_getattr(ip);
    n++;
    const fmt = ip.mode & 0o170000;
    if (fmt === 0o100000) {
      for (let off = 0; off < Math.min(ip.size, cap); off += buf.length) ffs_read(ip, buf, off);
      if (ip.size > cap) ffs_read(ip, buf, ip.size - 1);
    } else if (fmt === 0o120000) {
      ffs_readlink(ip);
    } else if (fmt === 0o040000) {
      const kids: number[] = [];
      ffs_dirwalk(ip, 0, (e) => {
        if (e.name !== '.' && e.name !== '..') kids.push(e.ino);
        return kids.length < 50000;
      });
      for (const k of kids) visit(k);
    }
  };
  visit(ondisk.UFS_ROOTINO);
  return n;
}

export interface FuzzResult {
  cases: number;
  /** Cases that mounted and walked without error. */
  clean: number;
  /** RumpError codes seen, with counts. */
  errors: Record<string, number>;
  /** Anything that was not a RumpError: these are bugs. */
  failures: { case: number; error: string }[];
}

/** Run `cases` mutations of `img` (1–8 random byte changes each, in metadata). */
export function fuzz(img: Uint8Array, cases: number, seed: number): FuzzResult {
  const ranges = metadataRanges(img);
  const rand = rng(seed);
  const res: FuzzResult = { cases, clean: 0, errors: {}, failures: [] };
  for (let i = 0; i < cases; i++) {
    const copy = img.slice();
    const flips = 1 + Math.floor(rand() * 8);
    for (let f = 0; f < flips; f++) {
      const [a, b] = ranges[Math.floor(rand() * ranges.length)]!;
      const at = a + Math.floor(rand() * (b - a));
      const kind = rand();
      // Bit flips, random bytes, and the classic boundary values.
      copy[at] = kind < 0.4 ? copy[at]! ^ (1 << Math.floor(rand() * 8)) : kind < 0.8 ? Math.floor(rand() * 256) : kind < 0.9 ? 0 : 0xff;
    }
    const dev = new FuzzDevice(copy);
    try {
      walkImage(dev);
      res.clean++;
    } catch (e) {
      if (isRumpError(e)) res.errors[e.code] = (res.errors[e.code] ?? 0) + 1;
      else res.failures.push({ case: i, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    if (dev.violation) res.failures.push({ case: i, error: dev.violation });
  }
  return res;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [image, cases = '1000', seed = '1'] = process.argv.slice(2);
  if (!image) {
    console.error('usage: tsx tools/fuzz.ts <image> [cases] [seed]');
    process.exit(2);
  }
  const r = fuzz(new Uint8Array(readFileSync(image)), Number(cases), Number(seed));
  console.log(JSON.stringify({ ...r, failures: r.failures.length }, null, 1));
  for (const f of r.failures.slice(0, 5)) console.log(`case ${f.case}: ${f.error}`);
  process.exit(r.failures.length > 0 ? 1 : 0);
}
