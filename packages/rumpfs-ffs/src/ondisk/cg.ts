/**
 * struct cg, the cylinder group header (sys/ufs/ffs/fs.h), and the maps that follow it at the
 * offsets it gives: the inode bitmap (1 = used), the fragment bitmap (1 = free), the cluster bitmap
 * (1 = free block) and the cluster summary counts.
 */
import { DiskView } from './bswap.js';

/** CG_MAGIC: cg_magic of every valid cylinder-group block. */
export const CG_MAGIC = 0x00090255;
/** sizeof(struct cg) including padding. */
export const SIZEOF_CG = 176;
/** Offset of cg_frsum[MAXFRAG] (int32 each): free fragment runs counted by length. */
export const CG_FRSUM_OFF = 52;
/** Offset of cg_space, where the maps begin (the map offsets in the header point into it). */
export const CG_SPACE_OFF = 168;

/** Byte offsets and types of the struct cg header fields this package reads and writes (NetBSD sys/ufs/ffs/fs.h, struct cg). */
export const CG_FIELDS = {
  /** cg_magic: CG_MAGIC. */
  magic: [4, 'i32'],
  /** cg_old_time: last write time, 32-bit (UFS1). */
  old_time: [8, 'i32'],
  /** cg_cgx: this cylinder group's own index, checked against its position. */
  cgx: [12, 'u32'],
  /** cg_old_ncyl: cylinders in this group (UFS1, historic). */
  old_ncyl: [16, 'i16'],
  /** cg_old_niblk: inode blocks in this group (UFS1, 16-bit). */
  old_niblk: [18, 'i16'],
  /** cg_ndblk: fragments in this group (the last group may be short). */
  ndblk: [20, 'i32'],
  /** cg_cs.cs_ndir: directories in this group. */
  cs_ndir: [24, 'i32'],
  /** cg_cs.cs_nbfree: free whole blocks in this group. */
  cs_nbfree: [28, 'i32'],
  /** cg_cs.cs_nifree: free inodes in this group. */
  cs_nifree: [32, 'i32'],
  /** cg_cs.cs_nffree: free fragments not in a free whole block. */
  cs_nffree: [36, 'i32'],
  /** cg_rotor: where the last block allocation ended (the next search starts here). */
  rotor: [40, 'i32'],
  /** cg_frotor: where the last fragment allocation ended. */
  frotor: [44, 'i32'],
  /** cg_irotor: where the last inode allocation ended. */
  irotor: [48, 'i32'],
  /** cg_old_btotoff: offset of UFS1's historic per-cylinder block totals. */
  old_btotoff: [84, 'i32'],
  /** cg_old_boff: offset of UFS1's historic rotational position table. */
  old_boff: [88, 'i32'],
  /** cg_iusedoff: offset of the inode bitmap (1 = used). */
  iusedoff: [92, 'i32'],
  /** cg_freeoff: offset of the fragment bitmap (1 = free). */
  freeoff: [96, 'i32'],
  /** cg_nextfreeoff: the first byte past the maps. */
  nextfreeoff: [100, 'i32'],
  /** cg_clustersumoff: offset of the cluster summary, int32 counts of free runs by length. */
  clustersumoff: [104, 'i32'],
  /** cg_clusteroff: offset of the cluster bitmap (1 = free whole block). */
  clusteroff: [108, 'i32'],
  /** cg_nclusterblks: whole blocks covered by the cluster bitmap. */
  nclusterblks: [112, 'i32'],
  /** cg_niblk: inodes in this group (fs_ipg). */
  niblk: [116, 'i32'],
  /** cg_initediblk: UFS2 inodes initialised so far; those at or past it read as zero. */
  initediblk: [120, 'u32'],
  /** cg_time: last write time, 64-bit (UFS2). */
  time: [136, 'i64'],
} as const satisfies Record<string, readonly [number, 'i16' | 'i32' | 'u32' | 'i64']>;

/** The name of a struct cg field this package models: a key of CG_FIELDS. */
export type CgField = keyof typeof CG_FIELDS;
/** The CG_FIELDS fields of on-disk type K. */
type CgFieldOf<K> = { [F in CgField]: (typeof CG_FIELDS)[F][1] extends K ? F : never }[CgField];
/** The offset of an int32 field, taken from CG_FIELDS once (the type admits only 'i32' fields). */
function i32Off(f: CgFieldOf<'i32'>): number {
  return CG_FIELDS[f][0];
}
/** The offset of a uint32 field, as i32Off. */
function u32Off(f: CgFieldOf<'u32'>): number {
  return CG_FIELDS[f][0];
}
// The allocator's fields, as numbers fixed when the module loads: no name looked up per access.
const NDBLK = i32Off('ndblk');
const NDIR = i32Off('cs_ndir');
const NBFREE = i32Off('cs_nbfree');
const NIFREE = i32Off('cs_nifree');
const NFFREE = i32Off('cs_nffree');
const ROTOR = i32Off('rotor');
const FROTOR = i32Off('frotor');
const IROTOR = i32Off('irotor');
const IUSEDOFF = i32Off('iusedoff');
const FREEOFF = i32Off('freeoff');
const CLUSTERSUMOFF = i32Off('clustersumoff');
const CLUSTEROFF = i32Off('clusteroff');
const NCLUSTERBLKS = i32Off('nclusterblks');
const INITEDIBLK = u32Off('initediblk');
/** A decoded cylinder-group header: every field of CG_FIELDS. */
export type Cg = { -readonly [K in CgField]: number };

/** Decode the struct cg header of a cylinder-group block in the given byte order, unchecked (the mount checks it). */
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
  /** The block seen through the volume's byte order. */
  readonly v: DiskView;
  /**
   * mapsearch's memo: bytes memoFrom..memoTo of the map at memoMap (the free-fragment map; -1:
   * none) held no free fragment when last searched. Allocation only clears bits; setBit in that
   * range forgets the memo.
   */
  memoMap = -1;
  /** See memoMap. */
  memoFrom = 0;
  /** See memoMap. */
  memoTo = 0;
  constructor(
    /** The cylinder-group block (fs_cgsize bytes), edited in place. */
    readonly b: Uint8Array,
    le: boolean,
  ) {
    this.v = new DiskView(b, le);
  }
  /** Read a header field. */
  get(f: CgField): number {
    // Indexed, not destructured: no iterator made per access before the code is optimised.
    const e = CG_FIELDS[f];
    const off = e[0];
    const kind = e[1];
    return kind === 'i16' ? this.v.i16(off) : kind === 'i32' ? this.v.i32(off) : kind === 'u32' ? this.v.u32(off) : this.v.i64(off);
  }
  /** Write a header field. */
  set(f: CgField, val: number): void {
    const e = CG_FIELDS[f];
    const off = e[0];
    const kind = e[1];
    if (kind === 'i16') this.v.setU16(off, val);
    else if (kind === 'i64') this.v.setI64(off, val);
    else if (kind === 'u32') this.v.setU32(off, val);
    else this.v.setI32(off, val);
  }
  /** Add `d` to a header field (a counter such as cs_nffree). */
  add(f: CgField, d: number): void {
    this.set(f, this.get(f) + d);
  }
  // Direct accessors of the fields the allocator uses on every call (get/set by name cost a
  // table lookup and a type test each, which adds up over a makefs of thousands of files).
  /** cg_ndblk. */
  ndblk(): number {
    return this.v.i32(NDBLK);
  }
  /** cg_cs.cs_nbfree. */
  nbfree(): number {
    return this.v.i32(NBFREE);
  }
  /** cg_cs.cs_nifree. */
  nifree(): number {
    return this.v.i32(NIFREE);
  }
  /** cg_rotor. */
  rotor(): number {
    return this.v.i32(ROTOR);
  }
  /** Set cg_rotor. */
  setRotor(v: number): void {
    this.v.setI32(ROTOR, v);
  }
  /** cg_frotor. */
  frotor(): number {
    return this.v.i32(FROTOR);
  }
  /** Set cg_frotor. */
  setFrotor(v: number): void {
    this.v.setI32(FROTOR, v);
  }
  /** cg_irotor. */
  irotor(): number {
    return this.v.i32(IROTOR);
  }
  /** Set cg_irotor. */
  setIrotor(v: number): void {
    this.v.setI32(IROTOR, v);
  }
  /** cg_iusedoff: where the inode bitmap starts. */
  iusedoff(): number {
    return this.v.i32(IUSEDOFF);
  }
  /** cg_freeoff: where the fragment bitmap starts. */
  freeoff(): number {
    return this.v.i32(FREEOFF);
  }
  /** cg_clusteroff: where the cluster bitmap starts. */
  clusteroff(): number {
    return this.v.i32(CLUSTEROFF);
  }
  /** cg_nclusterblks. */
  nclusterblks(): number {
    return this.v.i32(NCLUSTERBLKS);
  }
  /** cg_initediblk (UFS2). */
  initediblk(): number {
    return this.v.u32(INITEDIBLK);
  }
  /** Set cg_initediblk. */
  setInitediblk(v: number): void {
    this.v.setU32(INITEDIBLK, v);
  }
  /** Add to the cg_cs counters (ffs_alloc's summary update; zero leaves a counter alone). */
  addCs(ndir: number, nbfree: number, nifree: number, nffree: number): void {
    const v = this.v;
    if (ndir) v.setI32(NDIR, v.i32(NDIR) + ndir);
    if (nbfree) v.setI32(NBFREE, v.i32(NBFREE) + nbfree);
    if (nifree) v.setI32(NIFREE, v.i32(NIFREE) + nifree);
    if (nffree) v.setI32(NFFREE, v.i32(NFFREE) + nffree);
  }
  /** cg_frsum[i]: free fragment runs of length `i` (1..frag-1) outside free whole blocks. */
  frsum(i: number): number {
    return this.v.i32(CG_FRSUM_OFF + 4 * i);
  }
  /** Add `d` to cg_frsum[i]. */
  addFrsum(i: number, d: number): void {
    this.v.setI32(CG_FRSUM_OFF + 4 * i, this.frsum(i) + d);
  }
  /** Bit `i` of the map at byte offset `mapoff`. */
  bit(mapoff: number, i: number): boolean {
    return ((this.b[mapoff + (i >>> 3)] ?? 0) & (1 << (i & 7))) !== 0;
  }
  /** Set bit `i` of the map at byte offset `mapoff`. */
  setBit(mapoff: number, i: number): void {
    if (mapoff === this.memoMap && i >>> 3 >= this.memoFrom && i >>> 3 < this.memoTo) this.memoMap = -1;
    const o = mapoff + (i >>> 3);
    this.b[o] = (this.b[o] ?? 0) | (1 << (i & 7));
  }
  /** Clear bit `i` of the map at byte offset `mapoff`. */
  clrBit(mapoff: number, i: number): void {
    const o = mapoff + (i >>> 3);
    this.b[o] = (this.b[o] ?? 0) & ~(1 << (i & 7));
  }
  /** Whether inode `i` of this group (relative to the group's first inode) is in use (the cg_iusedoff map). */
  inodeUsed(i: number): boolean {
    return this.bit(this.v.i32(IUSEDOFF), i);
  }
  /** Whether fragment `f` of this group (relative to the group's start) is free (the cg_freeoff map). */
  fragFree(f: number): boolean {
    return this.bit(this.v.i32(FREEOFF), f);
  }
  /**
   * The cluster summary count of free runs of `len` whole blocks (len up to fs_contigsumsize, the last counting
   * longer runs too).
   */
  clusterSum(len: number): number {
    return this.v.i32(this.v.i32(CLUSTERSUMOFF) + 4 * len);
  }
  /** Add `d` to the cluster summary count for runs of `len` blocks. */
  addClusterSum(len: number, d: number): void {
    const off = this.v.i32(CLUSTERSUMOFF) + 4 * len;
    this.v.setI32(off, this.v.i32(off) + d);
  }
}
