/** What fsu says when an image argument cannot be an image, before any layer below sees it; the image lock of its own tools. */
import { existsSync, statSync } from 'node:fs';
import { hostPathOf } from '@rumpts/etfs';
import { errno } from '@rumpts/librump';
import { type ImageLock, lockImage } from '@rumpts/rumpdev-disk';
import { parseDevpath } from '../part.js';
import { hostErr } from './errors.js';

/**
 * Check the host file an image argument (`IMAGE[%DISKLABEL:p%]`) names: it must be a regular file or a
 * block device. A directory, a character device such as /dev/null, a fifo or socket — and unless
 * `emptyOk`, an empty file — is reported as what it is (the kernel would only see a name it cannot find).
 */
export function checkImage(image: string, emptyOk = false): void {
  const path = parseDevpath(image).path;
  let st;
  try {
    st = statSync(hostPathOf(path));
  } catch (e) {
    throw hostErr(e, path);
  }
  const not = (what: string): never => {
    throw errno('EFTYPE', `${what}, not a file-system image`, { path });
  };
  if (st.isDirectory()) not('is a directory');
  if (st.isCharacterDevice()) not('is a character device');
  if (st.isFIFO()) not('is a fifo');
  if (st.isSocket()) not('is a socket');
  if (st.isFile() && st.size === 0 && !emptyOk) not('is an empty file');
}

/**
 * The image lock a mount would take, for fsu's tools that work on the image without one (fsck,
 * newfs, makefs, mkdisk): shared to read, exclusive to write, so `fsu fsck -y` on an image a rump
 * server or another fsu holds is refused (EBUSY, naming the holder) instead of writing under it.
 * Null when the file does not exist yet (nobody can hold it). It dies with the process.
 */
export function lockImageOf(image: string, shared: boolean): ImageLock | null {
  const path = parseDevpath(image).path;
  if (!existsSync(hostPathOf(path))) return null;
  return lockImage(path, { shared });
}
