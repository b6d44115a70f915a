/**
 * A mounted file system (struct mount) and its vnode cache (vfs_vnode.c vcache): vnodes keyed by
 * file id, reference counted, kept after their last release until recycled or unmounted.
 */
import { errno, isRumpError, type Kernel } from '@rumpts/librump';
import type { VfsOps } from './vfsops.js';
import type { VnodeOps } from './vnodeops.js';
import { Vnode, VV_ROOT } from './vnode.js';
import type { VType } from './vattr.js';
import type { BlockDevice } from './devsw.js';

/** How many unreferenced vnodes a mount keeps cached (desiredvnodes, RUMP_NVNODES default 1024). */
export const DESIRED_VNODES = 1024;

/**
 * struct mount: one mounted file system: its vfsops, flags, names, private data `D` (mnt_data) and
 * its vnode cache. Made by mount(2) (sys_mount); file systems reach theirs as `vp.mount`.
 */
export class Mount<D = unknown> {
  /** MNT_* flags (MNT_RDONLY, MNT_LOCAL, …). */
  flag: number;
  /** The fs's private mount data (mnt_data). */
  data: D = undefined as D;
  /** The directory this mount covers (null for the root file system). */
  vnodecovered: Vnode | null;
  /** f_mntonname: where it is mounted (an absolute, lexically clean path). */
  mntonname: string;
  /** f_mntfromname: what is mounted: the device path, or the fs type name for a memory fs. */
  mntfromname: string;
  /** f_namemax: longest component the fs stores. */
  maxnamlen = 255;
  /** f_fsid: unique among this kernel's mounts; every file's st_dev. */
  readonly fsid: number;
  /** The block device this mount opened through MountContext, closed after unmount. */
  device: {
    /** Its device number (the fs's mntfrom device). */
    dev: number;
    /** The open block device the fs does its I/O on. */
    bdev: BlockDevice;
  } | null = null;
  /** Set while unmounting or after: new vnodes refused. */
  unmounting = false;
  readonly #vcache = new Map<number, Vnode>();
  /**
   * Unreferenced cached vnodes, least recently released first: an intrusive list (a Set would slow
   * down as deletions from its front pile up inside V8's hash table).
   */
  #freeHead: Vnode | null = null;
  #freeTail: Vnode | null = null;
  #freeCount = 0;
  #root: Vnode | null = null;

  /**
   * @param kernel The kernel the mount belongs to.
   * @param ops The file system type's operations (mnt_op).
   * @param flag Initial MNT_* flags.
   * @param vnodecovered The directory covered, null for the root file system.
   * @param mntonname Where it is mounted.
   * @param fsid From `Vfs.allocFsid`.
   */
  constructor(
    readonly kernel: Kernel,
    readonly ops: VfsOps,
    flag: number,
    vnodecovered: Vnode | null,
    mntonname: string,
    fsid: number,
  ) {
    this.flag = flag;
    this.vnodecovered = vnodecovered;
    this.mntonname = mntonname;
    this.mntfromname = ops.name;
    this.fsid = fsid;
  }

  /** The file system's vnode operations (its vfsops' `vnodeops`). */
  get vnodeops(): VnodeOps {
    return this.ops.vnodeops;
  }

  /** f_fstypename: the file system type's name (`ops.name`), e.g. 'ffs'. */
  get fstypename(): string {
    return this.ops.name;
  }

  /**
   * The root vnode, referenced (VFS_ROOT). The mount itself holds one reference on its root from
   * the first call until `releaseRoot` at unmount, so a root with usecount > 1 is in use.
   */
  root(): Vnode {
    if (!this.#root || this.#root.dead) {
      const vp = this.vcacheGet(this.ops.rootKey(this));
      vp.vflag |= VV_ROOT;
      this.#root = vp;
    }
    vref(this.#root);
    return this.#root;
  }

  /** @internal unmount: drop the mount's own reference on the root. */
  releaseRoot(): void {
    const r = this.#root;
    this.#root = null;
    if (r && !r.dead) vrele(r);
  }

  /**
   * vcache_get: the vnode for `key`, referenced. A miss asks the fs to load it (loadvnode).
   * File systems call this from lookup to return a child.
   */
  vcacheGet(key: number): Vnode {
    const vp = this.#vcache.get(key);
    if (vp) {
      vref(vp);
      return vp;
    }
    if (this.unmounting) throw errno('ENOENT', 'file system is being unmounted');
    const lv = this.ops.loadvnode(this, key);
    return this.#insert(key, lv.type, lv.data);
  }

  /** vcache_new: enter a node the fs just created; returns it referenced. */
  vcacheNew<T>(key: number, type: VType, data: T): Vnode<T> {
    if (this.#vcache.has(key)) throw errno('EEXIST', `vcache: file id ${key} already has a vnode`);
    return this.#insert(key, type, data) as Vnode<T>;
  }

  /**
   * vcache_rekey: give a cached vnode a new file id. For file systems whose ids name a location that
   * a rename or a removal changes (msdosfs keys a file by its directory entry). EEXIST if `newKey`
   * already has a vnode; the vnode keeps its references and its place on the free list.
   */
  vcacheRekey(vp: Vnode, newKey: number): void {
    if (vp.mount !== this || this.#vcache.get(vp.key) !== vp) throw errno('EINVAL', `vcache: vnode ${vp.key} is not cached on this mount`);
    if (newKey === vp.key) return;
    if (this.#vcache.has(newKey)) throw errno('EEXIST', `vcache: file id ${newKey} already has a vnode`);
    this.#vcache.delete(vp.key);
    vp.key = newKey;
    this.#vcache.set(newKey, vp);
  }

  /** The cached vnode for key, if any, without taking a reference. */
  vcachePeek(key: number): Vnode | undefined {
    return this.#vcache.get(key);
  }

  #insert(key: number, type: VType, data: unknown): Vnode {
    const vp = new Vnode(this, key, type, data);
    vp.usecount = 1;
    this.#vcache.set(key, vp);
    this.#trim();
    return vp;
  }

  /** Every cached vnode (for vflush, sync). */
  vnodes(): Vnode[] {
    return [...this.#vcache.values()];
  }

  /** @internal vrele bookkeeping */
  onFree(vp: Vnode): void {
    if (!vp.onFreeList) {
      vp.onFreeList = true;
      vp.freePrev = this.#freeTail;
      vp.freeNext = null;
      if (this.#freeTail) this.#freeTail.freeNext = vp;
      else this.#freeHead = vp;
      this.#freeTail = vp;
      this.#freeCount++;
    }
    this.#trim();
  }

  #unfree(vp: Vnode): void {
    if (!vp.onFreeList) return;
    vp.onFreeList = false;
    if (vp.freePrev) vp.freePrev.freeNext = vp.freeNext;
    else this.#freeHead = vp.freeNext;
    if (vp.freeNext) vp.freeNext.freePrev = vp.freePrev;
    else this.#freeTail = vp.freePrev;
    vp.freePrev = vp.freeNext = null;
    this.#freeCount--;
  }

  /** @internal vref bookkeeping */
  onUse(vp: Vnode): void {
    this.#unfree(vp);
  }

  /**
   * Reclaim one vnode: the fs lets go, the cache forgets it. Like NetBSD's vrecycle/vgone this never
   * fails: the vnode is gone whatever the fs says, and an error from its reclaim (a corrupt block
   * met while freeing an unlinked file, a failed write-back) goes to the kernel log, so no caller
   * is left holding references it can no longer drop. Anything but a RumpError is a bug and is
   * rethrown, after the bookkeeping.
   */
  reclaim(vp: Vnode): void {
    if (vp.dead) return;
    this.#unfree(vp);
    this.#vcache.delete(vp.key);
    if (this.#root === vp) this.#root = null;
    try {
      vp.ops.reclaim?.(vp);
    } catch (e) {
      this.#report('reclaim', vp, e);
    } finally {
      vp.dead = true;
    }
  }

  /** @internal An error from a vnode op that has no caller to report to: to the kernel log. */
  report(what: string, vp: Vnode, e: unknown): void {
    this.#report(what, vp, e);
  }

  #report(what: string, vp: Vnode, e: unknown): void {
    if (!isRumpError(e)) throw e;
    this.kernel.printf(`vfs: ${what} of file ${vp.key} on ${this.mntonname}: ${e.message}`);
  }

  #trim(): void {
    while (this.#freeCount > DESIRED_VNODES && this.#freeHead) {
      const victim = this.#freeHead;
      this.reclaim(victim);
    }
  }
}

/** vref(9): take another reference on a vnode (one already held, or found in the cache). */
export function vref(vp: Vnode): void {
  if (vp.usecount++ === 0) vp.mount.onUse(vp);
}

/**
 * Drop a reference. On the last one the fs's inactive decides: reclaim now (an unlinked file) or
 * keep it cached for the next lookup.
 */
export function vrele(vp: Vnode): void {
  if (vp.usecount <= 0) throw errno('EINVAL', `vrele: vnode ${vp.key} has no references`);
  if (--vp.usecount > 0 || vp.dead) return;
  // vrele never fails (it is void in NetBSD): the reference is gone whatever inactive says, so
  // callers releasing several references in turn never leak the later ones. An inactive that fails
  // leaves a vnode the fs could not vouch for: it is reclaimed (reloaded from disk next time).
  let recycle: boolean;
  try {
    recycle = vp.ops.inactive?.(vp) ?? false;
  } catch (e) {
    vp.mount.report('inactive', vp, e);
    recycle = true;
  }
  if (vp.usecount > 0) return;
  if (recycle) vp.mount.reclaim(vp);
  else vp.mount.onFree(vp);
}
