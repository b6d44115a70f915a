/**
 * makefs's I/O thread. Building an image of many small files is mostly host system calls — open,
 * read and close each file, write the image — so a worker thread (iothread-worker.mjs) makes them
 * while the main thread lays out the file system. The main thread allocates a file's blocks
 * (ffs_place) and queues FILL jobs: "read these bytes of that host file into this staged chunk";
 * a staged chunk that is retired gets a WRITE job. The thread runs the queue in order, so a
 * chunk's bytes are all in place before it is written, and file data is copied once, by the
 * host, straight into the image's chunk memory (a SharedArrayBuffer).
 *
 * Everything stays synchronous for the caller, as the kernel rules want. The main thread only
 * waits when the queue or the chunk slots are full, for settle(), or for close() — and while it
 * waits it takes FILL jobs from the far end of the queue (each job is claimed once), so the two
 * share the backlog; if the thread never starts (or stops on a bug), the main thread runs the
 * remaining jobs itself. The first host-file or image error is thrown by the next wait.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as WorkerThreads from 'node:worker_threads';
import { errno } from '@rumpts/librump';
import { type HostName, hostNameText } from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { CHUNK, type ChunkSlot, type ChunkStore, writeRuns } from './stage.js';

/**
 * A block device backed by a host file descriptor (HostFileBlockDevice, or a WindowBlockDevice
 * over one): where its bytes start in the file; null if it is not (or no longer) host-backed.
 */
export interface HostBackedDevice extends BlockDevice {
  hostWindow(): { fd: number; begin: number } | null;
}

export function isHostBacked(dev: BlockDevice): dev is HostBackedDevice {
  const h = (dev as Partial<HostBackedDevice>).hostWindow;
  return typeof h === 'function' && h.call(dev) !== null;
}

/**
 * The shared layout: ctrl words, job kinds, words per job. The thread gets this table in its
 * workerData, so the two sides cannot disagree.
 */
const LAYOUT = {
  STOP: 0,
  WAITING: 1,
  BELL: 2,
  WQ_HEAD: 3,
  WQ_TAIL: 4,
  ERR: 5,
  ERR_LEN: 6,
  DEAD: 7,
  STARTED: 8,
  DONE_HERE: 9,
  SESSION: 10,
  FILL: 1,
  WRITE: 2,
  JOB_WORDS: 7,
} as const;
const { STOP, WAITING, BELL, WQ_HEAD, WQ_TAIL, ERR, ERR_LEN, DEAD, STARTED, DONE_HERE, SESSION, FILL, WRITE, JOB_WORDS } = LAYOUT;
const CTRL_WORDS = 12;

/** Trees with fewer files are built on the main thread alone: a thread takes some 30 ms to start. */
export const IO_THREAD_MIN_FILES = 256;
/** Chunk slots shared with the thread: half staged, half on their way to the image. */
const SLOTS = 8;
const NJOBS = 65536;
/** How long to wait for the thread to start before doing its jobs here instead. */
const START_TIMEOUT_MS = 5000;

export class MakefsIo implements ChunkStore {
  readonly capacity = SLOTS / 2;
  readonly #ctrl: Int32Array;
  readonly #jobs: Float64Array;
  /** Per job: 0 queued, 1 taken, 2 done by this thread (it takes FILLs from the end while it waits). */
  readonly #claims: Int32Array;
  /** Where the next steal looks (a job number; it scans towards the tail). */
  #stealAt = -1;
  readonly #errText: Uint8Array;
  readonly #worker: WorkerThreads.Worker;
  readonly #port: WorkerThreads.MessagePort;
  readonly #chunks: SharedArrayBuffer;
  readonly #dirty: SharedArrayBuffer;
  #paths: readonly HostName[] = [];
  #dev: HostBackedDevice | null = null;
  readonly #slots: ChunkSlot[] = [];
  readonly #free: number[] = [];
  /** WRITE jobs not yet known done: [slot, job number]. */
  readonly #inflight: [number, number][] = [];
  #born = Date.now();
  readonly #startTimeout: number;
  /** The thread is gone (stopped on a bug, or never started): jobs run here. */
  #alone = false;
  #closed = false;

  /**
   * Start the thread. It idles until begin() gives it the host files and the image — so it can be
   * started before the tree is scanned, and its start-up overlaps the scan. (The options are for
   * tests: another worker script, and how long to wait for it to start before working alone.)
   */
  constructor(opts: { workerUrl?: URL; startTimeoutMs?: number } = {}) {
    this.#startTimeout = opts.startTimeoutMs ?? START_TIMEOUT_MS;
    const ctrl = new SharedArrayBuffer(4 * CTRL_WORDS);
    const jobs = new SharedArrayBuffer(8 * JOB_WORDS * NJOBS);
    const claims = new SharedArrayBuffer(4 * NJOBS);
    const chunks = new SharedArrayBuffer(SLOTS * CHUNK);
    // Sector maps sized for the smallest sector (512 bytes); a device with larger sectors uses less.
    const dirty = new SharedArrayBuffer((SLOTS * CHUNK) / 512);
    const errText = new SharedArrayBuffer(1024);
    this.#ctrl = new Int32Array(ctrl);
    this.#jobs = new Float64Array(jobs);
    this.#claims = new Int32Array(claims);
    this.#errText = new Uint8Array(errText);
    this.#chunks = chunks;
    this.#dirty = dirty;
    // node:worker_threads loads here, not at import: a program that never builds an image (every
    // fsu command but makefs) does not pay for it at start-up.
    const { MessageChannel, Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(opts.workerUrl ?? new URL('./iothread-worker.mjs', import.meta.url), {
      workerData: { layout: LAYOUT, ctrl, jobs, claims, chunks, dirty, errText, chunkSize: CHUNK, njobs: NJOBS, port: port2 },
      transferList: [port2],
      // Not the parent's flags (a TypeScript loader, --inspect …): the thread runs plain JavaScript.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    // Never keeps the process alive; a thread that fails to start is covered by #alone.
    this.#worker.unref();
    this.#worker.on('error', () => undefined);
  }

  /** True once begin() has been called (a MakefsIo serves one build). */
  get begun(): boolean {
    return this.#dev !== null;
  }

  /**
   * Hand the thread its work: the host files FILL jobs name by index, and the image to write. A
   * path given as bytes (a name that is not UTF-8) reaches the thread as bytes, with its text for
   * messages.
   */
  begin(paths: readonly HostName[], dev: HostBackedDevice): void {
    if (this.#dev || this.#closed) throw new Error('MakefsIo: begin() twice, or after close()');
    if (CHUNK % dev.secsize !== 0 || dev.secsize < 512) throw new RangeError(`MakefsIo: sector size ${dev.secsize}`);
    this.#paths = paths;
    this.#dev = dev;
    const per = CHUNK / dev.secsize;
    for (let k = 0; k < SLOTS; k++) {
      this.#slots.push({ slot: k, data: new Uint8Array(this.#chunks, k * CHUNK, CHUNK), dirty: new Uint8Array(this.#dirty, k * per, per) });
      this.#free.push(SLOTS - 1 - k);
    }
    const shown: Record<number, string> = {};
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (typeof p !== 'string') shown[i] = hostNameText(p);
    }
    this.#port.postMessage({ paths, shown, secsize: dev.secsize, image: { ...dev.hostWindow()!, size: dev.size } });
    this.#born = Date.now();
    Atomics.store(this.#ctrl, SESSION, 1);
    this.#ring(true);
  }

  /** Jobs the thread has run (the rest ran here): for tests and diagnostics. */
  get threadJobs(): number {
    return Atomics.load(this.#ctrl, DONE_HERE);
  }

  acquire(): ChunkSlot {
    while (this.#free.length === 0) this.#reap();
    this.#checkError();
    return this.#slots[this.#free.pop()!]!;
  }

  /** Queue: read `len` bytes at `fileOff` of host file `file` into chunk `c` at byte `at`, then `pad` zeros. */
  fill(c: ChunkSlot, at: number, file: number, fileOff: number, len: number, pad: number): void {
    this.#push(FILL, file, fileOff, len, c.slot, at, pad);
  }

  retire(c: ChunkSlot, index: number): void {
    const job = this.#push(WRITE, c.slot, index, 0, 0, 0, 0);
    this.#inflight.push([c.slot, job]);
  }

  settle(): void {
    this.#until(() => this.#tail() >= this.#head());
    this.#reapDone();
    this.#checkError();
  }

  /**
   * Stop the thread (idempotent). Queued jobs are finished first (their errors are settle()'s to
   * report): the thread writes through the device's descriptor, which its owner may close once
   * makefs returns.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#dev) this.#until(() => this.#tail() >= this.#head());
    this.#closed = true;
    Atomics.store(this.#ctrl, STOP, 1);
    this.#ring(true);
    this.#port.close();
    void this.#worker.terminate();
  }

  #head(): number {
    return Atomics.load(this.#ctrl, WQ_HEAD);
  }

  #tail(): number {
    return Atomics.load(this.#ctrl, WQ_TAIL);
  }

  /** Queue a job (waiting while the queue is full); its number. */
  #push(kind: number, a: number, b: number, c: number, d: number, e: number, f: number): number {
    const head = this.#head();
    if (head - this.#tail() >= NJOBS) this.#until(() => head - this.#tail() < NJOBS);
    const q = (head % NJOBS) * JOB_WORDS;
    const j = this.#jobs;
    Atomics.store(this.#claims, head % NJOBS, 0);
    j[q] = kind;
    j[q + 1] = a;
    j[q + 2] = b;
    j[q + 3] = c;
    j[q + 4] = d;
    j[q + 5] = e;
    j[q + 6] = f;
    Atomics.store(this.#ctrl, WQ_HEAD, head + 1);
    if (this.#alone) this.#runHere();
    else this.#ring(false);
    return head;
  }

  /** Wake the thread. The bell moves before WAITING is read, so a thread about to wait either
   * sees the new bell or is seen waiting and woken. */
  #ring(always: boolean): void {
    Atomics.add(this.#ctrl, BELL, 1);
    if (always || Atomics.load(this.#ctrl, WAITING) !== 0) Atomics.notify(this.#ctrl, BELL);
  }

  /** Wait for the oldest WRITE in flight, and take back every chunk written. */
  #reap(): void {
    const first = this.#inflight[0];
    if (first) this.#until(() => this.#tail() > first[1]);
    this.#reapDone();
  }

  #reapDone(): void {
    const tail = this.#tail();
    while (this.#inflight.length > 0 && this.#inflight[0]![1] < tail) this.#free.push(this.#inflight.shift()![0]);
  }

  /**
   * Block until `done()`: meanwhile take FILL jobs from the far end of the queue (the thread works
   * from the near end); if the thread is not there to make progress, run the jobs here.
   */
  #until(done: () => boolean): void {
    this.#stealAt = this.#head() - 1;
    while (!done()) {
      if (this.#alone || Atomics.load(this.#ctrl, DEAD) !== 0) {
        this.#alone = true;
        this.#runHere();
        continue;
      }
      if (Atomics.load(this.#ctrl, STARTED) === 0 && Date.now() - this.#born > this.#startTimeout) {
        // Still not started: take its work (it exits if it starts after all).
        if (Atomics.compareExchange(this.#ctrl, STARTED, 0, 2) === 0) this.#alone = true;
        continue;
      }
      if (Atomics.load(this.#ctrl, STARTED) === 1 && this.#steal()) continue;
      const tail = this.#tail();
      if (done()) break;
      Atomics.wait(this.#ctrl, WQ_TAIL, tail, 50);
    }
  }

  /** Run one queued FILL from the far end of the queue here; false if none is left to take. */
  #steal(): boolean {
    const tail = this.#tail();
    for (let n = this.#stealAt; n > tail; n--) {
      const k = n % NJOBS;
      const q = k * JOB_WORDS;
      if (this.#jobs[q] !== FILL || Atomics.compareExchange(this.#claims, k, 0, 1) !== 0) continue;
      this.#stealAt = n - 1;
      try {
        this.#runFill(q);
      } finally {
        Atomics.store(this.#claims, k, 2);
        Atomics.notify(this.#claims, k);
      }
      return true;
    }
    this.#stealAt = tail;
    return false;
  }

  #runFill(q: number): void {
    const j = this.#jobs;
    const data = this.#slots[j[q + 4]!]!.data;
    const at = j[q + 5]!;
    const len = j[q + 3]!;
    if (Atomics.load(this.#ctrl, ERR) === 0 && len > 0) this.#fillHere(j[q + 1]!, j[q + 2]!, len, data, at);
    data.fill(0, at + len, at + len + j[q + 6]!);
  }

  /** Run every queued job on this thread, in order (the thread is gone). */
  #runHere(): void {
    const j = this.#jobs;
    for (let tail = this.#tail(); tail < this.#head(); tail++) {
      const q = (tail % NJOBS) * JOB_WORDS;
      const ok = Atomics.load(this.#ctrl, ERR) === 0;
      if (j[q] === FILL) {
        if (Atomics.load(this.#claims, tail % NJOBS) !== 2) this.#runFill(q);
      } else {
        const c = this.#slots[j[q + 1]!]!;
        if (ok) {
          try {
            writeRuns(this.#dev!, c, j[q + 2]!);
          } catch (e) {
            this.#fail(2, e instanceof Error ? e.message : String(e));
          }
        }
        c.dirty.fill(0);
      }
      Atomics.store(this.#ctrl, WQ_TAIL, tail + 1);
    }
  }

  #fillHere(file: number, fileOff: number, len: number, data: Uint8Array, at: number): void {
    const path = this.#paths[file]!;
    const shown = hostNameText(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      this.#fail(1, `${shown}: ${(e as Error).message}`);
      return;
    }
    try {
      let got = 0;
      while (got < len) {
        const n = readSync(fd, data, at + got, len - got, fileOff + got);
        if (n <= 0) {
          this.#fail(1, `${shown}: file shrank while being read`);
          return;
        }
        got += n;
      }
    } catch (e) {
      this.#fail(1, `${shown}: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }

  #fail(kind: number, message: string): void {
    if (Atomics.load(this.#ctrl, ERR) !== 0) return;
    const b = Buffer.from(message).subarray(0, this.#errText.length);
    this.#errText.set(b);
    Atomics.store(this.#ctrl, ERR_LEN, b.length);
    Atomics.store(this.#ctrl, ERR, kind);
  }

  #checkError(): void {
    const kind = Atomics.load(this.#ctrl, ERR);
    if (kind === 0) return;
    const msg = Buffer.from(this.#errText.slice(0, Atomics.load(this.#ctrl, ERR_LEN))).toString();
    throw errno('EIO', kind === 1 ? `makefs: ${msg}` : `makefs: image: ${msg}`);
  }
}
