/**
 * The FFS vfsops (ffs_vfsops): mount a UFS1/UFS2 volume from a block device, read-only for now.
 * Mount data is NetBSD's ufs_args: `{ fspec: '/dev/…' }`.
 */
import { MNT_FORCE, MNT_RDONLY, MNT_UPDATE, type MountData, errno } from '@rumpts/librump';
import { type FsStat, type LoadedVnode, type Mount, type MountContext, type VfsOps, VDIR, iftovt } from '@rumpts/rumpvfs';
import { ffs_iget } from './inode.js';
import { FS_DOWAPBL, FS_KNOWN_FLAGS } from './ondisk/fs.js';
import { FFS_MAXNAMLEN, UFS_ROOTINO } from './ondisk/geometry.js';
import { ffs_statvfs as statvfsOf } from './statvfs.js';
import { Ufsmount } from './ufsmount.js';
import { ffs_vnodeops } from './vnops.js';

/** VFSTOUFS: the ufsmount of a mounted FFS. */
export function VFSTOUFS(mp: Mount): Ufsmount {
  const ump = mp.data;
  if (!(ump instanceof Ufsmount)) throw errno('EINVAL', 'ffs: not an FFS mount');
  return ump;
}

/** The fspec of ufs_args, checked. */
function ufsArgs(data: MountData): string {
  if (data === undefined || data === null || typeof data !== 'object') throw errno('EINVAL', 'ffs: mount data (ufs_args) is missing');
  const fspec = data['fspec'];
  if (typeof fspec !== 'string' || fspec.length === 0) throw errno('EINVAL', 'ffs: ufs_args.fspec must name a block device');
  return fspec;
}

/**
 * Mount checks on the superblock flags (ffs_mountfs): unknown fs_flags bits refuse the mount, and
 * a pending WAPBL log cannot be replayed here yet — both overridable with MNT_FORCE, which then
 * shows the in-place metadata as it is on disk.
 */
export function ffs_checkflags(ump: Ufsmount, mntflag: number): void {
  const flags = ump.fs.flags;
  if ((mntflag & MNT_FORCE) !== 0) return;
  const unknown = flags & ~FS_KNOWN_FLAGS;
  if (unknown !== 0) throw errno('EINVAL', `ffs: fs_flags 0x${(flags >>> 0).toString(16)} has unknown bits 0x${(unknown >>> 0).toString(16)}`);
  if ((flags & FS_DOWAPBL) !== 0) {
    throw errno('EPERM', 'ffs: the file system has a WAPBL journal to replay (FS_DOWAPBL) and log replay is not supported yet; MNT_FORCE mounts the in-place metadata');
  }
}

export function ffs_mount(mp: Mount, data: MountData, ctx: MountContext): void {
  if ((mp.flag & MNT_UPDATE) !== 0) {
    VFSTOUFS(mp);
    if ((mp.flag & MNT_RDONLY) === 0) throw errno('EROFS', 'ffs: read-write mounts are not supported yet');
    return;
  }
  const fspec = ufsArgs(data);
  if ((mp.flag & MNT_RDONLY) === 0) throw errno('EROFS', 'ffs: read-write mounts are not supported yet');
  const dev = ctx.openBlockDevice(fspec);
  const ump = Ufsmount.open(dev);
  ffs_checkflags(ump, mp.flag);
  // The root must be a directory before the mount is visible.
  const root = ffs_iget(ump, UFS_ROOTINO);
  if (iftovt(root.mode) !== VDIR) throw errno('EFTYPE', `ffs: root inode ${UFS_ROOTINO} is not a directory (di_mode 0${root.mode.toString(8)})`);
  mp.data = ump;
  mp.mntfromname = fspec;
  mp.maxnamlen = FFS_MAXNAMLEN;
}

export function ffs_loadvnode(mp: Mount, key: number): LoadedVnode {
  const ip = ffs_iget(VFSTOUFS(mp), key);
  return { type: iftovt(ip.mode), data: ip };
}

export const ffs_vfsops: VfsOps = {
  name: 'ffs',
  vnodeops: ffs_vnodeops,
  mount: ffs_mount,
  unmount: (mp) => {
    // Nothing dirty on a read-only mount; the VFS closes the device.
    mp.data = undefined;
  },
  rootKey: () => UFS_ROOTINO,
  statvfs: (mp): FsStat => statvfsOf(VFSTOUFS(mp)),
  sync: () => {
    // Read-only: nothing to write back.
  },
  loadvnode: ffs_loadvnode,
};
