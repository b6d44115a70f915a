/**
 * On-disk inodes (sys/ufs/ufs/dinode.h): struct ufs1_dinode (128 bytes) and struct ufs2_dinode
 * (256 bytes), decoded into one in-core shape. Times are kept with nanoseconds; UFS1 has no birth
 * time (NetBSD reports 0).
 */
import type { Timespec } from '@rumpts/librump';
import { DiskView } from './bswap.js';
import { UFS_NDADDR, UFS_NIADDR } from './geometry.js';

export const UFS1_DINODE_SIZE = 128;
export const UFS2_DINODE_SIZE = 256;

/** Field offsets of struct ufs1_dinode. */
export const UFS1_FIELDS = {
  mode: 0, nlink: 2, ouid: 4, ogid: 6, size: 8,
  atime: 16, atimensec: 20, mtime: 24, mtimensec: 28, ctime: 32, ctimensec: 36,
  db: 40, ib: 88, flags: 100, blocks: 104, gen: 108, uid: 112, gid: 116, modrev: 120,
} as const;

/** Field offsets of struct ufs2_dinode. */
export const UFS2_FIELDS = {
  mode: 0, nlink: 2, uid: 4, gid: 8, blksize: 12, size: 16, blocks: 24,
  atime: 32, mtime: 40, ctime: 48, birthtime: 56,
  mtimensec: 64, atimensec: 68, ctimensec: 72, birthnsec: 76,
  gen: 80, kernflags: 84, flags: 88, extsize: 92, extb: 96, db: 112, ib: 208, modrev: 232,
} as const;

/** The bytes of the block-pointer area, where a short symlink keeps its target (db + ib). */
export const UFS1_SHORTLINK = { off: UFS1_FIELDS.db, len: (UFS_NDADDR + UFS_NIADDR) * 4 } as const;
export const UFS2_SHORTLINK = { off: UFS2_FIELDS.db, len: (UFS_NDADDR + UFS_NIADDR) * 8 } as const;

export interface Dinode {
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** NaN if the on-disk value does not fit a safe integer (caught when the inode is loaded). */
  size: number;
  /** DEV_BSIZE units. */
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
  flags: number;
  gen: number;
  /** Direct block pointers (fragment addresses; 0 = hole). db[0] is the device number of a VBLK/VCHR. */
  db: number[];
  /** Single, double, triple indirect block pointers. */
  ib: number[];
  /** The raw block-pointer area (60 or 120 bytes), for short symlinks. */
  shortlink: Uint8Array;
}

/** Decode one UFS1 dinode; `oldids` selects the FS_42INODEFMT owner fields. */
export function decodeDinode1(b: Uint8Array, le: boolean, oldids: boolean): Dinode {
  const v = new DiskView(b, le);
  const F = UFS1_FIELDS;
  const db: number[] = [];
  for (let i = 0; i < UFS_NDADDR; i++) db.push(v.i32(F.db + 4 * i));
  const ib: number[] = [];
  for (let i = 0; i < UFS_NIADDR; i++) ib.push(v.i32(F.ib + 4 * i));
  return {
    mode: v.u16(F.mode),
    nlink: v.i16(F.nlink),
    uid: oldids ? v.u16(F.ouid) : v.u32(F.uid),
    gid: oldids ? v.u16(F.ogid) : v.u32(F.gid),
    size: v.u64(F.size),
    blocks: v.u32(F.blocks),
    atime: { sec: v.i32(F.atime), nsec: v.i32(F.atimensec) },
    mtime: { sec: v.i32(F.mtime), nsec: v.i32(F.mtimensec) },
    ctime: { sec: v.i32(F.ctime), nsec: v.i32(F.ctimensec) },
    birthtime: { sec: 0, nsec: 0 },
    flags: v.u32(F.flags),
    gen: v.i32(F.gen),
    db,
    ib,
    shortlink: b.slice(UFS1_SHORTLINK.off, UFS1_SHORTLINK.off + UFS1_SHORTLINK.len),
  };
}

/** Decode one UFS2 dinode. */
export function decodeDinode2(b: Uint8Array, le: boolean): Dinode {
  const v = new DiskView(b, le);
  const F = UFS2_FIELDS;
  const db: number[] = [];
  for (let i = 0; i < UFS_NDADDR; i++) db.push(v.i64(F.db + 8 * i));
  const ib: number[] = [];
  for (let i = 0; i < UFS_NIADDR; i++) ib.push(v.i64(F.ib + 8 * i));
  return {
    mode: v.u16(F.mode),
    nlink: v.i16(F.nlink),
    uid: v.u32(F.uid),
    gid: v.u32(F.gid),
    size: v.u64(F.size),
    blocks: v.u64(F.blocks),
    atime: { sec: v.i64(F.atime), nsec: v.i32(F.atimensec) },
    mtime: { sec: v.i64(F.mtime), nsec: v.i32(F.mtimensec) },
    ctime: { sec: v.i64(F.ctime), nsec: v.i32(F.ctimensec) },
    birthtime: { sec: v.i64(F.birthtime), nsec: v.i32(F.birthnsec) },
    flags: v.u32(F.flags),
    gen: v.i32(F.gen),
    db,
    ib,
    shortlink: b.slice(UFS2_SHORTLINK.off, UFS2_SHORTLINK.off + UFS2_SHORTLINK.len),
  };
}

/**
 * Encode `d` over the UFS1 dinode bytes `b` (128 bytes). The block-pointer area is written from
 * db/ib, or from `shortlink` when `inlineLink` (a fast symlink keeps its target there).
 */
export function encodeDinode1(d: Dinode, b: Uint8Array, le: boolean, oldids: boolean, inlineLink: boolean): void {
  const v = new DiskView(b, le);
  const F = UFS1_FIELDS;
  v.setU16(F.mode, d.mode);
  v.setU16(F.nlink, d.nlink);
  if (oldids) {
    v.setU16(F.ouid, d.uid);
    v.setU16(F.ogid, d.gid);
  } else {
    v.setU32(F.uid, d.uid);
    v.setU32(F.gid, d.gid);
  }
  v.setI64(F.size, d.size);
  v.setI32(F.atime, d.atime.sec);
  v.setI32(F.atimensec, d.atime.nsec);
  v.setI32(F.mtime, d.mtime.sec);
  v.setI32(F.mtimensec, d.mtime.nsec);
  v.setI32(F.ctime, d.ctime.sec);
  v.setI32(F.ctimensec, d.ctime.nsec);
  if (inlineLink) {
    b.fill(0, UFS1_SHORTLINK.off, UFS1_SHORTLINK.off + UFS1_SHORTLINK.len);
    b.set(d.shortlink.subarray(0, UFS1_SHORTLINK.len), UFS1_SHORTLINK.off);
  } else {
    for (let i = 0; i < UFS_NDADDR; i++) v.setI32(F.db + 4 * i, d.db[i] ?? 0);
    for (let i = 0; i < UFS_NIADDR; i++) v.setI32(F.ib + 4 * i, d.ib[i] ?? 0);
  }
  v.setU32(F.flags, d.flags);
  v.setU32(F.blocks, d.blocks);
  v.setI32(F.gen, d.gen);
}

/** Encode `d` over the UFS2 dinode bytes `b` (256 bytes); see encodeDinode1. */
export function encodeDinode2(d: Dinode, b: Uint8Array, le: boolean, inlineLink: boolean): void {
  const v = new DiskView(b, le);
  const F = UFS2_FIELDS;
  v.setU16(F.mode, d.mode);
  v.setU16(F.nlink, d.nlink);
  v.setU32(F.uid, d.uid);
  v.setU32(F.gid, d.gid);
  v.setI64(F.size, d.size);
  v.setI64(F.blocks, d.blocks);
  v.setI64(F.atime, d.atime.sec);
  v.setI32(F.atimensec, d.atime.nsec);
  v.setI64(F.mtime, d.mtime.sec);
  v.setI32(F.mtimensec, d.mtime.nsec);
  v.setI64(F.ctime, d.ctime.sec);
  v.setI32(F.ctimensec, d.ctime.nsec);
  v.setI64(F.birthtime, d.birthtime.sec);
  v.setI32(F.birthnsec, d.birthtime.nsec);
  v.setI32(F.gen, d.gen);
  v.setU32(F.flags, d.flags);
  if (inlineLink) {
    b.fill(0, UFS2_SHORTLINK.off, UFS2_SHORTLINK.off + UFS2_SHORTLINK.len);
    b.set(d.shortlink.subarray(0, UFS2_SHORTLINK.len), UFS2_SHORTLINK.off);
  } else {
    for (let i = 0; i < UFS_NDADDR; i++) v.setI64(F.db + 8 * i, d.db[i] ?? 0);
    for (let i = 0; i < UFS_NIADDR; i++) v.setI64(F.ib + 8 * i, d.ib[i] ?? 0);
  }
}

/** A zeroed in-core dinode (a fresh inode before ialloc fills it in). */
export function emptyDinode(ufs2: boolean): Dinode {
  const z = (): Timespec => ({ sec: 0, nsec: 0 });
  return {
    mode: 0, nlink: 0, uid: 0, gid: 0, size: 0, blocks: 0,
    atime: z(), mtime: z(), ctime: z(), birthtime: z(), flags: 0, gen: 0,
    db: new Array<number>(UFS_NDADDR).fill(0),
    ib: new Array<number>(UFS_NIADDR).fill(0),
    shortlink: new Uint8Array(ufs2 ? UFS2_SHORTLINK.len : UFS1_SHORTLINK.len),
  };
}
