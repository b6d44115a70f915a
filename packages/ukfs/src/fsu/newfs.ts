/** fsu newfs: a new FFS on an image file (created, or extended, to -s SIZE) or on one of its partitions. */
import { closeSync, existsSync, openSync, statSync, ftruncateSync } from 'node:fs';
import { errno } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs, type NewfsOptions, type NewfsResult } from '@rumpts/rumpfs-ffs';
import { hostError } from '@rumpts/etfs';
import { parseDevpath, resolvePart } from '../part.js';

export interface FsuNewfsOptions extends NewfsOptions {
  /** -s: image size in bytes (creates or extends the file; with a partition, the fs size). */
  imageSize?: number;
}

export function cmd_newfs(image: string, o: FsuNewfsOptions): NewfsResult {
  const probed = parseDevpath(image);
  const path = probed.path;
  if (!existsSync(path)) {
    if (o.imageSize === undefined) throw errno('ENOENT', 'no such image; give -s SIZE to create it', { path });
    if (probed.want.type !== 'none') throw errno('ENOENT', 'a partition of an image that does not exist', { path });
  }
  if (o.imageSize !== undefined && probed.want.type === 'none') {
    // Create or extend the image to the requested size (never shrink: that could cut a partition).
    let fd = -1;
    try {
      fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o644);
      if (statSync(path).size < o.imageSize) ftruncateSync(fd, o.imageSize);
    } catch (e) {
      throw hostError(e, `create ${path}`);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  const part = resolvePart(path, probed.want);
  const dev = new HostFileBlockDevice(path, part.type === 'none' ? {} : { begin: part.offset, size: part.size });
  try {
    const opts: NewfsOptions = { ...o };
    if (probed.want.type === 'none' && o.imageSize !== undefined) opts.size = o.imageSize;
    else if (o.imageSize !== undefined) opts.size = o.imageSize;
    return newfs(dev, opts);
  } finally {
    dev.flush();
    dev.close();
  }
}
