/**
 * ffs_read: file bytes at an offset. Regular file data comes straight from the device: blocks that
 * are contiguous on disk are coalesced into one device read into the caller's buffer, small
 * sequential reads are served from read-ahead windows (readahead.ts), and holes are zero-filled
 * without touching the disk. Directory and symlink blocks are metadata and come through the buffer
 * cache, so they see delayed writes.
 */
import { S_IFMT, S_IFREG } from '@rumpts/librump';
import { breadInto } from './bio.js';
import { bmapRun, chkaddr, ffs_bmap, ffs_bmaprun } from './bmap.js';
import { blkoff, blksize, fsbtob, lblkno } from './ondisk/geometry.js';
import type { Inode } from './inode.js';
import { RA_MAX, RA_SMALL } from './readahead.js';

/**
 * Read ahead from logical block `lbn` (at fragment `addr`): the run of the file's blocks that
 * follow each other on disk, up to RA_MAX bytes, into a window.
 */
function readAhead(ip: Inode, lbn: number, addr: number): void {
  const ump = ip.ump;
  const fs = ump.fs;
  const size = ip.size;
  let len = blksize(fs, size, lbn);
  for (let l = lbn + 1, want = addr + fs.frag; len + fs.bsize <= RA_MAX && l * fs.bsize < size; l++, want += fs.frag) {
    if (blksize(fs, size, l - 1) !== fs.bsize || ffs_bmap(ip, l) !== want) break;
    len += blksize(fs, size, l);
  }
  const w = ump.readahead.take(ip.ino);
  breadInto(ump.dev, w.data.subarray(0, len), fsbtob(fs, addr));
  w.dev = fsbtob(fs, addr);
  w.file = lbn * fs.bsize;
  w.len = len;
}

/**
 * A large read of a regular file: each run of blocks that follow each other on disk (VOP_BMAP's
 * runp, as NetBSD's cluster reads map them), bounded by the blocks this read still needs, is one
 * device read straight into `buf`; neighbouring runs that also follow each other on disk are merged,
 * and holes are zero-filled. Kept apart from ffs_read's general loop: this is the loop a streamed
 * file (fsu cat, get) runs thousands of times, small enough for V8 to optimise early in a cold process.
 */
function readRuns(ip: Inode, buf: Uint8Array, offset: number, n: number): void {
  const ump = ip.ump;
  const fs = ump.fs;
  const size = ip.size;
  const lastLbn = lblkno(fs, offset + n - 1);
  // The pending device read: `runLen` bytes at device byte `runDev` going to buf[runDst..].
  let runDev = 0;
  let runDst = 0;
  let runLen = 0;
  let done = 0;
  let pos = offset;
  while (done < n) {
    const lbn = lblkno(fs, pos);
    const boff = blkoff(fs, pos);
    const addr = ffs_bmaprun(ip, lbn, lastLbn - lbn);
    if (addr === 0) {
      // A hole: zeros, without touching the disk.
      const chunk = Math.min(blksize(fs, size, lbn) - boff, n - done);
      if (runLen > 0) breadInto(ump.dev, buf.subarray(runDst, runDst + runLen), runDev);
      runLen = 0;
      buf.fill(0, done, done + chunk);
      done += chunk;
      pos += chunk;
      continue;
    }
    const run = bmapRun();
    const lastsz = blksize(fs, size, lbn + run);
    const nfrags = run * fs.frag + Math.ceil(lastsz / fs.fsize);
    // chkaddr's test, its message made only when it fails (not once per run of a large read).
    if (!(addr >= 0 && addr + nfrags <= fs.size)) chkaddr(ip, addr, nfrags, `block pointer for logical block ${lbn}`);
    const chunk = Math.min(run * fs.bsize + lastsz - boff, n - done);
    const dev = fsbtob(fs, addr) + boff;
    if (runLen > 0 && runDev + runLen === dev) {
      runLen += chunk;
    } else {
      if (runLen > 0) breadInto(ump.dev, buf.subarray(runDst, runDst + runLen), runDev);
      runDev = dev;
      runDst = done;
      runLen = chunk;
    }
    done += chunk;
    pos += chunk;
  }
  if (runLen > 0) breadInto(ump.dev, buf.subarray(runDst, runDst + runLen), runDev);
}

/** Read from `ip` at `offset` into buf; returns the byte count (0 at or past end of file). */
export function ffs_read(ip: Inode, buf: Uint8Array, offset: number): number {
  const size = ip.size;
  if (offset >= size || buf.length === 0) return 0;
  const n = Math.min(buf.length, size - offset);
  const ump = ip.ump;
  const fs = ump.fs;
  const direct = (ip.din.mode & S_IFMT) === S_IFREG;
  const ra = ump.readahead;
  const small = direct && n < RA_SMALL;
  if (small) {
    // Inside a window already: no block mapping needed.
    const w = ra.findFile(ip.ino, offset, n);
    if (w) {
      buf.set(w.data.subarray(offset - w.file, offset - w.file + n));
      ra.readTo(ip.ino, offset + n);
      return n;
    }
  }
  if (direct && !small) {
    readRuns(ip, buf, offset, n);
    ra.readTo(ip.ino, offset + n);
    return n;
  }
  const seq = small && ra.sequential(ip.ino, offset);
  // The pending run: `runLen` bytes at device byte `runDev` going to buf[runDst..].
  let runDev = 0;
  let runDst = 0;
  let runLen = 0;
  const flush = (): void => {
    if (runLen > 0) breadInto(ump.dev, buf.subarray(runDst, runDst + runLen), runDev);
    runLen = 0;
  };
  let done = 0;
  let pos = offset;
  while (done < n) {
    const lbn = lblkno(fs, pos);
    const boff = blkoff(fs, pos);
    const bsz = blksize(fs, size, lbn);
    const chunk = Math.min(bsz - boff, n - done);
    const addr = ffs_bmap(ip, lbn);
    if (addr === 0) {
      flush();
      buf.fill(0, done, done + chunk);
    } else {
      chkaddr(ip, addr, Math.ceil(bsz / fs.fsize), `block pointer for logical block ${lbn}`);
      if (!direct) {
        const bp = ump.bio.bread(fsbtob(fs, addr), bsz);
        buf.set(bp.data.subarray(boff, boff + chunk), done);
        ump.bio.brelse(bp);
      } else {
        const dev = fsbtob(fs, addr) + boff;
        let w = small ? ra.find(ip.ino, dev, chunk) : null;
        if (!w && seq) {
          readAhead(ip, lbn, addr);
          w = ra.find(ip.ino, dev, chunk);
        }
        if (w) {
          flush();
          buf.set(w.data.subarray(dev - w.dev, dev - w.dev + chunk), done);
        } else if (runLen > 0 && runDev + runLen === dev) {
          runLen += chunk;
        } else {
          flush();
          runDev = dev;
          runDst = done;
          runLen = chunk;
        }
      }
    }
    done += chunk;
    pos += chunk;
  }
  flush();
  if (direct) ra.readTo(ip.ino, offset + n);
  return n;
}
