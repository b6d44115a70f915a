/**
 * ufs_readlink: a short symlink's target sits in the inode's block-pointer area (length <
 * fs_maxsymlinklen, or any length with no blocks on the old 4.2 format); a longer one is file data.
 */
import { decodeName, MAXPATHLEN } from '@rumpts/librump';
import { ffs_read } from './read.js';
import type { Inode } from './inode.js';

/** The raw bytes of a symlink's target. */
export function ffs_readlinkBytes(ip: Inode): Uint8Array {
  const size = ip.size;
  if (size >= MAXPATHLEN) throw ip.ump.corrupt(`symlink inode ${ip.ino}: di_size ${size} is not below MAXPATHLEN ${MAXPATHLEN}`);
  const ump = ip.ump;
  if (size < ump.maxsymlinklen || (ump.maxsymlinklen === 0 && ip.din.blocks === 0)) {
    if (size > ip.din.shortlink.length) throw ip.ump.corrupt(`symlink inode ${ip.ino}: in-inode target of ${size} bytes does not fit`);
    return ip.din.shortlink.slice(0, size);
  }
  const b = new Uint8Array(size);
  const n = ffs_read(ip, b, 0);
  return b.subarray(0, n);
}

/** ufs_readlink on an in-core inode: the symlink's target as decodeName gives it (exact: bytes that are not UTF-8 come back escaped). */
export function ffs_readlink(ip: Inode): string {
  return decodeName(ffs_readlinkBytes(ip));
}
