/**
 * fs.Stats and fs.Dirent shapes from NetBSD's struct stat and struct dirent. File types are read
 * from st_mode with NetBSD's S_IF* values (which match Linux's), d_type with NetBSD's DT_* values.
 */
import {
  DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_IFSOCK, type Stat, type Timespec,
} from '@rumpts/librump';

function ms(t: Timespec): number {
  return t.sec * 1000 + t.nsec / 1e6;
}

/** The type predicates fs.Stats and fs.Dirent share, over an S_IFMT value. */
abstract class TypePredicates {
  protected abstract get fmt(): number;
  isFile(): boolean {
    return this.fmt === S_IFREG;
  }
  isDirectory(): boolean {
    return this.fmt === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return this.fmt === S_IFLNK;
  }
  isBlockDevice(): boolean {
    return this.fmt === S_IFBLK;
  }
  isCharacterDevice(): boolean {
    return this.fmt === S_IFCHR;
  }
  isFIFO(): boolean {
    return this.fmt === S_IFIFO;
  }
  isSocket(): boolean {
    return this.fmt === S_IFSOCK;
  }
}

/** fs.Stats: the numeric fields, the *Ms times, the Date times and the type predicates. */
export class Stats extends TypePredicates {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;
  /** NetBSD's st_flags (chflags(2)) and st_gen, which Node's Stats has no place for. */
  flags: number;
  gen: number;

  constructor(st: Stat) {
    super();
    this.dev = st.dev;
    this.ino = st.ino;
    this.mode = st.mode;
    this.nlink = st.nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.size = st.size;
    this.blksize = st.blksize;
    this.blocks = st.blocks;
    this.atimeMs = ms(st.atime);
    this.mtimeMs = ms(st.mtime);
    this.ctimeMs = ms(st.ctime);
    this.birthtimeMs = ms(st.birthtime);
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
    this.flags = st.flags;
    this.gen = st.gen;
  }

  protected get fmt(): number {
    return this.mode & S_IFMT;
  }
}

/** fs.BigIntStats: every number a bigint, plus the *Ns fields with the kernel's nanoseconds. */
export class BigIntStats extends TypePredicates {
  dev: bigint;
  ino: bigint;
  mode: bigint;
  nlink: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeMs: bigint;
  mtimeMs: bigint;
  ctimeMs: bigint;
  birthtimeMs: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;

  constructor(st: Stat) {
    super();
    const ns = (t: Timespec): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    this.dev = BigInt(st.dev);
    this.ino = BigInt(st.ino);
    this.mode = BigInt(st.mode);
    this.nlink = BigInt(st.nlink);
    this.uid = BigInt(st.uid);
    this.gid = BigInt(st.gid);
    this.rdev = BigInt(st.rdev);
    this.size = BigInt(st.size);
    this.blksize = BigInt(st.blksize);
    this.blocks = BigInt(st.blocks);
    this.atimeNs = ns(st.atime);
    this.mtimeNs = ns(st.mtime);
    this.ctimeNs = ns(st.ctime);
    this.birthtimeNs = ns(st.birthtime);
    this.atimeMs = this.atimeNs / 1_000_000n;
    this.mtimeMs = this.mtimeNs / 1_000_000n;
    this.ctimeMs = this.ctimeNs / 1_000_000n;
    this.birthtimeMs = this.birthtimeNs / 1_000_000n;
    this.atime = new Date(Number(this.atimeMs));
    this.mtime = new Date(Number(this.mtimeMs));
    this.ctime = new Date(Number(this.ctimeMs));
    this.birthtime = new Date(Number(this.birthtimeMs));
  }

  protected get fmt(): number {
    return Number(this.mode) & S_IFMT;
  }
}

const DT_TO_IFMT: ReadonlyMap<number, number> = new Map([
  [DT_FIFO, S_IFIFO],
  [DT_CHR, S_IFCHR],
  [DT_DIR, S_IFDIR],
  [DT_BLK, S_IFBLK],
  [DT_REG, S_IFREG],
  [DT_LNK, S_IFLNK],
  [DT_SOCK, S_IFSOCK],
]);

/** fs.Dirent: a name and its type; `parentPath` (and the older `path`) is the directory read. */
export class Dirent<Name extends string | Buffer = string> extends TypePredicates {
  readonly #fmt: number;
  constructor(
    readonly name: Name,
    /** S_IFMT bits of the entry (from d_type, or from lstat when d_type was DT_UNKNOWN). */
    fmt: number,
    readonly parentPath: string,
  ) {
    super();
    this.#fmt = fmt;
  }
  /** The same entry seen from another directory path (the hijack maps kernel paths back to the caller's). */
  withParentPath(parentPath: string): Dirent<Name> {
    return new Dirent(this.name, this.#fmt, parentPath);
  }
  /** Deprecated alias of parentPath, kept because Node 20 still has it. */
  get path(): string {
    return this.parentPath;
  }
  protected get fmt(): number {
    return this.#fmt;
  }
}

/** S_IFMT bits for a d_type, or undefined for DT_UNKNOWN / DT_WHT (the caller lstats). */
export function dtToIfmt(type: number): number | undefined {
  return DT_TO_IFMT.get(type);
}
