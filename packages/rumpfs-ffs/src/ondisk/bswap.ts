/**
 * Byte order of an FFS volume (FFS_EI): a volume is written in either order, and the kernel decides
 * once per mount from which form of the superblock magic matched (fs.h FS_UFS*_MAGIC[_SWAPPED]).
 * Every codec takes the resulting `le` flag; nothing else in the package touches byte order.
 */
import { errno } from '@rumpts/librump';

/** The largest integer a JS number holds exactly; 64-bit on-disk values above it are refused. */
const SAFE_HI = 0x200000; // 2^53 / 2^32

/** Is this host little-endian (the order of a typed array's elements in memory)? */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The 32-bit words of `b` as an Int32Array over the same memory, when the volume's byte order is the
 * host's (a word is then the on-disk value without a swap), or null when it is not (or `b` is not
 * word-aligned): hot loops compare whole arrays of on-disk words without a call per word.
 */
export function nativeWords(b: Uint8Array, le: boolean): Int32Array | null {
  if (le !== HOST_LE || b.byteOffset % 4 !== 0 || b.byteLength % 4 !== 0) return null;
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** A view over on-disk bytes in the volume's byte order. */
export class DiskView {
  /** A DataView over `bytes`. */
  readonly dv: DataView;
  constructor(
    /** The on-disk bytes viewed (not copied). */
    readonly bytes: Uint8Array,
    /** The volume's byte order: true = little-endian (the FFS_EI decision). */
    readonly le: boolean,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** The uint8 at `off`. */
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  /** The int8 at `off`. */
  i8(off: number): number {
    return this.dv.getInt8(off);
  }
  /** The uint16 at `off`, in volume byte order. */
  u16(off: number): number {
    return this.dv.getUint16(off, this.le);
  }
  /** The int16 at `off`, in volume byte order. */
  i16(off: number): number {
    return this.dv.getInt16(off, this.le);
  }
  /** The uint32 at `off`, in volume byte order. */
  u32(off: number): number {
    return this.dv.getUint32(off, this.le);
  }
  /** The int32 at `off`, in volume byte order. */
  i32(off: number): number {
    return this.dv.getInt32(off, this.le);
  }
  /** An unsigned 64-bit field as a number; values past 2^53 become NaN so validation rejects them. */
  u64(off: number): number {
    return u64At(this.dv, off, this.le);
  }
  /** A signed 64-bit field as a number; magnitudes past 2^53 become NaN. */
  i64(off: number): number {
    return i64At(this.dv, off, this.le);
  }
  /** Store the low 8 bits of `v` at `off`. */
  setU8(off: number, v: number): void {
    this.dv.setUint8(off, v & 0xff);
  }
  /** Store the low 16 bits of `v` at `off`, in volume byte order. */
  setU16(off: number, v: number): void {
    this.dv.setUint16(off, v & 0xffff, this.le);
  }
  /** Store `v` as an int32 at `off`, in volume byte order. */
  setI32(off: number, v: number): void {
    this.dv.setInt32(off, v | 0, this.le);
  }
  /** Store `v` as a uint32 at `off`, in volume byte order. */
  setU32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, this.le);
  }
  /** Store a safe integer as a signed 64-bit field at `off`, in volume byte order. */
  setI64(off: number, v: number): void {
    setI64At(this.dv, off, v, this.le);
  }
}

/** Store a safe integer as a (signed) 64-bit field. */
export function setI64At(dv: DataView, off: number, v: number, le: boolean): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v - hi * 0x1_0000_0000;
  dv.setUint32(off + (le ? 0 : 4), lo >>> 0, le);
  dv.setInt32(off + (le ? 4 : 0), hi | 0, le);
}

/*
 * The 64-bit readers return a value below 2^32 as the 32-bit read itself: the same number, but V8
 * keeps it a small integer rather than the double the arithmetic makes, so block-pointer arrays and
 * dinode fields decoded from disk have the same elements kind and field representation as ones
 * built in memory (mixing them made the hot paths polymorphic and deoptimized them).
 */
export function u64At(dv: DataView, off: number, le: boolean): number {
  const lo = dv.getUint32(off + (le ? 0 : 4), le);
  const hi = dv.getUint32(off + (le ? 4 : 0), le);
  if (hi === 0) return lo;
  return hi >= SAFE_HI ? NaN : hi * 0x1_0000_0000 + lo;
}

export function i64At(dv: DataView, off: number, le: boolean): number {
  const lo = dv.getUint32(off + (le ? 0 : 4), le);
  const hi = dv.getInt32(off + (le ? 4 : 0), le);
  if (hi === 0) return lo;
  if (hi >= SAFE_HI || hi < -SAFE_HI) return NaN;
  return hi * 0x1_0000_0000 + lo;
}

/** A number that must be an exact, non-negative integer (a size or address read from disk). */
export function checkSafe(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw errno('EFTYPE', `ffs: ${what} is out of range (${v})`);
  return v;
}
