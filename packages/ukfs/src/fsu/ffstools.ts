/** fsu fsck and fsu makefs: the FFS package's fsck and makefs on image files (and partitions). */
import { closeSync, existsSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { errno, isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { fsck, type FsckResult, makefs, type MakefsOptions, type MakefsProgress, makefsSize, type MakefsResult } from '@rumpts/rumpfs-ffs';
import { hostError } from '@rumpts/etfs';
import { parseDevpath, resolvePart } from '../part.js';

/** The device an image path (with partition magic) names. */
function deviceOf(image: string, readonly: boolean): HostFileBlockDevice {
  const probed = parseDevpath(image);
  if (!existsSync(probed.path)) throw errno('ENOENT', 'no such image', { path: probed.path });
  const part = resolvePart(probed.path, probed.want);
  return new HostFileBlockDevice(probed.path, part.type === 'none' ? { readonly } : { begin: part.offset, size: part.size, readonly });
}

/** fsck: -n checks read-only, -y repairs. */
export function cmd_fsck(image: string, repair: boolean, log: (line: string) => void): FsckResult {
  const dev = deviceOf(image, !repair);
  try {
    return fsck(dev, { repair, log });
  } finally {
    if (repair) dev.flush();
    dev.close();
  }
}

/**
 * makefs: an image of `srcDir`, its size computed (or -s), written in one walk of the tree. A computed
 * size is an estimate (NetBSD's makefs can run out of space on large trees too, hence its -b/-f
 * options); when the estimate proves short, fsu grows the image by a quarter and tries again.
 */
export function cmd_makefs(image: string, srcDir: string, opts: MakefsOptions, progress?: (p: MakefsProgress) => void): MakefsResult {
  if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) throw errno('ENOTDIR', 'source is not a directory', { path: srcDir });
  const probed = parseDevpath(image);
  const plan = makefsSize(srcDir, opts);
  let size = opts.size ?? plan.size;
  for (let attempt = 0; ; attempt++) {
    if (probed.want.type === 'none') {
      let fd = -1;
      try {
        fd = openSync(probed.path, 'w+', 0o644);
        ftruncateSync(fd, size);
      } catch (e) {
        throw hostError(e, `create ${probed.path}`);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    }
    const dev = deviceOf(image, false);
    try {
      const o: MakefsOptions = { ...opts, plan, size };
      if (progress) o.progress = progress;
      return makefs(dev, srcDir, o);
    } catch (e) {
      const grow = isRumpError(e) && e.code === 'ENOSPC' && opts.size === undefined && probed.want.type === 'none' && attempt < 4;
      if (!grow) throw e;
      size = Math.ceil((size * 1.25) / 65536) * 65536;
    } finally {
      dev.flush();
      dev.close();
    }
  }
}
