/** Small helpers the conformance cases share. */
import { expect } from 'vitest';
import { type ErrnoCode, isRumpError, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, type Proc, type Stat, type Timespec } from '@rumpts/librump';

/** The call must fail with exactly this errno (a RumpError, not any other exception). */
export function expectErrno(code: ErrnoCode, fn: () => unknown, what = ''): void {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (!isRumpError(e)) throw e;
    expect(e.code, `${what}: ${e.message}`).toBe(code);
    return;
  }
  expect.unreachable(`${what}: expected ${code}, but the call succeeded${typeof result === 'number' || typeof result === 'string' ? ` (returned ${result})` : ''}`);
}

/** Run fn; if it throws, the error must be a RumpError (never a crash). Returns whether it worked. */
export function tryCall(fn: () => unknown): { ok: true } | { ok: false; code: string } {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    if (!isRumpError(e)) throw e;
    return { ok: false, code: e.code };
  }
}

/** `base/tail`, without doubling the slash when base is '/'. */
export function md(base: string, tail: string): string {
  return base.endsWith('/') ? `${base}${tail}` : `${base}/${tail}`;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A deterministic byte pattern (so a mismatch is seen, and no two regions look alike). */
export function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Create (or truncate) a file holding `data`. */
export function writeFile(p: Proc, path: string, data: Uint8Array, mode = 0o644): void {
  const fd = p.open(path, O_RDWR | O_CREAT | O_TRUNC, mode);
  try {
    let off = 0;
    while (off < data.length) off += p.write(fd, data.subarray(off));
  } finally {
    p.close(fd);
  }
}

/** Read a whole file through read(2) until end of file. */
export function readFile(p: Proc, path: string): Uint8Array {
  const fd = p.open(path, O_RDONLY);
  try {
    return readFd(p, fd);
  } finally {
    p.close(fd);
  }
}

export function readFd(p: Proc, fd: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = p.read(fd, buf);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Every name in a directory, through getdents in batches of `count` bytes. */
export function listDir(p: Proc, path: string, count = 4096): string[] {
  const fd = p.open(path, O_RDONLY);
  const names: string[] = [];
  try {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const ents = p.getdents(fd, count);
      if (ents.length === 0) return names;
      for (const e of ents) names.push(e.name);
    }
    throw new Error(`getdents of ${path} never reached the end`);
  } finally {
    p.close(fd);
  }
}

/** Compare byte arrays with a readable failure (first differing offset). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i, `${what}: first differing byte`).toBe(actual.length);
}

/** Stat without the times a lookup may legitimately touch. */
export function statNoAtime(st: Stat): Omit<Stat, 'atime'> {
  const { atime: _atime, ...rest } = st;
  return rest;
}

/**
 * A stored time against the one set: exact (nanoseconds too when `nsec`), or, for a file system that
 * rounds (FAT: 2 s, access dates), at most `resolution` seconds earlier and never later.
 */
export function expectTime(got: Timespec, want: Timespec, resolution: number, nsec: boolean, what: string): void {
  if (resolution <= 0) {
    expect(got.sec, what).toBe(want.sec);
    if (nsec) expect(got.nsec, what).toBe(want.nsec);
    return;
  }
  expect(got.sec, `${what} never later than set`).toBeLessThanOrEqual(want.sec);
  expect(want.sec - got.sec, `${what} rounded by less than ${resolution} s`).toBeLessThan(resolution);
}
