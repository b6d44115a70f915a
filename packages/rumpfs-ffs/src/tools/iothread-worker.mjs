// makefs's I/O thread (iothread.ts starts it and hands it the shared layout, LAYOUT).
// It runs the job queue in order: FILL jobs read host file bytes straight into staged image
// chunks (and zero the rest of the fragment), WRITE jobs write a chunk's staged sectors to the image. Order is what makes this safe:
// a chunk's WRITE is queued after every FILL into it. The first failure is recorded for the main
// thread to report; later jobs still complete (so nothing waits forever), doing no more I/O.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';

const d = workerData;
// The shared layout comes from iothread.ts (LAYOUT).
const { STOP, WAITING, BELL, WQ_HEAD, WQ_TAIL, ERR, ERR_LEN, DEAD, STARTED, DONE_HERE, SESSION, FILL, WRITE, JOB_WORDS } = d.layout;
const ctrl = new Int32Array(d.ctrl);
const jobs = new Float64Array(d.jobs);
// Per job: 0 queued, 1 taken (by us, or by the main thread while it waits), 2 done by the main thread.
const claims = new Int32Array(d.claims);
const chunks = new Uint8Array(d.chunks);
const dirty = new Uint8Array(d.dirty);
const errText = new Uint8Array(d.errText);
const { chunkSize, njobs, port } = d;
// Given by the main thread once the tree is scanned and the image open (see waitSession).
let paths = [];
// Message text of the paths given as bytes (Uint8Arrays: names that are not UTF-8), by index.
let shown = {};
let secsize = 512;
let image = null;
let sectorsPerChunk = chunkSize / secsize;

/** Idle until the main thread starts the build (or stops us); false if stopped. */
function waitSession() {
  for (;;) {
    if (Atomics.load(ctrl, STOP) !== 0) return false;
    const bell = Atomics.load(ctrl, BELL);
    if (Atomics.load(ctrl, SESSION) !== 0) {
      const m = receiveMessageOnPort(port);
      if (m) {
        ({ paths, shown, secsize, image } = m.message);
        sectorsPerChunk = chunkSize / secsize;
        return true;
      }
    }
    Atomics.store(ctrl, WAITING, 1);
    Atomics.wait(ctrl, BELL, bell, 100);
    Atomics.store(ctrl, WAITING, 0);
  }
}


/** Record the first failure (kind 1: a host file, 2: the image) for the main thread. */
function fail(kind, message) {
  if (Atomics.load(ctrl, ERR) !== 0) return;
  const b = Buffer.from(message).subarray(0, errText.length);
  errText.set(b);
  Atomics.store(ctrl, ERR_LEN, b.length);
  Atomics.store(ctrl, ERR, kind);
}

function describe(err) {
  return err instanceof Error ? err.message : String(err);
}

/** The descriptor of the host file being read (kept open across its jobs). */
let openFile = -1;
let openFd = -1;

function closeOpen() {
  if (openFd >= 0) closeSync(openFd);
  openFd = -1;
  openFile = -1;
}

/** Read `len` bytes at `fileOff` of file `file` into the chunk memory at `at`. */
function fill(file, fileOff, len, at) {
  const path = paths[file];
  if (openFile !== file) {
    closeOpen();
    try {
      openFd = openSync(path, 'r');
      openFile = file;
    } catch (err) {
      fail(1, `${shown[file] ?? path}: ${describe(err)}`);
      return;
    }
  }
  let got = 0;
  try {
    while (got < len) {
      const n = readSync(openFd, chunks, at + got, len - got, fileOff + got);
      if (n <= 0) {
        fail(1, `${shown[file] ?? path}: file shrank while being read`);
        return;
      }
      got += n;
    }
  } catch (err) {
    fail(1, `${shown[file] ?? path}: ${describe(err)}`);
  }
}

/** Write the runs of staged sectors of the chunk in `slot` at chunk `index` of the image. */
function writeChunk(slot, index) {
  const base = image.begin + index * chunkSize;
  const limit = Math.min(sectorsPerChunk, Math.floor((image.size - index * chunkSize) / secsize));
  const map = slot * sectorsPerChunk;
  const data = slot * chunkSize;
  let s = 0;
  while (s < limit) {
    if (dirty[map + s] === 0) {
      s++;
      continue;
    }
    let e = s + 1;
    while (e < limit && dirty[map + e] !== 0) e++;
    let off = s * secsize;
    const end = e * secsize;
    try {
      while (off < end) {
        const n = writeSync(image.fd, chunks, data + off, end - off, base + off);
        if (n <= 0) throw new Error('the host made no progress');
        off += n;
      }
    } catch (err) {
      fail(2, `write at byte ${base + off}: ${describe(err)}`);
      return;
    }
    s = e;
  }
}

function run() {
  try {
    if (!waitSession()) return;
    for (;;) {
      if (Atomics.load(ctrl, STOP) !== 0) break;
      const bell = Atomics.load(ctrl, BELL);
      const tail = Atomics.load(ctrl, WQ_TAIL);
      if (tail < Atomics.load(ctrl, WQ_HEAD)) {
        const slotq = tail % njobs;
        const q = slotq * JOB_WORDS;
        const kind = jobs[q];
        const ok = Atomics.load(ctrl, ERR) === 0;
        if (Atomics.compareExchange(claims, slotq, 0, 1) !== 0) {
          // The main thread took this one (a FILL) while waiting: the queue moves on once it is done.
          while (Atomics.load(claims, slotq) !== 2) Atomics.wait(claims, slotq, 1, 50);
        } else if (kind === FILL) {
          const at = jobs[q + 4] * chunkSize + jobs[q + 5];
          const len = jobs[q + 3];
          if (ok && len > 0) fill(jobs[q + 1], jobs[q + 2], len, at);
          chunks.fill(0, at + len, at + len + jobs[q + 6]);
        } else if (kind === WRITE) {
          const slot = jobs[q + 1];
          if (ok) writeChunk(slot, jobs[q + 2]);
          dirty.fill(0, slot * sectorsPerChunk, (slot + 1) * sectorsPerChunk);
        }
        const mine = Atomics.load(claims, slotq) === 1;
        Atomics.store(ctrl, WQ_TAIL, tail + 1);
        if (mine) Atomics.add(ctrl, DONE_HERE, 1);
        // The main thread may wait for the queue to move (settle, a full queue or a chunk slot).
        Atomics.notify(ctrl, WQ_TAIL);
        continue;
      }
      closeOpen();
      // Nothing to do until the main thread rings: WAITING asks it to wake us (it skips the
      // wake-up otherwise), raised before the bell is compared so no ring slips between.
      Atomics.store(ctrl, WAITING, 1);
      Atomics.wait(ctrl, BELL, bell);
      Atomics.store(ctrl, WAITING, 0);
    }
  } catch {
    // A bug here must not leave the main thread waiting: it does the remaining jobs itself
    // (redoing the one in hand is harmless: jobs are idempotent).
    Atomics.store(ctrl, DEAD, 1);
    Atomics.notify(ctrl, WQ_TAIL);
  }
  try {
    closeOpen();
  } catch {
    // Nothing left to report to.
  }
}

// Last, once everything above is initialised. The main thread may have given up waiting for us
// and taken the jobs itself.
if (Atomics.compareExchange(ctrl, STARTED, 0, 1) === 0) run();
