/**
 * The FFS vfsops (ffs_vfsops): mount a UFS1/UFS2 volume from a block device, read-only or
 * read-write, update between the two, sync, unmount. Mount data is NetBSD's ufs_args:
 * `{ fspec: '/dev/…' }`.
 *
 * The clean flag (fs_clean): a read-write mount needs FS_ISCLEAN (else "not clean; run fsck",
 * unless MNT_FORCE), turns it into FS_WASCLEAN on disk at once, and a clean unmount or rw→ro
 * downgrade writes FS_ISCLEAN back — so an image left mid-write is recognisably unclean.
 */
import { MNT_FORCE, MNT_LOG, MNT_RDONLY, MNT_UPDATE, type MountData, errno, isRumpError } from '@rumpts/librump';
import { type BufCache, bufcacheOf } from '@rumpts/rumpdev-disk';
import { type BlockDevice, type FsStat, type LoadedVnode, type Mount, type MountContext, type VfsOps, VDIR, iftovt, vrele } from '@rumpts/rumpvfs';
import { Inode, ffs_iget, ffs_update } from './inode.js';
import { FS_DOWAPBL, FS_FLAGS_UPDATED, FS_ISCLEAN, FS_KNOWN_FLAGS, FS_WASCLEAN } from './ondisk/fs.js';
import { FFS_MAXNAMLEN, UFS_ROOTINO } from './ondisk/geometry.js';
import { ffs_statvfs as statvfsOf } from './statvfs.js';
import { Ufsmount } from './ufsmount.js';
import { ffs_vnodeops } from './vnops.js';
import { ffs_wapbl_start, ffs_wapbl_stop } from './wapbl/ffs_wapbl.js';
import type { ReplayPlan } from './wapbl/wapbl_log.js';
import { wapbl_vnodeops } from './wapbl/wapbl_vnops.js';
import { ReplayOverlayDevice, wapbl_plan, wapbl_replay_write } from './wapbl/wapbl_replay.js';

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
 * Mount checks on the superblock flags (ffs_mountfs): unknown fs_flags bits refuse the mount unless
 * MNT_FORCE. (A pending WAPBL log is replayed before this check; MNT_FORCE skips the replay and
 * shows the in-place metadata as it is on disk.)
 */
export function ffs_checkflags(ump: Ufsmount, mntflag: number): void {
  const flags = ump.fs.flags;
  if ((mntflag & MNT_FORCE) !== 0) return;
  const unknown = flags & ~FS_KNOWN_FLAGS;
  if (unknown !== 0) throw errno('EINVAL', `ffs: fs_flags 0x${(flags >>> 0).toString(16)} has unknown bits 0x${(unknown >>> 0).toString(16)}`);
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Make a mounted fs writable: the checks NetBSD makes (whole fs on the device, clean unless
 * forced), the summary array loaded, fs_clean ISCLEAN → WASCLEAN written at once.
 */
export function ffs_rwsetup(ump: Ufsmount, mntflag: number, mntonname: string): void {
  const fs = ump.fs;
  if (ump.dev.readonly) throw errno('EROFS', 'ffs: the device is read-only');
  if (fs.size * fs.fsize > ump.dev.size) {
    throw errno('EINVAL', `ffs: the file system (${fs.size} fragments of ${fs.fsize}) extends past the end of the device (${ump.dev.size} bytes)`);
  }
  if ((fs.clean & FS_ISCLEAN) === 0 && (mntflag & MNT_FORCE) === 0) {
    throw errno('EPERM', 'ffs: file system is not clean; run fsck (or mount with MNT_FORCE)');
  }
  ump.loadCs();
  fs.clean = (fs.clean & FS_ISCLEAN) !== 0 ? FS_WASCLEAN : 0;
  fs.ronly = 0;
  fs.fmod = 0;
  fs.fsmnt = mntonname;
  fs.time = nowSec();
  ump.ronly = false;
  ump.sbupdate();
}

/** Write everything back: dirty inodes, cylinder groups and blocks (delayed writes), summary, superblock. */
export function ffs_sync_ump(ump: Ufsmount, vnodes: readonly Inode[]): void {
  if (ump.ronly) return;
  for (const ip of vnodes) ffs_update(ip);
  if (ump.fmod) {
    ump.fs.time = nowSec();
    ump.sbupdate();
  }
  ump.bio.flush();
}

/** The clean state goes back to disk (unmount, rw→ro); a log is emptied and stopped first. */
function ffs_markclean(ump: Ufsmount): void {
  ffs_wapbl_stop(ump);
  if (ump.fs.clean & FS_WASCLEAN) ump.fs.clean = FS_ISCLEAN;
  ump.fs.time = nowSec();
  ump.sbupdate();
  ump.bio.flush();
}

function inodesOf(mp: Mount): Inode[] {
  return mp.vnodes().map((vp) => vp.data).filter((d): d is Inode => d instanceof Inode);
}

/** ffs_wapbl_start needs superblock layout 2 (UFS2, or UFS1 with FS_FLAGS_UPDATED): checked before anything is written. */
function ffs_wapbl_checklayout(ump: Ufsmount, mp: Mount, log: (m: string) => void): void {
  if (ump.fs.ufsVersion === 1 && (ump.fs.old_flags & FS_FLAGS_UPDATED) === 0) {
    log('ffs: fs superblock in old format, not journaling');
    mp.flag &= ~MNT_LOG;
    throw errno('EINVAL', 'ffs: fs superblock in old format, not journaling');
  }
}

/**
 * Start the log of a read-write MNT_LOG mount. Each commit first writes every modified in-core inode
 * and the summary (ffs_wapbl_sync_metadata), and lists the unlinked inodes still in use.
 */
function ffs_logstart(mp: Mount, ump: Ufsmount, log: (m: string) => void): void {
  ffs_wapbl_start(ump, {
    syncMetadata: () => {
      for (const ip of inodesOf(mp)) ffs_update(ip);
      if (ump.fmod) {
        ump.fs.time = nowSec();
        ump.sbupdate();
      }
    },
    unlinked: () => inodesOf(mp).filter((ip) => ip.din.nlink === 0 && ip.din.mode !== 0).map((ip) => ({ inumber: ip.ino, imode: ip.din.mode })),
  }, log);
}

export function ffs_mount(mp: Mount, data: MountData, ctx: MountContext): void {
  if ((mp.flag & MNT_UPDATE) !== 0) {
    const ump = VFSTOUFS(mp);
    const wantRo = (mp.flag & MNT_RDONLY) !== 0;
    const log = (m: string): void => ctx.kernel.printf(m);
    if (!wantRo && ump.ronly) {
      ffs_checkflags(ump, mp.flag);
      if ((mp.flag & MNT_LOG) !== 0) ffs_wapbl_checklayout(ump, mp, log);
      ffs_rwsetup(ump, mp.flag, mp.mntonname);
      if ((mp.flag & MNT_LOG) !== 0) ffs_logstart(mp, ump, log);
    } else if (wantRo && !ump.ronly) {
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_markclean(ump);
      ump.ronly = true;
    } else if (!ump.ronly && (mp.flag & MNT_LOG) !== 0 && !ump.wapbl) {
      ffs_wapbl_checklayout(ump, mp, log);
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_logstart(mp, ump, log);
    } else if (!ump.ronly && (mp.flag & MNT_LOG) === 0 && ump.wapbl) {
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_wapbl_stop(ump);
    }
    return;
  }
  const fspec = ufsArgs(data);
  const dev = ctx.openBlockDevice(fspec);
  const cache = bufcacheOf(ctx.kernel);
  const printf = (m: string): void => ctx.kernel.printf(`ffs: ${mp.mntonname}: ${m}`);
  let ump = Ufsmount.open(dev, cache);
  ump.printf = printf;
  let replay: ReplayPlan | null = null;
  try {
    if ((ump.fs.flags & FS_DOWAPBL) !== 0 && (mp.flag & MNT_FORCE) === 0) {
      ({ ump, replay } = ffs_wapbl_replay(ump, dev, cache, (mp.flag & MNT_RDONLY) !== 0, (m) => ctx.kernel.printf(m)));
      ump.printf = printf;
    }
    ffs_checkflags(ump, mp.flag);
    // The root must be a directory before the mount is visible.
    const root = ffs_iget(ump, UFS_ROOTINO);
    if (iftovt(root.mode) !== VDIR) throw errno('EFTYPE', `ffs: root inode ${UFS_ROOTINO} is not a directory (di_mode 0${root.mode.toString(8)})`);
    const logging = (mp.flag & (MNT_RDONLY | MNT_LOG)) === MNT_LOG;
    if (logging) ffs_wapbl_checklayout(ump, mp, (m) => ctx.kernel.printf(m));
    if ((mp.flag & MNT_RDONLY) === 0) ffs_rwsetup(ump, mp.flag, mp.mntonname);
    if (logging) {
      try {
        ffs_logstart(mp, ump, (m) => ctx.kernel.printf(m));
      } catch (e) {
        ffs_markclean(ump);
        throw e;
      }
    }
  } catch (e) {
    ump.bio.cache.invalidate(ump.bio.dev, { save: false });
    ump.bio.cache.invalidate(dev, { save: false });
    throw e;
  }
  mp.data = ump;
  mp.mntfromname = fspec;
  mp.maxnamlen = FFS_MAXNAMLEN;
  if (replay && !ump.ronly) ffs_wapbl_replay_finish(mp, replay, printf);
}

/**
 * A mount found FS_DOWAPBL: the log holds committed transactions (ffs_wapbl_replay_start). Read-only
 * mounts see them through an in-memory overlay and write nothing ("replaying log to memory");
 * read-write mounts write them to the device first ("replaying log to disk"), then run as a clean fs.
 */
function ffs_wapbl_replay(
  ump: Ufsmount, dev: BlockDevice, cache: BufCache, ro: boolean, log: (m: string) => void,
): { ump: Ufsmount; replay: ReplayPlan } {
  const replay = wapbl_plan(dev, ump.sbraw);
  cache.invalidate(dev, { save: false });
  let next: Ufsmount;
  if (ro) {
    log(`ffs: replaying log to memory (${replay.blocks.size} blocks)`);
    next = Ufsmount.open(new ReplayOverlayDevice(dev, replay), cache);
  } else {
    log(`ffs: replaying log to disk (${replay.blocks.size} blocks)`);
    wapbl_replay_write(dev, replay);
    next = Ufsmount.open(dev, cache);
    // As NetBSD leaves it after a replay without MNT_LOG: no log in use, the fs consistent.
    next.fs.clean = FS_ISCLEAN;
  }
  next.fs.flags &= ~FS_DOWAPBL;
  return { ump: next, replay };
}

/**
 * Inodes the log listed as unlinked but still allocated are freed now (ffs_wapbl_replay_finish).
 * One that cannot be loaded (a log naming a bad inode) is reported and skipped, as NetBSD does:
 * the mount goes on, and fsck frees what is left.
 */
function ffs_wapbl_replay_finish(mp: Mount, replay: ReplayPlan, printf: (m: string) => void): void {
  for (const { inumber } of replay.inodes) {
    let vp;
    try {
      vp = mp.vcacheGet(inumber);
    } catch (e) {
      if (!isRumpError(e)) throw e;
      printf(`ffs_wapbl_replay_finish: unable to clean up inode ${inumber}: ${e.message}`);
      continue;
    }
    vrele(vp); // nlink 0: inactive frees it
  }
}

export function ffs_loadvnode(mp: Mount, key: number): LoadedVnode {
  const ip = ffs_iget(VFSTOUFS(mp), key);
  return { type: iftovt(ip.mode), data: ip };
}

export function ffs_unmount(mp: Mount): void {
  const ump = VFSTOUFS(mp);
  try {
    if (!ump.ronly) {
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_markclean(ump);
    }
  } finally {
    ump.bio.cache.invalidate(ump.dev);
    mp.data = undefined;
  }
}

export const ffs_vfsops: VfsOps = {
  name: 'ffs',
  vnodeops: wapbl_vnodeops(ffs_vnodeops),
  mount: ffs_mount,
  unmount: (mp) => ffs_unmount(mp),
  rootKey: () => UFS_ROOTINO,
  statvfs: (mp): FsStat => statvfsOf(VFSTOUFS(mp)),
  sync: (mp) => ffs_sync_ump(VFSTOUFS(mp), inodesOf(mp)),
  loadvnode: ffs_loadvnode,
};
