/**
 * fsu newfs: a new FFS on an image file (created, or extended, to -s SIZE) or on one of its partitions.
 * A newfs that fails leaves no new file behind, and an existing file at its old size (newfs checks its
 * geometry before it writes anything).
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, truncateSync, unlinkSync } from 'node:fs';
import { hostPathOf } from '@rumpts/etfs';
import { errno } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs, type NewfsOptions, type NewfsResult } from '@rumpts/rumpfs-ffs';
import { parseDevpath, resolvePart } from '../part.js';
import { hostErr } from './errors.js';
import { checkImage, lockImageOf } from './image.js';

export interface FsuNewfsOptions extends NewfsOptions {
  /** -s: image size in bytes (creates or extends the file; with a partition, the fs size). */
  imageSize?: number;
}

export function cmd_newfs(image: string, o: FsuNewfsOptions): NewfsResult {
  const probed = parseDevpath(image);
  const path = probed.path;
  const existed = existsSync(hostPathOf(path));
  if (!existed) {
    if (o.imageSize === undefined) throw errno('ENOENT', 'no such image; give -s SIZE to create it', { path });
    if (probed.want.type !== 'none') throw errno('ENOENT', 'a partition of an image that does not exist', { path });
  }
  if (existed) checkImage(image, true);
  // newfs overwrites the image: nobody may hold it (a new file is locked once made).
  let lock = existed ? lockImageOf(image, false) : null;
  let created = false;
  let oldSize: number | undefined;
  if (o.imageSize !== undefined && probed.want.type === 'none') {
    // Create or extend the image to the requested size (never shrink: that could cut a partition).
    let fd = -1;
    try {
      fd = openSync(hostPathOf(path), existed ? 'r+' : 'wx', 0o644);
      created = !existed;
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice()) throw errno('EFTYPE', 'is not a regular file or block device', { path });
      if (st.isFile() && st.size < o.imageSize) {
        oldSize = st.size;
        ftruncateSync(fd, o.imageSize);
      }
    } catch (e) {
      if (created) unlinkSync(hostPathOf(path));
      lock?.release();
      throw hostErr(e, path);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  try {
    lock ??= lockImageOf(image, false);
    const part = resolvePart(path, probed.want);
    const dev = new HostFileBlockDevice(path, part.type === 'none' ? {} : { begin: part.offset, size: part.size });
    try {
      const opts: NewfsOptions = { ...o };
      if (o.imageSize !== undefined) opts.size = o.imageSize;
      return newfs(dev, opts);
    } finally {
      dev.flush();
      dev.close();
    }
  } catch (e) {
    try {
      if (created) unlinkSync(hostPathOf(path));
      else if (oldSize !== undefined) truncateSync(hostPathOf(path), oldSize);
    } catch {
      // the newfs error is the one to report
    }
    throw e;
  } finally {
    lock?.release();
  }
}
