/**
 * The FFS vfsops (ffs_vfsops): mount a UFS1/UFS2 volume from a block device, read-only or
 * read-write, update between the two, sync, unmount. Mount data is NetBSD's ufs_args:
 * `{ fspec: '/dev/…' }`.
 *
 * The clean flag (fs_clean): a read-write mount needs FS_ISCLEAN (else EPERM "not clean", naming
 * the fsck to run, unless MNT_FORCE), turns it into FS_WASCLEAN on disk at once, and a clean unmount or rw→ro
 * downgrade writes FS_ISCLEAN back — so an image left mid-write is recognisably unclean.
 */
import { MNT_ASYNC, MNT_FORCE, MNT_LOG, MNT_RDONLY, MNT_UPDATE, type MountData, S_IFDIR, S_IFMT, errno } from '@rumpts/librump';
import { type BufCache, bufcacheOf } from '@rumpts/rumpdev-disk';
import { type BlockDevice, type FsStat, type LoadedVnode, type Mount, type MountContext, type VfsOps, VDIR, iftovt, vrele } from '@rumpts/rumpvfs';
import { ffs_inode_inuse, ffs_vfree } from './alloc.js';
import { Inode, ffs_iget, ffs_update, inoInRange, readDinode } from './inode.js';
import { FS_DOWAPBL, FS_FLAGS_UPDATED, FS_ISCLEAN, FS_KNOWN_FLAGS, FS_WASCLEAN } from './ondisk/fs.js';
import { FFS_MAXNAMLEN, UFS_ROOTINO } from './ondisk/geometry.js';
import { ffs_statvfs as statvfsOf } from './statvfs.js';
import { Ufsmount } from './ufsmount.js';
import { ffs_vnodeops } from './vnops.js';
import { type LogPlan, ffs_wapbl_plan, ffs_wapbl_start, ffs_wapbl_stop } from './wapbl/ffs_wapbl.js';
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
 * The checks NetBSD makes before a mounted fs becomes writable (device writable, whole fs on the
 * device, clean unless forced). Nothing is written. `from` is the device (mntfromname) the refusal
 * names; the host image behind it is unknown here, so the message names the tools generically and
 * ukfs and rump_server, which know it, rewrite it into the exact command (they match "not clean").
 */
export function ffs_rwcheck(ump: Ufsmount, mntflag: number, dev: BlockDevice = ump.dev, from?: string): void {
  const fs = ump.fs;
  if (dev.readonly) throw errno('EROFS', 'ffs: the device is read-only');
  if (fs.size * fs.fsize > dev.size) {
    throw errno('EINVAL', `ffs: the file system (${fs.size} fragments of ${fs.fsize}) extends past the end of the device (${dev.size} bytes)`);
  }
  if ((fs.clean & FS_ISCLEAN) === 0 && (mntflag & MNT_FORCE) === 0) {
    const on = from ? ` on ${from}` : '';
    throw errno('EPERM', `ffs: the file system${on} is not clean (FS_ISCLEAN unset); check it first: fsu fsck -y IMAGE (fsck_ffs -y on NetBSD), or mount it read-only (MNT_FORCE mounts it as it is)`);
  }
}

/**
 * Make a mounted fs writable: ffs_rwcheck, the summary array loaded, fs_clean ISCLEAN → WASCLEAN
 * written at once.
 */
export function ffs_rwsetup(ump: Ufsmount, mntflag: number, mntonname: string): void {
  const fs = ump.fs;
  ffs_rwcheck(ump, mntflag);
  ump.loadCs();
  ump.async = (mntflag & MNT_ASYNC) !== 0;
  fs.clean = (fs.clean & FS_ISCLEAN) !== 0 ? FS_WASCLEAN : 0;
  fs.ronly = 0;
  fs.fmod = 0;
  fs.fsmnt = mntonname;
  fs.time = nowSec();
  ump.ronly = false;
  ump.sbupdate();
}

/**
 * Write everything back: dirty inodes, cylinder groups and blocks (delayed writes), summary,
 * superblock. While logging, each inode goes in as its own small operation (as ffs_sync does with
 * UFS_WAPBL_BEGIN/END per vnode), so a sync after a long read-only walk — lazy access times on
 * thousands of inodes — commits as the log fills instead of building one transaction larger than it.
 */
export function ffs_sync_ump(ump: Ufsmount, vnodes: readonly Inode[]): void {
  if (ump.ronly) return;
  const w = ump.wapbl;
  for (const ip of vnodes) {
    if (!ip.dirty && !ip.lazyAccess) continue;
    if (!w) {
      ffs_update(ip);
      continue;
    }
    w.begin();
    try {
      ffs_update(ip);
    } finally {
      w.end();
    }
  }
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
 * Start the log of a read-write MNT_LOG mount. Each operation's modified inodes go into their blocks
 * when it ends, and each commit first writes any left and the summary (ffs_wapbl_sync_metadata),
 * and lists the unlinked inodes still in use.
 */
function ffs_logstart(mp: Mount, ump: Ufsmount, log: (m: string) => void, plan?: LogPlan): void {
  const dirtyOnly = (ip: Inode): void => {
    // Lazy access times stay out of commits: ffs_sync_ump writes them in bounded transactions.
    if (ip.dirty) ffs_update(ip);
  };
  ffs_wapbl_start(ump, {
    opEnd: () => {
      for (const ip of ump.dirtyInodes) dirtyOnly(ip);
      ump.dirtyInodes.clear();
    },
    syncMetadata: () => {
      for (const ip of inodesOf(mp)) dirtyOnly(ip);
      ump.dirtyInodes.clear();
      if (ump.fmod) {
        ump.fs.time = nowSec();
        ump.sbupdate();
      }
    },
    unlinked: () => inodesOf(mp).filter((ip) => ip.din.nlink === 0 && ip.din.mode !== 0).map((ip) => ({ inumber: ip.ino, imode: ip.din.mode })),
  }, log, plan);
}

/**
 * ffs_wapbl_plan for a mount about to log, after the layout check (which clears MNT_LOG and says
 * so for an old superblock). Nothing is written.
 */
function ffs_logplan(mp: Mount, ump: Ufsmount, log: (m: string) => void): LogPlan {
  ffs_wapbl_checklayout(ump, mp, log);
  return ffs_wapbl_plan(ump);
}

export function ffs_mount(mp: Mount, data: MountData, ctx: MountContext): void {
  const log = (m: string): void => ctx.kernel.printf(m);
  if ((mp.flag & MNT_UPDATE) !== 0) {
    const ump = VFSTOUFS(mp);
    const wantRo = (mp.flag & MNT_RDONLY) !== 0;
    if (!wantRo && ump.ronly) {
      // Every check (and the log's placement) before the first write: a refused update changes nothing.
      ffs_checkflags(ump, mp.flag);
      ffs_rwcheck(ump, mp.flag, ump.dev, mp.mntfromname);
      const plan = (mp.flag & MNT_LOG) !== 0 ? ffs_logplan(mp, ump, log) : undefined;
      ffs_rwsetup(ump, mp.flag, mp.mntonname);
      if (plan) ffs_logstart(mp, ump, log, plan);
    } else if (wantRo && !ump.ronly) {
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_markclean(ump);
      ump.ronly = true;
    } else if (!ump.ronly && (mp.flag & MNT_LOG) !== 0 && !ump.wapbl) {
      const plan = ffs_logplan(mp, ump, log);
      ffs_sync_ump(ump, inodesOf(mp));
      ffs_logstart(mp, ump, log, plan);
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
  const ro = (mp.flag & MNT_RDONLY) !== 0;
  let ump = Ufsmount.open(dev, cache);
  ump.printf = printf;
  let replay: ReplayPlan | null = null;
  try {
    // A pending log is first replayed in memory: every check below sees the replayed file system,
    // and a read-write mount writes the replay (and anything else) only once all of them passed,
    // so a refused mount leaves the image as it was.
    if ((ump.fs.flags & FS_DOWAPBL) !== 0 && (mp.flag & MNT_FORCE) === 0) {
      replay = wapbl_plan(dev, ump.sbraw);
      cache.invalidate(dev, { save: false });
      ump = replayedView(dev, cache, replay);
      ump.printf = printf;
    }
    ffs_checkflags(ump, mp.flag);
    // The root must be a directory before the mount is visible.
    const root = ffs_iget(ump, UFS_ROOTINO);
    if (iftovt(root.mode) !== VDIR) throw errno('EFTYPE', `ffs: root inode ${UFS_ROOTINO} is not a directory (di_mode 0${root.mode.toString(8)})`);
    if (ro) {
      if (replay) log(`ffs: replaying log to memory (${replay.blocks.size} blocks)`);
    } else {
      ffs_rwcheck(ump, mp.flag, dev, fspec);
      const plan = (mp.flag & MNT_LOG) !== 0 ? ffs_logplan(mp, ump, log) : undefined;
      if (replay) {
        log(`ffs: replaying log to disk (${replay.blocks.size} blocks)`);
        cache.invalidate(ump.dev, { save: false });
        wapbl_replay_write(dev, replay);
        ump = replayedState(Ufsmount.open(dev, cache));
      }
      ffs_rwsetup(ump, mp.flag, mp.mntonname);
      if (plan) {
        try {
          ffs_logstart(mp, ump, log, plan);
        } catch (e) {
          // Only an I/O error gets here (the plan was checked): leave the fs clean as it was.
          ffs_markclean(ump);
          throw e;
        }
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
  if (replay && !ump.ronly) ffs_wapbl_replay_finish(mp, ump, replay, log);
}

/**
 * The superblock as a replay leaves it: FS_DOWAPBL cleared (a mount without MNT_LOG then runs
 * without a log; with it the log is started afresh) and a fs whose log was in use (FS_WASCLEAN, as
 * NetBSD requires of a logged fs) consistent again, so clean.
 */
function replayedState(ump: Ufsmount): Ufsmount {
  const fs = ump.fs;
  if ((fs.clean & (FS_WASCLEAN | FS_ISCLEAN)) !== 0) fs.clean = FS_ISCLEAN;
  fs.flags &= ~FS_DOWAPBL;
  return ump;
}

/** The file system with the log `replay` applied in memory (ffs_wapbl_replay_start's view). */
function replayedView(dev: BlockDevice, cache: BufCache, replay: ReplayPlan): Ufsmount {
  return replayedState(Ufsmount.open(new ReplayOverlayDevice(dev, replay), cache));
}

/**
 * ffs_wapbl_replay_finish: the inodes the log listed as unlinked but still in use are freed now
 * (the last reference goes: inactive frees them). One the log names that was never initialised
 * (mode 0: the crash came between ffs_nodealloccg and ufs_makeinode) cannot be loaded; NetBSD says
 * "unable to cleanup inode" and leaves it allocated for fsck. We say the same, and give the inode
 * back when that is safe — its bit is set in the map and it holds no blocks — as NetBSD's own code
 * for mode 0 means to. Nothing here fails the mount.
 */
function ffs_wapbl_replay_finish(mp: Mount, ump: Ufsmount, replay: ReplayPlan, log: (m: string) => void): void {
  const unable = (ino: number, why: string): void => {
    log(`ffs_wapbl_replay_finish: unable to cleanup inode ${ino}`);
    log(`ffs: inode ${ino}: ${why}`);
  };
  for (const { inumber, imode } of replay.inodes) {
    try {
      if (!inoInRange(ump, inumber) || inumber < UFS_ROOTINO) {
        unable(inumber, 'not an inode of this file system');
        continue;
      }
      const din = readDinode(ump, inumber);
      if (din.mode === 0) {
        const empty = din.blocks === 0 && din.size === 0 && din.db.every((a) => a === 0) && din.ib.every((a) => a === 0);
        if (!empty || !ffs_inode_inuse(ump, inumber)) {
          unable(inumber, empty ? 'mode 0 and already free' : 'mode 0 but holds blocks; left for fsck');
          continue;
        }
        unable(inumber, 'mode 0 (never initialised): freed');
        ffs_vfree(ump, inumber, (imode & S_IFMT) === S_IFDIR);
        continue;
      }
      if (din.nlink > 0) {
        unable(inumber, `still has ${din.nlink} links; left alone`);
        continue;
      }
      const vp = mp.vcacheGet(inumber);
      vrele(vp); // nlink 0: inactive frees it
    } catch (e) {
      unable(inumber, e instanceof Error ? e.message : String(e));
    }
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

/**
 * The vfsops of file system type `ffs` (NetBSD's ffs_vfsops): mount (ufs_args), unmount, root (UFS_ROOTINO),
 * statvfs, sync and loadvnode, with ffs_vnodeops wrapped so each operation is one WAPBL transaction when
 * logging. modinfo attaches it; vfs_attach it yourself to use FFS without the module loader.
 */
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
