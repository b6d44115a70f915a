/**
 * The vnode operations a file system implements (sys/vnode_if.src), synchronous and throwing
 * RumpError. The VFS has already done, before calling an op, what the comment on each says;
 * a file system does the rest. Ops marked optional may be left out.
 */
import type { Cred } from '@rumpts/librump';
import type { Vnode } from './vnode.js';
import type { Vattr, VattrChange, VattrCreate } from './vattr.js';

/** One directory entry as a file system reports it from readdir. */
export interface DirEntry {
  /** d_fileno: the entry's file id, as getattr's `fileid` reports it. */
  fileno: number;
  /** DT_* type (DT_UNKNOWN if the fs does not know without reading the inode). */
  type: number;
  /** d_name: one component, never containing '/' or NUL. */
  name: string;
  /**
   * The cookie that resumes reading *after* this entry. Cookies are the fs's own (an index, a byte
   * offset, a node id) and must stay valid while entries are added and removed, so a reader never
   * sees an entry twice nor misses one that stayed.
   */
  cookie: number;
}

/** What one readdir call returns: some entries, and whether the directory ends there. */
export interface ReaddirResult {
  /** Entries in directory order (possibly none before eof). */
  entries: DirEntry[];
  /** True when there is nothing after the last entry returned. */
  eof: boolean;
}

/** Who is asking (the calling process's credentials), for ops that care. */
export interface OpContext {
  /** The caller's credentials (kauth_cred_t): uid, gid and groups. */
  cred: Cred;
}

/**
 * struct vnodeopv (sys/vnode_if.src): the vnode operations of a file system, synchronous, throwing
 * RumpError. Each op's comment says what the VFS has checked before calling it.
 */
export interface VnodeOps {
  /**
   * Find `name` in directory `dvp`. Returns the vnode (referenced, via `vcacheGet`) or null if absent.
   * VFS did: dvp is a VDIR, search permission checked, name is one component (no '/'), not '.', not
   * empty, ≤ NAME_MAX. `..` is passed through: return the parent (never called on the mount's root
   * vnode with `..` — the VFS crosses the mount point itself).
   */
  lookup(dvp: Vnode, name: string, ctx: OpContext): Vnode | null;

  /** Create a regular file. VFS did: name absent, write+search on dvp, fs writable. */
  create(dvp: Vnode, name: string, va: VattrCreate, ctx: OpContext): Vnode;
  /** Create a device node, fifo or socket (va.type VBLK/VCHR/VFIFO/VSOCK). Same checks as create. */
  mknod(dvp: Vnode, name: string, va: VattrCreate, ctx: OpContext): Vnode;
  /** Make a directory with `.` and `..`. Same checks as create; the fs counts links. */
  mkdir(dvp: Vnode, name: string, va: VattrCreate, ctx: OpContext): Vnode;
  /** Make a symlink with `target` (may be empty). Same checks as create. */
  symlink(dvp: Vnode, name: string, va: VattrCreate, target: string, ctx: OpContext): Vnode;

  /**
   * Add a hard link `name` in dvp to vp. VFS did: name absent, vp not a directory (EPERM), same
   * mount (EXDEV), write permission on dvp. The fs checks its link limit (EMLINK).
   */
  link(dvp: Vnode, vp: Vnode, name: string, ctx: OpContext): void;
  /** Remove the entry `name` (a non-directory vp) from dvp. VFS did: permission, sticky bit, not a dir. */
  remove(dvp: Vnode, vp: Vnode, name: string, ctx: OpContext): void;
  /**
   * Remove directory vp (`name` in dvp). VFS did: vp is a VDIR, not '.', not a mount point, not the
   * root. The fs checks emptiness (ENOTEMPTY).
   */
  rmdir(dvp: Vnode, vp: Vnode, name: string, ctx: OpContext): void;
  /**
   * Rename. VFS did: both on this mount (EXDEV), permissions, fvp !== tvp, a directory is not moved
   * under itself (EINVAL), type agreement (ENOTDIR/EISDIR), names are not '.'/'..'. tvp is the existing
   * target or null. The fs checks a target directory is empty (ENOTEMPTY), replaces it, fixes `..`
   * of a moved directory and the link counts.
   */
  rename(fdvp: Vnode, fvp: Vnode, fname: string, tdvp: Vnode, tvp: Vnode | null, tname: string, ctx: OpContext): void;

  /** VOP_GETATTR: the current attributes. */
  getattr(vp: Vnode): Vattr;
  /**
   * Change attributes. VFS did: EROFS, ownership/privilege checks (EPERM), immutable/append flags,
   * size on a directory (EISDIR). The fs applies them; a size change truncates or extends (holes).
   * ctime is the fs's to update.
   */
  setattr(vp: Vnode, ch: VattrChange, ctx: OpContext): void;

  /** Read at `offset` into buf; returns bytes read (0 at or past end of file). VFS did: VREG, offset ≥ 0. */
  read(vp: Vnode, buf: Uint8Array, offset: number): number;
  /**
   * Write buf at `offset` (O_APPEND already turned into offset = size), extending the file; returns
   * bytes written. ENOSPC when full, with nothing half-done visible. VFS did: VREG, EROFS, offset ≥ 0.
   */
  write(vp: Vnode, buf: Uint8Array, offset: number): number;
  /** Push this file's dirty data and metadata to stable storage. */
  fsync(vp: Vnode): void;

  /** Entries from `cookie` (0 = start), roughly `count` bytes' worth. VFS did: vp is a VDIR. */
  readdir(vp: Vnode, cookie: number, count: number): ReaddirResult;
  /** The symlink's target. VFS did: vp is a VLNK. */
  readlink(vp: Vnode): string;

  /** Optional: the file is being opened with `mode` (FREAD|FWRITE bits); may refuse. */
  open?(vp: Vnode, mode: number, ctx: OpContext): void;
  /** Optional: an open file (opened with `mode`, FREAD|FWRITE bits) is closed (vn_close). */
  close?(vp: Vnode, mode: number): void;
  /**
   * Optional: the fs's own permission check. Default (genfs_access): owner/group/other bits of
   * getattr, root may do anything except exec without any x bit.
   */
  access?(vp: Vnode, mode: number, ctx: OpContext): void;
  /**
   * The last reference went away. Return true to have the vnode reclaimed now (e.g. nlink is 0:
   * the fs frees the node in reclaim), false to keep it cached.
   */
  inactive?(vp: Vnode): boolean;
  /** The vnode leaves the cache (recycled or unmount): drop the fs's tie to it, free if unlinked. */
  reclaim?(vp: Vnode): void;
  /** Optional ioctl on a regular file or directory. */
  ioctl?(vp: Vnode, cmd: number, arg: unknown): unknown;
  /** Optional pathconf(2) values (_PC_NAME_MAX …); the default uses the mount's namemax. */
  pathconf?(vp: Vnode, name: number): number;
}
