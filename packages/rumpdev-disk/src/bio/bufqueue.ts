/**
 * A free-buffer queue (vfs_bio.c's bufqueues: BQ_LRU, BQ_AGE): buffers not held by anyone, oldest
 * first, linked through the buffers themselves. A JS Set would do the same job, but removing from
 * its front and appending at its back on every release leaves deleted slots that V8 walks over on
 * the next "oldest" lookup, so a busy cache slowed down as it ran.
 */
import type { Buf } from './buf.js';

export class BufQueue {
  #head: Buf | null = null;
  #tail: Buf | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The oldest buffer, if any. */
  first(): Buf | undefined {
    return this.#head ?? undefined;
  }

  /** Append bp as the newest (it must not be on another queue). */
  add(bp: Buf): void {
    if (bp._queue === this) return;
    if (bp._queue !== null) bp._queue.delete(bp);
    bp._queue = this;
    bp._qprev = this.#tail;
    bp._qnext = null;
    if (this.#tail) this.#tail._qnext = bp;
    else this.#head = bp;
    this.#tail = bp;
    this.#size++;
  }

  /** Take bp off this queue; false if it was not on it. */
  delete(bp: Buf): boolean {
    if (bp._queue !== this) return false;
    if (bp._qprev) bp._qprev._qnext = bp._qnext;
    else this.#head = bp._qnext;
    if (bp._qnext) bp._qnext._qprev = bp._qprev;
    else this.#tail = bp._qprev;
    bp._qprev = bp._qnext = null;
    bp._queue = null;
    this.#size--;
    return true;
  }
}
