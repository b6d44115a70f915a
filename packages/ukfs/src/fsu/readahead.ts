/**
 * fsu put -r's read-ahead thread. Copying a tree of small files into a local image is, per file,
 * four host system calls (open, fstat, read, close) and the kernel's create and write; the thread
 * makes the host calls for the files the main thread will copy next, so the two run side by side.
 *
 * The main thread asks for a run of listed files (request), then takes them in the same order
 * (take). Requests go through a shared ring of their own that the thread waits on with
 * Atomics.wait — runs of paths as UTF-8 (the bytes node:fs passes to open(2) for the string),
 * joined by NUL, with the first one's request number: no message, no structured clone, no event
 * loop on either side. A path that does not fit (longer than REQ_PATH, or the ring is full) is not
 * sent; the main thread reads that file itself, as any the thread has not reached.
 *
 * The thread reads each file it gets to first — claimed in a shared byte per request — into a
 * shared data ring: header (kind, mode, length, request number) and the bytes. A file the thread has
 * not reached yet the main thread claims itself and reads as before, so it never waits for a thread
 * that is slow to start or busy. For a file the thread is reading at that moment it spins a little
 * (SPIN_MS, about one small file's read), never sleeps: past that it reads the file itself and skips
 * the thread's record of it when it comes, so a thread the scheduler has put aside on a busy
 * machine does not hold the copy up.
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
  /** Request ring: bytes written by the main thread, and read by the thread (running int32 counts). */
  REQ_W: 4,
  REQ_R: 5,
  /** Control words (int32). */
  CTRL: 6,
  /** Request ring bytes (a power of two, a multiple of REQ_HDR). */
  REQ: 1 << 20,
  /**
   * Request record header bytes: first request number (-1: the rest of the ring is skipped), path
   * count, byte length (int32 each); then the paths, joined by NUL. Records are REQ_HDR-aligned.
   */
  REQ_HDR: 16,
  /** Longest path sent to the thread (bytes); a longer one is the main thread's. */
  REQ_PATH: 16 << 10,
  /** Most paths in one request record. */
  REQ_BATCH: 512,
  /** Ring bytes (a multiple of HDR). */
  RING: 4 << 20,
  /** Record header bytes: kind, mode, length, request number (int32 each); records are HDR-aligned. */
  HDR: 16,
  /** How long take() spins for a file the thread is reading before it reads the file itself (ms). */
  SPIN_MS: 0.05,
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
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { ctrl: ctrlSab, ring: ringSab, claims: claimsSab, req: reqSab, L } = workerData;
const ctrl = new Int32Array(ctrlSab);
const claims = new Uint8Array(claimsSab);
const ring = new Uint8Array(ringSab);
const hdr = new Int32Array(ringSab);
const req = Buffer.from(reqSab);
const reqHdr = new Int32Array(reqSab);
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
let w = 0;
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
};
// Make sure a record of up to n data bytes fits before the end of the ring (a WRAP record if not).
const place = (n) => {
  const need = L.HDR + Math.ceil(n / L.HDR) * L.HDR;
  const waste = w + need > L.RING ? L.RING - w : 0;
  if (!room(need + waste)) return -1;
  if (waste > 0) { const h = w >> 2; hdr[h] = L.KIND_WRAP; hdr[h + 1] = 0; hdr[h + 2] = 0; hdr[h + 3] = -1; w = 0; }
  return waste;
};
// Read file number idx (path: its bytes) unless the main thread has claimed it; false once told to stop.
const one = (path, idx) => {
  if (Atomics.compareExchange(claims, idx, 0, 1) !== 0) return true;
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
// Take requests off the request ring in order until told to stop.
const serve = () => {
  let r = 0;
  for (;;) {
    if (Atomics.load(ctrl, L.STOP) !== 0) return;
    const end = Atomics.load(ctrl, L.REQ_W);
    if (end === r) { Atomics.wait(ctrl, L.REQ_W, r, 500); continue; }
    while (r !== end) {
      const at = r & (L.REQ - 1);
      const first = reqHdr[at >> 2];
      const count = reqHdr[(at >> 2) + 1];
      const len = reqHdr[(at >> 2) + 2];
      if (first < 0) { r = (r + L.REQ - at) | 0; Atomics.store(ctrl, L.REQ_R, r); continue; }
      // Strings (copies: the record's place in the ring is free again once REQ_R passes it). The
      // bytes are UTF-8 that Buffer.write made of the main thread's strings, so node:fs makes the
      // same bytes of these again for open(2).
      const paths = req.toString('utf8', at + L.REQ_HDR, at + L.REQ_HDR + len).split('\\0');
      r = (r + L.REQ_HDR + Math.ceil(len / L.REQ_HDR) * L.REQ_HDR) | 0;
      Atomics.store(ctrl, L.REQ_R, r);
      // A NUL inside a path would put names out of step with their numbers: all the main thread's.
      if (paths.length !== count) continue;
      for (let j = 0; j < count; j++) if (!one(paths[j], first + j)) return;
    }
  }
};
try { serve(); } catch { die(); }
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
  readonly #req: Buffer;
  readonly #reqHdr: Int32Array;
  /** Request ring bytes written (a running int32 count, as REQ_W). */
  #reqW = 0;
  readonly #worker: WorkerThreads.Worker;
  /** Requests asked for, and taken. */
  #asked = 0;
  #taken = 0;
  /** Records consumed, where the next one starts, and the ring bytes the taken one holds. */
  #consumed = 0;
  #r = 0;
  #held = 0;
  #off = false;
  readonly #spinMs: number;
  #gaveUp = 0;

  private constructor(worker: typeof WorkerThreads.Worker, spinMs: number) {
    this.#spinMs = spinMs;
    const ctrl = new SharedArrayBuffer(L.CTRL * 4);
    const claims = new SharedArrayBuffer(L.CLAIMS);
    const req = new SharedArrayBuffer(L.REQ);
    this.#ringSab = new SharedArrayBuffer(L.RING);
    this.#ctrl = new Int32Array(ctrl);
    this.#claims = new Uint8Array(claims);
    this.#hdr = new Int32Array(this.#ringSab);
    this.#req = Buffer.from(req);
    this.#reqHdr = new Int32Array(req);
    this.#worker = new worker(WORKER_SOURCE, { eval: true, workerData: { ctrl, ring: this.#ringSab, claims, req, L } });
    this.#worker.unref();
    // A thread that fails (it cannot start, or dies) is the same as a slow one: the main thread reads.
    this.#worker.on('error', () => {
      this.#off = true;
    });
  }

  /**
   * A read-ahead thread, or null if worker threads are not available. `spinMs`: how long take()
   * spins for a file the thread is reading before it gives up on it (0: at once).
   */
  static start(spinMs: number = L.SPIN_MS): ReadAhead | null {
    try {
      const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
      return new ReadAhead(Worker, spinMs);
    } catch {
      return null;
    }
  }

  /**
   * Ask for these host files, in the order they will be taken. Never waits: a path that does not
   * fit the request ring is left to the main thread.
   */
  request(paths: string[]): void {
    const first = this.#asked;
    this.#asked += paths.length;
    if (this.#off) return;
    const w = this.#reqW;
    const n = Math.min(paths.length, L.CLAIMS - first);
    for (let j = 0; j < n; j += L.REQ_BATCH) {
      const part = paths.slice(j, Math.min(n, j + L.REQ_BATCH));
      // Paths joined by NUL, which no path holds (the thread checks the count).
      if (this.#send(first + j, part.length, part.join('\0'), L.REQ_PATH * 4)) continue;
      for (let k = 0; k < part.length; k++) this.#send(first + j + k, 1, part[k] as string, L.REQ_PATH);
    }
    if (this.#reqW === w) return;
    Atomics.store(this.#ctrl, L.REQ_W, this.#reqW);
    Atomics.notify(this.#ctrl, L.REQ_W);
  }

  /** Put a request record for `count` paths from request `first` on the ring (not yet published); false if it does not fit. */
  #send(first: number, count: number, text: string, max: number): boolean {
    const len = Buffer.byteLength(text);
    if (len > max) return false;
    const size = L.REQ_HDR + Math.ceil(len / L.REQ_HDR) * L.REQ_HDR;
    let w = this.#reqW;
    const at = w & (L.REQ - 1);
    // A record never runs past the end: the rest of the ring is skipped (request number -1).
    const tail = at + size > L.REQ ? L.REQ - at : 0;
    // Bytes the thread has not taken off the ring yet are not ours to write.
    if (((w - Atomics.load(this.#ctrl, L.REQ_R)) | 0) + tail + size > L.REQ) return false;
    const hdr = this.#reqHdr;
    if (tail > 0) {
      hdr[at >> 2] = -1;
      w = (w + tail) | 0;
    }
    const to = w & (L.REQ - 1);
    hdr[to >> 2] = first;
    hdr[(to >> 2) + 1] = count;
    hdr[(to >> 2) + 2] = len;
    this.#req.write(text, to + L.REQ_HDR, len, 'utf8');
    this.#reqW = (w + size) | 0;
    return true;
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
    // The thread has it: its record comes next, after any of files given up on (below).
    let until = 0;
    for (;;) {
      if (Atomics.load(this.#ctrl, L.PRODUCED) === this.#consumed) {
        if (Atomics.load(this.#ctrl, L.DEAD) !== 0) return this.#stop();
        // The thread is reading it now: spin for about as long as a small file takes to read, then
        // give up on it and read it here (a thread that is descheduled must not hold the copy up);
        // its record is skipped when it comes.
        const now = performance.now();
        if (until === 0) until = now + this.#spinMs;
        else if (now >= until) {
          this.#gaveUp++;
          return null;
        }
        continue;
      }
      if (this.#hdr[this.#r >> 2] === L.KIND_WRAP) {
        this.#held += L.RING - this.#r;
        this.#r = 0;
      }
      const h = this.#r >> 2;
      const kind = this.#hdr[h];
      const mode = this.#hdr[h + 1] ?? 0;
      const len = this.#hdr[h + 2] ?? 0;
      const of = this.#hdr[h + 3] ?? -1;
      if (of > idx) return this.#stop();
      this.#consumed++;
      const size = L.HDR + Math.ceil(len / L.HDR) * L.HDR;
      const at = this.#r;
      this.#held += size;
      this.#r += size;
      if (this.#r === L.RING) this.#r = 0;
      if (of < idx) continue;
      return kind === L.KIND_DATA ? { mode, data: new Uint8Array(this.#ringSab, at + L.HDR, len) } : null;
    }
  }

  /** Done with the file take() gave: its ring bytes go back to the thread. */
  release(): void {
    if (this.#held === 0) return;
    Atomics.sub(this.#ctrl, L.INFLIGHT, this.#held);
    Atomics.notify(this.#ctrl, L.INFLIGHT);
    this.#held = 0;
  }

  /** Files take() gave up on while the thread was reading them. */
  get gaveUp(): number {
    return this.#gaveUp;
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
    Atomics.notify(this.#ctrl, L.REQ_W);
    return null;
  }

  /** Stop reading ahead for good (requests asked for are not all taken, or the copy is done). */
  close(): void {
    this.#stop();
    void this.#worker.terminate();
  }
}
