/**
 * The mount-level operations of tmpfs (sys/fs/tmpfs/tmpfs_vfsops.c): mount builds a TmpfsMount
 * with its root directory, the VFS finds vnodes through rootKey/loadvnode, statvfs reports the
 * size limit in pages, unmount gives all memory back.
 */
import { MNT_LOCAL, MNT_UPDATE, errno, type MountData } from '@rumpts/librump';
import type { FsStat, LoadedVnode, Mount, MountContext, VfsOps } from '@rumpts/rumpvfs';
import { parseTmpfsArgs } from './tmpfs_args.js';
import { TMPFS_PAGE_SIZE } from './tmpfs_file.js';
import { TmpfsMount, VFS_TO_TMPFS } from './tmpfs_mount.js';
import { tmpfs_vnodeops } from './tmpfs_vnops.js';

/** TMPFS_MAXNAMLEN: longest name a tmpfs directory entry holds. */
export const TMPFS_MAXNAMLEN = 255;

/** A size limit below one page means "no limit" (as in tmpfs_mount); otherwise round up to pages. */
function sizeLimit(size: number | undefined): number {
  if (size === undefined || size < TMPFS_PAGE_SIZE) return Number.POSITIVE_INFINITY;
  return Math.ceil(size / TMPFS_PAGE_SIZE) * TMPFS_PAGE_SIZE;
}

/** The memory tmpfs may use without a limit of its own: the kernel's (hw.physmem). */
function physmem(mp: Mount): number {
  const v = mp.kernel.sysctl('hw.physmem');
  return typeof v === 'number' && v > 0 ? v : Number.MAX_SAFE_INTEGER;
}

function tmpfs_mount(mp: Mount, data: MountData, _ctx: MountContext): void {
  const args = parseTmpfsArgs(data);
  if ((mp.flag & MNT_UPDATE) !== 0) {
    // mount -u: only the size may change, and not below what is in use (tmpfs_mntmem_set: EBUSY).
    const tm = VFS_TO_TMPFS(mp);
    if (args.size !== undefined) {
      const limit = sizeLimit(args.size);
      if (tm.used > limit) throw errno('EBUSY', `tmpfs: ${tm.used} bytes in use exceed the new size ${limit}`);
      tm.limit = limit;
    }
    return;
  }
  const limit = sizeLimit(args.size);
  // mount_tmpfs(8): the root takes the mount point's mode and owner unless told otherwise.
  const covered = mp.vnodecovered ? mp.vnodecovered.ops.getattr(mp.vnodecovered) : undefined;
  const nodesMax = args.nodes !== undefined && args.nodes > 3 ? args.nodes : 3 + Math.floor(Math.min(limit, physmem(mp)) / 1024);
  mp.data = new TmpfsMount(mp.kernel.kmem, limit, nodesMax, {
    mode: args.mode ?? covered?.mode ?? 0o777,
    uid: args.uid ?? covered?.uid ?? 0,
    gid: args.gid ?? covered?.gid ?? 0,
  });
  mp.flag |= MNT_LOCAL;
  mp.maxnamlen = TMPFS_MAXNAMLEN;
  mp.mntfromname = 'tmpfs';
}

function tmpfs_unmount(mp: Mount, _flags: number): void {
  VFS_TO_TMPFS(mp).freeAll();
  mp.data = undefined;
}

function tmpfs_rootKey(mp: Mount): number {
  return VFS_TO_TMPFS(mp).root.id;
}

/** tmpfs_statvfs: sizes in pages; free space is what both the size limit and kernel memory allow. */
function tmpfs_statvfs(mp: Mount): FsStat {
  const tm = VFS_TO_TMPFS(mp);
  const total = Number.isFinite(tm.limit) ? tm.limit : Math.max(physmem(mp), tm.used);
  const kfree = tm.kmem.limit - tm.kmem.inuse;
  const free = Math.max(0, Math.min(total - tm.used, kfree));
  const bfree = Math.floor(free / TMPFS_PAGE_SIZE);
  const ffree = Math.max(0, tm.nodesMax - tm.nodes.size);
  return {
    bsize: TMPFS_PAGE_SIZE,
    frsize: TMPFS_PAGE_SIZE,
    iosize: TMPFS_PAGE_SIZE,
    blocks: Math.floor(total / TMPFS_PAGE_SIZE),
    bfree,
    bavail: bfree,
    bresvd: 0,
    files: tm.nodesMax,
    ffree,
    favail: ffree,
    fresvd: 0,
    namemax: TMPFS_MAXNAMLEN,
  };
}

function tmpfs_sync(_mp: Mount, _waitfor: number): void {
  // Nothing is ever dirty: memory is the backing store.
}

function tmpfs_loadvnode(mp: Mount, key: number): LoadedVnode {
  const node = VFS_TO_TMPFS(mp).nodes.get(key);
  if (!node) throw errno('ESTALE', `tmpfs: no node ${key}`);
  return { type: node.type, data: node };
}

/**
 * The tmpfs vfsops (name 'tmpfs'), registered by the module's init with vfs_attach; mount data
 * is {@link TmpfsArgs}; `mount -u` may change only the size, never below what is in use (EBUSY).
 */
export const tmpfs_vfsops: VfsOps = {
  name: 'tmpfs',
  vnodeops: tmpfs_vnodeops,
  mount: tmpfs_mount,
  unmount: tmpfs_unmount,
  rootKey: tmpfs_rootKey,
  statvfs: tmpfs_statvfs,
  sync: tmpfs_sync,
  loadvnode: tmpfs_loadvnode,
};
