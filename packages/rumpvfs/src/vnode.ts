/**
 * The vnode (sys/vnode.h): the kernel's handle on a file of some file system. Vnodes are cached per
 * mount by file id (vcache) and reference counted: `vref`/`vrele`. When the last reference goes, the
 * fs's `inactive` decides whether the vnode is reclaimed at once or stays cached.
 */
import type { Mount } from './mount.js';
import type { VnodeOps } from './vnodeops.js';
import { deadfs_vnodeops } from './deadfs.js';
import { VDIR, type VType } from './vattr.js';

/** v_vflag bit: the vnode is the root of its mount. */
export const VV_ROOT = 0x1;

/**
 * struct vnode: one file of one mounted file system, as the VFS sees it. `D` is the file system's
 * own node (v_data). Made only by the mount's vnode cache (`Mount.vcacheGet`), never directly.
 */
export class Vnode<D = unknown> {
  /** usecount: references held by namei results, open files, cwds, mounts. */
  usecount = 0;
  /** Descriptors open for writing (v_writecount): a downgrade to read-only waits for none. */
  writecount = 0;
  /** v_vflag: VV_* bits (VV_ROOT marks the root of its mount). */
  vflag = 0;
  /** The mount whose root covers this directory (v_mountedhere). */
  mountedhere: Mount | null = null;
  /** Set once reclaimed (or revoked by a forced unmount): every op fails afterwards. */
  dead = false;
  /** Links of the mount's free list (unreferenced, still cached vnodes), oldest first. */
  freePrev: Vnode | null = null;
  /** Next (younger) vnode on the mount's free list. */
  freeNext: Vnode | null = null;
  /** Whether the vnode is on the mount's free list (cached with no references). */
  onFreeList = false;
  /** Private slot for the VFS layers above the fs (specfs device state, fifo state). */
  specinfo: unknown = undefined;

  /**
   * @param mount The mount whose vnode cache holds this vnode (v_mount).
   * @param type The vnode type (v_type).
   */
  constructor(
    readonly mount: Mount,
    /**
     * The cache key: the fs's file id (inode number). Changed only through `Mount.vcacheRekey`
     * (a file system whose ids follow a location, as msdosfs's do after rename).
     */
    public key: number,
    public type: VType,
    /** The file system's own node (v_data). */
    public data: D,
  ) {}

  /** v_op: the mount's vnode operations, or deadfs's once the vnode is dead (every op then fails). */
  get ops(): VnodeOps {
    return this.dead ? deadfs_vnodeops : this.mount.vnodeops;
  }

  /** Whether this is a directory (VDIR). */
  get isDir(): boolean {
    return this.type === VDIR;
  }

  /** Whether this is the root of its mount (VV_ROOT). */
  get isRoot(): boolean {
    return (this.vflag & VV_ROOT) !== 0;
  }
}
