/**
 * fs.constants for this facade: the HOST's own values (`node:fs`'s `constants`, copied), so code
 * written for node:fs passes the numbers it always passes. The facade turns open flags into the
 * kernel's NetBSD bits itself (flags.ts). NetBSD's numbers are kept apart, in `netbsdConstants`,
 * for code that calls a kernel process directly.
 */
import { constants as hostConstants } from 'node:fs';
import * as L from '@rumpts/librump';

/** copyFile mode: fail with EEXIST if the destination exists (the host's value). */
export const COPYFILE_EXCL = hostConstants.COPYFILE_EXCL;
/** copyFile mode: clone if the file system can, else copy (here: always a copy; the host's value). */
export const COPYFILE_FICLONE = hostConstants.COPYFILE_FICLONE;
/** copyFile mode: clone or fail (here: always ENOTSUP, the kernel has no clone; the host's value). */
export const COPYFILE_FICLONE_FORCE = hostConstants.COPYFILE_FICLONE_FORCE;

/** The facade's `fs.constants`: a frozen copy of the host's `node:fs` constants. */
export const constants: Readonly<typeof hostConstants> = Object.freeze({ ...hostConstants });

/**
 * NetBSD's values (sys/fcntl.h, sys/stat.h, unistd.h): what a kernel process's own `open`/`access`
 * take. Not for the facade — its numbers are the host's (`constants`).
 */
export const netbsdConstants = Object.freeze({
  /** access(2): the file exists. */
  F_OK: L.F_OK,
  /** access(2): read permission. */
  R_OK: L.R_OK,
  /** access(2): write permission. */
  W_OK: L.W_OK,
  /** access(2): execute (search) permission. */
  X_OK: L.X_OK,
  /** open(2): read only. */
  O_RDONLY: L.O_RDONLY,
  /** open(2): write only. */
  O_WRONLY: L.O_WRONLY,
  /** open(2): read and write. */
  O_RDWR: L.O_RDWR,
  /** open(2): mask of the access mode bits. */
  O_ACCMODE: L.O_ACCMODE,
  /** open(2): do not block (fifos, devices). */
  O_NONBLOCK: L.O_NONBLOCK,
  /** open(2): every write goes to the end of the file. */
  O_APPEND: L.O_APPEND,
  /** open(2): take a shared lock (accepted, not enforced). */
  O_SHLOCK: L.O_SHLOCK,
  /** open(2): take an exclusive lock (accepted, not enforced). */
  O_EXLOCK: L.O_EXLOCK,
  /** open(2): signal-driven I/O (accepted, no signals). */
  O_ASYNC: L.O_ASYNC,
  /** open(2): writes reach the device before they return. */
  O_SYNC: L.O_SYNC,
  /** open(2): fail with ELOOP if the last component is a symbolic link. */
  O_NOFOLLOW: L.O_NOFOLLOW,
  /** open(2): create the file if it does not exist. */
  O_CREAT: L.O_CREAT,
  /** open(2): truncate to length 0. */
  O_TRUNC: L.O_TRUNC,
  /** open(2): with O_CREAT, fail with EEXIST if the file exists. */
  O_EXCL: L.O_EXCL,
  /** open(2): do not make a terminal the controlling one. */
  O_NOCTTY: L.O_NOCTTY,
  /** open(2): write data synchronously. */
  O_DSYNC: L.O_DSYNC,
  /** open(2): read synchronously (with O_SYNC/O_DSYNC). */
  O_RSYNC: L.O_RSYNC,
  /** open(2): bypass the buffer cache where the file system can. */
  O_DIRECT: L.O_DIRECT,
  /** open(2): fail with ENOTDIR unless the path is a directory. */
  O_DIRECTORY: L.O_DIRECTORY,
  /** open(2): set close-on-exec on the new descriptor. */
  O_CLOEXEC: L.O_CLOEXEC,
  /** open(2): open a directory for searching only. */
  O_SEARCH: L.O_SEARCH,
  /** open(2): no SIGPIPE on a broken pipe. */
  O_NOSIGPIPE: L.O_NOSIGPIPE,
  /** open(2): fail with EFTYPE unless the path is a regular file. */
  O_REGULAR: L.O_REGULAR,
  /** st_mode: mask of the file type bits. */
  S_IFMT: L.S_IFMT,
  /** st_mode: regular file. */
  S_IFREG: L.S_IFREG,
  /** st_mode: directory. */
  S_IFDIR: L.S_IFDIR,
  /** st_mode: character device. */
  S_IFCHR: L.S_IFCHR,
  /** st_mode: block device. */
  S_IFBLK: L.S_IFBLK,
  /** st_mode: named pipe (fifo). */
  S_IFIFO: L.S_IFIFO,
  /** st_mode: symbolic link. */
  S_IFLNK: L.S_IFLNK,
  /** st_mode: socket. */
  S_IFSOCK: L.S_IFSOCK,
});
