/**
 * The buffer cache (vfs_bio.c): getblk/bread/breadn/bwrite/bdwrite/bawrite/brelse over BlockDevices,
 * LRU, delayed writes flushed on fsync/sync/close/halt, cluster reads of sequential runs with one host
 * request. Every cached byte is charged to the kernel memory account, and a reclaimer gives memory back
 * under pressure, so the cache never holds more than the limit.
 *
 * Invariant: cached buffers of one device never overlap. A request that overlaps cached buffers of a
 * different shape writes them back (if delayed) and drops them first, so a byte has one home.
 */
import { DEV_BSHIFT, type Kmem, errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { checkTransfer } from '../blkdev/bounds.js';
import { devReadv, devWritev } from '../blkdev/vectored.js';
import { BC_INVAL, B_BUSY, B_DELWRI, B_DONE, B_INVAL, Buf } from './buf.js';
import { BufQueue } from './bufqueue.js';

/** Largest single buffer (MAXPHYS is 64 KiB; FFS's MAXBSIZE is 64 KiB). Larger requests are refused. */
export const MAXBUFSIZE = 1 << 20;
/** Largest cluster read (read-ahead) or write-back run sent to the device in one request. */
export const MAXCLUSTER = 512 * 1024;

/** Counters of a {@link BufCache} since it was made (a snapshot: `BufCache.stats`). */
export interface BufCacheStats {
  /** bread found valid data cached. */
  hits: number;
  /** bread had to read the device. */
  misses: number;
  /** Device read requests (one per cluster). */
  reads: number;
  /** Device write requests (one per cluster). */
  writes: number;
  /** Bytes read from devices (read-ahead included). */
  bytesread: number;
  /** Bytes written to devices. */
  byteswritten: number;
}

/** A {@link BufCache}'s memory account, soft cap, and where it reports write-back failures. */
export interface BufCacheOptions {
  /** The kernel memory account buffers are charged to; default: an unlimited private one. */
  kmem?: Kmem;
  /** Soft cap on cached bytes (buffers held by callers may exceed it until released). */
  maxbytes?: number;
  /** Where write-back failures that cannot be returned to a caller are reported (kernel printf). */
  printf?: (line: string) => void;
}

interface DevBufs {
  /** Cached buffers by start block. */
  readonly bufs: Map<number, Buf>;
  /** Overlap index: buffers by the 64 KiB chunks (CHUNK_SHIFT) they touch. */
  readonly chunks: Map<number, Buf[]>;
  /** Where the last device read ended, to detect sequential reading. */
  seqnext: number;
  /** Current read-ahead window in bytes (grows while reading stays sequential). */
  rawindow: number;
  /** Bytes read in the current sequential run. */
  seqrun: number;
}

const BSIZE = 1 << DEV_BSHIFT;
/** Buffers the AGE queue keeps before its oldest is recycled regardless of the cap. */
const AGE_MAX = 32;
/** Overlap-index granularity: 2^7 DEV_BSIZE blocks = 64 KiB, FFS's largest block. */
const CHUNK_SHIFT = 7;

/** Every cached buffer of d overlapping [blkno, blkno+nblks) (each once, ascending chunks). */
function overlapping(d: DevBufs, blkno: number, nblks: number): Buf[] {
  const out: Buf[] = [];
  const last = Math.floor((blkno + nblks - 1) / (1 << CHUNK_SHIFT));
  for (let c = Math.floor(blkno / (1 << CHUNK_SHIFT)); c <= last; c++) {
    for (const o of d.chunks.get(c) ?? []) {
      if (o.blkno < blkno + nblks && o.blkno + o.nblks > blkno && !out.includes(o)) out.push(o);
    }
  }
  return out;
}

function chunkRange(bp: Buf): [number, number] {
  return [Math.floor(bp.blkno / (1 << CHUNK_SHIFT)), Math.floor((bp.blkno + bp.nblks - 1) / (1 << CHUNK_SHIFT))];
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * The buffer cache (vfs_bio.c, buf(9)): blocks of any number of block devices, LRU with delayed
 * writes and clustered I/O, charged to kernel memory. One per kernel: {@link bufcacheOf}.
 */
export class BufCache {
  readonly #kmem: Kmem | undefined;
  readonly #printf: (line: string) => void;
  #maxbytes: number;
  readonly #devs = new Map<BlockDevice, DevBufs>();
  /** Buffers not held by anyone, least recently used first. */
  readonly #lru = new BufQueue();
  /**
   * The AGE queue (4.4BSD's BQ_AGE): free buffers of a long sequential scan, reused before the LRU, so a
   * scan larger than the cache recycles a few hot buffers instead of flushing everything else out.
   */
  readonly #age = new BufQueue();
  #bytes = 0;
  #nbufs = 0;
  #ndirty = 0;
  readonly #stats: BufCacheStats = { hits: 0, misses: 0, reads: 0, writes: 0, bytesread: 0, byteswritten: 0 };

  constructor(opts: BufCacheOptions = {}) {
    this.#kmem = opts.kmem;
    this.#printf = opts.printf ?? ((line) => process.stderr.write(`${line}\n`));
    this.#maxbytes = 0;
    this.maxbytes = opts.maxbytes ?? 64 * 1024 * 1024;
  }

  // --- accounting ---

  /** Bytes currently cached (held and free buffers). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Buffers currently cached (held and free). */
  get nbufs(): number {
    return this.#nbufs;
  }

  /** Buffers holding delayed writes. */
  get ndirty(): number {
    return this.#ndirty;
  }

  /** A snapshot of the hit, miss and I/O counters. */
  get stats(): Readonly<BufCacheStats> {
    return { ...this.#stats };
  }

  /** The soft cap on cached bytes (default 64 MiB); buffers held by callers may exceed it until released. */
  get maxbytes(): number {
    return this.#maxbytes;
  }

  /** Set the soft cap; shrinking evicts least recently used buffers at once. */
  set maxbytes(n: number) {
    if (!Number.isFinite(n) || n < 0) throw errno('EINVAL', `bufcache maxbytes must be a non-negative number of bytes, got ${n}`);
    this.#maxbytes = n;
    this.#shrinkTo(n);
  }

  // --- the bio(9) calls ---

  /**
   * getblk: the buffer for [blkno, blkno + size/DEV_BSIZE) on dev, held (B_BUSY) by the caller. If it
   * was cached its data is valid (B_DONE set); otherwise data is zeroed and B_DONE is clear — fill it
   * and bwrite/bdwrite it, or brelse it. Release it before asking for an overlapping block again
   * (EDEADLK otherwise: in C that would sleep forever).
   */
  getblk(dev: BlockDevice, blkno: number, size: number): Buf {
    this.#checkRequest(dev, blkno, size);
    const d = this.#devState(dev);
    const bp = d.bufs.get(blkno);
    if (bp) {
      if (bp.busy) throw errno('EDEADLK', `buffer at block ${blkno} is already held; brelse it first`);
      if (bp.bcount === size && (bp.flags & B_DONE) !== 0) {
        this.#unfree(bp);
        bp.flags |= B_BUSY;
        return bp;
      }
    }
    this.#clearOverlaps(d, blkno, size >>> DEV_BSHIFT);
    const data = this.#alloc(size, false, true) as Uint8Array;
    return this.#insert(dev, d, blkno, data, B_BUSY);
  }

  /** bread: getblk, reading the device on a miss. Sequential misses read ahead in one request. */
  bread(dev: BlockDevice, blkno: number, size: number): Buf {
    return this.breadn(dev, blkno, size, null);
  }

  /**
   * breadn: bread, plus read-ahead of the given blocks (DEV_BSIZE units, each `size` bytes) when they
   * directly follow. `null` lets the cache choose (sequential detection); `[]` disables read-ahead.
   */
  breadn(dev: BlockDevice, blkno: number, size: number, rablks: readonly number[] | null): Buf {
    const bp = this.getblk(dev, blkno, size);
    if ((bp.flags & B_DONE) !== 0) {
      this.#stats.hits++;
      return bp;
    }
    this.#stats.misses++;
    const d = this.#devState(dev);
    const ra = this.#readahead(dev, d, blkno, size, rablks);
    const bufs = [bp, ...ra];
    try {
      devReadv(dev, bufs.map((b) => b.data), bp.offset);
    } catch (e) {
      for (const b of bufs) this.#remove(b, false);
      d.rawindow = 0;
      throw e;
    }
    const total = size * bufs.length;
    this.#stats.reads++;
    this.#stats.bytesread += total;
    const sequential = blkno === d.seqnext;
    d.seqrun = sequential ? d.seqrun + total : total;
    d.seqnext = blkno + (total >>> DEV_BSHIFT);
    // A scan longer than a quarter of the cache will not be re-read from it: age its buffers.
    const age = sequential && d.seqrun > this.#maxbytes / 4;
    bp.flags |= B_DONE;
    bp._age = age;
    for (const b of ra) {
      b.flags = B_DONE;
      b._age = age;
      this.#lru.add(b);
    }
    return bp;
  }

  /** bwrite: write the held buffer now and release it. On error the buffer is discarded and the error thrown. */
  bwrite(bp: Buf): void {
    this.#checkHeld(bp, 'bwrite');
    if (bp.dev.readonly) {
      this.#remove(bp, false);
      throw errno('EROFS', 'bwrite: device is read-only');
    }
    try {
      bp.dev.write(bp.data, bp.offset);
    } catch (e) {
      this.#remove(bp, false);
      throw e;
    }
    this.#stats.writes++;
    this.#stats.byteswritten += bp.bcount;
    this.#setClean(bp);
    bp.flags |= B_DONE;
    this.#release(bp);
  }

  /** bawrite: start the write and release (synchronous here: the kernel has no I/O threads). */
  bawrite(bp: Buf): void {
    this.bwrite(bp);
  }

  /** bdwrite: mark the held buffer modified and release it; it is written back later. */
  bdwrite(bp: Buf): void {
    this.#checkHeld(bp, 'bdwrite');
    if (bp.dev.readonly) {
      this.#remove(bp, false);
      throw errno('EROFS', 'bdwrite: device is read-only');
    }
    if (!bp.dirty) {
      bp.flags |= B_DELWRI;
      this.#ndirty++;
    }
    bp.flags |= B_DONE;
    this.#release(bp);
  }

  /**
   * brelse: give the held buffer back. With BC_INVAL (or B_INVAL set on it) it is discarded, delayed
   * write included; a buffer whose data was never filled (getblk without write) is discarded too.
   */
  brelse(bp: Buf, set = 0): void {
    this.#checkHeld(bp, 'brelse');
    if ((set & BC_INVAL) !== 0 || (bp.flags & B_INVAL) !== 0 || (bp.flags & (B_DONE | B_DELWRI)) === 0) {
      this.#remove(bp, false);
      return;
    }
    this.#release(bp);
  }

  /** incore: the cached buffer starting at blkno, if any (not held by this call). */
  incore(dev: BlockDevice, blkno: number): Buf | undefined {
    return this.#devs.get(dev)?.bufs.get(blkno);
  }

  /**
   * Whether any cached buffer of `dev` overlaps [blkno, blkno + nblks) (DEV_BSIZE blocks), whatever
   * its size: a file system that reads that range straight from the device (bypassing the cache, as
   * NetBSD's file data does) must take those bytes from the cache instead, a delayed write being newer.
   */
  cachedIn(dev: BlockDevice, blkno: number, nblks: number): boolean {
    const d = this.#devs.get(dev);
    if (!d || d.chunks.size === 0) return false;
    const last = Math.floor((blkno + nblks - 1) / (1 << CHUNK_SHIFT));
    for (let c = Math.floor(blkno / (1 << CHUNK_SHIFT)); c <= last; c++) {
      const list = d.chunks.get(c);
      if (list === undefined) continue;
      for (const o of list) if (o.blkno < blkno + nblks && o.blkno + o.nblks > blkno) return true;
    }
    return false;
  }

  // --- write-back and invalidation ---

  /**
   * Write back dev's delayed writes (VOP_FSYNC of the device vnode), adjacent buffers in one request,
   * then flush the device's own cache. Buffers held by a caller are skipped (their holder writes them).
   * Every buffer is attempted; the first error is thrown afterwards, the failed buffers stay dirty.
   */
  flush(dev: BlockDevice): void {
    let first: Error | undefined;
    try {
      this.writeback(dev);
    } catch (e) {
      first = asError(e);
    }
    if (!dev.readonly) {
      try {
        dev.flush();
      } catch (e) {
        first ??= asError(e);
      }
    }
    if (first !== undefined) throw first;
  }

  /**
   * The write-back half of flush, without the device's own flush: for a device whose flush() calls
   * back into the cache (the disk driver's partitions do, so the VFS's bdev.flush() on sync and
   * unmount reaches delayed writes).
   */
  writeback(dev: BlockDevice): void {
    const d = this.#devs.get(dev);
    let first: Error | undefined;
    if (d) {
      const dirty = [...d.bufs.values()].filter((b) => b.dirty && !b.busy).sort((a, b) => a.blkno - b.blkno);
      let i = 0;
      while (i < dirty.length) {
        const run = [dirty[i] as Buf];
        let bytes = run[0]?.bcount ?? 0;
        let j = i + 1;
        for (; j < dirty.length; j++) {
          const prev = run[run.length - 1] as Buf;
          const next = dirty[j] as Buf;
          if (prev.blkno + prev.nblks !== next.blkno || bytes + next.bcount > MAXCLUSTER) break;
          run.push(next);
          bytes += next.bcount;
        }
        try {
          this.#writeRun(run);
        } catch (e) {
          first ??= asError(e);
        }
        i = j;
      }
    }
    if (first !== undefined) throw first;
  }

  /** sync(2) for the cache: flush every device. */
  sync(): void {
    let first: Error | undefined;
    for (const dev of [...this.#devs.keys()]) {
      try {
        this.flush(dev);
      } catch (e) {
        first ??= asError(e);
        this.#printf(`bufcache: sync: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (first !== undefined) throw first;
  }

  /**
   * vinvalbuf: drop every buffer of dev (on close, unmount, detach). With save (default) delayed
   * writes are written back first; without, they are discarded. EBUSY if a caller still holds one.
   */
  invalidate(dev: BlockDevice, opts: { save?: boolean } = {}): void {
    const save = opts.save ?? true;
    if (save) this.flush(dev);
    const d = this.#devs.get(dev);
    if (!d) return;
    let held = 0;
    for (const bp of [...d.bufs.values()]) {
      if (bp.busy) held++;
      else this.#remove(bp, false);
    }
    if (held > 0) throw errno('EBUSY', `bufcache: ${held} buffer(s) of the device are still held`);
    this.#devs.delete(dev);
  }

  /**
   * Drop every buffer no caller holds, delayed writes discarded unwritten: a halt with RB_NOSYNC,
   * which writes nothing back.
   */
  discard(): void {
    for (const [dev, d] of [...this.#devs]) {
      for (const bp of [...d.bufs.values()]) if (!bp.busy) this.#remove(bp, false);
      if (d.bufs.size === 0) this.#devs.delete(dev);
    }
  }

  /** Kernel memory pressure: evict least recently used buffers (writing delayed ones back) until `bytes` are freed. */
  reclaim(bytes: number): number {
    return this.#evictLru(bytes);
  }

  // --- internals ---

  #checkRequest(dev: BlockDevice, blkno: number, size: number): void {
    if (!Number.isSafeInteger(blkno) || blkno < 0) throw errno('EINVAL', `bufcache: bad block number ${blkno}`);
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAXBUFSIZE) throw errno('EINVAL', `bufcache: bad buffer size ${size} (1 … ${MAXBUFSIZE} bytes)`);
    if (size % BSIZE !== 0) throw errno('EINVAL', `bufcache: buffer size ${size} is not a multiple of DEV_BSIZE`);
    checkTransfer('bufcache', blkno * BSIZE, size, dev.size, dev.secsize);
  }

  #checkHeld(bp: Buf, what: string): void {
    if (!bp._cached) throw errno('EINVAL', `${what}: buffer was already discarded`);
    if (!bp.busy) throw errno('EINVAL', `${what}: buffer is not held (already released?)`);
  }

  #devState(dev: BlockDevice): DevBufs {
    let d = this.#devs.get(dev);
    if (!d) {
      d = { bufs: new Map(), chunks: new Map(), seqnext: -1, rawindow: 0, seqrun: 0 };
      this.#devs.set(dev, d);
    }
    return d;
  }

  /** Cached buffers overlapping [blkno, blkno+nblks): delayed ones are written back, all are dropped. */
  #clearOverlaps(d: DevBufs, blkno: number, nblks: number): void {
    const found = overlapping(d, blkno, nblks);
    for (const o of found) {
      if (o.busy) throw errno('EDEADLK', `buffer at block ${o.blkno} overlaps block ${blkno} and is held; brelse it first`);
    }
    for (const o of found) this.#remove(o, true);
  }

  /** True if no cached buffer overlaps [blkno, blkno+nblks). */
  #free(d: DevBufs, blkno: number, nblks: number): boolean {
    return overlapping(d, blkno, nblks).length === 0;
  }

  /** Buffers to read together with a miss at blkno: explicit ones, or a growing window while sequential. */
  #readahead(dev: BlockDevice, d: DevBufs, blkno: number, size: number, rablks: readonly number[] | null): Buf[] {
    const nblks = size >>> DEV_BSHIFT;
    let want: number;
    if (rablks !== null) {
      // Only the explicit blocks that directly follow, in order.
      want = 0;
      for (const b of rablks) {
        if (b !== blkno + (want + 1) * nblks) break;
        want++;
      }
    } else {
      const limit = Math.min(MAXCLUSTER, Math.floor(this.#maxbytes / 4));
      d.rawindow = blkno === d.seqnext ? Math.min(Math.max(d.rawindow * 2, size * 2), limit) : 0;
      want = Math.floor(d.rawindow / size);
    }
    const out: Buf[] = [];
    for (let i = 1; i <= want; i++) {
      const b = blkno + i * nblks;
      if ((b + nblks) * BSIZE > dev.size || !this.#free(d, b, nblks)) break;
      const data = this.#alloc(size, true, false);
      if (!data) break;
      out.push(this.#insert(dev, d, b, data, B_BUSY));
    }
    return out;
  }

  #insert(dev: BlockDevice, d: DevBufs, blkno: number, data: Uint8Array, flags: number): Buf {
    const bp = new Buf(dev, blkno, data, flags);
    d.bufs.set(blkno, bp);
    const [c0, c1] = chunkRange(bp);
    for (let c = c0; c <= c1; c++) {
      const list = d.chunks.get(c);
      if (list) list.push(bp);
      else d.chunks.set(c, [bp]);
    }
    this.#bytes += data.length;
    this.#nbufs++;
    return bp;
  }

  /**
   * Memory for a new buffer: evict down to the soft cap (reusing an evicted buffer of the same size
   * keeps its charge), then charge the kernel account. Optional allocations (read-ahead) give up
   * instead of failing with ENOMEM.
   */
  #alloc(size: number, optional: boolean, zero: boolean): Uint8Array | null {
    let reuse: Uint8Array | null = null;
    // A full AGE queue gives up its oldest buffer first even below the cap: a long scan then cycles
    // through a few buffers that stay hot in the CPU caches instead of sweeping the whole cache.
    const first = this.#age.first();
    if (first && this.#age.size > AGE_MAX && first.bcount === size && this.#tryEvict(first, false)) reuse = first.data;
    let budget = this.#lru.size + this.#age.size;
    while (reuse === null && this.#bytes + size > this.#maxbytes && budget-- > 0) {
      const victim = this.#victim();
      if (!victim) break;
      const keep = reuse === null && victim.bcount === size;
      if (!this.#tryEvict(victim, !keep)) continue;
      if (keep) reuse = victim.data;
    }
    if (reuse) {
      if (zero) reuse.fill(0);
      return reuse;
    }
    if (optional && this.#bytes + size > this.#maxbytes) return null;
    if (this.#kmem) {
      try {
        this.#kmem.charge(size, 'buffer cache');
      } catch (e) {
        if (optional && isRumpError(e) && e.code === 'ENOMEM') return null;
        throw e;
      }
    }
    return new Uint8Array(size);
  }

  /** Evict one free buffer, writing it back first if delayed; false (and kept, as most recent) if that write failed. */
  #tryEvict(bp: Buf, uncharge: boolean): boolean {
    try {
      this.#remove(bp, true, uncharge);
      return true;
    } catch (e) {
      this.#printf(`bufcache: write-back of block ${bp.blkno} failed, kept dirty: ${e instanceof Error ? e.message : String(e)}`);
      this.#unfree(bp);
      this.#lru.add(bp);
      return false;
    }
  }

  #evictLru(bytes: number): number {
    let freed = 0;
    let budget = this.#lru.size + this.#age.size;
    while (freed < bytes && budget-- > 0) {
      const victim = this.#victim();
      if (!victim) break;
      const n = victim.bcount;
      if (this.#tryEvict(victim, true)) freed += n;
    }
    return freed;
  }

  #shrinkTo(limit: number): void {
    if (this.#bytes > limit) this.#evictLru(this.#bytes - limit);
  }

  /** Take a buffer out of the cache; delayed writes are written back first if `writeback`. */
  #remove(bp: Buf, writeback: boolean, uncharge = true): void {
    if (!bp._cached) return;
    if (bp.dirty && writeback) this.#writeRun([bp]);
    const d = this.#devs.get(bp.dev);
    if (d) {
      d.bufs.delete(bp.blkno);
      const [c0, c1] = chunkRange(bp);
      for (let c = c0; c <= c1; c++) {
        const list = d.chunks.get(c);
        const i = list ? list.indexOf(bp) : -1;
        if (!list || i < 0) continue;
        if (list.length === 1) d.chunks.delete(c);
        else list.splice(i, 1);
      }
    }
    this.#unfree(bp);
    if (bp.dirty) this.#ndirty--;
    bp.flags = (bp.flags & ~(B_BUSY | B_DELWRI)) | B_INVAL;
    bp._cached = false;
    this.#bytes -= bp.bcount;
    this.#nbufs--;
    if (uncharge) this.#kmem?.uncharge(bp.bcount);
  }

  /** Write adjacent delayed buffers in one request; they become clean. */
  #writeRun(run: readonly Buf[]): void {
    const first = run[0];
    if (!first) return;
    devWritev(first.dev, run.map((b) => b.data), first.offset);
    let n = 0;
    for (const b of run) {
      this.#setClean(b);
      n += b.bcount;
    }
    this.#stats.writes++;
    this.#stats.byteswritten += n;
  }

  #setClean(bp: Buf): void {
    if (bp.dirty) {
      bp.flags &= ~B_DELWRI;
      this.#ndirty--;
    }
  }

  /** The next buffer to evict: the oldest aged one, else the least recently used. */
  #victim(): Buf | undefined {
    return this.#age.first() ?? this.#lru.first();
  }

  #unfree(bp: Buf): void {
    if (!this.#lru.delete(bp)) this.#age.delete(bp);
  }

  #release(bp: Buf): void {
    bp.flags &= ~B_BUSY;
    if (bp._age && !bp.dirty) this.#age.add(bp);
    else this.#lru.add(bp);
    if (this.#bytes > this.#maxbytes) this.#shrinkTo(this.#maxbytes);
  }
}
