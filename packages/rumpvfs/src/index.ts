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
export { rumpvfs_component } from './vfs_init.js';
export { LOOKUP, CREATE, DELETE, RENAME, MAXSYMLINKS, type NameiOp, type NameiOptions, type NameiResult, type RootLookupHook, namei, nameiDone } from './vfs_lookup.js';
export { VEXEC, VREAD, VWRITE, VAPPEND, vaccess, vn_access, vn_exec_check, groupmember } from './genfs.js';
export { fd_vnode, vn_stat, vnfileops, MAX_OFFSET } from './vfs_vnops.js';
export { bdev_pread, bdev_pwrite, spec_nodev } from './specfs.js';
export { direntReclen } from './vfs_syscalls_attr.js';
export { direntNameInvalid } from './vfs_dirent.js';
export { dounmount, vfs_statvfs } from './vfs_syscalls_mount.js';
export { type Cwdinfo, cwdinfo } from './cwd.js';
export { RUMPFS_MAXNAMLEN, rumpfs_vfsops } from './rumpfs.js';
export { deadfs_vnodeops } from './deadfs.js';

import { rumpvfs_component } from './vfs_init.js';
/** The components this library links into a kernel (rump_init({ libraries: ['rumpvfs'] })). */
export const components = [rumpvfs_component];
