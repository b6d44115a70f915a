/**
 * NetBSD native system call numbers (sys/sys/syscall.h) that the rumpts sysproxy server serves and
 * the sysproxy client sends. Every argument takes one 8-byte register_t slot in the request body;
 * `PAD` slots before 64-bit off_t arguments count as arguments (syscallargs.h).
 */
/** read: read(2). */
export const SYS_read = 3;
/** write: write(2). */
export const SYS_write = 4;
/** open: open(2). */
export const SYS_open = 5;
/** close: close(2). */
export const SYS_close = 6;
/** link: link(2). */
export const SYS_link = 9;
/** unlink: unlink(2). */
export const SYS_unlink = 10;
/** chdir: chdir(2). */
export const SYS_chdir = 12;
/** fchdir: fchdir(2). */
export const SYS_fchdir = 13;
/** chmod: chmod(2). */
export const SYS_chmod = 15;
/** chown: chown(2). */
export const SYS_chown = 16;
/** getpid: getpid(2). */
export const SYS_getpid = 20;
/** unmount: unmount(2). */
export const SYS_unmount = 22;
/** getuid: getuid(2). */
export const SYS_getuid = 24;
/** geteuid: geteuid(2). */
export const SYS_geteuid = 25;
/** access: access(2). */
export const SYS_access = 33;
/** chflags: chflags(2). */
export const SYS_chflags = 34;
/** fchflags: fchflags(2). */
export const SYS_fchflags = 35;
/** sync: sync(2). */
export const SYS_sync = 36;
/** getppid: getppid(2). */
export const SYS_getppid = 39;
/** dup: dup(2). */
export const SYS_dup = 41;
/** pipe: pipe(2). */
export const SYS_pipe = 42;
/** getegid: getegid(2). */
export const SYS_getegid = 43;
/** getgid: getgid(2). */
export const SYS_getgid = 47;
/** ioctl: ioctl(2). */
export const SYS_ioctl = 54;
/** symlink: symlink(2). */
export const SYS_symlink = 57;
/** readlink: readlink(2). */
export const SYS_readlink = 58;
/** umask: umask(2). */
export const SYS_umask = 60;
/** chroot: chroot(2). */
export const SYS_chroot = 61;
/** dup2: dup2(2). */
export const SYS_dup2 = 90;
/** fcntl: fcntl(2). */
export const SYS_fcntl = 92;
/** fsync: fsync(2). */
export const SYS_fsync = 95;
/** readv: readv(2). */
export const SYS_readv = 120;
/** writev: writev(2). */
export const SYS_writev = 121;
/** fchown: fchown(2). */
export const SYS_fchown = 123;
/** fchmod: fchmod(2). */
export const SYS_fchmod = 124;
/** rename: rename(2). */
export const SYS_rename = 128;
/** mkfifo: mkfifo(2). */
export const SYS_mkfifo = 132;
/** mkdir: mkdir(2). */
export const SYS_mkdir = 136;
/** rmdir: rmdir(2). */
export const SYS_rmdir = 137;
/** pread: pread(2). */
export const SYS_pread = 173;
/** pwrite: pwrite(2). */
export const SYS_pwrite = 174;
/** lseek: lseek(2). */
export const SYS_lseek = 199;
/** truncate: truncate(2). */
export const SYS_truncate = 200;
/** ftruncate: ftruncate(2). */
export const SYS_ftruncate = 201;
/** __sysctl: sysctl(2). */
export const SYS___sysctl = 202;
/** reboot: reboot(2). */
export const SYS_reboot = 208;
/** fdatasync: fdatasync(2). */
export const SYS_fdatasync = 241;
/** lchmod: lchmod(2). */
export const SYS_lchmod = 274;
/** lchown: lchown(2). */
export const SYS_lchown = 275;
/** __getcwd: getcwd(2). */
export const SYS___getcwd = 296;
/** lchflags: lchflags(2). */
export const SYS_lchflags = 304;
/** getvfsstat: getvfsstat(2). */
export const SYS_getvfsstat = 356;
/** statvfs1: statvfs1(2). */
export const SYS_statvfs1 = 357;
/** fstatvfs1: fstatvfs1(2). */
export const SYS_fstatvfs1 = 358;
/** __getdents30: getdents(2). */
export const SYS___getdents30 = 390;
/** __mount50: mount(2). */
export const SYS___mount50 = 410;
/** __utimes50: utimes(2). */
export const SYS___utimes50 = 420;
/** __futimes50: futimes(2). */
export const SYS___futimes50 = 423;
/** __lutimes50: lutimes(2). */
export const SYS___lutimes50 = 424;
/** __stat50: stat(2). */
export const SYS___stat50 = 439;
/** __fstat50: fstat(2). */
export const SYS___fstat50 = 440;
/** __lstat50: lstat(2). */
export const SYS___lstat50 = 441;
/** __mknod50: mknod(2). */
export const SYS___mknod50 = 450;
/** pipe2: pipe2(2). */
export const SYS_pipe2 = 453;
/** dup3: dup3(2). */
export const SYS_dup3 = 454;
/** mkdirat: mkdirat(2). */
export const SYS_mkdirat = 461;
/** faccessat: faccessat(2). */
export const SYS_faccessat = 462;
/** fchmodat: fchmodat(2). */
export const SYS_fchmodat = 463;
/** fchownat: fchownat(2). */
export const SYS_fchownat = 464;
/** fstatat: fstatat(2). */
export const SYS_fstatat = 466;
/** utimensat: utimensat(2). */
export const SYS_utimensat = 467;
/** openat: openat(2). */
export const SYS_openat = 468;
/** readlinkat: readlinkat(2). */
export const SYS_readlinkat = 469;
/** symlinkat: symlinkat(2). */
export const SYS_symlinkat = 470;
/** unlinkat: unlinkat(2). */
export const SYS_unlinkat = 471;
/** Numbers at or past this are not system calls (ENOSYS). */
export const SYS_NSYSENT = 512;

/** The *at(2) calls' directory argument meaning the current directory (fcntl.h). */
export const AT_FDCWD = -100;
/** *at(2) flag: act on a symbolic link itself (fcntl.h). */
export const AT_SYMLINK_NOFOLLOW = 0x200;
/** unlinkat(2) flag: remove a directory (fcntl.h). */
export const AT_REMOVEDIR = 0x800;

/** ioctl command bit (sys/ioccom.h): the kernel copies the parameter out to the caller. */
export const IOC_OUT = 0x40000000;
/** ioctl command bit (sys/ioccom.h): the kernel copies the parameter in from the caller. */
export const IOC_IN = 0x80000000;
/** Mask of an ioctl command's parameter length, after shifting it down 16 bits (sys/ioccom.h). */
export const IOCPARM_MASK = 0x1fff;
/** The parameter length in bytes that an ioctl command encodes (sys/ioccom.h IOCPARM_LEN). */
export function IOCPARM_LEN(com: number): number {
  return (com >>> 16) & IOCPARM_MASK;
}
