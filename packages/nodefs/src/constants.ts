/**
 * fs.constants for this facade: NetBSD's values (sys/fcntl.h, sys/stat.h) — the numbers the kernel
 * understands — plus Node's own COPYFILE_* bits. Pass these, not the host's fs.constants, as numbers.
 */
import * as L from '@rumpts/librump';

export const COPYFILE_EXCL = 1;
export const COPYFILE_FICLONE = 2;
export const COPYFILE_FICLONE_FORCE = 4;

export const constants = Object.freeze({
  F_OK: L.F_OK,
  R_OK: L.R_OK,
  W_OK: L.W_OK,
  X_OK: L.X_OK,
  O_RDONLY: L.O_RDONLY,
  O_WRONLY: L.O_WRONLY,
  O_RDWR: L.O_RDWR,
  O_CREAT: L.O_CREAT,
  O_EXCL: L.O_EXCL,
  O_NOCTTY: L.O_NOCTTY,
  O_TRUNC: L.O_TRUNC,
  O_APPEND: L.O_APPEND,
  O_DIRECTORY: L.O_DIRECTORY,
  O_NOFOLLOW: L.O_NOFOLLOW,
  O_SYNC: L.O_SYNC,
  O_DSYNC: L.O_DSYNC,
  O_DIRECT: L.O_DIRECT,
  O_NONBLOCK: L.O_NONBLOCK,
  O_CLOEXEC: L.O_CLOEXEC,
  S_IFMT: L.S_IFMT,
  S_IFREG: L.S_IFREG,
  S_IFDIR: L.S_IFDIR,
  S_IFCHR: L.S_IFCHR,
  S_IFBLK: L.S_IFBLK,
  S_IFIFO: L.S_IFIFO,
  S_IFLNK: L.S_IFLNK,
  S_IFSOCK: L.S_IFSOCK,
  S_IRWXU: 0o700,
  S_IRUSR: 0o400,
  S_IWUSR: 0o200,
  S_IXUSR: 0o100,
  S_IRWXG: 0o70,
  S_IRGRP: 0o40,
  S_IWGRP: 0o20,
  S_IXGRP: 0o10,
  S_IRWXO: 0o7,
  S_IROTH: 0o4,
  S_IWOTH: 0o2,
  S_IXOTH: 0o1,
  COPYFILE_EXCL,
  COPYFILE_FICLONE,
  COPYFILE_FICLONE_FORCE,
});
