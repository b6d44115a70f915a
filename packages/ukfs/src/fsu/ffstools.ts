/** fsu fsck and fsu makefs: the FFS package's fsck and makefs on image files (and partitions). */
import { chmodSync, closeSync, ftruncateSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostPathOf } from '@rumpts/etfs';
import { decodeName, errno, isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { fsck, type FsckResult, makefs, type MakefsOptions, type MakefsProgress, makefsSize, type MakefsResult } from '@rumpts/rumpfs-ffs';
import { parseDevpath, resolvePart } from '../part.js';
import { hostErr } from './errors.js';
import { checkImage, lockImageOf } from './image.js';

/** The device an image path (with partition magic) names. */
function deviceOf(image: string, readonly: boolean): HostFileBlockDevice {
  const probed = parseDevpath(image);
  checkImage(image);
  const part = resolvePart(probed.path, probed.want);
  return new HostFileBlockDevice(probed.path, part.type === 'none' ? { readonly } : { begin: part.offset, size: part.size, readonly });
}

/** fsck: -n checks read-only under a shared image lock, -y repairs under an exclusive one. */
export function cmd_fsck(image: string, repair: boolean, log: (line: string) => void): FsckResult {
  checkImage(image);
  const lock = lockImageOf(image, !repair);
  try {
    const dev = deviceOf(image, !repair);
    try {
      return fsck(dev, { repair, log });
    } finally {
      if (repair) dev.flush();
      dev.close();
    }
  } finally {
    lock?.release();
  }
}

/** A file of `size` bytes (holes) at `path`, created or emptied. */
function sizedFile(path: string, size: number): void {
  let fd = -1;
  try {
    fd = openSync(hostPathOf(path), 'w+', 0o644);
    ftruncateSync(fd, size);
  } catch (e) {
    throw hostErr(e, path);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Run makefs on the host file `file`; when `grow`, a computed size that proves short grows by a quarter.
 * Like NetBSD's makefs the image is not synced to stable storage (an fsync of the whole image cost
 * more than building it); the rename into place is what makes it appear whole or not at all.
 */
function makefsInto(file: string, srcDir: string, opts: MakefsOptions, size: number, grow: boolean, progress?: (p: MakefsProgress) => void): MakefsResult {
  for (let attempt = 0; ; attempt++) {
    sizedFile(file, size);
    const dev = new HostFileBlockDevice(file);
    try {
      // sizedFile made it anew: it reads zeros wherever makefs does not write.
      const o: MakefsOptions = { ...opts, size, zeroed: true };
      if (progress) o.progress = progress;
      return makefs(dev, srcDir, o);
    } catch (e) {
      if (!(grow && isRumpError(e) && e.code === 'ENOSPC' && attempt < 4)) throw e;
      size = Math.ceil((size * 1.25) / 65536) * 65536;
    } finally {
      dev.close();
    }
  }
}

/** Copy the first `size` bytes of host file `from` into `to` at `offset`. */
function copyInto(from: string, to: string, offset: number, size: number): void {
  const src = openSync(hostPathOf(from), 'r');
  let dst = -1;
  try {
    dst = openSync(hostPathOf(to), 'r+');
    const buf = new Uint8Array(1 << 20);
    for (let done = 0; done < size; ) {
      const n = readSync(src, buf, 0, Math.min(buf.length, size - done), done);
      if (n === 0) break;
      for (let off = 0; off < n; ) off += writeSync(dst, buf, off, n - off, offset + done + off);
      done += n;
    }
  } catch (e) {
    throw hostErr(e, to);
  } finally {
    closeSync(src);
    if (dst >= 0) closeSync(dst);
  }
}

/**
 * makefs: an image of `srcDir`, its size computed (or -s), written in one walk of the tree. A computed
 * size is an estimate (NetBSD's makefs can run out of space on large trees too, hence its -b/-f
 * options); when the estimate proves short, fsu grows the image by a quarter and tries again.
 *
 * The image is built in a temporary file next to it and renamed into place (for a partition, copied
 * into it) only when complete: a failed makefs leaves no partial image, and an existing image — or the
 * disk holding the partition — as it was.
 */
export function cmd_makefs(image: string, srcDir: string, opts: MakefsOptions, progress?: (p: MakefsProgress) => void): MakefsResult {
  let src;
  try {
    src = statSync(hostPathOf(srcDir));
  } catch (e) {
    throw hostErr(e, srcDir);
  }
  if (!src.isDirectory()) throw errno('ENOTDIR', 'source is not a directory', { path: srcDir });
  const probed = parseDevpath(image);
  let target = probed.path;
  let existing;
  try {
    // As bytes when the path holds escaped ones (a name that is not UTF-8): realpath keeps them.
    const hp = hostPathOf(probed.path);
    target = typeof hp === 'string' ? realpathSync(hp) : decodeName(realpathSync.native(hp, { encoding: 'buffer' }));
    existing = statSync(hostPathOf(target));
  } catch {
    // a new image
  }
  if (existing && probed.want.type === 'none' && !existing.isFile()) throw errno('EFTYPE', 'is not a regular file; makefs writes image files', { path: probed.path });
  const part = existing && probed.want.type !== 'none' ? resolvePart(target, probed.want) : undefined;
  if (probed.want.type !== 'none' && !part) throw errno('ENOENT', 'no such image', { path: probed.path });
  const plan = makefsSize(srcDir, opts);
  // An existing image (or the disk holding the partition) is replaced: nobody may hold it meanwhile.
  const lock = existing ? lockImageOf(image, false) : null;
  // A name of our own beside the target (pid and time: node:crypto costs more to load than makefs of a small tree).
  const tmp = join(dirname(target), `.${basename(target)}.fsu-${process.pid}-${process.hrtime.bigint().toString(36)}`);
  try {
    if (!part || part.type === 'none') {
      const r = makefsInto(tmp, srcDir, { ...opts, plan }, opts.size ?? plan.size, opts.size === undefined, progress);
      if (existing) chmodSync(hostPathOf(tmp), existing.mode & 0o7777);
      try {
        renameSync(hostPathOf(tmp), hostPathOf(target));
      } catch (e) {
        throw hostErr(e, probed.path);
      }
      return r;
    }
    const size = opts.size ?? plan.size;
    if (size > part.size) throw errno('ENOSPC', `the file system needs ${size} bytes; the partition has ${part.size}`, { path: image });
    const r = makefsInto(tmp, srcDir, { ...opts, plan }, size, false, progress);
    copyInto(tmp, target, part.offset, size);
    return r;
  } finally {
    try {
      unlinkSync(hostPathOf(tmp));
    } catch {
      // renamed into place, or never made
    }
    lock?.release();
  }
}
