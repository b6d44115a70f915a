/**
 * ufs_bmaparray: logical block → fragment address through the direct pointers and the single,
 * double and triple indirect blocks. 0 is a hole. Every pointer is range-checked against fs_size
 * before it is followed, so a corrupt pointer is EIO and the walk is bounded by the three levels.
 */
import { errno } from '@rumpts/librump';
import { i64At, nativeWords } from './ondisk/bswap.js';
import { UFS_NDADDR, fsbtob, indirectSpans } from './ondisk/geometry.js';
import type { IndirBlock, Inode } from './inode.js';

/** Throw EIO unless fragments [addr, addr+nfrags) lie inside the file system. */
export function chkaddr(ip: Inode, addr: number, nfrags: number, what: string): void {
  const fs = ip.ump.fs;
  if (!Number.isSafeInteger(addr) || addr < 0 || addr + nfrags > fs.size) {
    throw ip.ump.corrupt(`inode ${ip.ino}: ${what} ${addr} lies outside the file system (fs_size ${fs.size})`);
  }
}

/** Pointer `i` of an indirect block. */
export function indirPtr(ip: Inode, dv: DataView, i: number): number {
  const le = ip.ump.le;
  return ip.ump.ufs2 ? i64At(dv, i * 8, le) : dv.getInt32(i * 4, le);
}

/** The indirect block at `addr` for `level`, through the inode's one-slot-per-level cache. */
function indirBlock(ip: Inode, level: number, addr: number): IndirBlock {
  const fs = ip.ump.fs;
  const cache = (ip.indir ??= { addr: [-1, -1, -1], buf: [null, null, null] });
  if (cache.addr[level] === addr) {
    const blk = cache.buf[level];
    if (blk) return blk;
  }
  chkaddr(ip, addr, fs.frag, 'indirect block');
  const b = new Uint8Array(fs.bsize);
  ip.ump.bio.readMeta(b, fsbtob(fs, addr));
  const blk = { dv: new DataView(b.buffer), words: nativeWords(b, ip.ump.le) };
  cache.addr[level] = addr;
  cache.buf[level] = blk;
  return blk;
}

/**
 * How many pointers after `idx` (up to `last`) continue the run of pointer `idx` (= `addr`), each a
 * block further on disk. A streamed read asks this for every chunk (a dozen pointers or more): when the
 * block's words are in the host's order and the run's addresses fit in 31 bits, as on any image below
 * 2 TiB of fragments, the words are compared in place (UFS2: low word the address, high word 0);
 * otherwise each pointer is decoded.
 */
function indirRun(ip: Inode, blk: IndirBlock, idx: number, addr: number, last: number): number {
  const frag = ip.ump.fs.frag;
  const w = blk.words;
  let i = idx + 1;
  if (w !== null && addr >= 0 && addr + (last - idx) * frag <= 0x7fffffff) {
    if (ip.ump.ufs2) while (i <= last && w[2 * i] === addr + (i - idx) * frag && w[2 * i + 1] === 0) i++;
    else while (i <= last && w[i] === addr + (i - idx) * frag) i++;
  } else {
    while (i <= last && indirPtr(ip, blk.dv, i) === addr + (i - idx) * frag) i++;
  }
  return i - idx - 1;
}

/** The fragment address of logical block `lbn` of `ip`, or 0 for a hole. */
export function ffs_bmap(ip: Inode, lbn: number): number {
  return ffs_bmaprun(ip, lbn, 0);
}

/** How many blocks the last ffs_bmaprun found following its block on disk (its `runp`). */
let lastRun = 0;

/**
 * ufs_bmaparray with its run: the fragment address of logical block `lbn` (0 for a hole), and
 * through {@link bmapRun} how many of the next `maxrun` logical blocks follow it on disk, each a
 * whole block further. The run stays inside the pointer array that maps `lbn` (the direct pointers
 * or one indirect block, as NetBSD's is), so finding it reads no block the walk did not.
 */
export function ffs_bmaprun(ip: Inode, lbn: number, maxrun: number): number {
  lastRun = 0;
  const din = ip.din;
  const fs = ip.ump.fs;
  if (lbn < UFS_NDADDR) {
    const addr = din.db[lbn] ?? 0;
    if (addr !== 0) {
      const last = Math.min(UFS_NDADDR - 1, lbn + maxrun);
      let l = lbn + 1;
      while (l <= last && din.db[l] === addr + (l - lbn) * fs.frag) l++;
      lastRun = l - lbn - 1;
    }
    return addr;
  }
  const spans = indirectSpans(fs);
  let rel = lbn - UFS_NDADDR;
  let level = 0;
  while (level < 3 && rel >= spans[level]!) {
    rel -= spans[level]!;
    level++;
  }
  if (level === 3) throw errno('EFBIG', `ffs: inode ${ip.ino}: logical block ${lbn} is beyond triple indirect`);
  let addr = din.ib[level] ?? 0;
  // Walk down: at depth d the index is the digit of `rel` in base nindir.
  for (let d = level; d >= 0; d--) {
    if (addr === 0) return 0;
    const blk = indirBlock(ip, level - d, addr);
    const span = d === 0 ? 1 : spans[d - 1]!;
    const idx = Math.floor(rel / span) % fs.nindir;
    addr = indirPtr(ip, blk.dv, idx);
    if (d === 0 && addr !== 0 && maxrun > 0) lastRun = indirRun(ip, blk, idx, addr, Math.min(fs.nindir - 1, idx + maxrun));
  }
  return addr;
}

/** The run of the last ffs_bmaprun: blocks after the one it mapped that follow it on disk. */
export function bmapRun(): number {
  return lastRun;
}
