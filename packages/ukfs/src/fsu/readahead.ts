/**
 * fsu put -r's read-ahead thread. Copying a tree of small files into a local image is, per file,
 * four host system calls (open, fstat, read, close) and the kernel's create and write; the thread
 * makes the host calls for the files the main thread will copy next, so the two run side by side.
 *
 * The main thread asks for a run of listed files (request), then takes them in the same order
 * (take). The thread reads each file it gets to first — claimed in a shared byte per request — into
 * a shared ring: header (kind, mode, length, request number) and the bytes. A file the thread has
 * not reached yet the main thread claims itself and reads as before, so it never waits for a thread
 * that is slow to start or busy; it waits only for a file the thread is reading at that moment.
 * Anything the thread does not copy whole — not a regular file (any more), unreadable, larger than
 * READ_AHEAD_LIMIT, a zero-size file that has bytes — it hands back to the main thread, which opens
 * it again and reports it as it always has. Everything stays synchronous for the kernel.
 */
import { createRequire } from 'node:module';
import type * as WorkerThreads from 'node:worker_threads';

/** Shared control words, and the numbers both sides use; the thread gets this table as workerData. */
const L = {
  PRODUCED: 0,
  INFLIGHT: 1,
  STOP: 2,
  DEAD: 3,
  /** Ring bytes (a multiple of HDR). */
  RING: 4 << 20,
  /** Record header bytes: kind, mode, length, request number (int32 each); records are HDR-aligned. */
  HDR: 16,
  /** Largest file read ahead. */
  LIMIT: 256 << 10,
  /** Requests with a claim byte; later ones are read by the main thread. */
  CLAIMS: 1 << 22,
  /** Bytes a zero-size file may turn out to have: past that it goes back to the main thread. */
  PROBE: 4096,
  KIND_DATA: 1,
  KIND_YOURS: 2,
  KIND_WRAP: 3,
} as const;

/** Largest file the thread reads ahead (bytes); larger ones are streamed by the main thread. */
export const READ_AHEAD_LIMIT = L.LIMIT;
/** Most files asked for in one request (a directory's run of files is asked for in pieces). */
export const READ_AHEAD_RUN = 4096;

/** The thread: plain JavaScript, run from a string so the bundled CLI needs no file beside it. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { ctrl: ctrlSab, ring: ringSab, claims: claimsSab, L } = workerData;
const ctrl = new Int32Array(ctrlSab);
const claims = new Uint8Array(claimsSab);
const ring = new Uint8Array(ringSab);
const hdr = new Int32Array(ringSab);
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
let w = 0;
let k = 0;
const die = () => { Atomics.store(ctrl, L.DEAD, 1); Atomics.notify(ctrl, L.PRODUCED); };
// Wait until n more ring bytes are free; false once told to stop.
const room = (n) => {
  for (;;) {
    if (Atomics.load(ctrl, L.STOP) !== 0) return false;
    const v = Atomics.load(ctrl, L.INFLIGHT);
    if (v + n <= L.RING) return true;
    Atomics.wait(ctrl, L.INFLIGHT, v, 200);
  }
};
const publish = (kind, mode, len, idx, waste) => {
  const h = w >> 2;
  hdr[h] = kind; hdr[h + 1] = mode; hdr[h + 2] = len; hdr[h + 3] = idx;
  const size = L.HDR + Math.ceil(len / L.HDR) * L.HDR;
  w += size;
  if (w === L.RING) w = 0;
  Atomics.add(ctrl, L.INFLIGHT, size + waste);
  Atomics.add(ctrl, L.PRODUCED, 1);
  Atomics.notify(ctrl, L.PRODUCED);
};
// Make sure a record of up to n data bytes fits before the end of the ring (a WRAP record if not).
const place = (n) => {
  const need = L.HDR + Math.ceil(n / L.HDR) * L.HDR;
  const waste = w + need > L.RING ? L.RING - w : 0;
  if (!room(need + waste)) return -1;
  if (waste > 0) { const h = w >> 2; hdr[h] = L.KIND_WRAP; hdr[h + 1] = 0; hdr[h + 2] = 0; hdr[h + 3] = -1; w = 0; }
  return waste;
};
const one = (path) => {
  const idx = k++;
  if (idx >= L.CLAIMS || Atomics.compareExchange(claims, idx, 0, 1) !== 0) return true;
  let fd = -1;
  try {
    try { fd = fs.openSync(path, FLAGS); } catch { fd = -1; }
    let st = null;
    if (fd >= 0) { try { st = fs.fstatSync(fd); } catch { st = null; } }
    if (st === null || !st.isFile() || st.size > L.LIMIT) {
      const waste = place(0);
      if (waste < 0) return false;
      publish(L.KIND_YOURS, 0, 0, idx, waste);
      return true;
    }
    const want = st.size === 0 ? L.PROBE : st.size;
    const waste = place(want);
    if (waste < 0) return false;
    let n = 0;
    let ok = true;
    try {
      for (;;) {
        const m = fs.readSync(fd, ring, w + L.HDR + n, want - n, null);
        if (m === 0) break;
        n += m;
        if (n >= want) break;
      }
    } catch { ok = false; }
    if (!ok || (st.size === 0 && n > 0)) publish(L.KIND_YOURS, 0, 0, idx, waste);
    else publish(L.KIND_DATA, st.mode & 0o7777, n, idx, waste);
    return true;
  } finally {
    if (fd >= 0) try { fs.closeSync(fd); } catch {}
  }
};
parentPort.on('message', (paths) => {
  try {
    for (const p of paths) if (!one(p)) { parentPort.close(); return; }
  } catch { die(); parentPort.close(); }
});
`;

/** A file the thread read: its permission bits and bytes (a view into the ring, valid until release). */
export interface ReadAheadFile {
  mode: number;
  data: Uint8Array;
}

/** The main thread's end of the read-ahead thread. */
export class ReadAhead {
  readonly #ctrl: Int32Array;
  readonly #claims: Uint8Array;
  readonly #ringSab: SharedArrayBuffer;
  readonly #hdr: Int32Array;
  readonly #worker: WorkerThreads.Worker;
  /** Requests asked for, and taken. */
  #asked = 0;
  #taken = 0;
  /** Records consumed, where the next one starts, and the ring bytes the taken one holds. */
  #consumed = 0;
  #r = 0;
  #held = 0;
  #off = false;

  private constructor(worker: typeof WorkerThreads.Worker) {
    const ctrl = new SharedArrayBuffer(16);
    const claims = new SharedArrayBuffer(L.CLAIMS);
    this.#ringSab = new SharedArrayBuffer(L.RING);
    this.#ctrl = new Int32Array(ctrl);
    this.#claims = new Uint8Array(claims);
    this.#hdr = new Int32Array(this.#ringSab);
    this.#worker = new worker(WORKER_SOURCE, { eval: true, workerData: { ctrl, ring: this.#ringSab, claims, L } });
    this.#worker.unref();
    // A thread that fails (it cannot start, or dies) is the same as a slow one: the main thread reads.
    this.#worker.on('error', () => {
      this.#off = true;
    });
  }

  /** A read-ahead thread, or null if worker threads are not available. */
  static start(): ReadAhead | null {
    try {
      const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
      return new ReadAhead(Worker);
    } catch {
      return null;
    }
  }

  /** Ask for these host files, in the order they will be taken. */
  request(paths: string[]): void {
    this.#asked += paths.length;
    if (!this.#off) this.#worker.postMessage(paths);
  }

  /**
   * The next asked-for file: its bytes if the thread read it, or null — then the caller reads it
   * itself. release() must follow before the next take.
   */
  take(): ReadAheadFile | null {
    const idx = this.#taken++;
    if (idx >= this.#asked) throw new Error('read-ahead: take without a request');
    if (this.#off || idx >= L.CLAIMS) return null;
    // Not reached by the thread yet: ours.
    if (Atomics.compareExchange(this.#claims, idx, 0, 2) === 0) return null;
    // The thread has it: wait for its record (it is reading it now, or has).
    while (Atomics.load(this.#ctrl, L.PRODUCED) === this.#consumed) {
      if (Atomics.load(this.#ctrl, L.DEAD) !== 0) return this.#stop();
      Atomics.wait(this.#ctrl, L.PRODUCED, this.#consumed, 100);
    }
    let h = this.#r >> 2;
    if (this.#hdr[h] === L.KIND_WRAP) {
      this.#held += L.RING - this.#r;
      this.#r = 0;
      h = 0;
    }
    const kind = this.#hdr[h];
    const mode = this.#hdr[h + 1] ?? 0;
    const len = this.#hdr[h + 2] ?? 0;
    if (this.#hdr[h + 3] !== idx) return this.#stop();
    this.#consumed++;
    const size = L.HDR + Math.ceil(len / L.HDR) * L.HDR;
    const at = this.#r;
    this.#held += size;
    this.#r += size;
    if (this.#r === L.RING) this.#r = 0;
    return kind === L.KIND_DATA ? { mode, data: new Uint8Array(this.#ringSab, at + L.HDR, len) } : null;
  }

  /** Done with the file take() gave: its ring bytes go back to the thread. */
  release(): void {
    if (this.#held === 0) return;
    Atomics.sub(this.#ctrl, L.INFLIGHT, this.#held);
    Atomics.notify(this.#ctrl, L.INFLIGHT);
    this.#held = 0;
  }

  /** Whether requests and takes still match (a copy interrupted part-way leaves some untaken). */
  get balanced(): boolean {
    return this.#asked === this.#taken;
  }

  /** Stop using the thread: every later take is the caller's. */
  #stop(): null {
    this.#off = true;
    Atomics.store(this.#ctrl, L.STOP, 1);
    Atomics.notify(this.#ctrl, L.INFLIGHT);
    return null;
  }

  /** Stop reading ahead for good (requests asked for are not all taken, or the copy is done). */
  close(): void {
    this.#stop();
    void this.#worker.terminate();
  }
}
