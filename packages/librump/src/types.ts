/** The user-visible structures of the rump_sys calls (NetBSD's struct stat, dirent, statvfs). */

export interface Timespec {
  sec: number;
  nsec: number;
}

/** struct stat (NetBSD __stat50). Sizes and offsets are numbers, exact up to 2^53. */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blocks: number;
  blksize: number;
  flags: number;
  gen: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
}

/** One entry of getdents(2): NetBSD struct dirent without the packing. */
export interface Dirent {
  fileno: number;
  type: number;
  name: string;
  /** d_reclen of the entry as NetBSD would lay it out: (13 + namlen + 1 + 7) & ~7. */
  reclen: number;
}

/** struct statvfs (statvfs1(2)). */
export interface Statvfs {
  flag: number;
  bsize: number;
  frsize: number;
  iosize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  bresvd: number;
  files: number;
  ffree: number;
  favail: number;
  fresvd: number;
  fsid: number;
  namemax: number;
  owner: number;
  fstypename: string;
  mntonname: string;
  mntfromname: string;
}

/** Process credentials (kauth_cred): effective ids, as the VFS checks them. */
export interface Cred {
  uid: number;
  gid: number;
  groups: readonly number[];
}

/** Data argument of mount(2): file-system specific (ufs_args `{ fspec }`, tmpfs `{ size }`…). */
export type MountData = Readonly<Record<string, unknown>> | undefined;

/** The vnode attributes a setattr-family call changes; undefined fields are left alone. */
export interface TimesArg {
  atime?: Timespec | null;
  mtime?: Timespec | null;
}
