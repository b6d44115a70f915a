/**
 * deadfs: the operations of a vnode whose file system is gone (forced unmount, reclaimed while a
 * descriptor still points at it). Reads see end of file; everything else fails with EBADF.
 */
import { errno } from '@rumpts/librump';
import type { VnodeOps } from './vnodeops.js';

const dead = (): never => {
  throw errno('EBADF', 'the file system of this file was unmounted');
};

/**
 * deadfs's vnodeops (miscfs/deadfs): what a vnode's `ops` become once it is dead. Read and readdir
 * see end of file, fsync and close succeed, everything else fails with EBADF.
 */
export const deadfs_vnodeops: VnodeOps = {
  lookup: dead,
  create: dead,
  mknod: dead,
  mkdir: dead,
  symlink: dead,
  link: dead,
  remove: dead,
  rmdir: dead,
  rename: dead,
  getattr: dead,
  setattr: dead,
  read: () => 0,
  write: dead,
  fsync: () => {},
  readdir: () => ({ entries: [], eof: true }),
  readlink: dead,
  close: () => {},
  inactive: () => false,
  reclaim: () => {},
};
