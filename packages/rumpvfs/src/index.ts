/**
 * @rumpts/rumpvfs — the VFS faction: vnodes, the vnode cache, mounts, namei, the path system calls,
 * the device switch and the rumpfs root file system. File systems plug in through `vfs_attach`.
 */
export * from './vattr.js';
export { Vnode, VV_ROOT } from './vnode.js';
export type { DirEntry, OpContext, ReaddirResult, VnodeOps } from './vnodeops.js';
export type { FsStat, LoadedVnode, MountContext, VfsOps } from './vfsops.js';
export { DESIRED_VNODES, Mount, vref, vrele } from './mount.js';
export { type BlockDevice, type Bdevsw, type CharDevice, type Cdevsw, Devsw, major, makedev, minor } from './devsw.js';
export { VFS_SUBSYSTEM, Vfs, devswOf, vfsOf, vfs_attach, vfs_detach } from './vfs.js';
