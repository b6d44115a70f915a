/**
 * fs.constants for this facade: the HOST's own values (`node:fs`'s `constants`, copied), so code
 * written for node:fs passes the numbers it always passes. The facade turns open flags into the
 * kernel's NetBSD bits itself (flags.ts). NetBSD's numbers are kept apart, in `netbsdConstants`,
 * for code that calls a kernel process directly.
 */
import { constants as hostConstants } from 'node:fs';
import * as L from '@rumpts/librump';

export const COPYFILE_EXCL = hostConstants.COPYFILE_EXCL;
export const COPYFILE_FICLONE = hostConstants.COPYFILE_FICLONE;
export const COPYFILE_FICLONE_FORCE = hostConstants.COPYFILE_FICLONE_FORCE;

/** The facade's `fs.constants`: a frozen copy of the host's `node:fs` constants. */
export const constants: Readonly<typeof hostConstants> = Object.freeze({ ...hostConstants });

/**
 * NetBSD's values (sys/fcntl.h, sys/stat.h, unistd.h): what a kernel process's own `open`/`access`
 * take. Not for the facade — its numbers are the host's (`constants`).
 */
export const netbsdConstants = Object.freeze({
  F_OK: L.F_OK,
  R_OK: L.R_OK,
  W_OK: L.W_OK,
  X_OK: L.X_OK,
  O_RDONLY: L.O_RDONLY,
  O_WRONLY: L.O_WRONLY,
  O_RDWR: L.O_RDWR,
  O_ACCMODE: L.O_ACCMODE,
  O_NONBLOCK: L.O_NONBLOCK,
  O_APPEND: L.O_APPEND,
  O_SHLOCK: L.O_SHLOCK,
  O_EXLOCK: L.O_EXLOCK,
  O_ASYNC: L.O_ASYNC,
  O_SYNC: L.O_SYNC,
  O_NOFOLLOW: L.O_NOFOLLOW,
  O_CREAT: L.O_CREAT,
  O_TRUNC: L.O_TRUNC,
  O_EXCL: L.O_EXCL,
  O_NOCTTY: L.O_NOCTTY,
  O_DSYNC: L.O_DSYNC,
  O_RSYNC: L.O_RSYNC,
  O_DIRECT: L.O_DIRECT,
  O_DIRECTORY: L.O_DIRECTORY,
  O_CLOEXEC: L.O_CLOEXEC,
  O_SEARCH: L.O_SEARCH,
  O_NOSIGPIPE: L.O_NOSIGPIPE,
  O_REGULAR: L.O_REGULAR,
  S_IFMT: L.S_IFMT,
  S_IFREG: L.S_IFREG,
  S_IFDIR: L.S_IFDIR,
  S_IFCHR: L.S_IFCHR,
  S_IFBLK: L.S_IFBLK,
  S_IFIFO: L.S_IFIFO,
  S_IFLNK: L.S_IFLNK,
  S_IFSOCK: L.S_IFSOCK,
});
