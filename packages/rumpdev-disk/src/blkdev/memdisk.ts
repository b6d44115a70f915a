/**
 * A block device over memory (a Uint8Array): a kernel needs no host file system at all (NetBSD's md(4)
 * ramdisk). The array is used in place, so the caller sees writes; its length sets the size.
 */
import { DEV_BSIZE, errno } from '@rumpts/librump';
import type { VectoredBlockDevice } from './vectored.js';
import { checkSecsize, checkTransfer } from './bounds.js';

/** A {@link MemoryBlockDevice}'s sector size, and whether it refuses writes. */
export interface MemoryDiskOptions {
  /** Bytes per sector; a power of two (default DEV_BSIZE, 512). */
  secsize?: number;
  /** Refuse writes with EROFS. */
  readonly?: boolean;
}

/** A block device over memory (md(4)-like): a Uint8Array used in place, whole sectors only. */
export class MemoryBlockDevice implements VectoredBlockDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly: boolean;
  /** The backing array, shared with the caller (writes show up in it at once). */
  readonly bytes: Uint8Array;

  /** Over `bytes` in place, or over a new zeroed array of `bytes` bytes. */
  constructor(bytes: Uint8Array | number, opts: MemoryDiskOptions = {}) {
    this.secsize = opts.secsize ?? DEV_BSIZE;
    checkSecsize(this.secsize, 'memory disk');
    if (typeof bytes === 'number') {
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw errno('EINVAL', `memory disk: bad size ${bytes}`);
      bytes = new Uint8Array(bytes);
    }
    this.bytes = bytes;
    // Only whole sectors are addressable; a ragged tail is not part of the device.
    this.size = bytes.length - (bytes.length % this.secsize);
    this.readonly = opts.readonly ?? false;
  }

  read(buf: Uint8Array, offset: number): void {
    checkTransfer('memory disk read', offset, buf.length, this.size, this.secsize);
    buf.set(this.bytes.subarray(offset, offset + buf.length));
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly) throw errno('EROFS', 'memory disk is read-only');
    checkTransfer('memory disk write', offset, buf.length, this.size, this.secsize);
    this.bytes.set(buf, offset);
  }

  readv(bufs: readonly Uint8Array[], offset: number): void {
    let off = offset;
    for (const b of bufs) {
      this.read(b, off);
      off += b.length;
    }
  }

  writev(bufs: readonly Uint8Array[], offset: number): void {
    let off = offset;
    for (const b of bufs) {
      this.write(b, off);
      off += b.length;
    }
  }

  flush(): void {}
}
