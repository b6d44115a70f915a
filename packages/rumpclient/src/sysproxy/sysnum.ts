/**
 * NetBSD native system call numbers (sys/sys/syscall.h) that the rumpts sysproxy server serves and
 * the sysproxy client sends. Every argument takes one 8-byte register_t slot in the request body;
 * `PAD` slots before 64-bit off_t arguments count as arguments (syscallargs.h).
 */
export const SYS_read = 3;
export const SYS_write = 4;
export const SYS_open = 5;
export const SYS_close = 6;
export const SYS_link = 9;
export const SYS_unlink = 10;
export const SYS_chdir = 12;
export const SYS_fchdir = 13;
export const SYS_chmod = 15;
export const SYS_chown = 16;
export const SYS_getpid = 20;
export const SYS_unmount = 22;
export const SYS_getuid = 24;
export const SYS_geteuid = 25;
export const SYS_access = 33;
export const SYS_chflags = 34;
export const SYS_fchflags = 35;
export const SYS_sync = 36;
export const SYS_getppid = 39;
export const SYS_dup = 41;
export const SYS_pipe = 42;
export const SYS_getegid = 43;
export const SYS_getgid = 47;
export const SYS_ioctl = 54;
export const SYS_symlink = 57;
export const SYS_readlink = 58;
export const SYS_umask = 60;
export const SYS_chroot = 61;
export const SYS_dup2 = 90;
export const SYS_fcntl = 92;
export const SYS_fsync = 95;
export const SYS_readv = 120;
export const SYS_writev = 121;
export const SYS_fchown = 123;
export const SYS_fchmod = 124;
export const SYS_rename = 128;
export const SYS_mkfifo = 132;
export const SYS_mkdir = 136;
export const SYS_rmdir = 137;
export const SYS_pread = 173;
export const SYS_pwrite = 174;
export const SYS_lseek = 199;
export const SYS_truncate = 200;
export const SYS_ftruncate = 201;
export const SYS___sysctl = 202;
export const SYS_reboot = 208;
export const SYS_fdatasync = 241;
export const SYS_lchmod = 274;
export const SYS_lchown = 275;
export const SYS___getcwd = 296;
export const SYS_lchflags = 304;
export const SYS_getvfsstat = 356;
export const SYS_statvfs1 = 357;
export const SYS_fstatvfs1 = 358;
export const SYS___getdents30 = 390;
export const SYS___mount50 = 410;
export const SYS___utimes50 = 420;
export const SYS___futimes50 = 423;
export const SYS___lutimes50 = 424;
export const SYS___stat50 = 439;
export const SYS___fstat50 = 440;
export const SYS___lstat50 = 441;
export const SYS___mknod50 = 450;
export const SYS_pipe2 = 453;
export const SYS_dup3 = 454;
export const SYS_mkdirat = 461;
export const SYS_faccessat = 462;
export const SYS_fchmodat = 463;
export const SYS_fchownat = 464;
export const SYS_fstatat = 466;
export const SYS_utimensat = 467;
export const SYS_openat = 468;
export const SYS_readlinkat = 469;
export const SYS_symlinkat = 470;
export const SYS_unlinkat = 471;
/** Numbers at or past this are not system calls (ENOSYS). */
export const SYS_NSYSENT = 512;

/** AT_FDCWD and the *at(2) flags (fcntl.h). */
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x200;
export const AT_REMOVEDIR = 0x800;

/** ioctl command encoding (sys/ioccom.h): direction bits and the parameter length. */
export const IOC_OUT = 0x40000000;
export const IOC_IN = 0x80000000;
export const IOCPARM_MASK = 0x1fff;
export function IOCPARM_LEN(com: number): number {
  return (com >>> 16) & IOCPARM_MASK;
}
