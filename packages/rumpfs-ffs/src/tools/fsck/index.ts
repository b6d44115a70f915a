/**
 * fsck_ffs(8): check a UFS1/UFS2 file system and, with `repair` (-y), fix it; without (-n) the
 * device is only read. The passes are NetBSD's: 1 blocks and sizes, 1b duplicates, 2 path names,
 * 3 connectivity, 4 reference counts, 5 cylinder groups — then the clean flag. A pending WAPBL
 * journal (FS_DOWAPBL) is replayed first, as fsck_ffs does: to the device with -y, in memory with -n.
 *
 * Exit status (NetBSD's fsck exit values): 0 — the file system is clean, either as found or after
 * every problem found was repaired (`repaired` tells which); 2 — problems remain (found with -n,
 * or a repair was impossible: FSCK_EXIT_UNRESOLVED); 8 — the check itself failed (no usable
 * superblock, an I/O error: FSCK_EXIT_CHECK_FAILED).
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { encodeFs, FS_DOWAPBL, FS_ISCLEAN, FS_WASCLEAN, SBLOCKSIZE } from '../../ondisk/fs.js';
import type { ReplayPlan } from '../../wapbl/wapbl_log.js';
import { ReplayOverlayDevice, wapbl_plan, wapbl_replay_write } from '../../wapbl/wapbl_replay.js';
import { ffs_sbread } from '../../sbread.js';
import { FsckContext, type FsckOptions, type Problem } from './context.js';
import { pass1 } from './pass1.js';
import { pass1b } from './pass1b.js';
import { pass2 } from './pass2.js';
import { pass3 } from './pass3.js';
import { pass4 } from './pass4.js';
import { pass5 } from './pass5.js';

export type { FsckOptions, Problem, ProblemKind, FsckPass } from './context.js';

/** fsck exit status 0: the file system is clean (as found or after repair). */
export const FSCK_EXIT_OK = 0;
/** fsck exit status 2: problems remain (found with -n, or not repairable). */
export const FSCK_EXIT_UNRESOLVED = 2;
/** fsck exit status 8: the check itself failed (no usable superblock, an I/O error). */
export const FSCK_EXIT_CHECK_FAILED = 8;

/** What fsck found and did, and the exit status fsck_ffs would give. */
export interface FsckResult {
  /** Nothing was found wrong (the image was consistent and marked clean as found, or after its log). */
  clean: boolean;
  /** Every inconsistency found, in the order found. */
  problems: Problem[];
  /** Something was written (only with repair). */
  repaired: boolean;
  /** 0 clean or fully repaired, 2 problems remain, 8 the check failed. */
  exitStatus: number;
  /** A pending WAPBL log that was replayed before the check (FS_DOWAPBL was set). */
  journal?: FsckJournal;
}

/** What fsck did with a pending log: replayed to the device (-y) or in memory (-n), as fsck_ffs does. */
export interface FsckJournal {
  /** Where the log was replayed: onto the device (-y) or into memory for the check only (-n). */
  replayed: 'disk' | 'memory';
  /** Blocks the log's committed transactions held. */
  blocks: number;
  /** Inodes the log lists as unlinked while still open (a mount frees them; pass 4 clears them). */
  inodes: number[];
}

function writeSuperblock(ctx: FsckContext): void {
  encodeFs(ctx.fs, ctx.sbraw);
  const n = Math.min(Math.ceil(ctx.fs.sbsize / 512) * 512, SBLOCKSIZE);
  ctx.write(ctx.sbraw.subarray(0, n), ctx.sbloc);
}

/** Check (and with `opts.repair`, fix) the FFS on `dev`. Never throws for a corrupt image. */
export function fsck(dev: BlockDevice, opts: FsckOptions): FsckResult {
  const log = (l: string): void => opts.log?.(l);
  if (opts.repair && dev.readonly) throw errno('EROFS', 'fsck: repair (-y) needs a writable device');
  let ctx: FsckContext;
  let journal: FsckJournal | undefined;
  let unreadable: string | undefined;
  try {
    let { fs, loc } = ffs_sbread(dev);
    let raw = new Uint8Array(SBLOCKSIZE);
    dev.read(raw, loc);
    log(`** ${fs.ufsVersion === 2 ? 'UFS2' : 'UFS1'} ${fs.le ? 'little' : 'big'}-endian file system, superblock at ${loc}`);
    let view: BlockDevice = dev;
    if ((fs.flags & FS_DOWAPBL) !== 0) {
      // fsck_ffs replays the journal before it checks anything: to the device with -y, in memory
      // with -n (its reads then see the logged blocks). The superblock is read again from the
      // replayed view; a fs whose log was in use is consistent after it, so clean.
      let plan: ReplayPlan | undefined;
      try {
        plan = wapbl_plan(dev, raw);
      } catch (e) {
        unreadable = e instanceof Error ? e.message : String(e);
      }
      if (plan) {
        log('** File system is journaled; replaying journal');
        if (opts.repair) wapbl_replay_write(dev, plan);
        else view = new ReplayOverlayDevice(dev, plan);
        ({ fs, loc } = ffs_sbread(view));
        raw = new Uint8Array(SBLOCKSIZE);
        view.read(raw, loc);
        fs.flags &= ~FS_DOWAPBL;
        if ((fs.clean & (FS_ISCLEAN | FS_WASCLEAN)) !== 0) fs.clean = FS_ISCLEAN;
        journal = { replayed: opts.repair ? 'disk' : 'memory', blocks: plan.blocks.size, inodes: plan.inodes.map((x) => x.inumber) };
      }
    }
    ctx = new FsckContext(view, fs, loc, raw, opts);
  } catch (e) {
    const message = `CANNOT READ SUPERBLOCK: ${e instanceof Error ? e.message : String(e)}`;
    log(message);
    return { clean: false, problems: [{ pass: 0, kind: 'superblock', message, repaired: false }], repaired: false, exitStatus: FSCK_EXIT_CHECK_FAILED };
  }
  const result = (r: FsckResult): FsckResult => (journal ? { ...r, journal } : r);
  try {
    if (journal?.replayed === 'disk') {
      // Written already; the superblock (FS_DOWAPBL cleared) goes out at the end.
      ctx.problems.push({ pass: 0, kind: 'journal', message: `JOURNAL REPLAYED (${journal.blocks} blocks)`, repaired: true });
      ctx.modified = true;
      ctx.sbdirty = true;
    } else if (unreadable !== undefined) {
      // fsck_ffs: "UNABLE TO READ JOURNAL FOR REPLAY", then with -y "CLEARING EXISTING JOURNAL" and
      // the check goes on over the metadata as it lies on disk.
      if (ctx.problem(0, 'journal', `UNABLE TO READ JOURNAL FOR REPLAY (${unreadable}): CLEARING EXISTING JOURNAL`)) {
        ctx.fs.flags &= ~FS_DOWAPBL;
        ctx.sbdirty = true;
      }
    }
    pass1(ctx);
    pass1b(ctx);
    pass2(ctx);
    pass3(ctx);
    pass4(ctx);
    pass5(ctx);
    const wasClean = (ctx.fs.clean & FS_ISCLEAN) !== 0;
    if (!wasClean) {
      if (ctx.unresolved) {
        ctx.problems.push({ pass: 5, kind: 'clean-flag', message: 'FILE SYSTEM NOT MARKED CLEAN', repaired: false });
        log('FILE SYSTEM NOT MARKED CLEAN');
      } else if (ctx.problem(5, 'clean-flag', 'FILE SYSTEM NOT MARKED CLEAN: MARK CLEAN')) {
        ctx.fs.clean = FS_ISCLEAN;
        ctx.sbdirty = true;
      }
    }
    if (ctx.sbdirty && ctx.repair) writeSuperblock(ctx);
    if (ctx.modified) {
      dev.flush();
      log('***** FILE SYSTEM WAS MODIFIED *****');
    }
    if (ctx.unresolved) log('***** UNRESOLVED INCONSISTENCIES REMAIN *****');
    return result({
      clean: ctx.problems.length === 0,
      problems: ctx.problems,
      repaired: ctx.modified,
      exitStatus: ctx.unresolved ? FSCK_EXIT_UNRESOLVED : FSCK_EXIT_OK,
    });
  } catch (e) {
    // A read outside the device or a failed write: the check cannot go on.
    if (!isRumpError(e) && !(e instanceof RangeError)) throw e;
    const message = `CHECK FAILED: ${e.message}`;
    log(message);
    ctx.problems.push({ pass: 0, kind: 'superblock', message, repaired: false });
    return result({ clean: false, problems: ctx.problems, repaired: ctx.modified, exitStatus: FSCK_EXIT_CHECK_FAILED });
  }
}
