/**
 * What a file system implements at mount level (struct vfsops), and how it registers: a module's
 * init calls `vfs_attach(kernel, ops)`, its fini `vfs_detach(kernel, name)` (EBUSY while mounted).
 */
import type { Kernel, MountData, Proc, Statvfs } from '@rumpts/librump';
import type { Mount } from './mount.js';
import type { Vnode } from './vnode.js';
import type { VnodeOps } from './vnodeops.js';
import type { VType } from './vattr.js';
import type { BlockDevice } from './devsw.js';

/** The fs-specific part of statvfs; the VFS fills in names, flags and fsid. */
export type FsStat = Omit<Statvfs, 'flag' | 'fsid' | 'owner' | 'fstypename' | 'mntonname' | 'mntfromname'>;

/** What a mount op may use besides its arguments. */
export interface MountContext {
  /** The kernel the mount happens in. */
  kernel: Kernel;
  /** The process calling mount(2) (its credentials and working directory). */
  proc: Proc;
  /**
   * Open the block device at `path` (the mount's fspec) for this mount: namei, must be VBLK
   * (ENOTBLK), driver present (ENXIO), not mounted elsewhere (EBUSY); mode FREAD, plus FWRITE
   * unless the mount is read-only. Closed by the VFS after unmount.
   */
  openBlockDevice(path: string): BlockDevice;
}

/** Result of loadvnode: the type and private node for a file id read from the fs. */
export interface LoadedVnode<D = unknown> {
  /** The vnode type of the file. */
  type: VType;
  /** The fs's own node, which becomes the vnode's `data` (v_data). */
  data: D;
}

/**
 * struct vfsops: what a file system type implements at mount level. Register it with `vfs_attach`
 * from a module's init; `name` is the type mount(2) names.
 */
export interface VfsOps {
  /** The type name: 'tmpfs', 'ffs'. Appears in vfs.generic.fstypes and statvfs.fstypename. */
  readonly name: string;
  /** The vnode operations of this file system's vnodes. */
  readonly vnodeops: VnodeOps;
  /**
   * Mount (or, with MNT_UPDATE in mp.flag, update). Set mp.data, mp.mntfromname if meaningful, and
   * mp.maxnamlen. Validate `data` (EINVAL with a message naming the bad field).
   */
  mount(mp: Mount, data: MountData, ctx: MountContext): void;
  /** Write back everything and let go. VFS did: no vnode busy (unless MNT_FORCE), all reclaimed. */
  unmount(mp: Mount, flags: number): void;
  /** The root file id (the VFS gets the root vnode through the vcache). */
  rootKey(mp: Mount): number;
  /** statvfs(2): sizes and counts (VFS_STATVFS); the VFS adds the names, flags and fsid. */
  statvfs(mp: Mount): FsStat;
  /** Write back dirty data (MNT_WAIT waits for it). */
  sync(mp: Mount, waitfor: number): void;
  /** Build the vnode for file id `key` (vcache miss): ENOENT/ESTALE if there is none. */
  loadvnode(mp: Mount, key: number): LoadedVnode;
  /** Optional: vget by inode number (NFS/fh); default uses the vcache. */
  vget?(mp: Mount, key: number): Vnode;
}
