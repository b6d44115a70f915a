/**
 * etfs nodes: what a key (or a host entry below a DIR key) is in the kernel. Host-backed nodes
 * read their attributes from the host (through the open descriptor if there is one, else lstat —
 * never following a symlink host-side below a key).
 */
import type { Timespec } from '@rumpts/librump';
import type { VType } from '@rumpts/rumpvfs';

/**
 * An etfs node: a key, or a host entry below a DIR key. The vnode's `data`; host-backed nodes read
 * their attributes from the host, device keys keep them here.
 */
export interface EtNode {
  /** File id (st_ino) within the key's mount; also the vnode cache key. */
  fileid: number;
  /** Vnode type: VREG, VDIR, VBLK or VCHR for a key; whatever the host entry is below a DIR key. */
  type: VType;
  /** Absolute host path ('' for none); for a file with several links, the name last looked up. */
  hostpath: string;
  /** Host identity `dev:ino` ('' for device keys). */
  hostid: string;
  /** Window (REG and device keys): first host byte. */
  begin: number;
  /** Window size in bytes; null: to the host file's end, following it as it grows. */
  size: number | null;
  /** DIR nodes: lookups below reach the host (DIR_SUBDIRS, or the top of a DIR key). */
  searchable: boolean;
  /** DIR_SUBDIRS mappings may create, remove and rename host entries. */
  writable: boolean;
  /** Whether this is the key's own node (the root of its hidden mount). */
  isTop: boolean;
  /** The directory this node was last found in (null for a key). */
  parent: EtNode | null;
  /** Device keys: the device number (major RUMPBLK_DEVMAJOR, the key's rumpblk minor); 0 otherwise. */
  rdev: number;
  /** Device keys: permission bits, kept kernel-side (chmod never reaches the host file). */
  mode: number;
  /** Device keys: owner. */
  uid: number;
  /** Device keys: group. */
  gid: number;
  /** Device keys: the one time reported as atime, mtime, ctime and birth time (utimes sets it from mtime). */
  times: Timespec;
  /** Cached host descriptor for REG I/O (-1: none open). */
  fd: number;
  /** Whether `fd` was opened for writing. */
  fdWritable: boolean;
  /** readdir cookies: cookie k resumes after the k-th name handed out. */
  cookieNames: string[];
}
