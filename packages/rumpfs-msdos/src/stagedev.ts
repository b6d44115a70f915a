/**
 * Write combining for file data (the clustering of NetBSD's genfs putpages, done at the device): a
 * FAT volume filled by one writer allocates each new file's clusters right after the last file's, so
 * the data of a thousand small files is one sequential run. Writes that continue the staged run are
 * copied into one buffer and go to the device as a single request; anything else (a read or write
 * touching the staged bytes, a write elsewhere, a flush) writes the staged run first, so every
 * request reaches the device in the order it was made and a read always sees the latest bytes.
 *
 * A directory that grows takes its new cluster from the same stream, leaving a one-cluster gap
 * between two files' runs. The mount may fill such a short gap ({@link StagedDevice.gapFill}) with
 * the gap's latest bytes from the buffer cache, so the run goes on instead of becoming another request.
 * A write that lies wholly inside the staged run only changes the staged bytes (the run goes out
 * before any other request): the mount writes a directory cluster it has filled while it is still
 * staged ({@link StagedDevice.holds}), so the sync has no single-cluster write of it left to make.
 */
import type { BlockDevice } from '@rumpts/rumpvfs';
import { isVectored } from '@rumpts/rumpdev-disk';

/** Bytes staged before they go to the device in one request. */
export const STAGE_BYTES = 1 << 20;

/** The longest gap between a staged run and the next staged write that gapFill is asked to fill. */
export const GAP_BYTES = 64 << 10;

/**
 * Fills `dst` with the latest bytes of the device from byte `offset` and returns true, or returns
 * false (nothing promised) when it cannot, or when those bytes must not reach the device early.
 */
export type GapFill = (dst: Uint8Array, offset: number) => boolean;

/** A BlockDevice that stages sequential data writes ({@link StagedDevice.stage}) over another one. */
export class StagedDevice implements BlockDevice {
  #buf: Uint8Array | null = null;
  /** Device offset of the staged run, and its length (0: nothing staged). */
  #at = 0;
  #len = 0;

  /** Set by the mount: fills a short gap in front of a staged write so that the run continues. */
  gapFill: GapFill | null = null;

  constructor(readonly inner: BlockDevice) {}

  get secsize(): number {
    return this.inner.secsize;
  }

  get size(): number {
    return this.inner.size;
  }

  get readonly(): boolean {
    return this.inner.readonly;
  }

  /**
   * Write `data` at device byte `offset` followed by `zeros` zero bytes (a file's last cluster past
   * its end), staged when it continues the staged run (or starts a new one). Same result as write().
   */
  stage(data: Uint8Array, offset: number, zeros = 0): void {
    const len = data.length + zeros;
    if (this.#len > 0 && (offset !== this.#at + this.#len || this.#len + len > STAGE_BYTES) && !this.#bridge(offset, len)) this.#drain();
    // Too long to stage, or refused at once as a direct write would be (EROFS, the device's range checks).
    const bad = this.inner.readonly || offset < 0 || offset + len > this.inner.size || offset % this.inner.secsize !== 0 || len % this.inner.secsize !== 0;
    if (len > STAGE_BYTES || bad) {
      this.#drain();
      if (zeros === 0) this.inner.write(data, offset);
      else {
        const whole = new Uint8Array(len);
        whole.set(data);
        this.inner.write(whole, offset);
      }
      return;
    }
    const buf = (this.#buf ??= new Uint8Array(STAGE_BYTES));
    if (this.#len === 0) this.#at = offset;
    buf.set(data, this.#len);
    if (zeros > 0) buf.fill(0, this.#len + data.length, this.#len + len);
    this.#len += len;
  }

  /** Extend the staged run over a short gap up to `offset` (gapFill), when `len` more bytes then fit. */
  #bridge(offset: number, len: number): boolean {
    const end = this.#at + this.#len;
    const gap = offset - end;
    if (gap <= 0 || gap > GAP_BYTES || this.#len + gap + len > STAGE_BYTES || this.gapFill === null) return false;
    if (!this.gapFill(this.#buf!.subarray(this.#len, this.#len + gap), end)) return false;
    this.#len += gap;
    return true;
  }

  /** Write the staged run to the device (nothing staged is kept if that fails). */
  #drain(): void {
    if (this.#len === 0) return;
    const n = this.#len;
    this.#len = 0;
    this.inner.write(this.#buf!.subarray(0, n), this.#at);
  }

  /** The staged run covers all of [offset, offset + len): a write there changes only staged bytes. */
  holds(offset: number, len: number): boolean {
    return this.#len > 0 && offset >= this.#at && offset + len <= this.#at + this.#len;
  }

  #touches(offset: number, len: number): boolean {
    return this.#len > 0 && offset < this.#at + this.#len && offset + len > this.#at;
  }

  read(buf: Uint8Array, offset: number): void {
    if (this.#touches(offset, buf.length)) this.#drain();
    this.inner.read(buf, offset);
  }

  write(buf: Uint8Array, offset: number): void {
    // Wholly inside the staged run: the run carries the new bytes (it goes out before any other request).
    if (this.holds(offset, buf.length)) {
      this.#buf!.set(buf, offset - this.#at);
      return;
    }
    this.#drain();
    this.inner.write(buf, offset);
  }

  readv(bufs: readonly Uint8Array[], offset: number): void {
    let n = 0;
    for (const b of bufs) n += b.length;
    if (this.#touches(offset, n)) this.#drain();
    if (isVectored(this.inner)) return this.inner.readv(bufs, offset);
    let off = offset;
    for (const b of bufs) {
      this.inner.read(b, off);
      off += b.length;
    }
  }

  writev(bufs: readonly Uint8Array[], offset: number): void {
    this.#drain();
    if (isVectored(this.inner)) return this.inner.writev(bufs, offset);
    let off = offset;
    for (const b of bufs) {
      this.inner.write(b, off);
      off += b.length;
    }
  }

  flush(): void {
    this.#drain();
    this.inner.flush();
  }
}
