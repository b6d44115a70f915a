/**
 * The read-ahead thread's request channel (readahead.ts), driven directly: host paths of every
 * length up to PATH_MAX and past it, names with multi-byte UTF-8 and names that are not UTF-8 at
 * all, and more requests than the channel holds. Whatever the thread does with a request, every
 * take() answers for the file asked for in that place: its bytes and mode, or null (the caller's).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../src/fsu/readahead.js';
import { tmp } from './helpers.js';

/** Linux's PATH_MAX: the longest path open(2) takes is one byte less. */
const PATH_MAX = 4096;

/** Block this thread for `ms` (the read-ahead thread keeps running). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The file at `p`, or null if it cannot be read. */
function readOrNull(p: string): Buffer | null {
  try {
    return readFileSync(p);
  } catch {
    return null;
  }
}

/**
 * Take `paths` (asked for in this order) and check each answer against the file itself, which the
 * caller reads when the answer is null (as fsu put does); the number of files the thread read.
 */
function takeAll(ra: ReadAhead, paths: string[]): number {
  let fromThread = 0;
  for (const p of paths) {
    const got = ra.take();
    try {
      if (got === null) {
        readOrNull(p);
        continue;
      }
      fromThread++;
      expect(Buffer.from(got.data).equals(readFileSync(p)), p).toBe(true);
      expect(got.mode).toBe(lstatSync(p).mode & 0o7777);
    } finally {
      ra.release();
    }
  }
  return fromThread;
}

/** A started read-ahead thread (worker threads are always there in the Node versions we support). */
function start(spinMs?: number): ReadAhead {
  const ra = ReadAhead.start(spinMs);
  if (ra === null) throw new Error('no read-ahead thread');
  return ra;
}

describe('read-ahead request channel', () => {
  it('keeps every request in its place: paths of every length to PATH_MAX and beyond, and a full channel', () => {
    const base = tmp();
    // Paths of every length from the shortest up to PATH_MAX - 1, all naming files in `base`: a
    // chain of 200-byte components, each a symbolic link to its own directory, then a name.
    const link = 'd'.repeat(200);
    symlinkSync('.', join(base, link));
    const made = new Set<number>();
    const paths: string[] = [];
    for (let len = base.length + 2; len < PATH_MAX; len++) {
      let dir = base;
      while (dir.length + 1 + link.length + 2 <= len) dir = `${dir}/${link}`;
      const n = len - dir.length - 1;
      // Every third name is two-byte UTF-8 (é), padded to the same byte length.
      const name = n % 3 === 0 && n >= 2 ? 'é'.repeat(n >> 1) + (n % 2 === 1 ? 'a' : '') : 'f'.repeat(n);
      if (!made.has(n)) {
        writeFileSync(join(base, name), `${n}\n`.repeat(n % 7), { mode: n % 2 === 0 ? 0o644 : 0o600 });
        made.add(n);
      }
      const p = `${dir}/${name}`;
      if (Buffer.byteLength(p) !== len) throw new Error(`${p}: not ${len} bytes`);
      paths.push(p);
    }
    expect(paths.length).toBe(PATH_MAX - base.length - 2);
    // Too long for open(2) (it names file 'f' but fails ENAMETOOLONG), and too long for the
    // channel: both the caller's.
    const tooLong = [`${base}/${`${link}/`.repeat(21)}f`, `${base}/${'z/'.repeat(20_000)}z`];
    expect(Buffer.byteLength(tooLong[0] as string)).toBeGreaterThanOrEqual(PATH_MAX);
    expect(() => readFileSync(tooLong[0] as string)).toThrow(/ENAMETOOLONG/);
    const all = [...paths.slice(0, 1000), ...tooLong, ...paths.slice(1000)];

    const ra = start();
    try {
      // All at once, most likely before the thread has started: more bytes than the channel
      // holds, so some are never sent and the caller reads them.
      ra.request(all);
      takeAll(ra, all.slice(0, 1000));
      for (let i = 0; i < 2; i++) {
        expect(ra.take()).toBeNull();
        ra.release();
      }
      takeAll(ra, all.slice(1002));
      expect(ra.balanced).toBe(true);
      // In runs the channel holds, with the thread running: it reads some or all of them.
      pause(100);
      let fromThread = 0;
      for (let i = 0; i < all.length; i += 64) {
        const run = all.slice(i, i + 64);
        ra.request(run);
        fromThread += takeAll(ra, run);
      }
      expect(ra.balanced).toBe(true);
      expect(fromThread).toBeGreaterThan(0);
    } finally {
      ra.close();
    }
  });

  it('reads names with multi-byte UTF-8 and hands back names that are not UTF-8', () => {
    const dir = join(tmp(), 'names');
    mkdirSync(dir);
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `${String(i).padStart(3, '0')}-é😀ü`), `file ${i}\n`.repeat(i % 50));
    // Host names are bytes: 0xff 0xfe is no UTF-8, so readdir's string (U+FFFD) names no file.
    for (let i = 0; i < 3; i++) writeFileSync(Buffer.concat([Buffer.from(`${dir}/${150 + i}-`), Buffer.from([0xff, 0xfe])]), 'bytes\n');
    const paths = readdirSync(dir)
      .sort()
      .map((n) => join(dir, n));
    expect(paths.length).toBe(303);
    const ra = start();
    try {
      pause(100);
      ra.request(paths);
      pause(100);
      let fromThread = 0;
      for (const p of paths) {
        const got = ra.take();
        try {
          if (p.includes('\uFFFD')) {
            expect(got).toBeNull();
            expect(() => readFileSync(p)).toThrow(/ENOENT/);
          } else if (got !== null) {
            fromThread++;
            expect(Buffer.from(got.data).toString()).toBe(readFileSync(p, 'utf8'));
          }
        } finally {
          ra.release();
        }
      }
      expect(fromThread).toBeGreaterThan(0);
      expect(ra.balanced).toBe(true);
    } finally {
      ra.close();
    }
  });

  it('stays in step when it gives up on files the thread is still reading', () => {
    const dir = tmp();
    const paths: string[] = [];
    for (let i = 0; i < 60; i++) {
      const p = join(dir, `f${i}`);
      writeFileSync(p, Buffer.alloc((i * 9973) % 250_000, i & 0xff));
      paths.push(p);
    }
    // No spinning: a file the thread has claimed and not written out yet is the caller's at once,
    // and the thread's record of it is skipped when it comes. Runs taken without a pause until
    // that has happened, then runs checked file by file: they still come from the thread, in step.
    const ra = start(0);
    try {
      pause(100);
      let after = 0;
      for (let round = 0; round < 2000 && after === 0; round++) {
        const run = paths.slice((round * 20) % 60, ((round * 20) % 60) + 20);
        ra.request(run);
        if (ra.gaveUp === 0) {
          for (let i = 0; i < run.length; i++) {
            // About as long as the thread takes over a file, so that they meet.
            for (const t = performance.now(); performance.now() - t < 0.03; );
            ra.take();
            ra.release();
          }
        } else after += takeAll(ra, run);
      }
      expect(ra.gaveUp).toBeGreaterThan(0);
      expect(after).toBeGreaterThan(0);
      expect(ra.balanced).toBe(true);
    } finally {
      ra.close();
    }
  });
});
