/**
 * specfs: descriptors on device nodes go to the driver behind the node's rdev (bdevsw/cdevsw).
 * Block devices are sector-addressed; byte-granular reads and writes are bounced through whole
 * sectors so callers may use any offset.
 */
import { errno, type FileOps, FREAD, FWRITE, MNT_NODEV, SEEK_CUR, SEEK_END, SEEK_SET } from '@rumpts/librump';
import type { BlockDevice, CharDevice } from './devsw.js';
import { major, minor } from './devsw.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { vn_closed, vn_stat } from './vfs_vnops.js';
import { VBLK } from './vattr.js';

/** Read [offset, offset+buf.length) from a block device, clipped at its end; returns bytes read. */
export function bdev_pread(dev: BlockDevice, buf: Uint8Array, offset: number): number {
  if (offset >= dev.size) return 0;
  const len = Math.min(buf.length, dev.size - offset);
  const ss = dev.secsize;
  const start = Math.floor(offset / ss) * ss;
  const end = Math.ceil((offset + len) / ss) * ss;
  if (start === offset && end === offset + len) {
    dev.read(buf.subarray(0, len), offset);
    return len;
  }
  const bounce = new Uint8Array(end - start);
  dev.read(bounce, start);
  buf.set(bounce.subarray(offset - start, offset - start + len));
  return len;
}

/** Write at any offset, read-modify-writing partial sectors; ENOSPC past the end. */
export function bdev_pwrite(dev: BlockDevice, buf: Uint8Array, offset: number): number {
  if (dev.readonly) throw errno('EROFS', 'block device is read-only');
  if (offset >= dev.size) throw errno('ENOSPC', 'write past the end of the device');
  const len = Math.min(buf.length, dev.size - offset);
  const ss = dev.secsize;
  const start = Math.floor(offset / ss) * ss;
  const end = Math.ceil((offset + len) / ss) * ss;
  if (start === offset && end === offset + len) {
    dev.write(buf.subarray(0, len), offset);
    return len;
  }
  const bounce = new Uint8Array(end - start);
  dev.read(bounce, start);
  bounce.set(buf.subarray(0, len), offset - start);
  dev.write(bounce, start);
  return len;
}

function seekable(size: () => number): NonNullable<FileOps['seek']> {
  return (fp, offset, whence) => {
    const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? fp.offset : whence === SEEK_END ? size() : NaN;
    const n = base + offset;
    if (!(n >= 0) || n > Number.MAX_SAFE_INTEGER) throw errno('EINVAL', `offset ${n} out of range`);
    return n;
  };
}

/**
 * MNT_NODEV (spec_open's first check in NetBSD): a device node on a file system mounted nodev opens
 * nothing — ENXIO, before the driver is even looked up. An untrusted image can hold any device number
 * (the rumpblk major reaches every mapped image), so this is what keeps it inside itself.
 */
export function spec_nodev(vp: Vnode): void {
  if ((vp.mount.flag & MNT_NODEV) !== 0) throw errno('ENXIO', `device special file on a file system mounted nodev (${vp.mount.mntonname})`);
}

/** Open the device behind a VBLK/VCHR vnode; returns file ops bound to the opened device. */
export function spec_open(vfs: Vfs, vp: Vnode, fmode: number): FileOps {
  spec_nodev(vp);
  const rdev = vp.ops.getattr(vp).rdev;
  const mode = fmode & (FREAD | FWRITE);
  if (vp.type === VBLK) {
    const sw = vfs.devsw.bdev(rdev);
    const dev = sw.open(minor(rdev), mode);
    if ((mode & FWRITE) !== 0 && dev.readonly) {
      sw.close?.(minor(rdev), mode);
      throw errno('EACCES', 'block device was opened read-only by its driver');
    }
    return blockFileOps(dev, () => sw.close?.(minor(rdev), mode));
  }
  const sw = vfs.devsw.cdev(rdev);
  const dev = sw.open(minor(rdev), mode);
  return charFileOps(dev, () => sw.close?.(minor(rdev), mode));
}

function blockFileOps(dev: BlockDevice, onClose: () => void): FileOps {
  return {
    read(fp, buf, offset) {
      const at = offset ?? fp.offset;
      const n = bdev_pread(dev, buf, at);
      if (offset === undefined) fp.offset = at + n;
      return n;
    },
    write(fp, buf, offset) {
      const at = offset ?? fp.offset;
      const n = bdev_pwrite(dev, buf, at);
      if (offset === undefined) fp.offset = at + n;
      return n;
    },
    seek: seekable(() => dev.size),
    stat: (fp) => vn_stat(fp.data as Vnode),
    ioctl(_fp, cmd, arg) {
      if (!dev.ioctl) throw errno('ENOTTY', 'device has no ioctls');
      return dev.ioctl(cmd, arg);
    },
    close(fp) {
      try {
        if ((fp.flag & FWRITE) !== 0) dev.flush();
        onClose();
      } finally {
        vn_closed(fp.flag, fp.data as Vnode);
      }
    },
  };
}

function charFileOps(dev: CharDevice, onClose: () => void): FileOps {
  return {
    read(fp, buf, offset) {
      const at = offset ?? fp.offset;
      const n = dev.read(buf, at);
      if (offset === undefined) fp.offset = at + n;
      return n;
    },
    write(fp, buf, offset) {
      const at = offset ?? fp.offset;
      const n = dev.write(buf, at);
      if (offset === undefined) fp.offset = at + n;
      return n;
    },
    seek: seekable(() => dev.size ?? 0),
    stat: (fp) => vn_stat(fp.data as Vnode),
    ioctl(_fp, cmd, arg) {
      if (!dev.ioctl) throw errno('ENOTTY', 'device has no ioctls');
      return dev.ioctl(cmd, arg);
    },
    close(fp) {
      try {
        onClose();
      } finally {
        vn_closed(fp.flag, fp.data as Vnode);
      }
    },
  };
}

export { major, minor };
