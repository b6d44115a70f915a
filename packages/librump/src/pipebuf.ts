/**
 * The buffer of a pipe or a fifo (sys_pipe.c's pipe buffer): bytes written and not yet read, in
 * order, up to a size. The kernel never sleeps, so a write that would wait for room fails with
 * EAGAIN; whether an empty buffer means EAGAIN or end of file is the caller's (it knows the writers).
 */
import { errno } from './errno.js';

/** PIPE_BUF: a write of up to this many bytes goes in whole or not at all (POSIX write(2)). */
export const PIPE_BUF = 512;

/** A pipe's or fifo's byte buffer; anonymous pipes (pipe.ts) and rumpvfs's fifofs share it. */
export class PipeBuffer {
  #chunks: Uint8Array[] = [];
  #bytes = 0;

  /**
   * @param size What the buffer holds at most (PIPE_SIZE).
   * @param what Names the object in errors ("pipe", "fifo").
   */
  constructor(readonly size: number, readonly what: string) {}

  /** Bytes waiting to be read. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Copy up to `buf.length` waiting bytes into `buf` and drop them; how many (0 when empty). */
  read(buf: Uint8Array): number {
    let n = 0;
    while (n < buf.length && this.#chunks.length > 0) {
      const c = this.#chunks[0] as Uint8Array;
      const take = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#bytes -= n;
    return n;
  }

  /** Take a copy of what fits of `buf`; EAGAIN when nothing fits, or a PIPE_BUF-sized write would be split. */
  write(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    const room = this.size - this.#bytes;
    if (room <= 0 || (buf.length <= PIPE_BUF && room < buf.length)) throw errno('EAGAIN', `${this.what} is full`);
    const n = Math.min(room, buf.length);
    this.#chunks.push(buf.slice(0, n));
    this.#bytes += n;
    return n;
  }

  /** Drop everything waiting (the last close). */
  clear(): void {
    this.#chunks = [];
    this.#bytes = 0;
  }
}
