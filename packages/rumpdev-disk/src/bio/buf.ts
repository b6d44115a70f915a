/**
 * struct buf (sys/buf.h): one cached run of a block device. Block numbers are in DEV_BSIZE (512-byte)
 * units whatever the device's sector size, as NetBSD's b_blkno is; `bcount` is in bytes.
 */
import { DEV_BSHIFT } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import type { BufQueue } from './bufqueue.js';

/** Held by a caller between getblk/bread and brelse/bwrite/bdwrite/bawrite. */
export const B_BUSY = 0x01;
/** data holds the device's contents (or newer ones). */
export const B_DONE = 0x02;
/** Modified and not yet written (bdwrite): written back on flush, sync, eviction, invalidate-with-save, halt. */
export const B_DELWRI = 0x04;
/** Set by a caller before brelse to discard the buffer. */
export const B_INVAL = 0x08;

/** brelse(bp, BC_INVAL): discard the buffer (and any delayed write) instead of caching it. */
export const BC_INVAL = 0x1;

/**
 * struct buf (buf(9)): one cached run of bytes of a block device, handed out busy by the
 * {@link BufCache} (bread, getblk) and given back with brelse, bwrite, bdwrite or bawrite.
 */
export class Buf {
  /** B_* flags. Callers may set B_INVAL; the cache owns the others. */
  flags: number;
  /** @internal set by the cache: the buffer is in the cache's tables. */
  _cached = true;
  /** @internal read by a long sequential scan: released to the AGE queue, reused first. */
  _age = false;
  /** @internal the free queue (LRU or AGE) this buffer is on, and its neighbours there. */
  _queue: BufQueue | null = null;
  /** @internal */
  _qprev: Buf | null = null;
  /** @internal */
  _qnext: Buf | null = null;
  #view: DataView | null = null;

  /** @internal made by BufCache.getblk. */
  constructor(
    /** The device this buffer caches. */
    readonly dev: BlockDevice,
    /** Start, in DEV_BSIZE (512-byte) units from the start of the device. */
    readonly blkno: number,
    /** The bytes, exactly bcount long. Mutate in place, then bwrite/bdwrite/bawrite. */
    readonly data: Uint8Array,
    flags: number,
  ) {
    this.flags = flags;
  }

  /** Size in bytes (b_bcount). */
  get bcount(): number {
    return this.data.length;
  }

  /** Byte offset on the device (dbtob(blkno)). */
  get offset(): number {
    return this.blkno * (1 << DEV_BSHIFT);
  }

  /** Length in DEV_BSIZE units (btodb(bcount)). */
  get nblks(): number {
    return this.data.length >>> DEV_BSHIFT;
  }

  /** B_BUSY: a caller holds the buffer. */
  get busy(): boolean {
    return (this.flags & B_BUSY) !== 0;
  }

  /** B_DELWRI: modified and not yet written back. */
  get dirty(): boolean {
    return (this.flags & B_DELWRI) !== 0;
  }

  /** A DataView over data, for codecs (made once: data never changes identity). */
  view(): DataView {
    return (this.#view ??= new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength));
  }
}

/** Bytes → DEV_BSIZE units (btodb); throws nothing, truncates like the C macro. */
export function btodb(bytes: number): number {
  return Math.floor(bytes / (1 << DEV_BSHIFT));
}

/** DEV_BSIZE units → bytes (dbtob). */
export function dbtob(blkno: number): number {
  return blkno * (1 << DEV_BSHIFT);
}
