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
