/**
 * The one block device over a window of a host file (rumpblk.c): etfs's rumpblk minors and
 * rumpdev-disk's image devices are both this class. The window [begin, begin+size) is all it ever
 * reads or writes: every transfer is checked against it before any host call. Host I/O is synchronous
 * on one descriptor (fs.*Sync), with vectored forms (readv/writev: one host call for a run of
 * buffers, as the buffer cache's clusters want) and a flush that syncs only what was written.
 */
import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, readSync, readvSync, statSync, writeSync, writevSync } from 'node:fs';
import { DEV_BSIZE, RUMP_ETFS_SIZE_ENDOFF, errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { checkSecsize, checkTransfer } from './bounds.js';
import { hostError } from './hosterr.js';
import { hostPathOf } from './hostnames.js';

/** Options of a {@link HostFileBlockDevice}: the window, read-only, sector size. */
export interface HostDiskOptions {
  /** First byte of the window in the host file (default 0). */
  begin?: number;
  /** Window size in bytes; RUMP_ETFS_SIZE_ENDOFF (-1, the default) means to the end of the file. */
  size?: number;
  /** Open read-only. Without it the file is opened read-write, falling back to read-only as rumpblk does. */
  readonly?: boolean;
  /** Bytes per sector; a power of two (default 512, RUMP_BLKSECTSHIFT 9). */
  secsize?: number;
  /**
   * What a window that does not end on a sector boundary, or outlives its host file, reads as:
   * 'truncate' (default) — the device is the window's whole sectors, and a host file that ends inside
   * it is EIO; 'zero' — rumpblk's: the device is the window to the byte, the rest of its last sector
   * and anything past the host file's end read as zeros (and are never written).
   */
  tail?: 'truncate' | 'zero';
  /**
   * Start the host's write-back early, every WRITEBACK_BYTES written (an asynchronous fdatasync), so
   * the flush that follows waits for little: for a device that will be flushed, as a mounted file
   * system's is at sync and unmount. What the file holds is the same either way.
   */
  writeback?: boolean;
}

/**
 * Bytes written between early write-backs: after this many, the host is asked (asynchronously, on
 * libuv's thread pool) to start writing what it holds, so the flush at sync or unmount finds most of
 * it on disk already instead of waiting for all of it then.
 */
export const WRITEBACK_BYTES = 8 << 20;
/** Early write-backs in flight at most (each finishes on the event loop, which a long synchronous copy may not turn). */
const WRITEBACK_INFLIGHT = 4;

/** Host I/O calls loop until a transfer is complete; this many zero-progress calls is an error. */
const MAX_STALLS = 1;

function totalLength(bufs: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

/**
 * A block device over a window of a host file or device (rumpblk.c), with vectored I/O; the backing
 * of disk images and of etfs's rumpblk minors. The size is the window's whole sectors (a host file
 * that ends inside it is EIO), or with tail 'zero' the window to the byte.
 */
export class HostFileBlockDevice implements BlockDevice {
  readonly secsize: number;
  /** Device size in bytes: whole sectors, or with tail 'zero' the window to the byte. */
  readonly size: number;
  readonly readonly: boolean;
  /** The host path it was opened with (named in errors). */
  readonly hostpath: string;
  /** Byte offset of the window in the host file. */
  readonly begin: number;
  readonly #zeroTail: boolean;
  #fd: number | null;
  /** Written since the last flush: a flush of a device nothing was written to makes no host call. */
  #dirty = false;
  /** Early write-back asked for, and the host file is a regular file (the only kind written back early). */
  readonly #writeback: boolean;
  /** Bytes written since the last early write-back. */
  #unsynced = 0;
  /**
   * A second descriptor of the host file for early write-backs (null until needed; -1 if it could
   * not be had). A separate open file description, so an error the early write-back meets is not
   * taken from the flush's fsync, which reports it as before (Linux reports a write-back error once
   * per open file description).
   */
  #wbfd: number | null = null;
  #wbInflight = 0;
  #closed = false;

  constructor(hostpath: string, opts: HostDiskOptions = {}) {
    this.hostpath = hostpath;
    this.secsize = opts.secsize ?? DEV_BSIZE;
    checkSecsize(this.secsize, hostpath);
    this.#zeroTail = opts.tail === 'zero';
    const begin = opts.begin ?? 0;
    const want = opts.size ?? RUMP_ETFS_SIZE_ENDOFF;
    if (!Number.isSafeInteger(begin) || begin < 0) throw errno('EINVAL', `${hostpath}: bad window start ${begin}`);
    if (want !== RUMP_ETFS_SIZE_ENDOFF && (!Number.isSafeInteger(want) || want < 0)) throw errno('EINVAL', `${hostpath}: bad window size ${want}`);
    let fd: number;
    let ro = opts.readonly ?? false;
    try {
      // rumpblk_register: only a regular file or a device backs a block device (a directory is EINVAL).
      // A path holding escaped bytes (a name that is not UTF-8) opens those bytes; a plain one as it is.
      const hp = hostPathOf(hostpath);
      const st = statSync(hp);
      if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) throw errno('EINVAL', `${hostpath}: not a regular file or device`);
      if (ro) {
        fd = openSync(hp, 'r');
      } else {
        try {
          fd = openSync(hp, 'r+');
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw e;
          fd = openSync(hp, 'r');
          ro = true;
        }
      }
    } catch (e) {
      throw hostError(e, `open ${hostpath}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) throw errno('EINVAL', `${hostpath}: not a regular file or device`);
      this.#writeback = (opts.writeback ?? false) && st.isFile();
      const hostsize = st.size;
      if (begin > hostsize) throw errno('EINVAL', `${hostpath}: window start ${begin} is past the end of the file (${hostsize} bytes)`);
      const size = want === RUMP_ETFS_SIZE_ENDOFF ? hostsize - begin : want;
      if (begin + size > hostsize) throw errno('EINVAL', `${hostpath}: window [${begin}, ${begin + size}) is past the end of the file (${hostsize} bytes)`);
      // Only whole sectors are addressable, unless a partial last sector reads as zeros past the window.
      this.size = this.#zeroTail ? size : size - (size % this.secsize);
    } catch (e) {
      closeSync(fd);
      throw hostError(e, `stat ${hostpath}`);
    }
    this.begin = begin;
    this.readonly = ro;
    this.#fd = fd;
  }

  #descriptor(): number {
    if (this.#fd === null) throw errno('ENXIO', `${this.hostpath}: device is closed`);
    return this.#fd;
  }

  /** The addressable end for reads: the size, or with a zero tail the end of its last sector. */
  #readEnd(): number {
    return this.#zeroTail ? Math.ceil(this.size / this.secsize) * this.secsize : this.size;
  }

  read(buf: Uint8Array, offset: number): void {
    checkTransfer(`read ${this.hostpath}`, offset, buf.length, this.#readEnd(), this.secsize);
    this.#readAt(buf, offset);
  }

  /** Read `buf` at device byte `offset` (already checked), looping over short host reads. */
  #readAt(buf: Uint8Array, offset: number): void {
    const fd = this.#descriptor();
    // With a zero tail, bytes past the window read as zeros, never from the host.
    const want = this.#zeroTail ? Math.max(0, Math.min(buf.length, this.size - offset)) : buf.length;
    if (want < buf.length) buf.fill(0, want);
    let done = 0;
    let stalls = 0;
    while (done < want) {
      let n: number;
      try {
        n = readSync(fd, buf, done, want - done, this.begin + offset + done);
      } catch (e) {
        throw hostError(e, `read ${this.hostpath}`);
      }
      if (n === 0) {
        if (this.#zeroTail) {
          // A host file shorter than the window reads as zeros up to the window's end.
          buf.fill(0, done, want);
          return;
        }
        if (++stalls > MAX_STALLS) throw errno('EIO', `read ${this.hostpath}: host file ended inside the window (was it truncated?)`);
      }
      done += n;
    }
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.hostpath} is read-only`);
    checkTransfer(`write ${this.hostpath}`, offset, buf.length, this.size, this.secsize);
    this.#writeAt(buf, offset);
  }

  #writeAt(buf: Uint8Array, offset: number): void {
    const fd = this.#descriptor();
    this.#dirty = true;
    this.#wrote(buf.length);
    let done = 0;
    let stalls = 0;
    while (done < buf.length) {
      let n: number;
      try {
        n = writeSync(fd, buf, done, buf.length - done, this.begin + offset + done);
      } catch (e) {
        throw hostError(e, `write ${this.hostpath}`);
      }
      if (n === 0 && ++stalls > MAX_STALLS) throw errno('EIO', `write ${this.hostpath}: host made no progress`);
      done += n;
    }
  }

  /** Read sum(bufs.length) bytes at `offset` into the buffers, in order: one host call when it can. */
  readv(bufs: readonly Uint8Array[], offset: number): void {
    const len = totalLength(bufs);
    checkTransfer(`read ${this.hostpath}`, offset, len, this.#readEnd(), this.secsize);
    if (this.#zeroTail && offset + len > this.size) {
      this.#finish(bufs, offset, 0, (b, o) => this.#readAt(b, o));
      return;
    }
    const fd = this.#descriptor();
    let n: number;
    try {
      n = readvSync(fd, bufs, this.begin + offset);
    } catch (e) {
      throw hostError(e, `read ${this.hostpath}`);
    }
    if (n < len) this.#finish(bufs, offset, n, (b, o) => this.#readAt(b, o));
  }

  /** Write the buffers, in order, as one run at `offset`: one host call when it can. */
  writev(bufs: readonly Uint8Array[], offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.hostpath} is read-only`);
    const len = totalLength(bufs);
    checkTransfer(`write ${this.hostpath}`, offset, len, this.size, this.secsize);
    const fd = this.#descriptor();
    this.#dirty = true;
    this.#wrote(len);
    let n: number;
    try {
      n = writevSync(fd, bufs, this.begin + offset);
    } catch (e) {
      throw hostError(e, `write ${this.hostpath}`);
    }
    if (n < len) this.#finish(bufs, offset, n, (b, o) => this.#writeAt(b, o));
  }

  /** Complete a short vectored transfer buffer by buffer (the looping single calls handle the rest). */
  #finish(bufs: readonly Uint8Array[], offset: number, done: number, one: (b: Uint8Array, off: number) => void): void {
    let off = 0;
    for (const b of bufs) {
      const end = off + b.length;
      // Re-do this whole buffer; sector alignment holds because every buffer is whole sectors.
      if (end > done) one(b, offset + off);
      off = end;
    }
  }

  /**
   * The host descriptor and where the window starts in it, for a helper thread that does this
   * device's I/O (makefs's I/O thread writes the image through it). ENXIO once closed. A caller that
   * writes through it has written to the device: the next flush syncs.
   */
  hostWindow(): {
    /** The open host file descriptor; address it with positional I/O at `begin` + device offset. */
    fd: number;
    /** Byte offset of the device's byte 0 in the host file. */
    begin: number;
  } | null {
    const fd = this.#descriptor();
    if (!this.readonly) this.#dirty = true;
    return { fd, begin: this.begin };
  }

  /**
   * Count `n` bytes written; past WRITEBACK_BYTES, start an early write-back. It changes nothing the
   * device or the file holds, only how soon the host puts it on disk; flush() still fsyncs.
   */
  #wrote(n: number): void {
    if ((this.#unsynced += n) < WRITEBACK_BYTES || !this.#writeback || this.#wbInflight >= WRITEBACK_INFLIGHT) return;
    this.#unsynced = 0;
    const fd = this.#writebackFd();
    if (fd < 0) return;
    this.#wbInflight++;
    fdatasync(fd, () => {
      // Errors are the flush's to report (its own descriptor sees them).
      if (--this.#wbInflight === 0 && this.#closed) this.#closeWriteback();
    });
  }

  /** The early write-back descriptor: the same file (device and inode checked), opened read-only. */
  #writebackFd(): number {
    if (this.#wbfd !== null) return this.#wbfd;
    this.#wbfd = -1;
    try {
      const fd = openSync(this.hostpath, 'r');
      const a = fstatSync(fd);
      const b = fstatSync(this.#descriptor());
      if (a.dev === b.dev && a.ino === b.ino) this.#wbfd = fd;
      else closeSync(fd);
    } catch {
      // No early write-back: the flush does it all, as without one.
    }
    return this.#wbfd;
  }

  #closeWriteback(): void {
    const fd = this.#wbfd;
    this.#wbfd = null;
    if (fd === null || fd < 0) return;
    try {
      closeSync(fd);
    } catch {
      // Only ever read-only and synced through the other descriptor.
    }
  }

  /** fsync the host file if anything was written since the last flush. */
  flush(): void {
    if (this.readonly || !this.#dirty) return;
    try {
      fsyncSync(this.#descriptor());
    } catch (e) {
      throw hostError(e, `fsync ${this.hostpath}`);
    }
    this.#dirty = false;
    this.#unsynced = 0;
  }

  /** Close the host descriptor; later I/O fails with ENXIO. Idempotent. */
  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    // The early write-back descriptor closes now, or when the last write-back on it is done.
    this.#closed = true;
    if (this.#wbInflight === 0) this.#closeWriteback();
    try {
      closeSync(fd);
    } catch (e) {
      throw hostError(e, `close ${this.hostpath}`);
    }
  }
}
