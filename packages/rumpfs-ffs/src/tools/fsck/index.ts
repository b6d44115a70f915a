/**
 * fsck_ffs(8): check a UFS1/UFS2 file system and, with `repair` (-y), fix it; without (-n) the
 * device is only read. The passes are NetBSD's: 1 blocks and sizes, 1b duplicates, 2 path names,
 * 3 connectivity, 4 reference counts, 5 cylinder groups — then the clean flag.
 *
 * Exit status (NetBSD's fsck exit values): 0 — the file system is clean, either as found or after
 * every problem found was repaired (`repaired` tells which); 2 — problems remain (found with -n,
 * or a repair was impossible: FSCK_EXIT_UNRESOLVED); 8 — the check itself failed (no usable
 * superblock, an I/O error: FSCK_EXIT_CHECK_FAILED).
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { encodeFs, FS_DOWAPBL, FS_ISCLEAN, SBLOCKSIZE } from '../../ondisk/fs.js';
import { ffs_sbread } from '../../sbread.js';
import { FsckContext, type FsckOptions, type Problem } from './context.js';
import { pass1 } from './pass1.js';
import { pass1b } from './pass1b.js';
import { pass2 } from './pass2.js';
import { pass3 } from './pass3.js';
import { pass4 } from './pass4.js';
import { pass5 } from './pass5.js';

export type { FsckOptions, Problem, ProblemKind, FsckPass } from './context.js';

export const FSCK_EXIT_OK = 0;
export const FSCK_EXIT_UNRESOLVED = 2;
export const FSCK_EXIT_CHECK_FAILED = 8;

export interface FsckResult {
  /** Nothing was found wrong (the image was consistent and marked clean as found). */
  clean: boolean;
  problems: Problem[];
  /** Something was written (only with repair). */
  repaired: boolean;
  /** 0 clean or fully repaired, 2 problems remain, 8 the check failed. */
  exitStatus: number;
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
  try {
    const { fs, loc } = ffs_sbread(dev);
    const raw = new Uint8Array(SBLOCKSIZE);
    dev.read(raw, loc);
    ctx = new FsckContext(dev, fs, loc, raw, opts);
    log(`** ${fs.ufsVersion === 2 ? 'UFS2' : 'UFS1'} ${fs.le ? 'little' : 'big'}-endian file system, superblock at ${loc}`);
  } catch (e) {
    const message = `CANNOT READ SUPERBLOCK: ${e instanceof Error ? e.message : String(e)}`;
    log(message);
    return { clean: false, problems: [{ pass: 0, kind: 'superblock', message, repaired: false }], repaired: false, exitStatus: FSCK_EXIT_CHECK_FAILED };
  }
  try {
    if ((ctx.fs.flags & FS_DOWAPBL) !== 0) {
      ctx.problem(0, 'journal', 'FILE SYSTEM HAS A WAPBL JOURNAL TO REPLAY (mount it read-write once, or replay it, before checking)');
      ctx.unfixed('journal replay is not part of this fsck');
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
    return {
      clean: ctx.problems.length === 0,
      problems: ctx.problems,
      repaired: ctx.modified,
      exitStatus: ctx.unresolved ? FSCK_EXIT_UNRESOLVED : FSCK_EXIT_OK,
    };
  } catch (e) {
    // A read outside the device or a failed write: the check cannot go on.
    if (!isRumpError(e) && !(e instanceof RangeError)) throw e;
    const message = `CHECK FAILED: ${e.message}`;
    log(message);
    ctx.problems.push({ pass: 0, kind: 'superblock', message, repaired: false });
    return { clean: false, problems: ctx.problems, repaired: ctx.modified, exitStatus: FSCK_EXIT_CHECK_FAILED };
  }
}
