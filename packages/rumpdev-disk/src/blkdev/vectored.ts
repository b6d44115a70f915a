/**
 * Scatter/gather block I/O: one host request for a run of adjacent buffers (NetBSD's cluster
 * reads and writes). Optional on a BlockDevice; the buffer cache falls back to one call per buffer.
 */
import type { BlockDevice } from '@rumpts/rumpvfs';

/** A block device that also does scatter/gather I/O: a run of adjacent buffers in one request. */
export interface VectoredBlockDevice extends BlockDevice {
  /** Read sum(bufs.length) bytes starting at byte `offset` into the buffers, in order. */
  readv(bufs: readonly Uint8Array[], offset: number): void;
  /** Write the buffers, in order, as one run starting at byte `offset`. */
  writev(bufs: readonly Uint8Array[], offset: number): void;
}

/** Whether `dev` has readv and writev (else callers issue one read or write per buffer). */
export function isVectored(dev: BlockDevice): dev is VectoredBlockDevice {
  const d = dev as Partial<VectoredBlockDevice>;
  return typeof d.readv === 'function' && typeof d.writev === 'function';
}

export function totalLength(bufs: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

/** readv on any device: vectored if it can, else one read per buffer. */
export function devReadv(dev: BlockDevice, bufs: readonly Uint8Array[], offset: number): void {
  if (bufs.length === 1 && bufs[0]) return dev.read(bufs[0], offset);
  if (isVectored(dev)) return dev.readv(bufs, offset);
  let off = offset;
  for (const b of bufs) {
    dev.read(b, off);
    off += b.length;
  }
}

/** writev on any device: vectored if it can, else one write per buffer. */
export function devWritev(dev: BlockDevice, bufs: readonly Uint8Array[], offset: number): void {
  if (bufs.length === 1 && bufs[0]) return dev.write(bufs[0], offset);
  if (isVectored(dev)) return dev.writev(bufs, offset);
  let off = offset;
  for (const b of bufs) {
    dev.write(b, off);
    off += b.length;
  }
}
