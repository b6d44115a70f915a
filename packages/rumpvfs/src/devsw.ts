/**
 * The device switch (bdevsw/cdevsw, sys/conf.h): drivers attach by major number; device nodes
 * (VBLK/VCHR vnodes) reach them through their rdev. One table per kernel.
 */
import { errno } from '@rumpts/librump';

/** An opened block device (one minor): byte-addressed, sector-aligned I/O. */
export interface BlockDevice {
  /** Bytes per sector (DEV_BSIZE = 512 unless the medium says otherwise). */
  readonly secsize: number;
  /** Size in bytes. */
  readonly size: number;
  /** True if writes are refused (EROFS). */
  readonly readonly: boolean;
  /** Read exactly buf.length bytes at byte offset (multiples of secsize); ENXIO/EIO past the end. */
  read(buf: Uint8Array, offset: number): void;
  /** Write exactly buf.length bytes at byte offset (multiples of secsize). */
  write(buf: Uint8Array, offset: number): void;
  /** Push written data to stable storage (DIOCCACHESYNC). */
  flush(): void;
  /** Optional ioctls (DIOCGDINFO …). */
  ioctl?(cmd: number, arg: unknown): unknown;
}

/** A character (raw) device: uncached reads and writes at any offset. */
export interface CharDevice {
  /**
   * d_read: read into buf at byte `offset`; returns the bytes read (fewer at the end of the medium).
   * A disk's raw device wants whole sectors (EINVAL otherwise).
   */
  read(buf: Uint8Array, offset: number): number;
  /** d_write: write buf at byte `offset`; returns the bytes written (fewer at the end of the medium). */
  write(buf: Uint8Array, offset: number): number;
  /** Size in bytes, if it has one (a disk does). */
  readonly size?: number;
  /** Optional d_ioctl (DIOCGDINFO …); ENOTTY where absent. */
  ioctl?(cmd: number, arg: unknown): unknown;
}

/** struct bdevsw: a block device driver, attached by major number (devsw_attach). */
export interface Bdevsw {
  /** The driver's name (e.g. 'rumpblk'), shown in errors. */
  readonly name: string;
  /** d_open: return the device for this minor; mode is FREAD|FWRITE. ENXIO if no such unit. */
  open(minor: number, mode: number): BlockDevice;
  /** d_close: one call for each successful open that is closed (drivers that care about the last close count opens). */
  close?(minor: number, mode: number): void;
}

/** struct cdevsw: a character (raw) device driver, attached by major number. */
export interface Cdevsw {
  /** The driver's name. */
  readonly name: string;
  /** d_open: return the raw device for this minor; mode is FREAD|FWRITE. ENXIO if no such unit. */
  open(minor: number, mode: number): CharDevice;
  /** d_close: one call for each open that is closed. */
  close?(minor: number, mode: number): void;
}

/** NetBSD's dev_t encoding (sys/types.h makedev). */
export function makedev(maj: number, min: number): number {
  return (((maj << 8) & 0x000fff00) | ((min << 12) & 0xfff00000) | (min & 0x000000ff)) >>> 0;
}
/** major(3): the driver number of a dev_t. */
export function major(dev: number): number {
  return (dev & 0x000fff00) >>> 8;
}
/** minor(3): the unit number of a dev_t. */
export function minor(dev: number): number {
  return ((dev & 0xfff00000) >>> 12) | (dev & 0x000000ff);
}

/** A kernel's device switch tables (bdevsw/cdevsw, sys/conf.h): drivers by block and character major. */
export class Devsw {
  readonly #bdev = new Map<number, Bdevsw>();
  readonly #cdev = new Map<number, Cdevsw>();

  /** devsw_attach: register a driver; EEXIST if the major is taken. */
  attach(bmajor: number | null, bdev: Bdevsw | null, cmajor: number | null, cdev: Cdevsw | null): void {
    if (bmajor !== null && this.#bdev.has(bmajor)) throw errno('EEXIST', `block major ${bmajor} is taken by ${this.#bdev.get(bmajor)?.name}`);
    if (cmajor !== null && this.#cdev.has(cmajor)) throw errno('EEXIST', `character major ${cmajor} is taken by ${this.#cdev.get(cmajor)?.name}`);
    if (bmajor !== null && bdev) this.#bdev.set(bmajor, bdev);
    if (cmajor !== null && cdev) this.#cdev.set(cmajor, cdev);
  }

  /** devsw_detach: unregister the drivers at these majors (null: none of that kind). */
  detach(bmajor: number | null, cmajor: number | null): void {
    if (bmajor !== null) this.#bdev.delete(bmajor);
    if (cmajor !== null) this.#cdev.delete(cmajor);
  }

  /** A free major number at or above `from` for a driver that has no fixed one. */
  freeMajor(from = 200): number {
    let m = from;
    while (this.#bdev.has(m) || this.#cdev.has(m)) m++;
    return m;
  }

  /** The block driver for device number `dev` (bdevsw_lookup); ENXIO if none. */
  bdev(dev: number): Bdevsw {
    const d = this.#bdev.get(major(dev));
    if (!d) throw errno('ENXIO', `no block device driver for major ${major(dev)}`);
    return d;
  }

  /** The character driver for device number `dev` (cdevsw_lookup); ENXIO if none. */
  cdev(dev: number): Cdevsw {
    const d = this.#cdev.get(major(dev));
    if (!d) throw errno('ENXIO', `no character device driver for major ${major(dev)}`);
    return d;
  }
}
