/**
 * @rumpts/rumpfs-cd9660 — ISO 9660 (CD-ROM images) with Rock Ridge, read-only, as the kernel module
 * `rumpfs_cd9660` registering file system type `cd9660`. Written only against the public APIs of
 * @rumpts/librump, @rumpts/rumpvfs and @rumpts/rumpdev-disk, as any third-party plugin would be.
 *
 *   await kernel.modload('rumpfs_cd9660');
 *   kernel.etfsRegister('/dev/cd0', 'image.iso', RUMP_ETFS_BLK);
 *   kernel.proc.mount('cd9660', '/mnt', MNT_RDONLY, { fspec: '/dev/cd0' });
 */
import type { Kernel, ModInfo } from '@rumpts/librump';
import { vfs_attach, vfs_detach } from '@rumpts/rumpvfs';
import { cd9660_vfsops } from './cd9660_vfsops.js';

/** The kernel module: registers type 'cd9660'; unloading fails (EBUSY) while one is mounted. */
export const modinfo: ModInfo = {
  name: 'cd9660',
  class: 'vfs',
  // The VFS must be linked first; without it modload answers 0 ("retry later") instead of failing.
  requires: ['rumpvfs'],
  init(kernel: Kernel): void {
    vfs_attach(kernel, cd9660_vfsops);
  },
  fini(kernel: Kernel): void {
    vfs_detach(kernel, cd9660_vfsops.name);
  },
};

export { cd9660_vfsops, ISO_MAXNAMLEN, type IsoArgs, parseIsoArgs } from './cd9660_vfsops.js';
export { cd9660_vnodeops } from './cd9660_vnops.js';
export {
  ISOFSMNT_EXTATT, ISOFSMNT_GENS, ISOFSMNT_NOCASETRANS, ISOFSMNT_NOJOLIET, ISOFSMNT_NORRIP, ISOFSMNT_RRCASEINS,
} from './cd9660_mount.js';
export { isofntrans } from './cd9660_lookup.js';
export * as ondisk from './iso_ondisk.js';
export { type ContinuationReader, type RripInfo, parseRrip, suspSkip, SUSP_MAX_CONTINUATIONS } from './iso_rrip.js';
