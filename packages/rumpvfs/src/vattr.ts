/** Vnode types and attributes (sys/vnode.h: enum vtype, struct vattr). */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, type Timespec } from '@rumpts/librump';

/** enum vtype (NetBSD's values): no type, as for an st_mode without a file type. */
export const VNON = 0;
/** enum vtype: regular file. */
export const VREG = 1;
/** enum vtype: directory. */
export const VDIR = 2;
/** enum vtype: block device. */
export const VBLK = 3;
/** enum vtype: character device. */
export const VCHR = 4;
/** enum vtype: symbolic link. */
export const VLNK = 5;
/** enum vtype: socket. */
export const VSOCK = 6;
/** enum vtype: named pipe (fifo). */
export const VFIFO = 7;
/** enum vtype: a dead vnode's type in NetBSD (revoked; deadfs). */
export const VBAD = 8;
/** enum vtype: one of VNON … VBAD. */
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
  /** va_type: the vnode type. */
  type: VType;
  /** va_mode: permission bits, setuid/setgid/sticky included (the file type is in `type`). */
  mode: number;
  /** va_nlink: number of links (directory entries) to the file. */
  nlink: number;
  /** va_uid: owner. */
  uid: number;
  /** va_gid: group. */
  gid: number;
  /** The file id (inode number). */
  fileid: number;
  /** va_size: length in bytes (for a symlink, of its target). */
  size: number;
  /** Bytes of storage actually used (va_bytes). */
  bytes: number;
  /** va_blocksize: the preferred I/O size (st_blksize). */
  blocksize: number;
  /** va_atime: last access. */
  atime: Timespec;
  /** va_mtime: last data modification. */
  mtime: Timespec;
  /** va_ctime: last change of the inode (attributes or data). */
  ctime: Timespec;
  /** va_birthtime: creation time (0 where the fs keeps none). */
  birthtime: Timespec;
  /** va_gen: generation number, changed when a file id is reused (st_gen). */
  gen: number;
  /** chflags(2) flags. */
  flags: number;
  /** Device number for VBLK/VCHR. */
  rdev: number;
}

/** What setattr may change; only the fields present are changed (VNOVAL elsewhere). */
export interface VattrChange {
  /** New permission bits (chmod(2)). */
  mode?: number;
  /** New owner (chown(2)). */
  uid?: number;
  /** New group (chown(2)). */
  gid?: number;
  /** New length (truncate(2)); regular files only. */
  size?: number;
  /** New access time (utimes(2)). */
  atime?: Timespec;
  /** New modification time (utimes(2)). */
  mtime?: Timespec;
  /**
   * New change time; given alone it only marks the inode changed (chown to the same owner).
   * Otherwise the fs sets ctime to now on any change.
   */
  ctime?: Timespec;
  /** New creation time, for file systems that keep one (UFS2); no system call sets it today. */
  birthtime?: Timespec;
  /** New file flags (chflags(2): UF_* and SF_*). */
  flags?: number;
}

/** Attributes of a node being created (create, mknod, mkdir, symlink). */
export interface VattrCreate {
  /** Type of the new node. */
  type: VType;
  /** Permission bits, already masked with the process umask. */
  mode: number;
  /** Owner: the creating process's effective uid. */
  uid: number;
  /** Group: the parent directory's (BSD semantics). */
  gid: number;
  /** Device number (mknod of VBLK/VCHR; 0 otherwise). */
  rdev: number;
}

/** The current time as a Timespec (getnanotime). */
export function nanotime(): Timespec {
  const ms = Date.now();
  const hr = process.hrtime.bigint() % 1_000_000n;
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 + Number(hr) };
}
