/**
 * Write combining for file data (the clustering of NetBSD's genfs putpages, done at the device): a
 * volume filled by one writer allocates each new file's blocks (FAT clusters, FFS fragments) right
 * after the last file's, so the data of a thousand small files is one sequential run. Writes that
 * continue the staged run are copied into one buffer and go to the device as a single request;
 * anything else (a read or write touching the staged bytes, a write elsewhere, a flush) writes the
 * staged run first, so every request reaches the device in the order it was made and a read always
 * sees the latest bytes. A run still staged when the device is dropped unflushed (a halt with
 * RB_NOSYNC) is never written, like the buffer cache's delayed writes.
 *
 * A failed write of the run is reported to the request that caused it, as EIO, and again by the
 * next flush (fsync, sync, unmount), whose caller's data may have been in the run.
 *
 * A directory that grows takes its new block from the same stream, leaving a one-block gap between
 * two files' runs; an allocator that packs small files into partial blocks leaves free fragments
 * between them. The mount may fill such a short gap ({@link StagedDevice.gapFill}) — with the gap's
 * latest bytes from the buffer cache, as msdosfs does, or with zeros where the space belongs to
 * nobody — so the run goes on instead of becoming another request.
 * A write that lies wholly inside the staged run only changes the staged bytes (the run goes out
 * before any other request): the mount may write a directory block it has filled while it is still
 * staged ({@link StagedDevice.holds}), so the sync has no single-block write of it left to make.
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { isVectored } from './vectored.js';

/** Bytes staged before they go to the device in one request. */
export const STAGE_BYTES = 1 << 20;

/** The longest gap between a staged run and the next staged write that gapFill is asked to fill. */
export const GAP_BYTES = 64 << 10;

/**
 * Fills `dst` with bytes for the device from byte `offset` — its latest bytes, or anything where
 * the space belongs to nobody — and returns true, or returns false (nothing promised) when it
 * cannot, or when those bytes must not reach the device early.
 */
export type GapFill = (dst: Uint8Array, offset: number) => boolean;

/** A staged run: `len` bytes of `buf` for device bytes [at, at + len). */
interface Run {
  buf: Uint8Array;
  at: number;
  len: number;
}

/** How a StagedDevice stages. */
export interface StagedDeviceOptions {
  /**
   * How many runs may be staged at once (default 1). With more, writes to a few places that each
   * move on (an allocator's block and fragment streams) each continue their own run. The runs are
   * disjoint; when a new one needs room, the least recently extended goes out first. Only for writes
   * whose order among themselves does not matter (file data in blocks nothing on disk points to yet):
   * every other request still finds all runs written before it.
   */
  runs?: number;
  /**
   * Bytes of one run (default and at most STAGE_BYTES, at least a sector). Smaller runs stay in the
   * processor's cache between the copy in and the device write.
   */
  runBytes?: number;
}

/** A BlockDevice that stages sequential data writes ({@link StagedDevice.stage}) over another one. */
export class StagedDevice implements BlockDevice {
  /** Staged runs, least recently extended first (disjoint). */
  readonly #runs: Run[] = [];
  /** Buffers of runs written out, for the next runs. */
  readonly #spare: Uint8Array[] = [];
  readonly #max: number;
  readonly #runBytes: number;

  /** A write of a staged run that failed, not yet reported by flush(). */
  #lost: Error | null = null;

  /**
   * Set by the mount: fills a short gap in front of a staged write so that the run continues. It is
   * asked only for a gap no other staged run overlaps.
   */
  gapFill: GapFill | null = null;

  /** The longest gap gapFill is asked to fill (at most GAP_BYTES). */
  maxGap = GAP_BYTES;

  constructor(
    /** The device the staged runs and every other request go to. */
    readonly inner: BlockDevice,
    opts: StagedDeviceOptions = {},
  ) {
    const n = opts.runs ?? 1;
    if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw errno('EINVAL', `StagedDevice: runs must be 1 … 64, not ${n}`);
    this.#max = n;
    const b = opts.runBytes ?? STAGE_BYTES;
    if (!Number.isSafeInteger(b) || b < inner.secsize || b > STAGE_BYTES) throw errno('EINVAL', `StagedDevice: runBytes must be ${inner.secsize} … ${STAGE_BYTES}, not ${b}`);
    this.#runBytes = b - (b % inner.secsize);
  }

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
   * Write `data` at device byte `offset` followed by `zeros` zero bytes (a file's last block past
   * its end), staged when it lies in or continues a staged run (or starts a new one). Same result as write().
   */
  stage(data: Uint8Array, offset: number, zeros = 0): void {
    const len = data.length + zeros;
    // Too long to stage, or refused at once as a direct write would be (EROFS, the device's range checks).
    const bad = this.inner.readonly || offset < 0 || offset + len > this.inner.size || offset % this.inner.secsize !== 0 || len % this.inner.secsize !== 0;
    if (len > this.#runBytes || bad) {
      this.#drain();
      if (zeros === 0) this.inner.write(data, offset);
      else {
        const whole = new Uint8Array(len);
        whole.set(data);
        this.inner.write(whole, offset);
      }
      return;
    }
    const runs = this.#runs;
    let r = runs.at(-1);
    // Most often the write continues the run extended last.
    if (r === undefined || offset !== r.at + r.len || r.len + len > this.#runBytes || this.#overlapsOther(r, offset, len)) {
      r = this.#holder(offset, len) ?? this.#continued(offset, len);
      if (r) {
        runs.splice(runs.indexOf(r), 1);
        runs.push(r);
      } else {
        if (this.#overlapsOther(null, offset, len)) this.#drain();
        else if (runs.length >= this.#max) this.#drainRun(runs[0]!);
        r = { buf: this.#spare.pop() ?? new Uint8Array(this.#runBytes), at: offset, len: 0 };
        runs.push(r);
      }
    }
    const at = offset - r.at;
    r.buf.set(data, at);
    if (zeros > 0) r.buf.fill(0, at + data.length, at + len);
    if (at + len > r.len) r.len = at + len;
  }

  /** The run whose bytes [offset, offset + len) lie wholly inside, if any. */
  #holder(offset: number, len: number): Run | undefined {
    for (const r of this.#runs) if (offset >= r.at && offset + len <= r.at + r.len) return r;
    return undefined;
  }

  /** A run that `len` bytes at `offset` continue, right at its end or over a short gap (gapFill). */
  #continued(offset: number, len: number): Run | undefined {
    for (let i = this.#runs.length - 1; i >= 0; i--) {
      const r = this.#runs[i]!;
      const end = r.at + r.len;
      if (offset === end && r.len + len <= this.#runBytes && !this.#overlapsOther(r, offset, len)) return r;
      if (this.#bridge(r, offset, len)) return r;
    }
    return undefined;
  }

  /** Extend run `r` over a short gap up to `offset` (gapFill), when `len` more bytes then fit. */
  #bridge(r: Run, offset: number, len: number): boolean {
    const end = r.at + r.len;
    const gap = offset - end;
    if (gap <= 0 || gap > Math.min(this.maxGap, GAP_BYTES) || r.len + gap + len > this.#runBytes || this.gapFill === null) return false;
    if (this.#overlapsOther(r, end, gap + len)) return false;
    if (!this.gapFill(r.buf.subarray(r.len, r.len + gap), end)) return false;
    r.len += gap;
    return true;
  }

  /** Does a staged run other than `r` overlap [offset, offset + len)? */
  #overlapsOther(r: Run | null, offset: number, len: number): boolean {
    for (const x of this.#runs) if (x !== r && this.#overlaps(x, offset, len)) return true;
    return false;
  }

  #overlaps(r: Run, offset: number, len: number): boolean {
    return offset < r.at + r.len && offset + len > r.at;
  }

  /**
   * Write one staged run to the device. Nothing of it is kept if that fails: the error (as EIO) goes
   * to the caller and is kept for the next flush().
   */
  #drainRun(r: Run): void {
    this.#runs.splice(this.#runs.indexOf(r), 1);
    this.#spare.push(r.buf);
    try {
      this.inner.write(r.buf.subarray(0, r.len), r.at);
    } catch (e) {
      const err = isRumpError(e) ? e : errno('EIO', `staged write of ${r.len} bytes at byte ${r.at} failed: ${String(e)}`, { cause: e });
      this.#lost = err;
      throw err;
    }
  }

  /** Write every staged run, in the order they were last extended; the first error is thrown after. */
  #drain(): void {
    let first: Error | null = null;
    while (this.#runs.length > 0) {
      try {
        this.#drainRun(this.#runs[0]!);
      } catch (e) {
        first ??= e as Error; // #drainRun throws RumpErrors only
      }
    }
    if (first !== null) throw first;
  }

  /** A staged run covers all of [offset, offset + len): a write there changes only staged bytes. */
  holds(offset: number, len: number): boolean {
    return this.#holder(offset, len) !== undefined;
  }

  #touches(offset: number, len: number): boolean {
    return this.#overlapsOther(null, offset, len);
  }

  read(buf: Uint8Array, offset: number): void {
    if (this.#touches(offset, buf.length)) this.#drain();
    this.inner.read(buf, offset);
  }

  write(buf: Uint8Array, offset: number): void {
    // Wholly inside a staged run: the run carries the new bytes (it goes out before any other request).
    const r = this.#holder(offset, buf.length);
    if (r) {
      r.buf.set(buf, offset - r.at);
      return;
    }
    this.#drain();
    this.inner.write(buf, offset);
  }

  /** Vectored read (VectoredBlockDevice): the staged runs first if it touches one. */
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

  /** Vectored write (VectoredBlockDevice), after every staged run. */
  writev(bufs: readonly Uint8Array[], offset: number): void {
    this.#drain();
    if (isVectored(this.inner)) return this.inner.writev(bufs, offset);
    let off = offset;
    for (const b of bufs) {
      this.inner.write(b, off);
      off += b.length;
    }
  }

  /** Write the staged runs and flush the device; a staged run that failed to go out earlier fails it too. */
  flush(): void {
    try {
      this.#drain();
    } catch {
      // Kept in #lost: thrown below.
    }
    const lost = this.#lost;
    this.#lost = null;
    this.inner.flush();
    if (lost) throw lost;
  }
}
