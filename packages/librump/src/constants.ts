/**
 * NetBSD constants by name (sys/fcntl.h, sys/stat.h, sys/dirent.h, sys/mount.h, rump/rump.h),
 * so callers never write the numbers.
 */

// open(2) flags — sys/fcntl.h
export const O_RDONLY = 0x0;
export const O_WRONLY = 0x1;
export const O_RDWR = 0x2;
export const O_ACCMODE = 0x3;
export const O_NONBLOCK = 0x4;
export const O_APPEND = 0x8;
export const O_SHLOCK = 0x10;
export const O_EXLOCK = 0x20;
export const O_ASYNC = 0x40;
export const O_SYNC = 0x80;
export const O_NOFOLLOW = 0x100;
export const O_CREAT = 0x200;
export const O_TRUNC = 0x400;
export const O_EXCL = 0x800;
export const O_NOCTTY = 0x8000;
export const O_DSYNC = 0x10000;
export const O_RSYNC = 0x20000;
export const O_DIRECT = 0x80000;
export const O_DIRECTORY = 0x200000;
export const O_CLOEXEC = 0x400000;
export const O_SEARCH = 0x800000;
export const O_NOSIGPIPE = 0x1000000;
export const O_REGULAR = 0x2000000;

// Kernel file flags: FFLAGS(oflags) = oflags + 1, so FREAD/FWRITE are the access bits.
export const FREAD = 0x1;
export const FWRITE = 0x2;

// fcntl(2)
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETOWN = 5;
export const F_SETOWN = 6;
export const F_GETLK = 7;
export const F_SETLK = 8;
export const F_SETLKW = 9;
export const F_CLOSEM = 10;
export const F_MAXFD = 11;
export const F_DUPFD_CLOEXEC = 12;
export const FD_CLOEXEC = 1;

// lseek(2)
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

// access(2)
export const F_OK = 0;
export const X_OK = 0x1;
export const W_OK = 0x2;
export const R_OK = 0x4;

// st_mode — sys/stat.h
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;
export const S_IFWHT = 0o160000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
export const ALLPERMS = 0o7777;
export const ACCESSPERMS = 0o777;

// File flags (chflags(2)) — sys/stat.h
export const UF_NODUMP = 0x1;
export const UF_IMMUTABLE = 0x2;
export const UF_APPEND = 0x4;
export const UF_OPAQUE = 0x8;
export const SF_ARCHIVED = 0x10000;
export const SF_IMMUTABLE = 0x20000;
export const SF_APPEND = 0x40000;
export const SF_SNAPSHOT = 0x200000;
export const SF_LOG = 0x400000;
export const SF_SNAPINVAL = 0x800000;

// d_type — sys/dirent.h
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;
export const DT_WHT = 14;
export const MAXNAMLEN = 511;
/** Longest path namei accepts, NUL included (sys/syslimits.h PATH_MAX). */
export const MAXPATHLEN = 1024;
/** Longest single component FFS and most file systems store (FFS_MAXNAMLEN). */
export const NAME_MAX = 255;

// mount(2) flags — sys/fstypes.h
export const MNT_RDONLY = 0x1;
export const MNT_SYNCHRONOUS = 0x2;
export const MNT_NOEXEC = 0x4;
export const MNT_NOSUID = 0x8;
export const MNT_NODEV = 0x10;
export const MNT_UNION = 0x20;
export const MNT_ASYNC = 0x40;
export const MNT_NOCOREDUMP = 0x8000;
export const MNT_RELATIME = 0x20000;
export const MNT_IGNORE = 0x100000;
export const MNT_DISCARD = 0x800000;
export const MNT_EXTATTR = 0x1000000;
export const MNT_LOG = 0x2000000;
export const MNT_NOATIME = 0x4000000;
export const MNT_AUTOMOUNTED = 0x10000000;
export const MNT_SYMPERM = 0x20000000;
export const MNT_NODEVMTIME = 0x40000000;
export const MNT_SOFTDEP = 0x80000000;
export const MNT_LOCAL = 0x1000;
export const MNT_QUOTA = 0x2000;
export const MNT_ROOTFS = 0x4000;
export const MNT_UPDATE = 0x10000;
export const MNT_RELOAD = 0x40000;
export const MNT_FORCE = 0x80000;
export const MNT_GETARGS = 0x400000;
// sync waits
export const MNT_WAIT = 1;
export const MNT_NOWAIT = 2;
export const MNT_LAZY = 3;

// File-system type names — sys/mount.h
export const MOUNT_FFS = 'ffs';
export const MOUNT_RUMPFS = 'rumpfs';
export const MOUNT_TMPFS = 'tmpfs';
export const MOUNT_MFS = 'mfs';
export const MOUNT_CD9660 = 'cd9660';

// rump_etfs(3)
export const RUMP_ETFS_REG = 0;
export const RUMP_ETFS_BLK = 1;
export const RUMP_ETFS_CHR = 2;
export const RUMP_ETFS_DIR = 3;
export const RUMP_ETFS_DIR_SUBDIRS = 4;
export type RumpEtfsType = 0 | 1 | 2 | 3 | 4;
/**
 * Map to the end of the host file. C uses (uint64_t)-1; a JS number cannot hold that exactly,
 * so the sentinel is -1, which no real size can be.
 */
export const RUMP_ETFS_SIZE_ENDOFF = -1;

// rump_lwproc_rfork(3)
export const RUMP_RFFDG = 0x1;
export const RUMP_RFCFDG = 0x2;

// reboot(2)
export const RB_AUTOBOOT = 0;
export const RB_ASKNAME = 0x1;
export const RB_SINGLE = 0x2;
export const RB_NOSYNC = 0x4;
export const RB_HALT = 0x8;
export const RB_DUMP = 0x100;
export const RB_POWERDOWN = 0x808;

/** Block size unit of st_blocks and disk addresses (DEV_BSIZE). */
export const DEV_BSIZE = 512;
export const DEV_BSHIFT = 9;
