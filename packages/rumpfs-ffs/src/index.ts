/**
 * @rumpts/rumpfs-ffs — the Berkeley Fast File System (UFS1/UFS2), as the kernel module
 * `rumpfs_ffs` registering file system type `ffs`, read-write, plus the newfs tool.
 */
import type { Kernel, ModInfo } from '@rumpts/librump';
import { vfs_attach, vfs_detach } from '@rumpts/rumpvfs';
import { ffs_vfsops } from './vfsops.js';

/**
 * The kernel module `ffs` (class vfs): init attaches ffs_vfsops, fini detaches it. Loaded by the name
 * `rumpfs_ffs` (librumpfs_ffs in NetBSD).
 */
export const modinfo: ModInfo = {
  name: 'ffs',
  class: 'vfs',
  requires: [],
  init(k: Kernel): void {
    vfs_attach(k, ffs_vfsops);
  },
  fini(k: Kernel): void {
    vfs_detach(k, 'ffs');
  },
};

export { ffs_vfsops } from './vfsops.js';
export { ffs_vnodeops } from './vnops.js';
// The read core, usable without a kernel (tools, fsck-like readers).
export { Ufsmount } from './ufsmount.js';
export { Inode, ffs_iget } from './inode.js';
export { ffs_read } from './read.js';
export { ffs_dirwalk, ffs_dirlookup, type DirSlot } from './dir.js';
export { ffs_readlink } from './readlink.js';
export { ffs_getattr } from './attr.js';
export { ffs_statvfs } from './statvfs.js';
export { ffs_sbread, superblockInvalid, geometryInvalid, type FoundSuperblock } from './sbread.js';
/**
 * The on-disk formats as pure codecs: struct fs, struct cg, the UFS1/UFS2 dinodes, struct direct, the fs.h
 * geometry macros and the byte-order view (FFS_EI). No I/O, no kernel.
 */
export * as ondisk from './ondisk/index.js';
// Tools (the fsu newfs/fsck/makefs commands call these).
export { newfs, type NewfsOptions, type NewfsResult } from './tools/newfs.js';
export {
  fsck, FSCK_EXIT_OK, FSCK_EXIT_UNRESOLVED, FSCK_EXIT_CHECK_FAILED, type FsckOptions, type FsckResult, type FsckJournal, type Problem, type ProblemKind,
  type FsckPass,
} from './tools/fsck/index.js';
export { makefs, makefsSize, type MakefsOptions, type MakefsProgress, type MakefsResult, type MakefsSize } from './tools/makefs.js';
