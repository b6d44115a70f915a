/** Argument normalisation the way node:fs does it: paths, modes, times, encodings, fds. */
import { fileURLToPath } from 'node:url';
import { decodeName, encodeName, nameHostPath, type Timespec } from '@rumpts/librump';
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';

/** What node:fs accepts as a path. */
export type PathLike = string | Buffer | URL;
/** A path or an open descriptor (readFile, writeFile, appendFile). */
export type PathOrFileDescriptor = PathLike | number;
/** What utimes accepts: seconds since the epoch, a numeric string, or a Date. */
export type TimeLike = number | string | Date;
/** Node's mode argument: a number or an octal string. */
export type Mode = number | string;

/**
 * A path argument as the kernel's path string. Names are bytes: a Buffer path is decoded with
 * librump's decodeName, so bytes that are not valid UTF-8 (a Latin-1 `caf\xe9`) reach the kernel as
 * exactly those bytes; a string is taken as it is (escaped bytes, U+DC80..U+DCFF, included).
 */
export function toPath(p: unknown, name = 'path'): string {
  let s: string;
  if (typeof p === 'string') s = p;
  else if (Buffer.isBuffer(p)) s = decodeName(p);
  else if (p instanceof URL) {
    if (p.protocol !== 'file:') throw invalidArgValue(name, p.href, 'must be a URL of scheme file');
    s = fileURLToPath(p);
  } else throw invalidArgType(name, 'of type string or an instance of Buffer or URL', p);
  if (s.includes('\0')) throw invalidArgValue(name, s, 'must be a string, Uint8Array, or URL without null bytes');
  return s;
}

export function isFd(v: unknown): v is number {
  return typeof v === 'number';
}

export function toFd(fd: unknown): number {
  if (typeof fd !== 'number') throw invalidArgType('fd', 'of type number', fd);
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw outOfRange('fd', '>= 0 && <= 2147483647', fd);
  return fd;
}

/** parseFileMode: numbers as they are, strings as octal. */
export function toMode(m: unknown, def: number, name = 'mode'): number {
  if (m === undefined || m === null) return def;
  if (typeof m === 'string') {
    if (!/^[0-7]+$/.test(m)) throw invalidArgValue(name, m, 'must be a 32-bit unsigned integer or an octal string');
    return parseInt(m, 8);
  }
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 0xffffffff) throw invalidArgType(name, 'a 32-bit unsigned integer or an octal string', m);
  return m;
}

/** toUnixTimestamp, kept as a timespec: Date and seconds (fractions → nanoseconds). */
export function toTimespec(t: unknown, name: string): Timespec {
  let secs: number;
  if (t instanceof Date) {
    // whole milliseconds, exactly (no trip through a float of seconds)
    const ms = t.getTime();
    if (Number.isFinite(ms)) return { sec: Math.floor(ms / 1000), nsec: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
    secs = NaN;
  } else if (typeof t === 'number') secs = t;
  else if (typeof t === 'string' && t.trim() !== '' && Number.isFinite(Number(t))) secs = Number(t);
  else throw invalidArgType(name, 'of type number or an instance of Date', t);
  if (!Number.isFinite(secs)) secs = Date.now() / 1000;
  const sec = Math.floor(secs);
  const nsec = Math.min(999_999_999, Math.round((secs - sec) * 1e9));
  return { sec, nsec };
}

export type Encoding = BufferEncoding | 'buffer' | null | undefined;

interface EncodingOption {
  encoding?: Encoding;
}

/** getOptions: a string is the encoding; an object is read for `encoding`. */
export function encodingOf(opts: unknown, def: Encoding = undefined): Encoding {
  if (typeof opts === 'string') return checkEncoding(opts as Encoding);
  if (opts && typeof opts === 'object' && 'encoding' in opts) return checkEncoding((opts as EncodingOption).encoding);
  return def;
}

function checkEncoding(e: Encoding): Encoding {
  if (e === undefined || e === null || e === 'buffer') return e;
  if (!Buffer.isEncoding(e)) throw invalidArgValue('encoding', e, 'is invalid encoding');
  return e;
}

/** An options object, or {} when a string (encoding) or nothing was given. */
export function objectOf<T extends object>(opts: unknown): Partial<T> {
  return opts && typeof opts === 'object' ? (opts) : {};
}

/** Data for write/writeFile as bytes. */
export function toBytes(data: unknown, encoding: Encoding = 'utf8', name = 'data'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, encoding === null || encoding === undefined || encoding === 'buffer' ? 'utf8' : encoding);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, 'of type string or an instance of Buffer, TypedArray, or DataView', data);
}

/**
 * A path argument for the host's own node:fs: a string holding a kernel name's escaped bytes
 * (U+DC80..U+DCFF) as a Buffer of exactly those bytes (librump nameHostPath) — node:fs would write
 * each as U+FFFD — and anything else as it is (a lone surrogate that stands for no byte is left to node:fs).
 */
export function hostArg(p: unknown): unknown {
  if (typeof p !== 'string') return p;
  try {
    return nameHostPath(p);
  } catch {
    return p;
  }
}

/**
 * A name or path from the kernel as the caller's encoding asks: the string itself (escaped bytes as
 * they are) for UTF-8 or none, its exact bytes (librump encodeName) for 'buffer', those bytes in any
 * other encoding ('hex', 'latin1' …) as node:fs gives them.
 */
export function nameOut(s: string, encoding: Encoding): string | Buffer {
  if (encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8') return s;
  const b = encodeName(s);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  return encoding === 'buffer' ? buf : buf.toString(encoding);
}

/** A Buffer decoded for the caller's encoding choice. */
export function decode(buf: Buffer, encoding: Encoding): string | Buffer {
  return encoding === undefined || encoding === null || encoding === 'buffer' ? buf : buf.toString(encoding);
}

/** Node's validateObject (options objects): a non-null, non-array object. */
export function validateObject(v: unknown, name: string): asserts v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgType(name, 'of type object', v);
}

/** Node's validateBoolean. */
export function validateBoolean(v: unknown, name: string): asserts v is boolean {
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
}

/** Node's validateFunction. */
export function validateFunction(v: unknown, name: string): asserts v is (...args: unknown[]) => unknown {
  if (typeof v !== 'function') throw invalidArgType(name, 'of type function', v);
}

/** Node's validateInteger/validateInt32/validateUint32: a number, an integer, within [min, max]. */
export function validateInteger(v: unknown, name: string, min: number, max: number): asserts v is number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < min || v > max) throw outOfRange(name, `>= ${min} && <= ${max}`, v);
}
