/**
 * struct cg, the cylinder group header (sys/ufs/ffs/fs.h), and the maps that follow it at the
 * offsets it gives: the inode bitmap (1 = used), the fragment bitmap (1 = free), the cluster bitmap
 * (1 = free block) and the cluster summary counts.
 */
import { DiskView } from './bswap.js';

export const CG_MAGIC = 0x00090255;
/** sizeof(struct cg) including padding. */
export const SIZEOF_CG = 176;
/** Offset of cg_frsum[MAXFRAG] (int32 each) and of the maps area cg_space. */
export const CG_FRSUM_OFF = 52;
export const CG_SPACE_OFF = 168;

export const CG_FIELDS = {
  magic: [4, 'i32'],
  old_time: [8, 'i32'],
  cgx: [12, 'u32'],
  old_ncyl: [16, 'i16'],
  old_niblk: [18, 'i16'],
  ndblk: [20, 'i32'],
  cs_ndir: [24, 'i32'],
  cs_nbfree: [28, 'i32'],
  cs_nifree: [32, 'i32'],
  cs_nffree: [36, 'i32'],
  rotor: [40, 'i32'],
  frotor: [44, 'i32'],
  irotor: [48, 'i32'],
  old_btotoff: [84, 'i32'],
  old_boff: [88, 'i32'],
  iusedoff: [92, 'i32'],
  freeoff: [96, 'i32'],
  nextfreeoff: [100, 'i32'],
  clustersumoff: [104, 'i32'],
  clusteroff: [108, 'i32'],
  nclusterblks: [112, 'i32'],
  niblk: [116, 'i32'],
  initediblk: [120, 'u32'],
  time: [136, 'i64'],
} as const satisfies Record<string, readonly [number, 'i16' | 'i32' | 'u32' | 'i64']>;

export type CgField = keyof typeof CG_FIELDS;
export type Cg = { -readonly [K in CgField]: number };

export function decodeCg(b: Uint8Array, le: boolean): Cg {
  const v = new DiskView(b, le);
  const out: Record<string, number> = {};
  for (const [name, [off, kind]] of Object.entries(CG_FIELDS)) {
    out[name] = kind === 'i16' ? v.i16(off) : kind === 'i32' ? v.i32(off) : kind === 'u32' ? v.u32(off) : v.i64(off);
  }
  return out as Cg;
}

/** A cylinder group block edited in place: header fields and the bit maps, in volume byte order. */
export class CgView {
  readonly v: DiskView;
  constructor(
    readonly b: Uint8Array,
    le: boolean,
  ) {
    this.v = new DiskView(b, le);
  }
  get(f: CgField): number {
    const [off, kind] = CG_FIELDS[f];
    return kind === 'i16' ? this.v.i16(off) : kind === 'i32' ? this.v.i32(off) : kind === 'u32' ? this.v.u32(off) : this.v.i64(off);
  }
  set(f: CgField, val: number): void {
    const [off, kind] = CG_FIELDS[f];
    if (kind === 'i16') this.v.setU16(off, val);
    else if (kind === 'i64') this.v.setI64(off, val);
    else if (kind === 'u32') this.v.setU32(off, val);
    else this.v.setI32(off, val);
  }
  add(f: CgField, d: number): void {
    this.set(f, this.get(f) + d);
  }
  frsum(i: number): number {
    return this.v.i32(CG_FRSUM_OFF + 4 * i);
  }
  addFrsum(i: number, d: number): void {
    this.v.setI32(CG_FRSUM_OFF + 4 * i, this.frsum(i) + d);
  }
  /** Bit `i` of the map at byte offset `mapoff`. */
  bit(mapoff: number, i: number): boolean {
    return ((this.b[mapoff + (i >>> 3)] ?? 0) & (1 << (i & 7))) !== 0;
  }
  setBit(mapoff: number, i: number): void {
    const o = mapoff + (i >>> 3);
    this.b[o] = (this.b[o] ?? 0) | (1 << (i & 7));
  }
  clrBit(mapoff: number, i: number): void {
    const o = mapoff + (i >>> 3);
    this.b[o] = (this.b[o] ?? 0) & ~(1 << (i & 7));
  }
  inodeUsed(i: number): boolean {
    return this.bit(this.get('iusedoff'), i);
  }
  fragFree(f: number): boolean {
    return this.bit(this.get('freeoff'), f);
  }
  clusterSum(len: number): number {
    return this.v.i32(this.get('clustersumoff') + 4 * len);
  }
  addClusterSum(len: number, d: number): void {
    const off = this.get('clustersumoff') + 4 * len;
    this.v.setI32(off, this.v.i32(off) + d);
  }
}
