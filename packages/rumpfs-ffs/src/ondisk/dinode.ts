/**
 * On-disk inodes (sys/ufs/ufs/dinode.h): struct ufs1_dinode (128 bytes) and struct ufs2_dinode
 * (256 bytes), decoded into one in-core shape. Times are kept with nanoseconds; UFS1 has no birth
 * time (NetBSD reports 0).
 */
import type { Timespec } from '@rumpts/librump';
import { i64At, setI64At, u64At } from './bswap.js';
import { UFS_NDADDR, UFS_NIADDR } from './geometry.js';

/** sizeof(struct ufs1_dinode): 128 bytes. */
export const UFS1_DINODE_SIZE = 128;
/** sizeof(struct ufs2_dinode): 256 bytes. */
export const UFS2_DINODE_SIZE = 256;

/** Field offsets of struct ufs1_dinode. */
export const UFS1_FIELDS = {
  /** di_mode: file type (IFMT bits) and permissions. */
  mode: 0,
  /** di_nlink: directory entries naming this inode (int16). */
  nlink: 2,
  /** di_ouid: 16-bit owner of the FS_42INODEFMT format. */
  ouid: 4,
  /** di_ogid: 16-bit group of the FS_42INODEFMT format. */
  ogid: 6,
  /** di_size: file size in bytes (uint64). */
  size: 8,
  /** di_atime: last access, seconds (int32). */
  atime: 16,
  /** di_atimensec: nanoseconds of di_atime. */
  atimensec: 20,
  /** di_mtime: last data modification, seconds. */
  mtime: 24,
  /** di_mtimensec: nanoseconds of di_mtime. */
  mtimensec: 28,
  /** di_ctime: last inode change, seconds. */
  ctime: 32,
  /** di_ctimensec: nanoseconds of di_ctime. */
  ctimensec: 36,
  /** di_db[UFS_NDADDR]: direct block pointers, int32 fragment addresses. */
  db: 40,
  /** di_ib[UFS_NIADDR]: single, double and triple indirect block pointers (int32). */
  ib: 88,
  /** di_flags: chflags(2) flags (UF_*, SF_*). */
  flags: 100,
  /** di_blocks: DEV_BSIZE (512-byte) units allocated, indirect blocks included (uint32). */
  blocks: 104,
  /** di_gen: generation number, changed when the inode is reused (NFS file handles). */
  gen: 108,
  /** di_uid: owner (uint32). */
  uid: 112,
  /** di_gid: group (uint32). */
  gid: 116,
  /** di_modrev: i_modrev for NFSv4 (uint64); kept, not interpreted. */
  modrev: 120,
} as const;

/** Field offsets of struct ufs2_dinode. */
export const UFS2_FIELDS = {
  /** di_mode: file type (IFMT bits) and permissions. */
  mode: 0,
  /** di_nlink: directory entries naming this inode (int16). */
  nlink: 2,
  /** di_uid: owner (uint32). */
  uid: 4,
  /** di_gid: group (uint32). */
  gid: 8,
  /** di_blksize: inode blocksize (uint32); unused by NetBSD. */
  blksize: 12,
  /** di_size: file size in bytes (uint64). */
  size: 16,
  /** di_blocks: DEV_BSIZE (512-byte) units allocated, indirect blocks included (uint64). */
  blocks: 24,
  /** di_atime: last access, seconds (int64). */
  atime: 32,
  /** di_mtime: last data modification, seconds (int64). */
  mtime: 40,
  /** di_ctime: last inode change, seconds (int64). */
  ctime: 48,
  /** di_birthtime: creation time, seconds (int64). */
  birthtime: 56,
  /** di_mtimensec: nanoseconds of di_mtime. */
  mtimensec: 64,
  /** di_atimensec: nanoseconds of di_atime. */
  atimensec: 68,
  /** di_ctimensec: nanoseconds of di_ctime. */
  ctimensec: 72,
  /** di_birthnsec: nanoseconds of di_birthtime. */
  birthnsec: 76,
  /** di_gen: generation number, changed when the inode is reused (NFS file handles). */
  gen: 80,
  /** di_kernflags: kernel-internal flags (uint32). */
  kernflags: 84,
  /** di_flags: chflags(2) flags (UF_*, SF_*). */
  flags: 88,
  /** di_extsize: bytes of extended-attribute data (UFS2 EA area). */
  extsize: 92,
  /** di_extb[UFS_NXADDR]: the two extended-attribute block pointers (int64). */
  extb: 96,
  /** di_db[UFS_NDADDR]: direct block pointers, int64 fragment addresses. */
  db: 112,
  /** di_ib[UFS_NIADDR]: single, double and triple indirect block pointers (int64). */
  ib: 208,
  /** di_modrev: i_modrev for NFSv4 (uint64); kept, not interpreted. */
  modrev: 232,
} as const;

/** UFS1: the bytes of the block-pointer area, where a short symlink keeps its target (di_db + di_ib). */
export const UFS1_SHORTLINK = {
  /** Offset of the area in the dinode (di_db). */
  off: UFS1_FIELDS.db,
  /** Its length, 60 bytes: targets shorter than fs_maxsymlinklen fit. */
  len: (UFS_NDADDR + UFS_NIADDR) * 4,
} as const;
/** UFS2: the bytes of the block-pointer area, where a short symlink keeps its target (di_db + di_ib). */
export const UFS2_SHORTLINK = {
  /** Offset of the area in the dinode (di_db). */
  off: UFS2_FIELDS.db,
  /** Its length, 120 bytes: targets shorter than fs_maxsymlinklen fit. */
  len: (UFS_NDADDR + UFS_NIADDR) * 8,
} as const;

/** An on-disk inode (struct ufs1_dinode or ufs2_dinode) in one shape; the di_ fields this package uses. */
export interface Dinode {
  /** di_mode: file type (IFMT bits) and permission bits. */
  mode: number;
  /** di_nlink: links to this inode. */
  nlink: number;
  /** di_uid (di_ouid on FS_42INODEFMT volumes): owner. */
  uid: number;
  /** di_gid (di_ogid on FS_42INODEFMT volumes): group. */
  gid: number;
  /** di_size: bytes; NaN if the on-disk value does not fit a safe integer (caught when the inode is loaded). */
  size: number;
  /** di_blocks: DEV_BSIZE (512-byte) units allocated, indirect blocks included (st_blocks). */
  blocks: number;
  /** di_atime + di_atimensec: last access. */
  atime: Timespec;
  /** di_mtime + di_mtimensec: last data modification. */
  mtime: Timespec;
  /** di_ctime + di_ctimensec: last inode change. */
  ctime: Timespec;
  /** di_birthtime + di_birthnsec: creation (UFS2; 0 on UFS1). */
  birthtime: Timespec;
  /** di_flags: chflags(2) flags (UF_*, SF_*; SF_LOG marks the WAPBL log file). */
  flags: number;
  /** di_gen: generation number, changed each time the inode is reused. */
  gen: number;
  /** Direct block pointers (fragment addresses; 0 = hole). db[0] is the device number of a VBLK/VCHR. */
  db: number[];
  /** Single, double, triple indirect block pointers. */
  ib: number[];
  /** The raw block-pointer area (60 or 120 bytes), for short symlinks. */
  shortlink: Uint8Array;
}

/**
 * The in-core dinode. The short-symlink bytes are made on first use, and decoded only for symlinks:
 * every other inode ignores them, and a 60/120-byte typed array costs more to allocate than the
 * rest of the record (it lives outside the JS heap).
 */
export class DinodeRec implements Dinode {
  mode = 0;
  nlink = 0;
  uid = 0;
  gid = 0;
  size = 0;
  blocks = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
  flags = 0;
  gen = 0;
  db: number[];
  ib: number[];
  #shortlink: Uint8Array | null = null;
  readonly #linklen: number;

  constructor(linklen: number, db: number[], ib: number[], atime: Timespec, mtime: Timespec, ctime: Timespec, birthtime: Timespec) {
    this.#linklen = linklen;
    this.db = db;
    this.ib = ib;
    this.atime = atime;
    this.mtime = mtime;
    this.ctime = ctime;
    this.birthtime = birthtime;
  }

  get shortlink(): Uint8Array {
    return (this.#shortlink ??= new Uint8Array(this.#linklen));
  }

  set shortlink(b: Uint8Array) {
    this.#shortlink = b;
  }
}

function isLink(mode: number): boolean {
  return (mode & 0o170000) === 0o120000;
}

/** Decode the UFS1 dinode at byte `at` of `b` (`dv` views all of b); `oldids` selects the FS_42INODEFMT owner fields. */
export function decodeDinode1At(b: Uint8Array, dv: DataView, at: number, le: boolean, oldids: boolean): Dinode {
  const F = UFS1_FIELDS;
  const db: number[] = [];
  for (let i = 0; i < UFS_NDADDR; i++) db.push(dv.getInt32(at + F.db + 4 * i, le));
  const ib: number[] = [];
  for (let i = 0; i < UFS_NIADDR; i++) ib.push(dv.getInt32(at + F.ib + 4 * i, le));
  const d = new DinodeRec(
    UFS1_SHORTLINK.len, db, ib,
    { sec: dv.getInt32(at + F.atime, le), nsec: dv.getInt32(at + F.atimensec, le) },
    { sec: dv.getInt32(at + F.mtime, le), nsec: dv.getInt32(at + F.mtimensec, le) },
    { sec: dv.getInt32(at + F.ctime, le), nsec: dv.getInt32(at + F.ctimensec, le) },
    { sec: 0, nsec: 0 },
  );
  d.mode = dv.getUint16(at + F.mode, le);
  d.nlink = dv.getInt16(at + F.nlink, le);
  d.uid = oldids ? dv.getUint16(at + F.ouid, le) : dv.getUint32(at + F.uid, le);
  d.gid = oldids ? dv.getUint16(at + F.ogid, le) : dv.getUint32(at + F.gid, le);
  d.size = u64At(dv, at + F.size, le);
  d.blocks = dv.getUint32(at + F.blocks, le);
  d.flags = dv.getUint32(at + F.flags, le);
  d.gen = dv.getInt32(at + F.gen, le);
  if (isLink(d.mode)) d.shortlink = b.slice(at + UFS1_SHORTLINK.off, at + UFS1_SHORTLINK.off + UFS1_SHORTLINK.len);
  return d;
}

/** Decode the UFS2 dinode at byte `at` of `b` (`dv` views all of b). */
export function decodeDinode2At(b: Uint8Array, dv: DataView, at: number, le: boolean): Dinode {
  const F = UFS2_FIELDS;
  const db: number[] = [];
  for (let i = 0; i < UFS_NDADDR; i++) db.push(i64At(dv, at + F.db + 8 * i, le));
  const ib: number[] = [];
  for (let i = 0; i < UFS_NIADDR; i++) ib.push(i64At(dv, at + F.ib + 8 * i, le));
  const d = new DinodeRec(
    UFS2_SHORTLINK.len, db, ib,
    { sec: i64At(dv, at + F.atime, le), nsec: dv.getInt32(at + F.atimensec, le) },
    { sec: i64At(dv, at + F.mtime, le), nsec: dv.getInt32(at + F.mtimensec, le) },
    { sec: i64At(dv, at + F.ctime, le), nsec: dv.getInt32(at + F.ctimensec, le) },
    { sec: i64At(dv, at + F.birthtime, le), nsec: dv.getInt32(at + F.birthnsec, le) },
  );
  d.mode = dv.getUint16(at + F.mode, le);
  d.nlink = dv.getInt16(at + F.nlink, le);
  d.uid = dv.getUint32(at + F.uid, le);
  d.gid = dv.getUint32(at + F.gid, le);
  d.size = u64At(dv, at + F.size, le);
  d.blocks = u64At(dv, at + F.blocks, le);
  d.flags = dv.getUint32(at + F.flags, le);
  d.gen = dv.getInt32(at + F.gen, le);
  if (isLink(d.mode)) d.shortlink = b.slice(at + UFS2_SHORTLINK.off, at + UFS2_SHORTLINK.off + UFS2_SHORTLINK.len);
  return d;
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Decode one UFS1 dinode; `oldids` selects the FS_42INODEFMT owner fields. */
export function decodeDinode1(b: Uint8Array, le: boolean, oldids: boolean): Dinode {
  return decodeDinode1At(b, viewOf(b), 0, le, oldids);
}

/** Decode one UFS2 dinode. */
export function decodeDinode2(b: Uint8Array, le: boolean): Dinode {
  return decodeDinode2At(b, viewOf(b), 0, le);
}

/**
 * Encode `d` over the UFS1 dinode at byte `at` of `b` (128 bytes; `dv` views all of b). The
 * block-pointer area is written from db/ib, or from `shortlink` when `inlineLink` (a fast symlink
 * keeps its target there).
 */
export function encodeDinode1At(d: Dinode, b: Uint8Array, dv: DataView, at: number, le: boolean, oldids: boolean, inlineLink: boolean): void {
  const F = UFS1_FIELDS;
  dv.setUint16(at + F.mode, d.mode & 0xffff, le);
  dv.setUint16(at + F.nlink, d.nlink & 0xffff, le);
  if (oldids) {
    dv.setUint16(at + F.ouid, d.uid & 0xffff, le);
    dv.setUint16(at + F.ogid, d.gid & 0xffff, le);
  } else {
    dv.setUint32(at + F.uid, d.uid >>> 0, le);
    dv.setUint32(at + F.gid, d.gid >>> 0, le);
  }
  setI64At(dv, at + F.size, d.size, le);
  dv.setInt32(at + F.atime, d.atime.sec | 0, le);
  dv.setInt32(at + F.atimensec, d.atime.nsec | 0, le);
  dv.setInt32(at + F.mtime, d.mtime.sec | 0, le);
  dv.setInt32(at + F.mtimensec, d.mtime.nsec | 0, le);
  dv.setInt32(at + F.ctime, d.ctime.sec | 0, le);
  dv.setInt32(at + F.ctimensec, d.ctime.nsec | 0, le);
  if (inlineLink) {
    const o = at + UFS1_SHORTLINK.off;
    b.fill(0, o, o + UFS1_SHORTLINK.len);
    b.set(d.shortlink.subarray(0, UFS1_SHORTLINK.len), o);
  } else {
    for (let i = 0; i < UFS_NDADDR; i++) dv.setInt32(at + F.db + 4 * i, (d.db[i] ?? 0) | 0, le);
    for (let i = 0; i < UFS_NIADDR; i++) dv.setInt32(at + F.ib + 4 * i, (d.ib[i] ?? 0) | 0, le);
  }
  dv.setUint32(at + F.flags, d.flags >>> 0, le);
  dv.setUint32(at + F.blocks, d.blocks >>> 0, le);
  dv.setInt32(at + F.gen, d.gen | 0, le);
}

/** Encode `d` over the UFS2 dinode at byte `at` of `b` (256 bytes); see encodeDinode1At. */
export function encodeDinode2At(d: Dinode, b: Uint8Array, dv: DataView, at: number, le: boolean, inlineLink: boolean): void {
  const F = UFS2_FIELDS;
  dv.setUint16(at + F.mode, d.mode & 0xffff, le);
  dv.setUint16(at + F.nlink, d.nlink & 0xffff, le);
  dv.setUint32(at + F.uid, d.uid >>> 0, le);
  dv.setUint32(at + F.gid, d.gid >>> 0, le);
  setI64At(dv, at + F.size, d.size, le);
  setI64At(dv, at + F.blocks, d.blocks, le);
  setI64At(dv, at + F.atime, d.atime.sec, le);
  dv.setInt32(at + F.atimensec, d.atime.nsec | 0, le);
  setI64At(dv, at + F.mtime, d.mtime.sec, le);
  dv.setInt32(at + F.mtimensec, d.mtime.nsec | 0, le);
  setI64At(dv, at + F.ctime, d.ctime.sec, le);
  dv.setInt32(at + F.ctimensec, d.ctime.nsec | 0, le);
  setI64At(dv, at + F.birthtime, d.birthtime.sec, le);
  dv.setInt32(at + F.birthnsec, d.birthtime.nsec | 0, le);
  dv.setInt32(at + F.gen, d.gen | 0, le);
  dv.setUint32(at + F.flags, d.flags >>> 0, le);
  if (inlineLink) {
    const o = at + UFS2_SHORTLINK.off;
    b.fill(0, o, o + UFS2_SHORTLINK.len);
    b.set(d.shortlink.subarray(0, UFS2_SHORTLINK.len), o);
  } else {
    for (let i = 0; i < UFS_NDADDR; i++) setI64At(dv, at + F.db + 8 * i, d.db[i] ?? 0, le);
    for (let i = 0; i < UFS_NIADDR; i++) setI64At(dv, at + F.ib + 8 * i, d.ib[i] ?? 0, le);
  }
}

/** Encode `d` over the UFS1 dinode bytes `b` (128 bytes); see encodeDinode1At. */
export function encodeDinode1(d: Dinode, b: Uint8Array, le: boolean, oldids: boolean, inlineLink: boolean): void {
  encodeDinode1At(d, b, viewOf(b), 0, le, oldids, inlineLink);
}

/** Encode `d` over the UFS2 dinode bytes `b` (256 bytes); see encodeDinode1At. */
export function encodeDinode2(d: Dinode, b: Uint8Array, le: boolean, inlineLink: boolean): void {
  encodeDinode2At(d, b, viewOf(b), 0, le, inlineLink);
}

/** A zeroed in-core dinode (a fresh inode before ialloc fills it in). */
export function emptyDinode(ufs2: boolean): Dinode {
  return new DinodeRec(
    ufs2 ? UFS2_SHORTLINK.len : UFS1_SHORTLINK.len,
    // UFS_NDADDR and UFS_NIADDR zeros, as literals: packed small-integer arrays.
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0],
    { sec: 0, nsec: 0 }, { sec: 0, nsec: 0 }, { sec: 0, nsec: 0 }, { sec: 0, nsec: 0 },
  );
}
