/**
 * etfs nodes: what a key (or a host entry below a DIR key) is in the kernel. Host-backed nodes
 * read their attributes from the host (through the open descriptor if there is one, else lstat —
 * never following a symlink host-side below a key).
 */
import type { Timespec } from '@rumpts/librump';
import type { VType } from '@rumpts/rumpvfs';

export interface EtNode {
  fileid: number;
  type: VType;
  /** Absolute host path ('' for none); for a file with several links, the name last looked up. */
  hostpath: string;
  /** Host identity `dev:ino` ('' for device keys). */
  hostid: string;
  /** REG window: first host byte, and the size (null: to the host file's end, growing with it). */
  begin: number;
  size: number | null;
  /** DIR nodes: lookups below reach the host (DIR_SUBDIRS, or the top of a DIR key). */
  searchable: boolean;
  /** DIR_SUBDIRS mappings may create, remove and rename host entries. */
  writable: boolean;
  /** The key's own node. */
  isTop: boolean;
  /** The directory this node was last found in (null for a key). */
  parent: EtNode | null;
  /** Device keys: device number and the kernel-side attributes. */
  rdev: number;
  mode: number;
  uid: number;
  gid: number;
  times: Timespec;
  /** Cached host descriptor for REG I/O, and whether it is writable. */
  fd: number;
  fdWritable: boolean;
  /** readdir cookies: cookie k resumes after the k-th name handed out. */
  cookieNames: string[];
}
