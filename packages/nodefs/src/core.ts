/**
 * The node:fs operations as programs of system calls (see program.ts): open/getdents/close for
 * readdir, lstat + unlink/rmdir for rm… Arguments are checked before the first call; kernel errors
 * are rethrown Node-shaped with the syscall and path node:fs would report. The API layers (sync,
 * callbacks, promises) drive these.
 */
import * as dirs from './ops/dirs.js';
import * as fd from './ops/fd.js';
import * as files from './ops/files.js';
import * as names from './ops/names.js';
import * as rm from './ops/rm.js';

export { FD_BIAS, type AnyStats, type StatOptions } from './ops/common.js';
export type { SyscallTarget } from './program.js';

export const core = {
  open: fd.open, close: fd.close, read: fd.read, write: fd.write, writeString: fd.writeString, readv: fd.readv, writev: fd.writev,
  fstat: fd.fstat, fsync: fd.fsync, ftruncate: fd.ftruncate, fchmod: fd.fchmod, fchown: fd.fchown, futimes: fd.futimes,
  readFile: files.readFile, writeFile: files.writeFile, appendFile: files.appendFile, copyFile: files.copyFile,
  readdir: dirs.readdir, mkdir: dirs.mkdir, rmdir: rm.rmdir, rm: rm.rm, mkdtemp: dirs.mkdtemp,
  stat: names.stat, lstat: names.lstat, access: names.access, exists: names.exists, unlink: names.unlink, rename: names.rename,
  link: names.link, symlink: names.symlink, readlink: names.readlink, realpath: names.realpath, chmod: names.chmod,
  lchmod: names.lchmod, chown: names.chown, lchown: names.lchown, utimes: names.utimes, lutimes: names.lutimes,
  truncate: names.truncate, statfs: names.statfs,
} as const;

/** The operations, as one object the API layers take. */
export type Core = typeof core;
