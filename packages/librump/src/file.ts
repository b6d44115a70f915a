/**
 * Open files (struct file) and their operations (struct fileops). A file is shared by every
 * descriptor dup'ed from it: offset and status flags live here, close-on-exec lives on the slot.
 */
import { errno } from './errno.js';
import type { Stat } from './types.js';
import { FREAD, FWRITE, O_ACCMODE, O_APPEND, O_ASYNC, O_NONBLOCK } from './constants.js';

/** What the object behind a file (a vnode, later a socket) implements. Missing ops → the errno noted. */
export interface FileOps {
  /** Read at `offset` (pread) or at and advancing the file offset when offset is undefined. */
  read(fp: RumpFile, buf: Uint8Array, offset: number | undefined): number;
  /** Write at `offset` (pwrite) or at and advancing the file offset when offset is undefined. */
  write(fp: RumpFile, buf: Uint8Array, offset: number | undefined): number;
  /** lseek; absent → ESPIPE. Returns the new offset (the caller stores it). */
  seek?(fp: RumpFile, offset: number, whence: number): number;
  /** fstat(2). */
  stat(fp: RumpFile): Stat;
  /** absent → ENOTTY */
  ioctl?(fp: RumpFile, cmd: number, arg: unknown): unknown;
  /** Called when the last descriptor referencing the file is closed. */
  close(fp: RumpFile): void;
  /** F_SETFL notification (e.g. O_NONBLOCK on a fifo). */
  setfl?(fp: RumpFile, flag: number): void;
}

/** Status flags F_SETFL may change (NetBSD FCNTLFLAGS, the subset we honour). */
export const FCNTLFLAGS = O_APPEND | O_NONBLOCK | O_ASYNC;

/** An open file (struct file): shared by every descriptor dup'ed from it, with the offset and status flags. */
export class RumpFile<T = unknown> {
  /** FFLAGS form: FREAD/FWRITE plus the status bits of open(2). */
  flag: number;
  /** The file offset read(2) and write(2) use. */
  offset = 0;
  /** Number of descriptor slots (in any process) pointing here. */
  refcnt = 0;
  #closed = false;

  /** A file served by `ops` for the object `data` (a vnode…), opened with open(2) flags `oflags`. */
  constructor(
    /** What serves the file's calls. */
    readonly ops: FileOps,
    /** The object behind the file (a vnode, for the vfs faction). */
    readonly data: T,
    oflags: number,
  ) {
    this.flag = fflags(oflags);
  }

  /** Open for reading? */
  get readable(): boolean {
    return (this.flag & FREAD) !== 0;
  }

  /** Open for writing? */
  get writable(): boolean {
    return (this.flag & FWRITE) !== 0;
  }

  /** open(2) flags as F_GETFL returns them (OFLAGS). */
  get oflags(): number {
    return oflags(this.flag);
  }

  /** Take one reference (a descriptor slot now points here). */
  hold(): void {
    this.refcnt++;
  }

  /** Drop one reference; the last one closes the object. */
  release(): void {
    if (--this.refcnt > 0 || this.#closed) return;
    this.#closed = true;
    this.ops.close(this);
  }
}

/** FFLAGS(): open(2) flags → kernel file flags (the access mode gains 1: O_RDONLY → FREAD). */
export function fflags(oflags: number): number {
  const acc = oflags & O_ACCMODE;
  if (acc === O_ACCMODE) throw errno('EINVAL', 'O_ACCMODE is not a valid access mode');
  return (oflags & ~O_ACCMODE) | (acc + 1);
}

/** OFLAGS(): kernel file flags → open(2) flags. */
export function oflags(fflag: number): number {
  return (fflag & ~O_ACCMODE) | ((fflag & O_ACCMODE) - 1);
}
