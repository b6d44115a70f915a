/**
 * fs.Stats and fs.Dirent shapes from NetBSD's struct stat and struct dirent. File types are read
 * from st_mode with NetBSD's S_IF* values (which match Linux's), d_type with NetBSD's DT_* values.
 */
import * as nodeFs from 'node:fs';
import {
  DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_IFSOCK, type Stat, type Statvfs, type Timespec,
} from '@rumpts/librump';

function ms(t: Timespec): number {
  return t.sec * 1000 + t.nsec / 1e6;
}

/**
 * A base class whose prototype is one of node:fs's own (fs.Stats.prototype…) without ever calling
 * Node's constructor (calling fs.Stats is deprecated): instances then pass `instanceof fs.Stats`.
 */
function underNode(proto: object): abstract new () => object {
  function Base(): void {}
  Base.prototype = proto;
  return Base as unknown as abstract new () => object;
}

/** The type predicates fs.Stats and fs.Dirent share, over an S_IFMT value, on top of a node:fs prototype. */
function typePredicates(proto: object, fmtOf: (self: object) => number) {
  abstract class TypePredicates extends underNode(proto) {
    /** A regular file (S_IFREG). */
    isFile(): boolean {
      return fmtOf(this) === S_IFREG;
    }
    /** A directory (S_IFDIR). */
    isDirectory(): boolean {
      return fmtOf(this) === S_IFDIR;
    }
    /** A symbolic link (S_IFLNK); only an lstat or a readdir entry can be one. */
    isSymbolicLink(): boolean {
      return fmtOf(this) === S_IFLNK;
    }
    /** A block device (S_IFBLK). */
    isBlockDevice(): boolean {
      return fmtOf(this) === S_IFBLK;
    }
    /** A character device (S_IFCHR). */
    isCharacterDevice(): boolean {
      return fmtOf(this) === S_IFCHR;
    }
    /** A named pipe (S_IFIFO). */
    isFIFO(): boolean {
      return fmtOf(this) === S_IFIFO;
    }
    /** A socket (S_IFSOCK). */
    isSocket(): boolean {
      return fmtOf(this) === S_IFSOCK;
    }
  }
  return TypePredicates;
}

/** node:fs exports no BigIntStats class: its prototype is taken from a bigint stat of the host's root. */
const nodeBigIntStatsProto = Object.getPrototypeOf(nodeFs.statSync('/', { bigint: true })) as object;

/** NetBSD's st_flags and st_gen, which Node's Stats has no place for: kept off the enumerable fields. */
function hide(o: object, flags: number, gen: number): void {
  Object.defineProperty(o, 'flags', { value: flags, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(o, 'gen', { value: gen, enumerable: false, writable: true, configurable: true });
}

/**
 * fs.Stats (passes `instanceof fs.Stats`): the numeric fields, the *Ms times, the Date times and
 * the type predicates, in node:fs's own field order; NetBSD's `flags` (chflags(2)) and `gen` are
 * there too, not enumerable.
 */
export class Stats extends typePredicates(nodeFs.Stats.prototype, (s) => (s as { mode: number }).mode & S_IFMT) {
  /** st_dev: the file system the file is on (its mount's fsid). */
  dev: number;
  /** st_mode: file type (S_IFMT bits) and permission bits. */
  mode: number;
  /** st_nlink: number of hard links. */
  nlink: number;
  /** st_uid: owner. */
  uid: number;
  /** st_gid: group. */
  gid: number;
  /** st_rdev: device number, for a block or character device. */
  rdev: number;
  /** st_blksize: the preferred I/O size. */
  blksize: number;
  /** st_ino: the file id (inode number) within its file system. */
  ino: number;
  /** st_size: length in bytes. */
  size: number;
  /** st_blocks: storage used, in 512-byte units. */
  blocks: number;
  /** Last access, in milliseconds since the epoch (fractional). */
  atimeMs: number;
  /** Last data modification, in milliseconds since the epoch (fractional). */
  mtimeMs: number;
  /** Last inode change, in milliseconds since the epoch (fractional). */
  ctimeMs: number;
  /** Creation time, in milliseconds since the epoch (fractional; 0 where the fs keeps none). */
  birthtimeMs: number;
  /** Last access (st_atim), as a Date. */
  atime: Date;
  /** Last data modification (st_mtim), as a Date. */
  mtime: Date;
  /** Last inode change (st_ctim), as a Date. */
  ctime: Date;
  /** Creation time (st_birthtim), as a Date. */
  birthtime: Date;
  /** NetBSD's st_flags (chflags(2)); not enumerable. */
  declare readonly flags: number;
  /** NetBSD's st_gen; not enumerable. */
  declare readonly gen: number;

  constructor(st: Stat) {
    super();
    this.dev = st.dev;
    this.mode = st.mode;
    this.nlink = st.nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.blksize = st.blksize;
    this.ino = st.ino;
    this.size = st.size;
    this.blocks = st.blocks;
    this.atimeMs = ms(st.atime);
    this.mtimeMs = ms(st.mtime);
    this.ctimeMs = ms(st.ctime);
    this.birthtimeMs = ms(st.birthtime);
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
    hide(this, st.flags, st.gen);
  }
}

/**
 * fs.BigIntStats (passes `instanceof` the class of Node's own `{ bigint: true }` stats): every number
 * a bigint, plus the *Ns fields with the kernel's nanoseconds.
 */
export class BigIntStats extends typePredicates(nodeBigIntStatsProto, (s) => Number((s as { mode: bigint }).mode) & S_IFMT) {
  /** st_dev: the file system the file is on (its mount's fsid). */
  dev: bigint;
  /** st_mode: file type (S_IFMT bits) and permission bits. */
  mode: bigint;
  /** st_nlink: number of hard links. */
  nlink: bigint;
  /** st_uid: owner. */
  uid: bigint;
  /** st_gid: group. */
  gid: bigint;
  /** st_rdev: device number, for a block or character device. */
  rdev: bigint;
  /** st_blksize: the preferred I/O size. */
  blksize: bigint;
  /** st_ino: the file id (inode number) within its file system. */
  ino: bigint;
  /** st_size: length in bytes. */
  size: bigint;
  /** st_blocks: storage used, in 512-byte units. */
  blocks: bigint;
  /** Last access, in whole milliseconds since the epoch (floored, as Node does). */
  atimeMs: bigint;
  /** Last data modification, in whole milliseconds since the epoch (floored). */
  mtimeMs: bigint;
  /** Last inode change, in whole milliseconds since the epoch (floored). */
  ctimeMs: bigint;
  /** Creation time, in whole milliseconds since the epoch (floored; 0 where the fs keeps none). */
  birthtimeMs: bigint;
  /** Last access, in nanoseconds since the epoch, exact. */
  atimeNs: bigint;
  /** Last data modification, in nanoseconds since the epoch, exact. */
  mtimeNs: bigint;
  /** Last inode change, in nanoseconds since the epoch, exact. */
  ctimeNs: bigint;
  /** Creation time, in nanoseconds since the epoch, exact. */
  birthtimeNs: bigint;
  /** Last access (st_atim), as a Date. */
  atime: Date;
  /** Last data modification (st_mtim), as a Date. */
  mtime: Date;
  /** Last inode change (st_ctim), as a Date. */
  ctime: Date;
  /** Creation time (st_birthtim), as a Date. */
  birthtime: Date;
  /** NetBSD's st_flags (chflags(2)); not enumerable. */
  declare readonly flags: number;
  /** NetBSD's st_gen; not enumerable. */
  declare readonly gen: number;

  constructor(st: Stat) {
    super();
    const ns = (t: Timespec): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    this.dev = BigInt(st.dev);
    this.mode = BigInt(st.mode);
    this.nlink = BigInt(st.nlink);
    this.uid = BigInt(st.uid);
    this.gid = BigInt(st.gid);
    this.rdev = BigInt(st.rdev);
    this.blksize = BigInt(st.blksize);
    this.ino = BigInt(st.ino);
    this.size = BigInt(st.size);
    this.blocks = BigInt(st.blocks);
    this.atimeNs = ns(st.atime);
    this.mtimeNs = ns(st.mtime);
    this.ctimeNs = ns(st.ctime);
    this.birthtimeNs = ns(st.birthtime);
    // Node floors the nanoseconds to whole milliseconds for the bigint *Ms fields
    this.atimeMs = this.atimeNs / 1_000_000n;
    this.mtimeMs = this.mtimeNs / 1_000_000n;
    this.ctimeMs = this.ctimeNs / 1_000_000n;
    this.birthtimeMs = this.birthtimeNs / 1_000_000n;
    this.atime = new Date(Number(this.atimeMs));
    this.mtime = new Date(Number(this.mtimeMs));
    this.ctime = new Date(Number(this.ctimeMs));
    this.birthtime = new Date(Number(this.birthtimeMs));
    hide(this, st.flags, st.gen);
  }
}

/** statfs(2)'s f_type numbers (Linux's, which is what Node reports) for the kernel's file-system names. */
const FS_MAGIC: Readonly<Record<string, number>> = {
  ffs: 0x00011954, // UFS_MAGIC
  tmpfs: 0x01021994, // TMPFS_MAGIC
  cd9660: 0x00009660, // ISOFS_SUPER_MAGIC
  msdos: 0x00004d44, // MSDOS_SUPER_MAGIC
  ext2fs: 0x0000ef53, // EXT2_SUPER_MAGIC
  nfs: 0x00006969, // NFS_SUPER_MAGIC
  ptyfs: 0x00001cd1, // DEVPTS_SUPER_MAGIC
  procfs: 0x00009fa0, // PROC_SUPER_MAGIC
};

/**
 * fs.StatFs from NetBSD's struct statvfs. `type` is the Linux statfs magic number for the file
 * system (0 for one Linux has no number for); NetBSD's own name is `fstypename` (not enumerable).
 */
export class StatFs<T extends number | bigint = number> {
  /** f_type: the Linux statfs magic number of the file system type (0 if Linux has none for it). */
  type: T;
  /** The unit `blocks`, `bfree` and `bavail` count in (NetBSD's f_frsize). */
  bsize: T;
  /** f_blocks: size of the file system in `bsize` units. */
  blocks: T;
  /** f_bfree: free blocks. */
  bfree: T;
  /** f_bavail: free blocks available to unprivileged users. */
  bavail: T;
  /** f_files: total file nodes (inodes). */
  files: T;
  /** f_ffree: free file nodes. */
  ffree: T;
  /** NetBSD's f_fstypename ('ffs', 'tmpfs', 'cd9660'…); not enumerable. */
  declare readonly fstypename: string;

  constructor(sv: Statvfs, bigint: boolean) {
    const n = (v: number): T => (bigint ? BigInt(v) : v) as T;
    this.type = n(FS_MAGIC[sv.fstypename] ?? 0);
    // f_frsize is the unit f_blocks counts in (statvfs(5)); Node's bsize is that unit
    this.bsize = n(sv.frsize > 0 ? sv.frsize : sv.bsize);
    this.blocks = n(sv.blocks);
    this.bfree = n(sv.bfree);
    this.bavail = n(sv.bavail);
    this.files = n(sv.files);
    this.ffree = n(sv.ffree);
    Object.defineProperty(this, 'fstypename', { value: sv.fstypename, enumerable: false });
  }
}

let direntFmt: (d: object) => number;

const DT_TO_IFMT: ReadonlyMap<number, number> = new Map([
  [DT_FIFO, S_IFIFO],
  [DT_CHR, S_IFCHR],
  [DT_DIR, S_IFDIR],
  [DT_BLK, S_IFBLK],
  [DT_REG, S_IFREG],
  [DT_LNK, S_IFLNK],
  [DT_SOCK, S_IFSOCK],
]);

/** fs.Dirent (passes `instanceof fs.Dirent`): a name and its type; `parentPath` (and the older `path`) is the directory read. */
export class Dirent<Name extends string | Buffer = string> extends typePredicates(nodeFs.Dirent.prototype, (d) => direntFmt(d)) {
  readonly #fmt: number;
  /** The entry's name (d_name), a Buffer when the caller asked for encoding 'buffer'. */
  readonly name: Name;
  /** The directory that was read, as the caller named it. */
  readonly parentPath: string;
  /** Deprecated alias of parentPath, an own field as in Node 20. */
  readonly path: string;
  constructor(
    name: Name,
    /** S_IFMT bits of the entry (from d_type, or from lstat when d_type was DT_UNKNOWN). */
    fmt: number,
    parentPath: string,
  ) {
    super();
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this.#fmt = fmt;
  }
  /** The same entry seen from another directory path (the hijack maps kernel paths back to the caller's). */
  withParentPath(parentPath: string): Dirent<Name> {
    return new Dirent(this.name, this.#fmt, parentPath);
  }
  static {
    direntFmt = (d) => (d as Dirent<string | Buffer>).#fmt;
  }
}

/** S_IFMT bits for a d_type, or undefined for DT_UNKNOWN / DT_WHT (the caller lstats). */
export function dtToIfmt(type: number): number | undefined {
  return DT_TO_IFMT.get(type);
}
