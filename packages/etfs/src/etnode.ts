/**
 * etfs nodes: what a key (or a host entry below a DIR key) is in the kernel. Host-backed nodes
 * read their attributes from the host (lstat, never following a symlink host-side).
 */
import type { Timespec } from '@rumpts/librump';
import type { VType } from '@rumpts/rumpvfs';

export interface EtNode {
  fileid: number;
  type: VType;
  /** Absolute host path ('' for none). */
  hostpath: string;
  /** REG window: first host byte, and the size (null: to the host file's end, growing with it). */
  begin: number;
  size: number | null;
  /** DIR nodes: lookups below reach the host (DIR_SUBDIRS, or the top of a DIR key). */
  searchable: boolean;
  /** DIR_SUBDIRS mappings may create, remove and rename host entries. */
  writable: boolean;
  /** The top node of the mapping this node belongs to ('..' there stays put). */
  top: EtNode;
  /** The directory this node was found in (null for a key). */
  parent: EtNode | null;
  /** Key nodes of BLK/CHR type: device number and the kernel-side attributes. */
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
