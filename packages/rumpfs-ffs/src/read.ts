/**
 * ffs_read: file bytes at an offset. Regular file data comes straight from the device: blocks that
 * are contiguous on disk are coalesced into one device read into the caller's buffer, and holes are
 * zero-filled without touching the disk. Directory and symlink blocks are metadata and come through
 * the buffer cache, so they see delayed writes.
 */
import { S_IFMT, S_IFREG } from '@rumpts/librump';
import { breadInto } from './bio.js';
import { chkaddr, ffs_bmap } from './bmap.js';
import { blkoff, blksize, fsbtob, lblkno } from './ondisk/geometry.js';
import type { Inode } from './inode.js';

/** Read from `ip` at `offset` into buf; returns the byte count (0 at or past end of file). */
export function ffs_read(ip: Inode, buf: Uint8Array, offset: number): number {
  const size = ip.size;
  if (offset >= size || buf.length === 0) return 0;
  const n = Math.min(buf.length, size - offset);
  const ump = ip.ump;
  const fs = ump.fs;
  const direct = (ip.din.mode & S_IFMT) === S_IFREG;
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
        if (runLen > 0 && runDev + runLen === dev) {
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
  return n;
}
