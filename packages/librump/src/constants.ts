/**
 * NetBSD constants by name (sys/fcntl.h, sys/stat.h, sys/dirent.h, sys/mount.h, rump/rump.h),
 * so callers never write the numbers.
 */

// open(2) flags — sys/fcntl.h
/** open(2): read only. */
export const O_RDONLY = 0x0;
/** open(2): write only. */
export const O_WRONLY = 0x1;
/** open(2): read and write. */
export const O_RDWR = 0x2;
/** open(2): mask of the access mode bits. */
export const O_ACCMODE = 0x3;
/** open(2): do not block (fifos, devices). */
export const O_NONBLOCK = 0x4;
/** open(2): every write goes to the end of the file. */
export const O_APPEND = 0x8;
/** open(2): take a shared lock (accepted, not enforced). */
export const O_SHLOCK = 0x10;
/** open(2): take an exclusive lock (accepted, not enforced). */
export const O_EXLOCK = 0x20;
/** open(2): signal-driven I/O (accepted, no signals). */
export const O_ASYNC = 0x40;
/** open(2): writes reach the device before they return. */
export const O_SYNC = 0x80;
/** open(2): fail with ELOOP if the last component is a symbolic link. */
export const O_NOFOLLOW = 0x100;
/** open(2): create the file if it does not exist. */
export const O_CREAT = 0x200;
/** open(2): truncate to length 0. */
export const O_TRUNC = 0x400;
/** open(2): with O_CREAT, fail with EEXIST if the file exists. */
export const O_EXCL = 0x800;
/** open(2): do not make a terminal the controlling one. */
export const O_NOCTTY = 0x8000;
/** open(2): write data synchronously. */
export const O_DSYNC = 0x10000;
/** open(2): read synchronously (with O_SYNC/O_DSYNC). */
export const O_RSYNC = 0x20000;
/** open(2): bypass the buffer cache where the file system can. */
export const O_DIRECT = 0x80000;
/** open(2): fail with ENOTDIR unless the path is a directory. */
export const O_DIRECTORY = 0x200000;
/** open(2): set close-on-exec on the new descriptor. */
export const O_CLOEXEC = 0x400000;
/** open(2): open a directory for searching only. */
export const O_SEARCH = 0x800000;
/** open(2): no SIGPIPE on a broken pipe. */
export const O_NOSIGPIPE = 0x1000000;
/** open(2): fail with EFTYPE unless the path is a regular file. */
export const O_REGULAR = 0x2000000;

// Kernel file flags: FFLAGS(oflags) = oflags + 1, so FREAD/FWRITE are the access bits.
/** File flag (FFLAGS of O_RDONLY): the file is open for reading. */
export const FREAD = 0x1;
/** File flag (FFLAGS of O_WRONLY): the file is open for writing. */
export const FWRITE = 0x2;

// fcntl(2)
/** fcntl(2): duplicate to the lowest free descriptor ≥ arg. */
export const F_DUPFD = 0;
/** fcntl(2): get the descriptor flags (FD_CLOEXEC). */
export const F_GETFD = 1;
/** fcntl(2): set the descriptor flags (FD_CLOEXEC). */
export const F_SETFD = 2;
/** fcntl(2): get the file status flags (open(2) form). */
export const F_GETFL = 3;
/** fcntl(2): set O_APPEND, O_NONBLOCK, O_ASYNC. */
export const F_SETFL = 4;
/** fcntl(2): get the SIGIO owner (not supported). */
export const F_GETOWN = 5;
/** fcntl(2): set the SIGIO owner (not supported). */
export const F_SETOWN = 6;
/** fcntl(2): test for a record lock (not supported). */
export const F_GETLK = 7;
/** fcntl(2): set a record lock (not supported). */
export const F_SETLK = 8;
/** fcntl(2): set a record lock, waiting (not supported). */
export const F_SETLKW = 9;
/** fcntl(2): close every descriptor ≥ fd (not supported). */
export const F_CLOSEM = 10;
/** fcntl(2): the highest open descriptor (not supported). */
export const F_MAXFD = 11;
/** fcntl(2): F_DUPFD with close-on-exec set. */
export const F_DUPFD_CLOEXEC = 12;
/** The close-on-exec descriptor flag (F_GETFD/F_SETFD). */
export const FD_CLOEXEC = 1;

// lseek(2)
/** lseek(2): from the start of the file. */
export const SEEK_SET = 0;
/** lseek(2): from the current offset. */
export const SEEK_CUR = 1;
/** lseek(2): from the end of the file. */
export const SEEK_END = 2;

// access(2)
/** access(2): the file exists. */
export const F_OK = 0;
/** access(2): execute (search) permission. */
export const X_OK = 0x1;
/** access(2): write permission. */
export const W_OK = 0x2;
/** access(2): read permission. */
export const R_OK = 0x4;

// st_mode — sys/stat.h
/** st_mode: mask of the file type bits. */
export const S_IFMT = 0o170000;
/** st_mode: named pipe (fifo). */
export const S_IFIFO = 0o010000;
/** st_mode: character device. */
export const S_IFCHR = 0o020000;
/** st_mode: directory. */
export const S_IFDIR = 0o040000;
/** st_mode: block device. */
export const S_IFBLK = 0o060000;
/** st_mode: regular file. */
export const S_IFREG = 0o100000;
/** st_mode: symbolic link. */
export const S_IFLNK = 0o120000;
/** st_mode: socket. */
export const S_IFSOCK = 0o140000;
/** st_mode: whiteout. */
export const S_IFWHT = 0o160000;
/** st_mode: set user id on execution. */
export const S_ISUID = 0o4000;
/** st_mode: set group id on execution. */
export const S_ISGID = 0o2000;
/** st_mode: sticky bit (directories: only owners remove entries). */
export const S_ISVTX = 0o1000;
/** st_mode: every permission bit (07777). */
export const ALLPERMS = 0o7777;
/** st_mode: the rwx bits (0777). */
export const ACCESSPERMS = 0o777;

// File flags (chflags(2)) — sys/stat.h
/** chflags(2), user: do not dump the file. */
export const UF_NODUMP = 0x1;
/** chflags(2), user: the file may not be changed. */
export const UF_IMMUTABLE = 0x2;
/** chflags(2), user: writes may only append. */
export const UF_APPEND = 0x4;
/** chflags(2), user: the directory is opaque in a union mount. */
export const UF_OPAQUE = 0x8;
/** chflags(2), super-user: the file is archived. */
export const SF_ARCHIVED = 0x10000;
/** chflags(2), super-user: the file may not be changed. */
export const SF_IMMUTABLE = 0x20000;
/** chflags(2), super-user: writes may only append. */
export const SF_APPEND = 0x40000;
/** chflags(2), super-user: the file is a snapshot (FFS). */
export const SF_SNAPSHOT = 0x200000;
/** chflags(2), super-user: the file is a WAPBL log (FFS). */
export const SF_LOG = 0x400000;
/** chflags(2), super-user: the snapshot is invalid (FFS). */
export const SF_SNAPINVAL = 0x800000;

// d_type — sys/dirent.h
/** d_type: unknown (the caller must stat). */
export const DT_UNKNOWN = 0;
/** d_type: named pipe. */
export const DT_FIFO = 1;
/** d_type: character device. */
export const DT_CHR = 2;
/** d_type: directory. */
export const DT_DIR = 4;
/** d_type: block device. */
export const DT_BLK = 6;
/** d_type: regular file. */
export const DT_REG = 8;
/** d_type: symbolic link. */
export const DT_LNK = 10;
/** d_type: socket. */
export const DT_SOCK = 12;
/** d_type: whiteout. */
export const DT_WHT = 14;
/** Longest name a struct dirent can hold. */
export const MAXNAMLEN = 511;
/** Longest path namei accepts, NUL included (sys/syslimits.h PATH_MAX). */
export const MAXPATHLEN = 1024;
/** Longest single component FFS and most file systems store (FFS_MAXNAMLEN). */
export const NAME_MAX = 255;

// mount(2) flags — sys/fstypes.h
/** mount(2): read-only. */
export const MNT_RDONLY = 0x1;
/** mount(2): all I/O synchronous. */
export const MNT_SYNCHRONOUS = 0x2;
/** mount(2): no execution of files. */
export const MNT_NOEXEC = 0x4;
/** mount(2): set-id bits are ignored. */
export const MNT_NOSUID = 0x8;
/** mount(2): device files are not interpreted. */
export const MNT_NODEV = 0x10;
/** mount(2): union with the covered directory. */
export const MNT_UNION = 0x20;
/** mount(2): all I/O asynchronous. */
export const MNT_ASYNC = 0x40;
/** mount(2): no core dumps here. */
export const MNT_NOCOREDUMP = 0x8000;
/** mount(2): update access times only relative to modification. */
export const MNT_RELATIME = 0x20000;
/** mount(2): hidden from df(1). */
export const MNT_IGNORE = 0x100000;
/** mount(2): tell the device about freed blocks. */
export const MNT_DISCARD = 0x800000;
/** mount(2): extended attributes on. */
export const MNT_EXTATTR = 0x1000000;
/** mount(2): FFS write-ahead physical block logging (WAPBL): a crash is replayed at the next mount. */
export const MNT_LOG = 0x2000000;
/** mount(2): access times are not updated. */
export const MNT_NOATIME = 0x4000000;
/** mount(2): mounted by the automounter. */
export const MNT_AUTOMOUNTED = 0x10000000;
/** mount(2): symbolic link permissions are checked. */
export const MNT_SYMPERM = 0x20000000;
/** mount(2): device times are not updated. */
export const MNT_NODEVMTIME = 0x40000000;
/** mount(2): soft dependencies (not supported). */
export const MNT_SOFTDEP = 0x80000000;
/** statvfs f_flag: the file system is local. */
export const MNT_LOCAL = 0x1000;
/** statvfs f_flag: quotas are on. */
export const MNT_QUOTA = 0x2000;
/** statvfs f_flag: the root file system. */
export const MNT_ROOTFS = 0x4000;
/** mount(2): change the flags of an existing mount (e.g. read-only to read-write). */
export const MNT_UPDATE = 0x10000;
/** mount(2): reload the file system data. */
export const MNT_RELOAD = 0x40000;
/** mount(2)/unmount(2): force (unmount with files open; mount an unclean file system). */
export const MNT_FORCE = 0x80000;
/** mount(2): return the mount arguments. */
export const MNT_GETARGS = 0x400000;
// sync waits
/** VFS_SYNC: wait for the writes to complete. */
export const MNT_WAIT = 1;
/** VFS_SYNC: start the writes, do not wait. */
export const MNT_NOWAIT = 2;
/** VFS_SYNC: the syncer's lazy write-back. */
export const MNT_LAZY = 3;

// File-system type names — sys/mount.h
/** File-system type name: the Berkeley Fast File System. */
export const MOUNT_FFS = 'ffs';
/** File-system type name: the rump kernel's root file system. */
export const MOUNT_RUMPFS = 'rumpfs';
/** File-system type name: tmpfs. */
export const MOUNT_TMPFS = 'tmpfs';
/** File-system type name: memory FFS. */
export const MOUNT_MFS = 'mfs';
/** File-system type name: ISO 9660. */
export const MOUNT_CD9660 = 'cd9660';

// rump_etfs(3)
/** rump_etfs(3): the key is a regular file. */
export const RUMP_ETFS_REG = 0;
/** rump_etfs(3): the key is a block device. */
export const RUMP_ETFS_BLK = 1;
/** rump_etfs(3): the key is a character (raw) device. */
export const RUMP_ETFS_CHR = 2;
/** rump_etfs(3): the key is a directory (its files, no subdirectories). */
export const RUMP_ETFS_DIR = 3;
/** rump_etfs(3): the key is a directory tree. */
export const RUMP_ETFS_DIR_SUBDIRS = 4;
/** The rump_etfs(3) key types, RUMP_ETFS_REG … RUMP_ETFS_DIR_SUBDIRS. */
export type RumpEtfsType = 0 | 1 | 2 | 3 | 4;
/**
 * Map to the end of the host file. C uses (uint64_t)-1; a JS number cannot hold that exactly,
 * so the sentinel is -1, which no real size can be.
 */
export const RUMP_ETFS_SIZE_ENDOFF = -1;

// rump_lwproc_rfork(3)
/** rump_lwproc_rfork(3): the child gets a copy of the descriptor table. */
export const RUMP_RFFDG = 0x1;
/** rump_lwproc_rfork(3): the child starts with no descriptors. */
export const RUMP_RFCFDG = 0x2;

// reboot(2)
/** reboot(2): an ordinary halt (sync, then stop). */
export const RB_AUTOBOOT = 0;
/** reboot(2): ask for the root device (ignored). */
export const RB_ASKNAME = 0x1;
/** reboot(2): single-user (ignored). */
export const RB_SINGLE = 0x2;
/** reboot(2): do not sync the file systems first. */
export const RB_NOSYNC = 0x4;
/** reboot(2): halt; a server stays, idle, instead of exiting. */
export const RB_HALT = 0x8;
/** reboot(2): dump core. */
export const RB_DUMP = 0x100;
/** reboot(2): power down (halts). */
export const RB_POWERDOWN = 0x808;

/** Block size unit of st_blocks and disk addresses (DEV_BSIZE). */
export const DEV_BSIZE = 512;
/** log2 of DEV_BSIZE. */
export const DEV_BSHIFT = 9;
