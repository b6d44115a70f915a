/**
 * A staging block device for bulk builders (makefs): writes land in 1 MiB chunks held in memory,
 * and go to the device as the longest runs of written sectors — one host write for many small
 * files whose fragments the allocator packed side by side, instead of one per file. Memory is
 * bounded: past the store's chunk count the chunk written least recently goes out. Only written
 * sectors are ever sent, so what the device held elsewhere (an old image) is never overwritten
 * with zeros, and reads see every write (device bytes overlaid with staged ones).
 *
 * Where chunks live and how they reach the device is the ChunkStore's business: in local memory,
 * written on the calling thread (LocalChunkStore), or in shared memory written by makefs's I/O
 * thread (iothread.ts). drain() writes everything; flush() also asks the device to sync, unless
 * made with `hostSync: false` (makefs(8) leaves syncing the image to its user, as NetBSD's does).
 */
import type { BlockDevice } from '@rumpts/rumpvfs';
import type { PaddedWriteDevice } from '../bio.js';

export const CHUNK = 1024 * 1024;

/** A chunk buffer and its sector map (one byte per sector: 1 if it holds staged bytes). */
export interface ChunkSlot {
  slot: number;
  data: Uint8Array;
  dirty: Uint8Array;
}

export interface ChunkStore {
  /** How many chunks may be staged at once. */
  readonly capacity: number;
  /** A clean chunk to stage into (may wait for one to come back from the device). */
  acquire(): ChunkSlot;
  /**
   * Write the chunk's staged runs at chunk `index` of the device and take the chunk back. With
   * `zeroGaps`, the device reads zeros between the runs (nothing was ever written there): the
   * store may write from the first staged sector to the last in one go, the gaps as zeros.
   */
  retire(c: ChunkSlot, index: number, zeroGaps?: boolean): void;
  /** Wait until every retired chunk is on the device (errors are thrown here). */
  settle(): void;
  /**
   * Put `len` bytes at `fileOff` of host file number `file` into chunk `c` at byte `at`, then
   * `pad` zero bytes, before the chunk is next retired (a store with an I/O thread; see
   * StagingDevice.stageHost).
   */
  fill?(c: ChunkSlot, at: number, file: number, fileOff: number, len: number, pad: number): void;
}

/**
 * Write the runs of staged sectors of a chunk at chunk `index` of `dev`, and clear its map. With
 * `zeroGaps` (the device reads zeros wherever the chunk is not staged), one write from the first
 * staged sector to the last, the gaps between zeroed first: a chunk of fragment tails packed by the
 * allocator has many small gaps, and one host write costs far more than the zeros it carries.
 */
export function writeRuns(dev: BlockDevice, c: ChunkSlot, index: number, zeroGaps = false): void {
  const ss = dev.secsize;
  const base = index * CHUNK;
  const limit = Math.floor(Math.min(CHUNK, dev.size - base) / ss);
  if (zeroGaps) {
    const first = c.dirty.indexOf(1);
    if (first >= 0 && first < limit) {
      let last = limit - 1;
      while (c.dirty[last] === 0) last--;
      for (let s = first; s <= last; ) {
        if (c.dirty[s] !== 0) {
          s++;
          continue;
        }
        let e = s + 1;
        while (e <= last && c.dirty[e] === 0) e++;
        c.data.fill(0, s * ss, e * ss);
        s = e;
      }
      dev.write(c.data.subarray(first * ss, (last + 1) * ss), base + first * ss);
    }
    c.dirty.fill(0);
    return;
  }
  let s = 0;
  while (s < limit) {
    if (c.dirty[s] === 0) {
      s++;
      continue;
    }
    let e = s + 1;
    while (e < limit && c.dirty[e] !== 0) e++;
    dev.write(c.data.subarray(s * ss, e * ss), base + s * ss);
    s = e;
  }
  c.dirty.fill(0);
}

/** Chunks in local memory, written out on the calling thread. */
export class LocalChunkStore implements ChunkStore {
  readonly #spare: ChunkSlot[] = [];
  #made = 0;

  constructor(
    readonly dev: BlockDevice,
    readonly capacity: number,
  ) {}

  acquire(): ChunkSlot {
    return this.#spare.pop() ?? { slot: this.#made++, data: new Uint8Array(CHUNK), dirty: new Uint8Array(CHUNK / this.dev.secsize) };
  }

  retire(c: ChunkSlot, index: number, zeroGaps = false): void {
    writeRuns(this.dev, c, index, zeroGaps);
    this.#spare.push(c);
  }

  settle(): void {}
}

/** stageFill's piece: the run's bytes from `fill`, then zeros. */
function fillPiece(c: ChunkSlot, at: number, done: number, bytes: number, n: number, fill: (dst: Uint8Array, at: number, done: number, n: number) => void): void {
  if (bytes > 0) fill(c.data, at, done, bytes);
  if (bytes < n) c.data.fill(0, at + bytes, at + n);
}

interface Staged {
  index: number;
  c: ChunkSlot;
}

export class StagingDevice implements PaddedWriteDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly: boolean;
  /** Chunks by index, least recently written first. */
  readonly #chunks = new Map<number, Staged>();
  readonly #store: ChunkStore;
  readonly #hostSync: boolean;
  /** The chunk written last (already most recent in #chunks). */
  #last: Staged | null = null;
  /** With `zeroed`: chunks sent to the device at least once (their unstaged sectors may hold data). */
  readonly #sent: Uint8Array | null;

  constructor(
    readonly dev: BlockDevice,
    opts: {
      store?: ChunkStore;
      maxBytes?: number;
      hostSync?: boolean;
      /**
       * The device reads zeros wherever nothing has been written through this staging device (a
       * new, truncated image file): a chunk's first trip out may then be one write, gaps as zeros.
       */
      zeroed?: boolean;
    } = {},
  ) {
    this.secsize = dev.secsize;
    this.size = dev.size;
    this.readonly = dev.readonly;
    if (CHUNK % dev.secsize !== 0) throw new RangeError(`StagingDevice: sector size ${dev.secsize} does not divide ${CHUNK}`);
    this.#store = opts.store ?? new LocalChunkStore(dev, Math.max(2, Math.floor((opts.maxBytes ?? 32 * CHUNK) / CHUNK)));
    this.#hostSync = opts.hostSync ?? true;
    this.#sent = opts.zeroed ? new Uint8Array(Math.ceil(dev.size / CHUNK)) : null;
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly || !this.#fits(offset, buf.length)) {
      // Let the device refuse it (or report the bad transfer) in its own words.
      this.dev.write(buf, offset);
      return;
    }
    const ss = this.secsize;
    let done = 0;
    while (done < buf.length) {
      const pos = offset + done;
      const index = Math.floor(pos / CHUNK);
      const at = pos - index * CHUNK;
      const n = Math.min(CHUNK - at, buf.length - done);
      const c = this.#chunk(index);
      c.data.set(buf.subarray(done, done + n), at);
      c.dirty.fill(1, at / ss, (at + n) / ss);
      done += n;
    }
  }

  /** Stage `src` at `offset` followed by zeros up to `len` bytes (a fresh block's unused tail). */
  writePadded(src: Uint8Array, offset: number, len: number): void {
    const index = Math.floor(offset / CHUNK);
    const at = offset - index * CHUNK;
    if (this.readonly || len < src.length || !this.#fits(offset, len) || at + len > CHUNK) {
      const b = new Uint8Array(len);
      b.set(src.subarray(0, len));
      this.write(b, offset);
      return;
    }
    const c = this.#chunk(index);
    c.data.set(src, at);
    c.data.fill(0, at + src.length, at + len);
    c.dirty.fill(1, at / this.secsize, (at + len) / this.secsize);
  }

  /** Whether stageHost() can be used (the store reads host files itself). */
  get stagesHost(): boolean {
    return this.#store.fill !== undefined && !this.readonly;
  }

  /**
   * Stage `len` bytes at `fileOff` of host file number `file` (the store's numbering) at device
   * byte `offset`, followed by zeros up to `padded` bytes: the store reads the file into place.
   */
  stageHost(file: number, fileOff: number, offset: number, len: number, padded: number): void {
    const store = this.#store;
    if (!store.fill || this.readonly || len > padded || !this.#fits(offset, padded)) {
      throw new RangeError(`StagingDevice: cannot stage ${padded} bytes of host file ${file} at ${offset}`);
    }
    // File bytes for the part of each piece below `len`, zeros for the rest: both by the store, so
    // this thread never touches the chunk's memory.
    this.#pieces(offset, padded, len, (c, at, done, bytes, n) => store.fill!(c, at, file, fileOff + done, bytes, n - bytes), undefined);
  }

  /**
   * Stage `len` bytes that `fill` puts in place at device byte `offset`, followed by zeros up to
   * `padded` bytes: fill(dst, at, done, n) must put the run's bytes `done`..`done + n` at dst[at..].
   * The bytes go straight into chunk memory (makefs reads a host file there: no copy on the way).
   */
  stageFill(offset: number, len: number, padded: number, fill: (dst: Uint8Array, at: number, done: number, n: number) => void): void {
    if (this.readonly || len > padded || !this.#fits(offset, padded)) {
      // Let the device refuse it (or report the bad transfer) in its own words.
      const b = new Uint8Array(padded);
      fill(b, 0, 0, len);
      this.write(b, offset);
      return;
    }
    this.#pieces(offset, padded, len, fillPiece, fill);
  }

  /**
   * Walk `padded` bytes at device byte `offset` chunk by chunk: put(c, at, done, bytes, n) fills the
   * piece's `n` bytes at c.data[at..] — its first `bytes` from the run's byte `done` on (the part below
   * `len`), zeros after — and the piece's sectors are marked dirty. `arg` is passed on to `put` (a
   * caller with a function made once passes its state there: no closure per run).
   */
  #pieces<A>(offset: number, padded: number, len: number, put: (c: ChunkSlot, at: number, done: number, bytes: number, n: number, arg: A) => void, arg: A): void {
    const ss = this.secsize;
    let done = 0;
    while (done < padded) {
      const pos = offset + done;
      const index = Math.floor(pos / CHUNK);
      const at = pos - index * CHUNK;
      const n = Math.min(CHUNK - at, padded - done);
      const c = this.#chunk(index);
      put(c, at, done, Math.max(0, Math.min(n, len - done)), n, arg);
      c.dirty.fill(1, at / ss, (at + n) / ss);
      done += n;
    }
  }

  read(buf: Uint8Array, offset: number): void {
    // Chunks on their way out must have landed before the device is read.
    this.#store.settle();
    this.dev.read(buf, offset);
    if (this.#chunks.size === 0) return;
    const ss = this.secsize;
    const end = offset + buf.length;
    for (let index = Math.floor(offset / CHUNK); index * CHUNK < end; index++) {
      const c = this.#chunks.get(index)?.c;
      if (!c) continue;
      const from = Math.max(offset, index * CHUNK) - index * CHUNK;
      const to = Math.min(end, (index + 1) * CHUNK) - index * CHUNK;
      for (let s = Math.floor(from / ss); s * ss < to; s++) {
        if (c.dirty[s] === 0) continue;
        const a = Math.max(from, s * ss);
        const b = Math.min(to, (s + 1) * ss);
        buf.set(c.data.subarray(a, b), index * CHUNK + a - offset);
      }
    }
  }

  /** Write every staged sector to the device, in device order, and wait for it to land. */
  drain(): void {
    const all = [...this.#chunks.values()].sort((a, b) => a.index - b.index);
    for (const s of all) this.#retire(s);
    this.#store.settle();
  }

  flush(): void {
    this.drain();
    if (this.#hostSync) this.dev.flush();
  }

  /** A whole-sector transfer inside the device. */
  #fits(offset: number, len: number): boolean {
    return offset >= 0 && offset + len <= this.size && offset % this.secsize === 0 && len % this.secsize === 0;
  }

  /** The chunk at `index`, made most recently written; staged anew if absent. */
  #chunk(index: number): ChunkSlot {
    const last = this.#last;
    if (last !== null && last.index === index) return last.c;
    let s = this.#chunks.get(index);
    if (s) {
      this.#chunks.delete(index);
    } else {
      if (this.#chunks.size >= this.#store.capacity) this.#retire(this.#chunks.values().next().value as Staged);
      s = { index, c: this.#store.acquire() };
    }
    this.#chunks.set(index, s);
    this.#last = s;
    return s.c;
  }

  #retire(s: Staged): void {
    this.#chunks.delete(s.index);
    if (this.#last === s) this.#last = null;
    const sent = this.#sent;
    const zeroGaps = sent !== null && sent[s.index] === 0;
    if (sent !== null) sent[s.index] = 1;
    this.#store.retire(s.c, s.index, zeroGaps);
  }
}
