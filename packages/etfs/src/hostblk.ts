/**
 * rumpblk: block and character devices over a window of a host file (rumpblk.c). Minors are shared
 * by host path, 16 at most (RUMPBLK_SIZE), major 197 (RUMPBLK_DEVMAJOR). The window
 * [begin, begin + size) is all the device ever reads or writes.
 */
import { fstatSync } from 'node:fs';
import { errno, FWRITE } from '@rumpts/librump';
import type { BlockDevice, CharDevice, Bdevsw, Cdevsw } from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from './hostdisk.js';

/** Block and character major of rumpblk, as in NetBSD's rumpblk.c (device numbers of BLK/CHR keys). */
export const RUMPBLK_DEVMAJOR = 197;
/** Number of rumpblk minors: distinct BLK/CHR host windows registered at once (rumpblk.c RUMPBLK_SIZE). */
export const RUMPBLK_SIZE = 16;

/**
 * rumpblk's device: the host block device (hostdisk.ts) over [begin, begin + size), opened read-write
 * if possible, else read-only; the window is the device to the byte (a partial last sector, or a host
 * file that shrank, reads as zeros). Its writes are written back early (HostDiskOptions.writeback).
 */
export class HostBlockDevice extends HostFileBlockDevice {
  /**
   * @param hostpath Host file or device.
   * @param begin First host byte of the window.
   * @param size Window size in bytes; the device ends there.
   */
  constructor(hostpath: string, begin: number, size: number) {
    // Mounted file systems flush it at sync and unmount: their writes go to disk early.
    super(hostpath, { begin, size, tail: 'zero', writeback: true });
  }
}

/** The byte-granular raw view of a block device (character device, no cache). */
export function rawDevice(dev: BlockDevice): CharDevice {
  const ss = dev.secsize;
  return {
    size: dev.size,
    read(buf, offset) {
      if (offset % ss !== 0 || buf.length % ss !== 0) throw errno('EINVAL', `raw I/O must be in whole ${ss}-byte sectors`);
      if (offset > dev.size) throw errno('EINVAL', 'raw read starts past the end');
      const len = Math.min(buf.length, dev.size - offset);
      if (len > 0) dev.read(buf.subarray(0, len), offset);
      return len;
    },
    write(buf, offset) {
      if (offset % ss !== 0 || buf.length % ss !== 0) throw errno('EINVAL', `raw I/O must be in whole ${ss}-byte sectors`);
      if (offset >= dev.size) throw errno('ENOSPC', 'raw write past the end');
      const len = Math.min(buf.length, dev.size - offset);
      dev.write(buf.subarray(0, len), offset);
      return len;
    },
    ioctl: dev.ioctl?.bind(dev),
  };
}

interface Unit {
  hostpath: string;
  dev: HostBlockDevice;
  opens: number;
  users: number;
}

/** The rumpblk driver of one kernel: minors over host files. */
export class Rumpblk {
  /** The units by minor: host path, device, open count and number of keys sharing it. */
  readonly units: (Unit | undefined)[] = new Array<Unit | undefined>(RUMPBLK_SIZE);

  /**
   * rumpblk_register: the minor for this host path and window. NetBSD shares a minor by host path
   * alone (a second window onto the same file silently gets the first one's); we share only an
   * identical window.
   */
  register(hostpath: string, begin: number, size: number): number {
    for (let i = 0; i < RUMPBLK_SIZE; i++) {
      const u = this.units[i];
      if (u && u.hostpath === hostpath && u.dev.begin === begin && u.dev.size === size) {
        u.users++;
        return i;
      }
    }
    let slot = -1;
    for (let i = 0; i < RUMPBLK_SIZE && slot < 0; i++) if (this.units[i] === undefined) slot = i;
    if (slot < 0) throw errno('EBUSY', `all ${RUMPBLK_SIZE} rumpblk minors are in use`);
    this.units[slot] = { hostpath, dev: new HostBlockDevice(hostpath, begin, size), opens: 0, users: 1 };
    return slot;
  }

  /** The unit of a registered minor (ENXIO if none). */
  unit(minor: number): Unit {
    const u = this.units[minor];
    if (!u) throw errno('ENXIO', `rumpblk minor ${minor} is not registered`);
    return u;
  }

  /** Whether the minor's device is open (through the bdevsw or cdevsw). */
  busy(minor: number): boolean {
    return (this.units[minor]?.opens ?? 0) > 0;
  }

  /** rumpblk_deregister: drop one key's use of the minor; the last use closes the host file. */
  deregister(minor: number): void {
    const u = this.units[minor];
    if (!u) return;
    if (--u.users > 0) return;
    u.dev.close();
    this.units[minor] = undefined;
  }

  /**
   * The block-device switch entry: open returns the unit's {@link HostBlockDevice} (EACCES for
   * writing a host file that is read-only).
   */
  bdevsw(): Bdevsw {
    return {
      name: 'rumpblk',
      open: (minor, mode) => {
        const u = this.unit(minor);
        if ((mode & FWRITE) !== 0 && u.dev.readonly) throw errno('EACCES', `${u.hostpath} is read-only on the host`);
        u.opens++;
        return u.dev;
      },
      close: (minor) => {
        const u = this.units[minor];
        if (u && u.opens > 0) u.opens--;
      },
    };
  }

  /** The character-device switch entry: open returns the byte-granular raw view ({@link rawDevice}). */
  cdevsw(): Cdevsw {
    return {
      name: 'rumpblk',
      open: (minor, mode) => {
        const u = this.unit(minor);
        if ((mode & FWRITE) !== 0 && u.dev.readonly) throw errno('EACCES', `${u.hostpath} is read-only on the host`);
        u.opens++;
        return rawDevice(u.dev);
      },
      close: (minor) => {
        const u = this.units[minor];
        if (u && u.opens > 0) u.opens--;
      },
    };
  }
}

/** Host size of a regular file or block device behind a descriptor. */
export function hostSize(fd: number): number {
  return fstatSync(fd).size;
}
