/**
 * A window of another block device: what a disklabel partition is (dksubr.c bounds_check_with_label).
 * Requests are checked against the window before being passed on with the window's start added, so a
 * partition never reaches another partition's bytes.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { checkTransfer } from './bounds.js';
import { type VectoredBlockDevice, devReadv, devWritev, totalLength } from './vectored.js';

/**
 * A block device that is a window [start, start + size) of a parent device: a disklabel partition.
 * Every request is bounds-checked against the window before it reaches the parent.
 */
export class WindowBlockDevice implements VectoredBlockDevice {
  readonly secsize: number;
  readonly readonly: boolean;
  /** For messages: e.g. 'ld0e'. */
  readonly name: string;

  /**
   * @param parent The device the window is cut from.
   * @param opts `readonly` refuses writes even if the parent allows them; `name` is used in messages.
   */
  constructor(
    readonly parent: BlockDevice,
    /** Byte offset of the window in the parent (a multiple of its sector size). */
    readonly start: number,
    /** Window size in bytes. */
    readonly size: number,
    opts: { readonly?: boolean; name?: string } = {},
  ) {
    this.secsize = parent.secsize;
    this.readonly = parent.readonly || (opts.readonly ?? false);
    this.name = opts.name ?? 'window';
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0 || start % this.secsize !== 0 || size % this.secsize !== 0) {
      throw errno('EINVAL', `${this.name}: window [${start}, ${start + size}) is not whole sectors`);
    }
    if (start + size > parent.size) throw errno('EINVAL', `${this.name}: window [${start}, ${start + size}) is past the end of the device (${parent.size} bytes)`);
  }

  read(buf: Uint8Array, offset: number): void {
    checkTransfer(`read ${this.name}`, offset, buf.length, this.size, this.secsize);
    this.parent.read(buf, this.start + offset);
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.name} is read-only`);
    checkTransfer(`write ${this.name}`, offset, buf.length, this.size, this.secsize);
    this.parent.write(buf, this.start + offset);
  }

  readv(bufs: readonly Uint8Array[], offset: number): void {
    checkTransfer(`read ${this.name}`, offset, totalLength(bufs), this.size, this.secsize);
    devReadv(this.parent, bufs, this.start + offset);
  }

  writev(bufs: readonly Uint8Array[], offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.name} is read-only`);
    checkTransfer(`write ${this.name}`, offset, totalLength(bufs), this.size, this.secsize);
    devWritev(this.parent, bufs, this.start + offset);
  }

  flush(): void {
    this.parent.flush();
  }

  /** The host descriptor and this window's start in it, if the parent is a host file (else null). */
  hostWindow(): {
    /** The parent's host file descriptor. */
    fd: number;
    /** Byte offset of this window's byte 0 in the host file. */
    begin: number;
  } | null {
    const p = this.parent as BlockDevice & { hostWindow?: () => { fd: number; begin: number } | null };
    const w = typeof p.hostWindow === 'function' ? p.hostWindow() : null;
    return w ? { fd: w.fd, begin: w.begin + this.start } : null;
  }
}
