/**
 * @rumpts/rumpfs-tmpfs — tmpfs, the in-memory file system, as a rump kernel module. Load it with
 * `kernel.modload('rumpfs_tmpfs')` (or link it: `rump_init({ libraries: ['rumpvfs', 'rumpfs_tmpfs'] })`)
 * and mount it with `proc.mount('tmpfs', dir, flags, { size })`.
 */
import type { Kernel, ModInfo } from '@rumpts/librump';
import { vfs_attach, vfs_detach } from '@rumpts/rumpvfs';
import { tmpfs_vfsops } from './tmpfs_vfsops.js';

export { tmpfs_vfsops, TMPFS_MAXNAMLEN } from './tmpfs_vfsops.js';
export { tmpfs_vnodeops } from './tmpfs_vnops.js';
export { type TmpfsArgs, parseTmpfsArgs } from './tmpfs_args.js';
export { TMPFS_PAGE_SIZE } from './tmpfs_file.js';

/** The kernel module: registers the 'tmpfs' file system type; unloading fails (EBUSY) while mounted. */
export const modinfo: ModInfo = {
  name: 'tmpfs',
  class: 'vfs',
  init(kernel: Kernel): void {
    vfs_attach(kernel, tmpfs_vfsops);
  },
  fini(kernel: Kernel): void {
    vfs_detach(kernel, tmpfs_vfsops.name);
  },
};
