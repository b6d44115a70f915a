/**
 * Every block read of this file system goes through here (NetBSD's bread), so the buffer cache of
 * rumpdev-disk can be slotted in later without touching the callers. Reads are bounds-checked
 * against the device: a corrupt block pointer becomes EIO, never a read outside the medium.
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';

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
