/**
 * ufs_bmaparray: logical block → fragment address through the direct pointers and the single,
 * double and triple indirect blocks. 0 is a hole. Every pointer is range-checked against fs_size
 * before it is followed, so a corrupt pointer is EIO and the walk is bounded by the three levels.
 */
import { errno } from '@rumpts/librump';
import { i64At } from './ondisk/bswap.js';
import { UFS_NDADDR, fsbtob, indirectSpans } from './ondisk/geometry.js';
import type { Inode } from './inode.js';

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
function indirBlock(ip: Inode, level: number, addr: number): DataView {
  const fs = ip.ump.fs;
  const cache = (ip.indir ??= { addr: [-1, -1, -1], buf: [null, null, null] });
  if (cache.addr[level] === addr) {
    const dv = cache.buf[level];
    if (dv) return dv;
  }
  chkaddr(ip, addr, fs.frag, 'indirect block');
  const b = new Uint8Array(fs.bsize);
  ip.ump.bio.readMeta(b, fsbtob(fs, addr));
  const dv = new DataView(b.buffer);
  cache.addr[level] = addr;
  cache.buf[level] = dv;
  return dv;
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
    const dv = indirBlock(ip, level - d, addr);
    const span = d === 0 ? 1 : spans[d - 1]!;
    const idx = Math.floor(rel / span) % fs.nindir;
    addr = indirPtr(ip, dv, idx);
    if (d === 0 && addr !== 0 && maxrun > 0) {
      const last = Math.min(fs.nindir - 1, idx + maxrun);
      let i = idx + 1;
      while (i <= last && indirPtr(ip, dv, i) === addr + (i - idx) * fs.frag) i++;
      lastRun = i - idx - 1;
    }
  }
  return addr;
}

/** The run of the last ffs_bmaprun: blocks after the one it mapped that follow it on disk. */
export function bmapRun(): number {
  return lastRun;
}
