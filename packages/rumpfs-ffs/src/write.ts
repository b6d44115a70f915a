/**
 * ffs_write: file bytes at an offset, allocating as it goes (ffs_balloc). Regular file data goes
 * straight to the device — whole blocks that follow each other on disk in one device write, a new
 * block written whole (data plus zeros), an existing one patched in place. Directory and symlink
 * data goes through the buffer cache. A failure part-way (ENOSPC) truncates back to the old size,
 * so nothing half-done is visible (IO_UNIT).
 */
import { errno } from '@rumpts/librump';
import { dataCached, ffs_balloc } from './balloc.js';
import { bwriteBytes, bwriteDirect, bwriteFresh } from './bio.js';
import type { Inode } from './inode.js';
import { maxMappedSize } from './inode.js';
import { blkoff, blksize, fsbtob, lblkno } from './ondisk/geometry.js';
import { raInvalidate } from './readahead.js';
import { ffs_truncate } from './truncate.js';

export function ffs_write(ip: Inode, buf: Uint8Array, offset: number): number {
  const n = buf.length;
  if (n === 0) return 0;
  const ump = ip.ump;
  const fs = ump.fs;
  if (!Number.isSafeInteger(offset) || offset < 0) throw errno('EINVAL', `ffs: bad offset ${offset}`);
  if (offset + n > maxMappedSize(ump)) throw errno('EFBIG', `ffs: a write to byte ${offset + n} is past the largest file this file system maps`);
  const osize = ip.din.size;
  const cached = dataCached(ip);
  raInvalidate(ip);
  // Pending run of whole-block writes that are contiguous on disk: `runLen` bytes from buf[runSrc..].
  let runDev = 0;
  let runSrc = 0;
  let runLen = 0;
  const flush = (): void => {
    if (runLen > 0) bwriteDirect(ump.dev, buf.subarray(runSrc, runSrc + runLen), runDev);
    runLen = 0;
  };
  try {
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const lbn = lblkno(fs, pos);
      const boff = blkoff(fs, pos);
      const chunk = Math.min(fs.bsize - boff, n - done);
      const r = ffs_balloc(ip, lbn, boff + chunk);
      const newsize = Math.max(ip.din.size, pos + chunk);
      const bsz = blksize(fs, newsize, lbn);
      const dev = fsbtob(fs, r.addr);
      const src = buf.subarray(done, done + chunk);
      if (cached) {
        const bp = r.fresh ? ump.bio.getblk(dev, bsz) : ump.bio.bread(dev, bsz);
        if (r.fresh) bp.data.fill(0);
        bp.data.set(src, boff);
        // A new symlink block is on disk before the inode points at it (without the log).
        if (r.fresh && ump.ordered) ump.bio.bwrite(bp);
        else ump.bio.bdwrite(bp);
      } else if (boff === 0 && chunk === bsz) {
        if (runLen > 0 && runDev + runLen === dev) {
          runLen += chunk;
        } else {
          flush();
          runDev = dev;
          runSrc = done;
          runLen = chunk;
        }
      } else {
        flush();
        if (r.fresh) {
          bwriteFresh(ump.dev, src, boff, dev, bsz);
        } else {
          bwriteBytes(ump.dev, src, dev + boff);
        }
      }
      done += chunk;
      if (pos + chunk > ip.din.size) ip.din.size = pos + chunk;
    }
    flush();
  } catch (e) {
    runLen = 0;
    if (ip.din.size !== osize) {
      try {
        ffs_truncate(ip, osize);
      } catch {
        // The original error is the one to report.
      }
    }
    throw e;
  }
  ip.dirty = true;
  return n;
}

/**
 * Where the bytes of a fresh regular file go, without the bytes: allocate the blocks of a file of
 * `size` bytes written whole from offset 0 (as ffs_write would) and report each on-disk run —
 * `len` file bytes from `fileOff` at device byte `devOff`, in a run of `padded` bytes whose tail
 * past `len` must read as zeros. Whole blocks that follow each other on disk come as one run.
 * makefs's I/O thread then reads the host file straight into place. ENOSPC part-way truncates
 * the file back to empty, as ffs_write does.
 */
export function ffs_place(ip: Inode, size: number, put: (fileOff: number, devOff: number, len: number, padded: number) => void): void {
  if (size === 0) return;
  const ump = ip.ump;
  const fs = ump.fs;
  if (dataCached(ip) || ip.din.size !== 0) throw errno('EINVAL', `ffs_place: inode ${ip.ino} is not an empty regular file`);
  if (size > maxMappedSize(ump)) throw errno('EFBIG', `ffs: a file of ${size} bytes is past the largest file this file system maps`);
  let runDev = 0;
  let runFile = 0;
  let runLen = 0;
  try {
    for (let pos = 0; pos < size; ) {
      const lbn = lblkno(fs, pos);
      const chunk = Math.min(fs.bsize, size - pos);
      const r = ffs_balloc(ip, lbn, chunk);
      const bsz = blksize(fs, pos + chunk, lbn);
      const dev = fsbtob(fs, r.addr);
      if (chunk === fs.bsize && runLen > 0 && runDev + runLen === dev) {
        runLen += chunk;
      } else {
        if (runLen > 0) put(runFile, runDev, runLen, runLen);
        runDev = dev;
        runFile = pos;
        runLen = chunk;
      }
      if (chunk !== fs.bsize) {
        put(runFile, runDev, runLen, bsz);
        runLen = 0;
      }
      pos += chunk;
      ip.din.size = pos;
    }
    if (runLen > 0) put(runFile, runDev, runLen, runLen);
  } catch (e) {
    if (ip.din.size !== 0) {
      try {
        ffs_truncate(ip, 0);
      } catch {
        // The original error is the one to report.
      }
    }
    throw e;
  }
  ip.dirty = true;
}
