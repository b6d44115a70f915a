/**
 * Every block read of this file system goes through here (NetBSD's bread), so the buffer cache of
 * rumpdev-disk can be slotted in later without touching the callers. Reads are bounds-checked
 * against the device: a corrupt block pointer becomes EIO, never a read outside the medium.
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { BC_INVAL, type Buf, type BufCache } from '@rumpts/rumpdev-disk';
import { DEV_BSIZE } from './ondisk/geometry.js';

function checkRange(dev: BlockDevice, off: number, len: number): void {
  if (!Number.isSafeInteger(off) || off < 0 || len < 0 || off + len > dev.size) {
    throw errno('EIO', `ffs: read of ${len} bytes at byte ${off} lies outside the device (${dev.size} bytes)`);
  }
}

function devread(dev: BlockDevice, dst: Uint8Array, off: number): void {
  try {
    dev.read(dst, off);
  } catch (e) {
    if (isRumpError(e)) throw e;
    throw errno('EIO', `ffs: device read at byte ${off} failed: ${String(e)}`, { cause: e });
  }
}

/**
 * Read `dst.length` bytes at byte `off` into dst. The sector-aligned middle goes straight from the
 * device into dst; only a partial first or last sector passes through a bounce buffer.
 */
export function breadInto(dev: BlockDevice, dst: Uint8Array, off: number): void {
  const len = dst.length;
  checkRange(dev, off, len);
  if (len === 0) return;
  const ss = dev.secsize;
  const end = off + len;
  let alignedStart = Math.ceil(off / ss) * ss;
  let alignedEnd = Math.floor(end / ss) * ss;
  if (alignedEnd <= alignedStart) {
    // Within one or two sectors: bounce the whole range.
    alignedStart = alignedEnd = off;
  }
  if (alignedStart > off || alignedStart === alignedEnd) {
    const s0 = Math.floor(off / ss) * ss;
    const s1 = alignedStart === alignedEnd ? Math.min(Math.ceil(end / ss) * ss, dev.size) : alignedStart;
    const tmp = new Uint8Array(s1 - s0);
    devread(dev, tmp, s0);
    const take = Math.min(s1, end) - off;
    dst.set(tmp.subarray(off - s0, off - s0 + take), 0);
    if (alignedStart === alignedEnd) return;
  }
  devread(dev, dst.subarray(alignedStart - off, alignedEnd - off), alignedStart);
  if (alignedEnd < end) {
    const s1 = Math.min(alignedEnd + ss, dev.size);
    const tmp = new Uint8Array(s1 - alignedEnd);
    devread(dev, tmp, alignedEnd);
    dst.set(tmp.subarray(0, end - alignedEnd), alignedEnd - off);
  }
}

/** bread: a fresh buffer holding `len` bytes at byte `off`. */
export function bread(dev: BlockDevice, off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  breadInto(dev, b, off);
  return b;
}

/** Write `src` at byte `off` of the device (sector-aligned), straight through. */
export function bwriteDirect(dev: BlockDevice, src: Uint8Array, off: number): void {
  if (!Number.isSafeInteger(off) || off < 0 || off + src.length > dev.size) {
    throw errno('EIO', `ffs: write of ${src.length} bytes at byte ${off} lies outside the device (${dev.size} bytes)`);
  }
  if (src.length === 0) return;
  try {
    dev.write(src, off);
  } catch (e) {
    if (isRumpError(e)) throw e;
    throw errno('EIO', `ffs: device write at byte ${off} failed: ${String(e)}`, { cause: e });
  }
}

/** A device that writes bytes followed by zeros in one step (makefs's staging device). */
export interface PaddedWriteDevice extends BlockDevice {
  /** Write `src` at `off`, then zeros up to `len` bytes in all (len: whole sectors). */
  writePadded(src: Uint8Array, off: number, len: number): void;
}

let scratch = new Uint8Array(0);

/**
 * Write a fresh block of `len` bytes at `off`: `src` at `boff` inside it, zeros around. Through the
 * device's writePadded when it has one, else from a reusable scratch block (no allocation per small
 * file; devices copy what they are given).
 */
export function bwriteFresh(dev: BlockDevice, src: Uint8Array, boff: number, off: number, len: number): void {
  if (boff === 0 && 'writePadded' in dev) {
    if (!Number.isSafeInteger(off) || off < 0 || off + len > dev.size) {
      throw errno('EIO', `ffs: write of ${len} bytes at byte ${off} lies outside the device (${dev.size} bytes)`);
    }
    (dev as PaddedWriteDevice).writePadded(src, off, len);
    return;
  }
  if (scratch.length < len) scratch = new Uint8Array(Math.max(len, 65536));
  const b = scratch.subarray(0, len);
  b.fill(0, 0, boff);
  b.set(src, boff);
  b.fill(0, boff + src.length, len);
  bwriteDirect(dev, b, off);
}

/**
 * Write `src` at any byte offset: whole sectors go straight out, a partial first or last sector is
 * read, patched and written back.
 */
export function bwriteBytes(dev: BlockDevice, src: Uint8Array, off: number): void {
  const ss = dev.secsize;
  const end = off + src.length;
  if (off % ss === 0 && end % ss === 0) {
    bwriteDirect(dev, src, off);
    return;
  }
  const s0 = Math.floor(off / ss) * ss;
  const s1 = Math.ceil(end / ss) * ss;
  const tmp = new Uint8Array(s1 - s0);
  if (off > s0) breadInto(dev, tmp.subarray(0, ss), s0);
  if (end < s1 && (s1 - ss > s0 || off === s0)) breadInto(dev, tmp.subarray(tmp.length - ss), s1 - ss);
  tmp.set(src, off - s0);
  bwriteDirect(dev, tmp, s0);
}

/**
 * The two I/O paths of a mounted FFS (NetBSD splits them the same way between the buffer cache and
 * UBC): metadata — superblock summary, cylinder groups, inode blocks, indirect blocks, directory and
 * symlink blocks — goes through the buffer cache with delayed writes; regular file data goes
 * straight to the device. The paths never share a block: metadata blocks are read without
 * read-ahead, and a cached buffer is discarded when its block is freed.
 */
/** What the metadata path tells a WAPBL log (NetBSD: wapbl_add_buf, wapbl_register_deallocation). */
export interface FfsBioLog {
  /** A buffer of `bytes` became dirty (the transaction grows). */
  dirtied(bytes: number): void;
  /**
   * The metadata block at byte `off` (`len` bytes; 0 if unknown) was freed — all of it but the
   * first `keep` bytes (a directory's fragment tail given back: its head is still in use).
   */
  revoke(off: number, len: number, keep?: number): void;
}

export class FfsBio {
  /** While logging, the log, and `dev` is its metadata device (set by ffs_wapbl_start/stop). */
  log: FfsBioLog | null = null;

  constructor(
    /** Where metadata goes: the device, or the log's device while logging. */
    public dev: BlockDevice,
    readonly cache: BufCache,
  ) {}

  #check(off: number, len: number): void {
    if (!Number.isSafeInteger(off) || off < 0 || len <= 0 || off + len > this.dev.size || off % DEV_BSIZE !== 0 || len % DEV_BSIZE !== 0) {
      throw errno('EIO', `ffs: metadata I/O of ${len} bytes at byte ${off} is outside or misaligned on the device (${this.dev.size} bytes)`);
    }
  }

  /** bread without read-ahead: a metadata block at byte `off`. */
  bread(off: number, len: number): Buf {
    this.#check(off, len);
    return this.cache.breadn(this.dev, off / DEV_BSIZE, len, []);
  }

  /** getblk: a buffer to fill completely (a new metadata block). */
  getblk(off: number, len: number): Buf {
    this.#check(off, len);
    const bp = this.cache.getblk(this.dev, off / DEV_BSIZE, len);
    return bp;
  }

  bdwrite(bp: Buf): void {
    if (this.log && !bp.dirty) this.log.dirtied(bp.bcount);
    this.cache.bdwrite(bp);
  }

  brelse(bp: Buf): void {
    this.cache.brelse(bp);
  }

  bwrite(bp: Buf): void {
    this.log?.dirtied(bp.bcount);
    this.cache.bwrite(bp);
  }

  /** Forget a cached block that was freed, so it never overwrites the block's next owner. */
  invalidate(off: number, keep = 0): void {
    const bp = this.cache.incore(this.dev, off / DEV_BSIZE);
    this.log?.revoke(off, bp?.bcount ?? 0, keep);
    if (!bp) return;
    this.cache.brelse(this.cache.getblk(this.dev, bp.blkno, bp.bcount), BC_INVAL);
  }

  /** Copy `len` bytes at `off` out of a metadata block. */
  readMeta(dst: Uint8Array, off: number): void {
    const bp = this.bread(off, dst.length);
    dst.set(bp.data);
    this.cache.brelse(bp);
  }

  /** Write all delayed metadata and flush the device. */
  flush(): void {
    this.cache.flush(this.dev);
  }
}
