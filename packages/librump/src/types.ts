/** The user-visible structures of the rump_sys calls (NetBSD's struct stat, dirent, statvfs). */

/** A time: seconds since the epoch and nanoseconds (struct timespec). */
export interface Timespec {
  /** Seconds since 1970-01-01 00:00 UTC. */
  sec: number;
  /** Nanoseconds, 0 to 999 999 999. */
  nsec: number;
}

/** struct stat (NetBSD __stat50). Sizes and offsets are numbers, exact up to 2^53. */
export interface Stat {
  /** The device (file system) the file lives on. */
  dev: number;
  /** The inode number, unique within `dev`. */
  ino: number;
  /** File type (S_IFMT bits) and permissions. */
  mode: number;
  /** Number of hard links. */
  nlink: number;
  /** Owner's user id. */
  uid: number;
  /** Owner's group id. */
  gid: number;
  /** The device a device file stands for (major/minor), else 0. */
  rdev: number;
  /** Size in bytes. */
  size: number;
  /** Space allocated, in 512-byte blocks (DEV_BSIZE). */
  blocks: number;
  /** Preferred I/O size in bytes. */
  blksize: number;
  /** chflags(2) flags (UF_* / SF_*). */
  flags: number;
  /** Inode generation number. */
  gen: number;
  /** Last access. */
  atime: Timespec;
  /** Last data modification. */
  mtime: Timespec;
  /** Last inode change. */
  ctime: Timespec;
  /** Creation (where the file system keeps it; UFS2 does). */
  birthtime: Timespec;
}

/** One entry of getdents(2): NetBSD struct dirent without the packing. */
export interface Dirent {
  /** The inode number (d_fileno). */
  fileno: number;
  /** The entry's type, DT_* (d_type). */
  type: number;
  /**
   * The name (d_name), without the terminating NUL. Names are bytes: one that is not valid UTF-8
   * carries each stray byte as U+DC00 + byte (decodeName in names.ts), so it maps back exactly.
   */
  name: string;
  /** d_reclen of the entry as NetBSD would lay it out: (13 + namlen + 1 + 7) & ~7. */
  reclen: number;
}

/** struct statvfs (statvfs1(2)). */
export interface Statvfs {
  /** Mount flags (MNT_*), MNT_LOCAL included. */
  flag: number;
  /** File system block size. */
  bsize: number;
  /** Fundamental (fragment) size: the unit of the block counts. */
  frsize: number;
  /** Optimal I/O size. */
  iosize: number;
  /** Size of the file system in frsize units. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks available to non-root users. */
  bavail: number;
  /** Blocks reserved for root. */
  bresvd: number;
  /** Total inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Free inodes available to non-root users. */
  favail: number;
  /** Inodes reserved for root. */
  fresvd: number;
  /** File system id. */
  fsid: number;
  /** Longest file name. */
  namemax: number;
  /** User that mounted the file system. */
  owner: number;
  /** Type name, e.g. `ffs`. */
  fstypename: string;
  /** Where it is mounted in the kernel's namespace. */
  mntonname: string;
  /** What is mounted (its device, e.g. `/dev/disk`). */
  mntfromname: string;
}

/** Process credentials (kauth_cred): effective ids, as the VFS checks them. */
export interface Cred {
  /** Effective user id (0: root). */
  uid: number;
  /** Effective group id. */
  gid: number;
  /** Supplementary groups. */
  groups: readonly number[];
}

/** Data argument of mount(2): file-system specific (ufs_args `{ fspec }`, tmpfs `{ size }`…). */
export type MountData = Readonly<Record<string, unknown>> | undefined;

/** The times a utimes-family call sets; null means "now", undefined leaves it alone. */
export interface TimesArg {
  /** New access time. */
  atime?: Timespec | null;
  /** New modification time. */
  mtime?: Timespec | null;
}
