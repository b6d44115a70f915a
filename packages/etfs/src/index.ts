/**
 * @rumpts/etfs — rump_etfs(3): host files and directories inside the kernel namespace.
 * Link it with `rump_init({ libraries: ['rumpvfs', 'etfs'] })`, then use the kernel's
 * etfsRegister / etfsRegisterWithSize / etfsRemove, or the C-named functions below.
 */
import type { Kernel, RumpEtfsType } from '@rumpts/librump';
import { etfs_component } from './etfs.js';

export { ETFS_SUBSYSTEM, Etfs, KeyMount, etfs_component, etfsOf } from './etfs.js';
export { HostBlockDevice, RUMPBLK_DEVMAJOR, RUMPBLK_SIZE, Rumpblk, rawDevice } from './hostblk.js';
export { hostError, hostErrorMessage } from './hosterr.js';
export { HostFileBlockDevice, type HostDiskOptions, WRITEBACK_BYTES } from './hostdisk.js';
export { checkSecsize, checkTransfer, isPowerOfTwo } from './bounds.js';
export { HostRoot, type HostRootOptions, hostIdOf } from './hostroot.js';
export { ST_ATIME, ST_DEV, ST_FIELDS, ST_GID, ST_INO, ST_MODE, ST_NLINK, ST_RDEV, ST_SIZE, ST_UID, fromBigInt, hostLinkKey, hostLstat } from './hoststat.js';
export { type HostName, hostDirKernelNames, hostDirNames, hostNameText, hostPathOf, joinHostName, undecodableNames } from './hostnames.js';
export type { EtNode } from './etnode.js';

/** The components this library links into a kernel. */
export const components = [etfs_component];

/** rump_pub_etfs_register: map `key` to `hostpath` as `type` (throws RumpError where C returns an errno). */
export function rump_pub_etfs_register(kernel: Kernel, key: string, hostpath: string, type: RumpEtfsType): void {
  kernel.etfsRegister(key, hostpath, type);
}

/** rump_pub_etfs_register_withsize: only [begin, begin + size) of the host file; size may be RUMP_ETFS_SIZE_ENDOFF. */
export function rump_pub_etfs_register_withsize(kernel: Kernel, key: string, hostpath: string, type: RumpEtfsType, begin: number, size: number): void {
  kernel.etfsRegisterWithSize(key, hostpath, type, begin, size);
}

/** rump_pub_etfs_remove: drop `key` (ENOENT if it is not registered, EBUSY while something below it is in use). */
export function rump_pub_etfs_remove(kernel: Kernel, key: string): void {
  kernel.etfsRemove(key);
}
