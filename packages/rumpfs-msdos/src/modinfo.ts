/** The kernel module `rumpfs_msdos`: registers type 'msdos'; unloading fails (EBUSY) while one is mounted. */
import type { Kernel, ModInfo } from '@rumpts/librump';
import { vfs_attach, vfs_detach } from '@rumpts/rumpvfs';
import { msdosfs_vfsops } from './msdosfs_vfsops.js';

/**
 * The kernel module `msdos` (class vfs), loaded by the name `rumpfs_msdos`: init attaches msdosfs_vfsops, fini
 * detaches it (EBUSY while a volume is mounted). Requires rumpvfs.
 */
export const modinfo: ModInfo = {
  name: 'msdos',
  class: 'vfs',
  // The VFS must be linked first; without it modload answers 0 ("retry later") instead of failing.
  requires: ['rumpvfs'],
  init(kernel: Kernel): void {
    vfs_attach(kernel, msdosfs_vfsops);
  },
  fini(kernel: Kernel): void {
    vfs_detach(kernel, msdosfs_vfsops.name);
  },
};
