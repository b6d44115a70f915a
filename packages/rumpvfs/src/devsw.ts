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
  read(buf: Uint8Array, offset: number): number;
  write(buf: Uint8Array, offset: number): number;
  /** Size in bytes, if it has one (a disk does). */
  readonly size?: number;
  ioctl?(cmd: number, arg: unknown): unknown;
}

export interface Bdevsw {
  readonly name: string;
  /** d_open: return the device for this minor; mode is FREAD|FWRITE. ENXIO if no such unit. */
  open(minor: number, mode: number): BlockDevice;
  /** d_close, when the last user closes. */
  close?(minor: number, mode: number): void;
}

export interface Cdevsw {
  readonly name: string;
  open(minor: number, mode: number): CharDevice;
  close?(minor: number, mode: number): void;
}

/** NetBSD's dev_t encoding (sys/types.h makedev). */
export function makedev(maj: number, min: number): number {
  return (((maj << 8) & 0x000fff00) | ((min << 12) & 0xfff00000) | (min & 0x000000ff)) >>> 0;
}
export function major(dev: number): number {
  return (dev & 0x000fff00) >>> 8;
}
export function minor(dev: number): number {
  return ((dev & 0xfff00000) >>> 12) | (dev & 0x000000ff);
}

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

  bdev(dev: number): Bdevsw {
    const d = this.#bdev.get(major(dev));
    if (!d) throw errno('ENXIO', `no block device driver for major ${major(dev)}`);
    return d;
  }

  cdev(dev: number): Cdevsw {
    const d = this.#cdev.get(major(dev));
    if (!d) throw errno('ENXIO', `no character device driver for major ${major(dev)}`);
    return d;
  }
}
