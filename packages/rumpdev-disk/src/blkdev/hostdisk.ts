/**
 * A block device over a window of a host file (rumpblk.c): the window [begin, begin+size) is what
 * etfs register_withsize gives; I/O is checked against it before any host call, so bytes outside the
 * window are never read or written. Host I/O is synchronous on one descriptor (fs.*Sync).
 */
import { closeSync, fstatSync, fsyncSync, openSync, statSync, readSync, readvSync, writeSync, writevSync } from 'node:fs';
import { DEV_BSIZE, RUMP_ETFS_SIZE_ENDOFF, errno } from '@rumpts/librump';
import type { VectoredBlockDevice } from './vectored.js';
import { checkSecsize, checkTransfer } from './bounds.js';
import { hostError } from '@rumpts/etfs';
import { totalLength } from './vectored.js';

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
}

/** Host I/O calls loop until a transfer is complete; this many zero-progress calls is an error. */
const MAX_STALLS = 1;

/**
 * A block device over a window of a host file or device (rumpblk.c), with vectored I/O; the backing
 * of disk images. The size is the window's whole sectors; a host file that ends inside it is EIO.
 */
export class HostFileBlockDevice implements VectoredBlockDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly: boolean;
  /** The host path it was opened with (named in errors). */
  readonly hostpath: string;
  /** Byte offset of the window in the host file. */
  readonly begin: number;
  #fd: number | null;

  constructor(hostpath: string, opts: HostDiskOptions = {}) {
    this.hostpath = hostpath;
    this.secsize = opts.secsize ?? DEV_BSIZE;
    checkSecsize(this.secsize, hostpath);
    const begin = opts.begin ?? 0;
    const want = opts.size ?? RUMP_ETFS_SIZE_ENDOFF;
    if (!Number.isSafeInteger(begin) || begin < 0) throw errno('EINVAL', `${hostpath}: bad window start ${begin}`);
    if (want !== RUMP_ETFS_SIZE_ENDOFF && (!Number.isSafeInteger(want) || want < 0)) throw errno('EINVAL', `${hostpath}: bad window size ${want}`);
    let fd: number;
    let ro = opts.readonly ?? false;
    try {
      // rumpblk_register: only a regular file or a device backs a block device (a directory is EINVAL).
      const st = statSync(hostpath);
      if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) throw errno('EINVAL', `${hostpath}: not a regular file or device`);
      if (ro) {
        fd = openSync(hostpath, 'r');
      } else {
        try {
          fd = openSync(hostpath, 'r+');
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw e;
          fd = openSync(hostpath, 'r');
          ro = true;
        }
      }
    } catch (e) {
      throw hostError(e, `open ${hostpath}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) throw errno('EINVAL', `${hostpath}: not a regular file or device`);
      const hostsize = st.size;
      if (begin > hostsize) throw errno('EINVAL', `${hostpath}: window start ${begin} is past the end of the file (${hostsize} bytes)`);
      const size = want === RUMP_ETFS_SIZE_ENDOFF ? hostsize - begin : want;
      if (begin + size > hostsize) throw errno('EINVAL', `${hostpath}: window [${begin}, ${begin + size}) is past the end of the file (${hostsize} bytes)`);
      // Only whole sectors are addressable.
      this.size = size - (size % this.secsize);
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

  read(buf: Uint8Array, offset: number): void {
    checkTransfer(`read ${this.hostpath}`, offset, buf.length, this.size, this.secsize);
    const fd = this.#descriptor();
    let done = 0;
    let stalls = 0;
    while (done < buf.length) {
      let n: number;
      try {
        n = readSync(fd, buf, done, buf.length - done, this.begin + offset + done);
      } catch (e) {
        throw hostError(e, `read ${this.hostpath}`);
      }
      if (n === 0 && ++stalls > MAX_STALLS) throw errno('EIO', `read ${this.hostpath}: host file ended inside the window (was it truncated?)`);
      done += n;
    }
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.hostpath} is read-only`);
    checkTransfer(`write ${this.hostpath}`, offset, buf.length, this.size, this.secsize);
    const fd = this.#descriptor();
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

  readv(bufs: readonly Uint8Array[], offset: number): void {
    const len = totalLength(bufs);
    checkTransfer(`read ${this.hostpath}`, offset, len, this.size, this.secsize);
    const fd = this.#descriptor();
    let n: number;
    try {
      n = readvSync(fd, bufs, this.begin + offset);
    } catch (e) {
      throw hostError(e, `read ${this.hostpath}`);
    }
    if (n < len) this.#finish(bufs, offset, n, (b, o) => this.read(b, o));
  }

  writev(bufs: readonly Uint8Array[], offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.hostpath} is read-only`);
    const len = totalLength(bufs);
    checkTransfer(`write ${this.hostpath}`, offset, len, this.size, this.secsize);
    const fd = this.#descriptor();
    let n: number;
    try {
      n = writevSync(fd, bufs, this.begin + offset);
    } catch (e) {
      throw hostError(e, `write ${this.hostpath}`);
    }
    if (n < len) this.#finish(bufs, offset, n, (b, o) => this.write(b, o));
  }

  /** Complete a short vectored transfer buffer by buffer (the looping single calls handle the rest). */
  #finish(bufs: readonly Uint8Array[], offset: number, done: number, one: (b: Uint8Array, off: number) => void): void {
    let off = 0;
    for (const b of bufs) {
      const end = off + b.length;
      if (end > done) {
        // Re-do this whole buffer; sector alignment holds because every buffer is whole sectors.
        one(b, offset + off);
      }
      off = end;
    }
  }

  /**
   * The host descriptor and where the window starts in it, for a helper thread that does this
   * device's I/O (makefs's I/O thread writes the image through it). ENXIO once closed.
   */
  hostWindow(): {
    /** The open host file descriptor; address it with positional I/O at `begin` + device offset. */
    fd: number;
    /** Byte offset of the device's byte 0 in the host file. */
    begin: number;
  } | null {
    return { fd: this.#descriptor(), begin: this.begin };
  }

  flush(): void {
    if (this.readonly) return;
    try {
      fsyncSync(this.#descriptor());
    } catch (e) {
      throw hostError(e, `fsync ${this.hostpath}`);
    }
  }

  /** Close the host descriptor; later I/O fails with ENXIO. Idempotent. */
  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    try {
      closeSync(fd);
    } catch (e) {
      throw hostError(e, `close ${this.hostpath}`);
    }
  }
}
