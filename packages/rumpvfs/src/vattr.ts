/** Vnode types and attributes (sys/vnode.h: enum vtype, struct vattr). */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, type Timespec } from '@rumpts/librump';

/** enum vtype, NetBSD's values. */
export const VNON = 0;
export const VREG = 1;
export const VDIR = 2;
export const VBLK = 3;
export const VCHR = 4;
export const VLNK = 5;
export const VSOCK = 6;
export const VFIFO = 7;
export const VBAD = 8;
export type VType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const IFTOVT = new Map<number, VType>([
  [S_IFREG, VREG], [S_IFDIR, VDIR], [S_IFBLK, VBLK], [S_IFCHR, VCHR], [S_IFLNK, VLNK], [S_IFSOCK, VSOCK], [S_IFIFO, VFIFO],
]);
const VTTOIF: readonly number[] = [0, S_IFREG, S_IFDIR, S_IFBLK, S_IFCHR, S_IFLNK, S_IFSOCK, S_IFIFO, 0];
const VTTODT: readonly number[] = [DT_UNKNOWN, DT_REG, DT_DIR, DT_BLK, DT_CHR, DT_LNK, DT_SOCK, DT_FIFO, DT_UNKNOWN];

/** IFTOVT(): the vnode type of an st_mode. */
export function iftovt(mode: number): VType {
  return IFTOVT.get(mode & S_IFMT) ?? VNON;
}
/** VTTOIF(): the S_IF* bits of a vnode type. */
export function vttoif(t: VType): number {
  return VTTOIF[t] ?? 0;
}
/** The d_type of a vnode type. */
export function vttodt(t: VType): number {
  return VTTODT[t] ?? DT_UNKNOWN;
}

/** struct vattr: what getattr returns. `mode` holds permission bits only (07777), as va_mode does. */
export interface Vattr {
  type: VType;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** The file id (inode number). */
  fileid: number;
  size: number;
  /** Bytes of storage actually used (va_bytes). */
  bytes: number;
  blocksize: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
  gen: number;
  /** chflags(2) flags. */
  flags: number;
  /** Device number for VBLK/VCHR. */
  rdev: number;
}

/** What setattr may change; only the fields present are changed (VNOVAL elsewhere). */
export interface VattrChange {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
  birthtime?: Timespec;
  flags?: number;
}

/** Attributes of a node being created (create, mknod, mkdir, symlink). */
export interface VattrCreate {
  type: VType;
  /** Permission bits, already masked with the process umask. */
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
}

/** The current time as a Timespec (getnanotime). */
export function nanotime(): Timespec {
  const ms = Date.now();
  const hr = process.hrtime.bigint() % 1_000_000n;
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 + Number(hr) };
}
