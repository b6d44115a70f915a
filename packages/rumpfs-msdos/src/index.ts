/**
 * @rumpts/rumpfs-msdos — FAT12, FAT16 and FAT32 with Win95 long names (NetBSD's msdosfs), read-write,
 * as the kernel module `rumpfs_msdos` registering file system type `msdos`. Written only against the
 * public APIs of @rumpts/librump, @rumpts/rumpvfs and @rumpts/rumpdev-disk, as any third-party plugin
 * would be.
 *
 *   await kernel.modload('rumpfs_msdos');
 *   kernel.etfsRegister('/dev/sd0', 'fat.img', RUMP_ETFS_BLK);
 *   kernel.proc.mount('msdos', '/mnt', 0, { fspec: '/dev/sd0' });
 *
 * @packageDocumentation
 */
export { modinfo } from './modinfo.js';
export { msdosfs_vfsops, parseMsdosfsArgs, type MsdosfsArgs, MSDOSFS_NAMEMAX, MSDOSFS_SHORT_NAMEMAX } from './msdosfs_vfsops.js';
export { msdosfs_vnodeops } from './msdosfs_vnops.js';
export {
  MSDOSFSMNT_SHORTNAME, MSDOSFSMNT_LONGNAME, MSDOSFSMNT_NOWIN95, MSDOSFSMNT_GEMDOSFS, MSDOSFSMNT_VERSIONED, MSDOSFSMNT_UTF8, MSDOSFSMNT_MNTOPT,
} from './msdosfsmount.js';
export { DosConv, type DosName, unix2dosfn, dos2unixfn, winChksum, winSlotCnt, foldName } from './conv.js';
export * as ondisk from './ondisk/index.js';
// Tools (the fsu newfs/fsck/makefs commands call these).
export { newfs_msdos, type NewfsMsdosOptions, type NewfsMsdosResult } from './tools/newfs_msdos.js';
export {
  fsck_msdos, FSCK_MSDOS_EXIT_OK, FSCK_MSDOS_EXIT_UNRESOLVED, FSCK_MSDOS_EXIT_CHECK_FAILED, type FsckMsdosOptions, type FsckMsdosResult, type FsckMsdosProblem,
  type FsckMsdosProblemKind,
} from './tools/fsck/index.js';
export {
  makefs_msdos, makefsMsdosPlan, makefsMsdosSize, type MakefsMsdosOptions, type MakefsMsdosPlan, type MakefsMsdosProgress, type MakefsMsdosResult,
} from './tools/makefs.js';
