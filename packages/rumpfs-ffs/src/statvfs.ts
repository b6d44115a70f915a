/** ffs_statvfs: the counts come from the superblock summary (fs_cstotal), as NetBSD reports them. */
import type { FsStat } from '@rumpts/rumpvfs';
import { FFS_MAXNAMLEN, UFS_ROOTINO, blkstofrags } from './ondisk/geometry.js';
import type { Ufsmount } from './ufsmount.js';

/**
 * ffs_statvfs: statvfs(2) counts of a mounted FFS from fs_cstotal (plus pending frees); bavail leaves out the
 * fs_minfree reserve, as NetBSD does.
 */
export function ffs_statvfs(ump: Ufsmount): FsStat {
  const fs = ump.fs;
  const nonneg = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);
  // fs_pendingblocks is in DEV_BSIZE units (FFS_DBTOFSB converts it to fragments).
  const pending = Math.floor(nonneg(fs.pendingblocks) / 2 ** fs.fsbtodb);
  const bfree = nonneg(blkstofrags(fs, fs.cs_nbfree) + fs.cs_nffree + pending);
  const bresvd = Math.floor((fs.dsize * fs.minfree) / 100);
  const ffree = nonneg(fs.cs_nifree + fs.pendinginodes);
  return {
    bsize: fs.bsize,
    frsize: fs.fsize,
    iosize: fs.bsize,
    blocks: fs.dsize,
    bfree,
    bavail: bfree > bresvd ? bfree - bresvd : 0,
    bresvd,
    files: fs.ncg * fs.ipg - UFS_ROOTINO,
    ffree,
    favail: ffree,
    fresvd: 0,
    namemax: FFS_MAXNAMLEN,
  };
}
