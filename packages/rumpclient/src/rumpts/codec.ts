/**
 * The value codec of the rumpts protocol (docs/protocol.md §4): a tagged, little-endian encoding of
 * the values syscalls take and return — numbers, strings, bytes, arrays, maps and a fixed-layout
 * struct stat. Decoding is bounds-checked everywhere; a violation is a ProtocolError, which closes
 * the connection (the peer is not speaking the protocol).
 */
import { decodeName, encodeName, type Stat } from '@rumpts/librump';
import { ProtocolError } from '../errors.js';

export { ProtocolError };

export const T_NULL = 0x00;
export const T_FALSE = 0x01;
export const T_TRUE = 0x02;
export const T_I32 = 0x03;
export const T_F64 = 0x04;
export const T_STR = 0x05;
export const T_BYTES = 0x06;
export const T_ARRAY = 0x07;
export const T_MAP = 0x08;
export const T_STAT = 0x09;

/** Nesting limit for arrays/maps, so a hostile frame cannot recurse deeply. */
export const MAX_DEPTH = 8;

/** A value that can cross the wire. */
export type WireValue = null | boolean | number | string | Uint8Array | Stat | readonly WireValue[] | { readonly [k: string]: WireValue };


const STAT_NUMS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blocks', 'blksize', 'flags', 'gen'] as const;
const STAT_TIMES = ['atime', 'mtime', 'ctime', 'birthtime'] as const;
/** 12 f64 fields + 4 × (f64 sec + u32 nsec). */
const STAT_BYTES = STAT_NUMS.length * 8 + STAT_TIMES.length * 12;

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Any UTF-16 surrogate: only such a string may hold escaped bytes (a name's bytes that are not UTF-8). */
const SURROGATE = /[\uD800-\uDFFF]/;

/** An append-only buffer that grows by doubling. */
export class Writer {
  /** The bytes written so far are [0, pos). */
  buf: Buffer;
  /** Where the next value goes. */
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  /** Append a u8. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Append a little-endian u16. */
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  /** Append a little-endian u32. */
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** Append a little-endian i32. */
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** Append a little-endian f64. */
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Append raw bytes (no tag or length). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The tag and length of a bytes value of `n` bytes, without the bytes (they may follow apart). */
  bytesHead(n: number): void {
    this.u8(T_BYTES);
    this.u32(n);
  }

  /**
   * u32 byte length + the string's bytes: UTF-8, and a name's escaped bytes (U+DC80..U+DCFF, librump
   * names.ts) as themselves. A lone surrogate that stands for no byte goes as U+FFFD (UTF-8 has no
   * form for it): writing a value never fails half-way through a frame.
   */
  str(s: string): void {
    let b: Uint8Array | null = null;
    if (SURROGATE.test(s)) {
      try {
        b = encodeName(s);
      } catch {
        b = null;
      }
    }
    if (b !== null) {
      this.ensure(4 + b.length);
      this.buf.writeUInt32LE(b.length, this.pos);
      this.buf.set(b, this.pos + 4);
      this.pos += 4 + b.length;
      return;
    }
    const max = s.length * 3;
    this.ensure(4 + max);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }

  /** Append a tagged value (null, booleans, numbers, strings, bytes, a Stat, arrays, objects). */
  value(v: WireValue | undefined, depth = 0): void {
    if (depth > MAX_DEPTH) throw new ProtocolError('value nested too deeply');
    if (v === null || v === undefined) return this.u8(T_NULL);
    switch (typeof v) {
      case 'boolean':
        return this.u8(v ? T_TRUE : T_FALSE);
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.u8(T_I32);
          return this.i32(v);
        }
        this.u8(T_F64);
        return this.f64(v);
      case 'string':
        this.u8(T_STR);
        return this.str(v);
      default:
        break;
    }
    if (v instanceof Uint8Array) {
      this.bytesHead(v.length);
      return this.bytes(v);
    }
    if (Array.isArray(v)) {
      const a = v as readonly WireValue[];
      this.u8(T_ARRAY);
      this.u32(a.length);
      for (const x of a) this.value(x, depth + 1);
      return;
    }
    if (isStat(v)) return this.stat(v);
    const o = v as { readonly [k: string]: WireValue };
    const keys = Object.keys(o).filter((k) => o[k] !== undefined);
    this.u8(T_MAP);
    this.u32(keys.length);
    for (const k of keys) {
      this.str(k);
      this.value(o[k], depth + 1);
    }
  }

  /** Append a tagged Stat. */
  stat(s: Stat): void {
    this.u8(T_STAT);
    this.ensure(STAT_BYTES);
    const b = this.buf;
    let p = this.pos;
    for (const k of STAT_NUMS) {
      b.writeDoubleLE(s[k], p);
      p += 8;
    }
    for (const k of STAT_TIMES) {
      b.writeDoubleLE(s[k].sec, p);
      b.writeUInt32LE(s[k].nsec, p + 8);
      p += 12;
    }
    this.pos = p;
  }
}

function isStat(v: object): v is Stat {
  const o = v as Partial<Stat>;
  return typeof o.ino === 'number' && typeof o.mode === 'number' && typeof o.nlink === 'number' && typeof o.mtime === 'object' && typeof o.birthtime === 'object';
}

/** A bounds-checked reader over one frame body. */
export class Reader {
  /** The next byte to read. */
  pos: number;

  constructor(
    /** The frame. */
    readonly buf: Buffer,
    start = 0,
    /** Where the body ends (the frame's end by default). */
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Throw ProtocolError unless `n` more bytes are there. */
  need(n: number): void {
    if (this.pos + n > this.end) throw new ProtocolError(`truncated body: need ${n} bytes at ${this.pos}, frame ends at ${this.end}`);
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Read a u8. */
  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  /** Read a little-endian u16. */
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  /** Read a little-endian u32. */
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Read a little-endian i32. */
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Read a little-endian f64. */
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A copy of the next n bytes (the frame buffer is reused). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /**
   * Read a u32 length and that many bytes: UTF-8 text, or a name whose bytes are not all valid UTF-8
   * (each stray byte becomes U+DC00 + byte, librump decodeName — never U+FFFD, never an error).
   */
  str(): string {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    let s: string;
    try {
      s = utf8.decode(b);
    } catch {
      s = decodeName(b);
    }
    this.pos += n;
    return s;
  }

  /** Read a tagged value (nesting bounded by MAX_DEPTH). */
  value(depth = 0): WireValue {
    if (depth > MAX_DEPTH) throw new ProtocolError('value nested too deeply');
    const tag = this.u8();
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_I32:
        return this.i32();
      case T_F64:
        return this.f64();
      case T_STR:
        return this.str();
      case T_BYTES:
        return this.bytes(this.u32());
      case T_ARRAY: {
        const n = this.u32();
        // Every element takes at least one byte: a count beyond the body is a lie.
        if (n > this.remaining) throw new ProtocolError(`array of ${n} elements in ${this.remaining} bytes`);
        const a: WireValue[] = [];
        for (let i = 0; i < n; i++) a.push(this.value(depth + 1));
        return a;
      }
      case T_MAP: {
        const n = this.u32();
        if (n * 5 > this.remaining) throw new ProtocolError(`map of ${n} entries in ${this.remaining} bytes`);
        const o: Record<string, WireValue> = Object.create(null) as Record<string, WireValue>;
        for (let i = 0; i < n; i++) {
          const k = this.str();
          o[k] = this.value(depth + 1);
        }
        return o;
      }
      case T_STAT:
        return this.stat();
      default:
        throw new ProtocolError(`unknown value tag 0x${tag.toString(16)}`);
    }
  }

  /** Read a tagged Stat. */
  stat(): Stat {
    this.need(STAT_BYTES);
    const b = this.buf;
    let p = this.pos;
    const s: Record<string, unknown> = {};
    for (const k of STAT_NUMS) {
      s[k] = b.readDoubleLE(p);
      p += 8;
    }
    for (const k of STAT_TIMES) {
      s[k] = { sec: b.readDoubleLE(p), nsec: b.readUInt32LE(p + 8) };
      p += 12;
    }
    this.pos = p;
    return s as unknown as Stat;
  }
}
