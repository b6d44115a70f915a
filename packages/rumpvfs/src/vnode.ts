/**
 * The vnode (sys/vnode.h): the kernel's handle on a file of some file system. Vnodes are cached per
 * mount by file id (vcache) and reference counted: `vref`/`vrele`. When the last reference goes, the
 * fs's `inactive` decides whether the vnode is reclaimed at once or stays cached.
 */
import type { Mount } from './mount.js';
import type { VnodeOps } from './vnodeops.js';
import { deadfs_vnodeops } from './deadfs.js';
import { VDIR, type VType } from './vattr.js';

/** v_vflag bits. */
export const VV_ROOT = 0x1;

export class Vnode<D = unknown> {
  /** usecount: references held by namei results, open files, cwds, mounts. */
  usecount = 0;
  /** Descriptors open for writing (v_writecount): a downgrade to read-only waits for none. */
  writecount = 0;
  vflag = 0;
  /** The mount whose root covers this directory (v_mountedhere). */
  mountedhere: Mount | null = null;
  /** Set once reclaimed (or revoked by a forced unmount): every op fails afterwards. */
  dead = false;
  /** Links of the mount's free list (unreferenced, still cached vnodes), oldest first. */
  freePrev: Vnode | null = null;
  freeNext: Vnode | null = null;
  onFreeList = false;
  /** Private slot for the VFS layers above the fs (specfs device state, fifo state). */
  specinfo: unknown = undefined;

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

  get ops(): VnodeOps {
    return this.dead ? deadfs_vnodeops : this.mount.vnodeops;
  }

  get isDir(): boolean {
    return this.type === VDIR;
  }

  get isRoot(): boolean {
    return (this.vflag & VV_ROOT) !== 0;
  }
}
