/**
 * The per-kernel VFS state (vfs_init.c, vfs_mount.c): registered file system types, the mount
 * list, the root vnode and the device switch. Found on a kernel with `vfsOf(kernel)`.
 */
import { errno, type Kernel } from '@rumpts/librump';
import { Devsw } from './devsw.js';
import type { Mount } from './mount.js';
import type { Vnode } from './vnode.js';
import type { VfsOps } from './vfsops.js';
import type { RootLookupHook } from './vfs_lookup.js';

/** The name the kernel's subsystem registry keeps the {@link Vfs} state under. */
export const VFS_SUBSYSTEM = 'vfs';

/**
 * A kernel's VFS (vfs_init.c, vfs_mount.c): file system types, the mount list, the root vnode, the
 * device switch and the namei hooks. One per kernel; reach it with {@link vfsOf}.
 */
export class Vfs {
  /** The device switch: block and character drivers by major. */
  readonly devsw = new Devsw();
  /** Registered types by name, with the number of live mounts of each (vfs_refcount). */
  readonly types = new Map<string, {
    /** The type's vfsops. */
    ops: VfsOps;
    /** Live mounts of the type; vfs_detach refuses while it is not 0. */
    refcount: number;
  }>();
  /** Mounted file systems, in mount order; [0] is the root. */
  readonly mounts: Mount[] = [];
  /** The root directory of the whole namespace (rootvnode); set when the root is mounted. */
  rootvnode: Vnode | null = null;
  /** Consulted by namei at the root directory (etfs keys). */
  readonly rootLookupHooks: RootLookupHook[] = [];
  /** The inverse, for getcwd: the path below "/" under which a hooked vnode is found, or null. */
  readonly rootNameHooks: ((vp: Vnode) => string | null)[] = [];
  /**
   * Directory entries getdents has skipped because no directory may hold their names (vfs_dirent.ts),
   * each also reported with a kernel message. A tool that copies trees out can tell from it that a
   * copy is incomplete.
   */
  direntsSkipped = 0;
  #nextFsid = 1;

  /** @param kernel The kernel this VFS belongs to. */
  constructor(readonly kernel: Kernel) {}

  /** A new file system id for a mount (f_fsid, its files' st_dev); never reused within the kernel. */
  allocFsid(): number {
    return this.#nextFsid++;
  }

  /** vfs_attach: register a file system type. EEXIST if the name is taken. */
  attach(ops: VfsOps): void {
    if (!/^[a-z0-9_]+$/.test(ops.name)) throw errno('EINVAL', `bad file system type name '${ops.name}'`);
    if (this.types.has(ops.name)) throw errno('EEXIST', `file system type '${ops.name}' is already attached`);
    this.types.set(ops.name, { ops, refcount: 0 });
  }

  /** vfs_detach: unregister; EBUSY while any mount of the type exists. */
  detach(name: string): void {
    const t = this.types.get(name);
    if (!t) throw errno('ENOENT', `file system type '${name}' is not attached`);
    if (t.refcount > 0) throw errno('EBUSY', `file system type '${name}' has ${t.refcount} mount(s)`);
    this.types.delete(name);
  }

  /** The space-separated type list of vfs.generic.fstypes, in registration order. */
  fstypes(): string {
    return [...this.types.keys()].join(' ');
  }
}

/** The VFS of a kernel; ENOSYS if rumpvfs is not linked into it. */
export function vfsOf(kernel: Kernel): Vfs {
  const v = kernel.getSubsystem<Vfs>(VFS_SUBSYSTEM);
  if (!v) throw errno('ENOSYS', 'rumpvfs is not linked into this kernel (rump_init({ libraries: [\'rumpvfs\'] }))');
  return v;
}

/** Register a file system type in a kernel (call from a module's init). */
export function vfs_attach(kernel: Kernel, ops: VfsOps): void {
  vfsOf(kernel).attach(ops);
}

/** Unregister a file system type (call from a module's fini); EBUSY while mounted. */
export function vfs_detach(kernel: Kernel, name: string): void {
  vfsOf(kernel).detach(name);
}

/** The kernel's device switch, for drivers to attach to. */
export function devswOf(kernel: Kernel): Devsw {
  return vfsOf(kernel).devsw;
}
