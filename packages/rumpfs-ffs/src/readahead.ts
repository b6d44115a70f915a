/**
 * Read-ahead for regular file data (what UBC's read-ahead and cluster reads do for NetBSD): a
 * small read that continues the previous one on the same file brings in the whole run of the
 * file's blocks that follow each other on disk — up to RA_MAX bytes — in one device read, and the
 * next small reads are served from it. Large reads go straight to the caller's buffer as before.
 * A few windows per mount (RA_WINDOWS), each holding device bytes of one inode's blocks only;
 * any write or truncate of that inode drops its window, so a window never holds stale bytes.
 */
import { pageAlignedBuffer } from '@rumpts/rumpdev-disk';
import type { Inode } from './inode.js';

/** Bytes brought in by one read-ahead. */
export const RA_MAX = 256 * 1024;
/** Reads at least this large are not read ahead (they already make large device reads). */
export const RA_SMALL = 32 * 1024;
const RA_WINDOWS = 4;

interface Window {
  ino: number;
  /** Device bytes [dev, dev + len) of the inode's blocks, file bytes [file, file + len). */
  dev: number;
  file: number;
  len: number;
  data: Uint8Array;
}

export class ReadAhead {
  readonly #w: Window[] = [];
  /** Where the last read of each recently read inode ended (sequential detection). */
  readonly #next = new Map<number, number>();

  /** Whether a read of `ino` at file offset `offset` continues its previous one. */
  sequential(ino: number, offset: number): boolean {
    return offset === 0 || this.#next.get(ino) === offset;
  }

  /** Note that a read of `ino` ended at file offset `end`. */
  readTo(ino: number, end: number): void {
    // (Insertion order is only roughly recency: enough to bound the map.)
    if (this.#next.size >= 64 && !this.#next.has(ino)) this.#next.delete(this.#next.keys().next().value as number);
    this.#next.set(ino, end);
  }

  /** The window of `ino` holding device bytes [dev, dev+len), or null. */
  find(ino: number, dev: number, len: number): Window | null {
    for (const w of this.#w) if (w.ino === ino && dev >= w.dev && dev + len <= w.dev + w.len) return w;
    return null;
  }

  /** The window of `ino` holding file bytes [off, off+len), or null (the fast path: no bmap). */
  findFile(ino: number, off: number, len: number): Window | null {
    for (const w of this.#w) if (w.ino === ino && off >= w.file && off + len <= w.file + w.len) return w;
    return null;
  }

  /** A window to fill for `ino` (the oldest one is reused). */
  take(ino: number): Window {
    let w = this.#w.length < RA_WINDOWS ? null : this.#w.shift()!;
    // Page-aligned: the host copies a read into it three times as fast as into a plain buffer this
    // large, which lands 16 bytes past a page boundary (rumpdev-disk's pagebuf.ts).
    w ??= { ino, dev: 0, file: 0, len: 0, data: pageAlignedBuffer(RA_MAX) };
    w.ino = ino;
    w.len = 0;
    this.#w.push(w);
    return w;
  }

  /** `ino` was written or truncated: forget what was read ahead of it. */
  invalidate(ino: number): void {
    for (const w of this.#w) if (w.ino === ino) w.len = 0;
  }
}

/** Drop the read-ahead of `ip` (its data is about to change). */
export function raInvalidate(ip: Inode): void {
  ip.ump.readahead.invalidate(ip.ino);
}
