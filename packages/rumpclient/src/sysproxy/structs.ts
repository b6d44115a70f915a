/**
 * NetBSD user structures as sysproxy carries them: raw C structs in the amd64 (LP64, little-endian)
 * layout, one codec per struct with its offsets in one table (sys/sys/stat.h, dirent.h, statvfs.h,
 * time.h; ufs/ufs/ufsmount.h, fs/tmpfs/tmpfs_args.h). Both directions: the server encodes what it
 * COPYOUTs, the client decodes it (and the other way round for COPYIN).
 */
import { decodeName, type Dirent, encodeName, type Stat, type Statvfs, type Timespec } from '@rumpts/librump';

/** u64 and i64 fields from a JS number (exact below 2^53; -1 becomes all ones, as NODEV is). */
function put64(b: Buffer, off: number, v: number): void {
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(Math.trunc(v))), off);
}

/** A u64/i64 field as a number (signed when `signed`). */
function get64(b: Buffer, off: number, signed = false): number {
  return Number(signed ? b.readBigInt64LE(off) : b.readBigUInt64LE(off));
}

// --- struct stat (__stat50), 152 bytes ---
/** Bytes of NetBSD's struct stat (__stat50, LP64). */
export const STAT_SIZE = 152;
const ST = {
  dev: 0, mode: 8, ino: 16, nlink: 24, uid: 28, gid: 32, rdev: 40,
  atim: 48, mtim: 64, ctim: 80, birthtim: 96, size: 112, blocks: 120, blksize: 128, flags: 132, gen: 136,
} as const;

function putTimespec(b: Buffer, off: number, t: Timespec): void {
  put64(b, off, t.sec);
  put64(b, off + 8, t.nsec);
}

function getTimespec(b: Buffer, off: number): Timespec {
  return { sec: get64(b, off, true), nsec: get64(b, off + 8, true) };
}

/** Write a stat as NetBSD's struct stat into `b` at `off` (a new buffer by default). */
export function encodeStat(s: Stat, b: Buffer = Buffer.alloc(STAT_SIZE), off = 0): Buffer {
  b.fill(0, off, off + STAT_SIZE);
  put64(b, off + ST.dev, s.dev);
  b.writeUInt32LE(s.mode >>> 0, off + ST.mode);
  put64(b, off + ST.ino, s.ino);
  b.writeUInt32LE(s.nlink >>> 0, off + ST.nlink);
  b.writeUInt32LE(s.uid >>> 0, off + ST.uid);
  b.writeUInt32LE(s.gid >>> 0, off + ST.gid);
  put64(b, off + ST.rdev, s.rdev);
  putTimespec(b, off + ST.atim, s.atime);
  putTimespec(b, off + ST.mtim, s.mtime);
  putTimespec(b, off + ST.ctim, s.ctime);
  putTimespec(b, off + ST.birthtim, s.birthtime);
  put64(b, off + ST.size, s.size);
  put64(b, off + ST.blocks, s.blocks);
  b.writeInt32LE(s.blksize | 0, off + ST.blksize);
  b.writeUInt32LE(s.flags >>> 0, off + ST.flags);
  b.writeUInt32LE(s.gen >>> 0, off + ST.gen);
  return b;
}

/** Read NetBSD's struct stat at `off`. */
export function decodeStat(b: Buffer, off = 0): Stat {
  return {
    dev: get64(b, off + ST.dev, true),
    ino: get64(b, off + ST.ino),
    mode: b.readUInt32LE(off + ST.mode),
    nlink: b.readUInt32LE(off + ST.nlink),
    uid: b.readUInt32LE(off + ST.uid),
    gid: b.readUInt32LE(off + ST.gid),
    rdev: get64(b, off + ST.rdev, true),
    size: get64(b, off + ST.size, true),
    blocks: get64(b, off + ST.blocks, true),
    blksize: b.readInt32LE(off + ST.blksize),
    flags: b.readUInt32LE(off + ST.flags),
    gen: b.readUInt32LE(off + ST.gen),
    atime: getTimespec(b, off + ST.atim),
    mtime: getTimespec(b, off + ST.mtim),
    ctime: getTimespec(b, off + ST.ctim),
    birthtime: getTimespec(b, off + ST.birthtim),
  };
}

// --- names and paths: bytes on the wire ---
/**
 * A name or path as the bytes NetBSD's protocol carries (librump encodeName: text as UTF-8, each
 * escaped byte U+DC80..U+DCFF as that byte). EILSEQ for a lone surrogate that stands for no byte.
 */
export function nameBytes(s: string): Buffer {
  const b = encodeName(s);
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}

/** A name or path as a C string: nameBytes and a NUL. */
export function nameCString(s: string): Buffer {
  return nameBytes(`${s}\0`);
}

/** The name that bytes [start, end) of `b` stand for (librump decodeName: stray bytes escaped, never U+FFFD). */
export function nameAt(b: Uint8Array, start: number, end: number): string {
  return decodeName(b.subarray(start, end));
}

// --- struct dirent (__getdents30): packed records ---
/** d_fileno u64 @0, d_reclen u16 @8, d_namlen u16 @10, d_type u8 @12, d_name @13 (NUL, then padding). */
export const DIRENT_NAME = 13;

/** The record length of a dirent with a name of `namlen` bytes (header, name, NUL, padded to 8). */
export function direntReclen(namlen: number): number {
  return (DIRENT_NAME + namlen + 1 + 7) & ~7;
}

/** Pack entries as getdents(2) returns them. */
export function packDirents(entries: readonly Dirent[]): Buffer {
  const names = entries.map((e) => nameBytes(e.name));
  const total = names.reduce((n, nm) => n + direntReclen(nm.length), 0);
  const b = Buffer.alloc(total);
  let p = 0;
  entries.forEach((e, i) => {
    const nm = names[i] as Buffer;
    const reclen = direntReclen(nm.length);
    put64(b, p, e.fileno);
    b.writeUInt16LE(reclen, p + 8);
    b.writeUInt16LE(nm.length, p + 10);
    b[p + 12] = e.type;
    nm.copy(b, p + DIRENT_NAME);
    p += reclen;
  });
  return b;
}

/** Unpack getdents(2) records; a record that does not fit its buffer ends the list. */
export function unpackDirents(b: Buffer): Dirent[] {
  const out: Dirent[] = [];
  let p = 0;
  while (p + DIRENT_NAME <= b.length) {
    const reclen = b.readUInt16LE(p + 8);
    const namlen = b.readUInt16LE(p + 10);
    if (reclen < DIRENT_NAME + 1 || p + reclen > b.length || DIRENT_NAME + namlen >= reclen) break;
    out.push({ fileno: get64(b, p), type: b[p + 12] as number, name: nameAt(b, p + DIRENT_NAME, p + DIRENT_NAME + namlen), reclen });
    p += reclen;
  }
  return out;
}

// --- struct statvfs (statvfs1), 2256 bytes ---
/** Bytes of NetBSD's struct statvfs (statvfs1, LP64). */
export const STATVFS_SIZE = 2256;
const SV = {
  flag: 0, bsize: 8, frsize: 16, iosize: 24, blocks: 32, bfree: 40, bavail: 48, bresvd: 56,
  files: 64, ffree: 72, favail: 80, fresvd: 88, syncreads: 96, syncwrites: 104, asyncreads: 112, asyncwrites: 120,
  fsidx0: 128, fsidx1: 132, fsid: 136, namemax: 144, owner: 152, spare: 156,
  fstypename: 172, mntonname: 204, mntfromname: 1228,
} as const;
const VFS_NAMELEN = 32;
const VFS_MNAMELEN = 1024;

/** makefstype(): the second word of f_fsidx, a hash of the type name (vfs_subr.c). */
export function makefstype(type: string): number {
  let rv = 0;
  for (const c of Buffer.from(type, 'latin1')) rv = ((rv << 2) ^ c) | 0;
  return rv;
}

function putName(b: Buffer, off: number, max: number, s: string): void {
  const n = nameBytes(s);
  n.copy(b, off, 0, Math.min(n.length, max - 1));
}

function getName(b: Buffer, off: number, max: number): string {
  const end = b.indexOf(0, off);
  return nameAt(b, off, end < 0 || end > off + max ? off + max : end);
}

/** Write a statvfs as NetBSD's struct statvfs into `b` at `off` (a new buffer by default). */
export function encodeStatvfs(s: Statvfs, b: Buffer = Buffer.alloc(STATVFS_SIZE), off = 0): Buffer {
  b.fill(0, off, off + STATVFS_SIZE);
  for (const k of ['flag', 'bsize', 'frsize', 'iosize', 'blocks', 'bfree', 'bavail', 'bresvd', 'files', 'ffree', 'favail', 'fresvd', 'namemax'] as const) {
    put64(b, off + SV[k], s[k]);
  }
  b.writeInt32LE(s.fsid | 0, off + SV.fsidx0);
  b.writeInt32LE(makefstype(s.fstypename), off + SV.fsidx1);
  put64(b, off + SV.fsid, s.fsid);
  b.writeUInt32LE(s.owner >>> 0, off + SV.owner);
  putName(b, off + SV.fstypename, VFS_NAMELEN, s.fstypename);
  putName(b, off + SV.mntonname, VFS_MNAMELEN, s.mntonname);
  putName(b, off + SV.mntfromname, VFS_MNAMELEN, s.mntfromname);
  return b;
}

/** Read NetBSD's struct statvfs at `off`. */
export function decodeStatvfs(b: Buffer, off = 0): Statvfs {
  const n = (k: keyof typeof SV): number => get64(b, off + SV[k]);
  return {
    flag: n('flag'), bsize: n('bsize'), frsize: n('frsize'), iosize: n('iosize'), blocks: n('blocks'), bfree: n('bfree'),
    bavail: get64(b, off + SV.bavail, true), bresvd: n('bresvd'), files: n('files'), ffree: n('ffree'), favail: get64(b, off + SV.favail, true),
    fresvd: n('fresvd'), fsid: n('fsid'), namemax: n('namemax'), owner: b.readUInt32LE(off + SV.owner),
    fstypename: getName(b, off + SV.fstypename, VFS_NAMELEN),
    mntonname: getName(b, off + SV.mntonname, VFS_MNAMELEN),
    mntfromname: getName(b, off + SV.mntfromname, VFS_MNAMELEN),
  };
}

/** The named fields of a struct statvfs, for comparing two field by field. */
export const STATVFS_FIELDS: Readonly<Record<string, readonly [offset: number, size: 4 | 8 | 32 | 1024]>> = {
  f_flag: [SV.flag, 8], f_bsize: [SV.bsize, 8], f_frsize: [SV.frsize, 8], f_iosize: [SV.iosize, 8], f_blocks: [SV.blocks, 8],
  f_bfree: [SV.bfree, 8], f_bavail: [SV.bavail, 8], f_bresvd: [SV.bresvd, 8], f_files: [SV.files, 8], f_ffree: [SV.ffree, 8],
  f_favail: [SV.favail, 8], f_fresvd: [SV.fresvd, 8], f_syncreads: [SV.syncreads, 8], f_syncwrites: [SV.syncwrites, 8],
  f_asyncreads: [SV.asyncreads, 8], f_asyncwrites: [SV.asyncwrites, 8], 'f_fsidx[0]': [SV.fsidx0, 4], 'f_fsidx[1]': [SV.fsidx1, 4],
  f_fsid: [SV.fsid, 8], f_namemax: [SV.namemax, 8], f_owner: [SV.owner, 4], f_fstypename: [SV.fstypename, 32],
  f_mntonname: [SV.mntonname, 1024], f_mntfromname: [SV.mntfromname, 1024],
};

/** The named fields of a struct stat, for comparing two field by field. */
export const STAT_FIELDS: Readonly<Record<string, readonly [offset: number, size: 4 | 8]>> = {
  st_dev: [ST.dev, 8], st_mode: [ST.mode, 4], st_ino: [ST.ino, 8], st_nlink: [ST.nlink, 4], st_uid: [ST.uid, 4], st_gid: [ST.gid, 4],
  st_rdev: [ST.rdev, 8], 'st_atim.tv_sec': [ST.atim, 8], 'st_atim.tv_nsec': [ST.atim + 8, 8], 'st_mtim.tv_sec': [ST.mtim, 8],
  'st_mtim.tv_nsec': [ST.mtim + 8, 8], 'st_ctim.tv_sec': [ST.ctim, 8], 'st_ctim.tv_nsec': [ST.ctim + 8, 8],
  'st_birthtim.tv_sec': [ST.birthtim, 8], 'st_birthtim.tv_nsec': [ST.birthtim + 8, 8], st_size: [ST.size, 8], st_blocks: [ST.blocks, 8],
  st_blksize: [ST.blksize, 4], st_flags: [ST.flags, 4], st_gen: [ST.gen, 4], 'st_spare[0]': [140, 4], 'st_spare[1]': [144, 4],
};

// --- struct timeval / timespec pairs (utimes, utimensat) ---
/** Bytes of a struct timeval: time_t tv_sec @0, suseconds_t tv_usec @8, padding. */
export const TIMEVAL_SIZE = 16; // time_t tv_sec @0, suseconds_t (int) tv_usec @8, pad
/** Bytes of a struct timespec: time_t tv_sec @0, long tv_nsec @8. */
export const TIMESPEC_SIZE = 16; // time_t tv_sec @0, long tv_nsec @8

/** Read a struct timeval at `off` as a Timespec (microseconds to nanoseconds). */
export function decodeTimeval(b: Buffer, off = 0): Timespec {
  return { sec: get64(b, off, true), nsec: b.readInt32LE(off + 8) * 1000 };
}

/** Write a Timespec as a struct timeval (nanoseconds truncated to microseconds). */
export function encodeTimeval(t: Timespec, b: Buffer = Buffer.alloc(TIMEVAL_SIZE), off = 0): Buffer {
  put64(b, off, t.sec);
  b.writeInt32LE(Math.floor(t.nsec / 1000), off + 8);
  b.writeInt32LE(0, off + 12);
  return b;
}

/** Read a struct timespec at `off`. */
export function decodeTimespec(b: Buffer, off = 0): Timespec {
  return getTimespec(b, off);
}

/** Write a struct timespec into `b` at `off` (a new buffer by default). */
export function encodeTimespec(t: Timespec, b: Buffer = Buffer.alloc(TIMESPEC_SIZE), off = 0): Buffer {
  putTimespec(b, off, t);
  return b;
}

/** utimensat's special tv_nsec values (sys/stat.h). */
export const UTIME_NOW = (1 << 30) - 1;
/** utimensat: leave this time as it is. */
export const UTIME_OMIT = (1 << 30) - 2;

// --- mount(2) data ---
/** struct ufs_args { char *fspec; }: 8 bytes (also the first member of iso_args and msdosfs_args). */
export const UFS_ARGS_SIZE = 8;
/** struct tmpfs_args: int ta_version @0, ino_t nodes_max @8, off_t size_max @16, uid @24, gid @28, mode @32. */
export const TMPFS_ARGS_SIZE = 40;
/** The tmpfs_args version NetBSD's mount_tmpfs passes (TMPFS_ARGS_VERSION). */
export const TMPFS_ARGS_VERSION = 1;

/** struct tmpfs_args, as a __mount50 of tmpfs carries it. */
export interface TmpfsArgsWire {
/** ta_version (TMPFS_ARGS_VERSION). */
  version: number;
/** ta_nodes_max: most inodes (0: the default). */
  nodes: number;
/** ta_size_max: most bytes (0: the default). */
  size: number;
/** ta_root_uid: the owner of the root directory. */
  uid: number;
/** ta_root_gid: the group of the root directory. */
  gid: number;
/** ta_root_mode: the root directory's permission bits. */
  mode: number;
}

/** Read a struct tmpfs_args. */
export function decodeTmpfsArgs(b: Buffer): TmpfsArgsWire {
  return {
    version: b.readInt32LE(0), nodes: get64(b, 8), size: get64(b, 16, true),
    uid: b.readUInt32LE(24), gid: b.readUInt32LE(28), mode: b.readUInt32LE(32),
  };
}

/** Write a struct tmpfs_args (TMPFS_ARGS_SIZE bytes). */
export function encodeTmpfsArgs(a: TmpfsArgsWire): Buffer {
  const b = Buffer.alloc(TMPFS_ARGS_SIZE);
  b.writeInt32LE(a.version, 0);
  put64(b, 8, a.nodes);
  put64(b, 16, a.size);
  b.writeUInt32LE(a.uid >>> 0, 24);
  b.writeUInt32LE(a.gid >>> 0, 28);
  b.writeUInt32LE(a.mode >>> 0, 32);
  return b;
}

/** A little-endian pointer or size_t read from an argument block or a struct. */
export function readPtr(b: Buffer, off: number): number {
  return get64(b, off);
}

/** Write a little-endian pointer or size_t into an argument block or a struct. */
export function writePtr(b: Buffer, off: number, v: number): void {
  put64(b, off, v);
}
