/**
 * Pass 4 — reference counts (fsck_ffs pass4.c): every inode's di_nlink must equal the names
 * found for it. An unreferenced file with data and links is reconnected into lost+found (an
 * empty one, or one with no links left, is cleared); inodes pass 1/1b condemned are cleared, their
 * fragments given back to the map so pass 5 frees whatever nobody else holds. The SF_LOG inode of an in-filesystem WAPBL log is
 * unnamed with one link by design and is left alone, as fsck_ffs does.
 */
import { UFS_ROOTINO } from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, FCLEAR, FSTATE, type FsckContext, USTATE } from './context.js';
import { linkup } from './dirs.js';

/** Clear inode `ino` (clri): its claims leave the block map, its dinode is zeroed. */
export function clri(ctx: FsckContext, ino: number): void {
  const din = ctx.readDinode(ino);
  // Only what pass 1 claimed goes back (an inode condemned for its size was never walked).
  if (ctx.claimed[ino] && !ctx.noBlocks(din)) {
    ctx.walkBlocks(din, (addr, n) => {
      if (ctx.badRange(addr, n)) return false;
      ctx.release(addr, n);
      return true;
    });
  }
  ctx.clearDinode(ino);
  ctx.state[ino] = USTATE;
  ctx.dirs.delete(ino);
}

/** di_nlink must equal the names found (ADJUST). */
function adjust(ctx: FsckContext, ino: number, adjusted: Set<number>): void {
  const st = ctx.state[ino];
  if (st !== FSTATE && st !== DSTATE) return;
  const want = ctx.refs[ino] ?? 0;
  const have = ctx.nlink[ino] ?? 0;
  if (want === have || (!ctx.repair && adjusted.has(ino))) return;
  adjusted.add(ino);
  const what = st === DSTATE ? 'DIR' : 'FILE';
  if (ctx.problem(4, 'link-count', `LINK COUNT ${what} I=${ino} COUNT ${have} SHOULD BE ${want}: ADJUST`, ino)) {
    // A directory's in-core dinode is written again when it grows (lost+found taking names): it
    // must carry the new count too, or that write would put the old one back.
    const din = ctx.dirs.get(ino)?.din ?? ctx.readDinode(ino);
    din.nlink = want;
    ctx.writeDinode(ino, din);
    ctx.nlink[ino] = want;
  }
}

export function pass4(ctx: FsckContext): void {
  ctx.log('** Phase 4 - Check Reference Counts');
  const adjusted = new Set<number>();
  for (let ino = UFS_ROOTINO; ino < ctx.maxino; ino++) {
    const st = ctx.state[ino];
    if (st === USTATE) continue;
    const refs = ctx.refs[ino] ?? 0;
    if (st === FCLEAR || st === DCLEAR) {
      const why = refs === 0 ? 'UNREF' : 'BAD/DUP';
      if (ctx.problem(4, st === DCLEAR ? 'unref-dir' : 'unref-file', `${why} ${st === DCLEAR ? 'DIR' : 'FILE'} I=${ino}: CLEAR`, ino)) clri(ctx, ino);
      continue;
    }
    // The in-filesystem log has a link but no name (NetBSD's pass 4 skips it likewise).
    if (st === FSTATE && ctx.isJournalInode(ino)) continue;
    if (refs === 0) {
      const din = ctx.readDinode(ino);
      // No name and no link either (a file unlinked while open when the system went down): it goes,
      // as fsck_ffs clears the zero-link inodes pass 1 listed, rather than into lost+found.
      if (st === DSTATE || din.size === 0 || (ctx.nlink[ino] ?? 0) === 0) {
        if (ctx.problem(4, st === DSTATE ? 'unref-dir' : 'unref-file', `UNREF ${st === DSTATE ? 'DIR' : 'FILE'} I=${ino} (size ${din.size}): CLEAR`, ino)) clri(ctx, ino);
        continue;
      }
      if (ctx.problem(4, 'unref-file', `UNREF FILE I=${ino} (size ${din.size}): RECONNECT`, ino)) {
        if (!linkup(ctx, ino, false)) {
          ctx.unfixed('no lost+found; clearing it instead');
          clri(ctx, ino);
          continue;
        }
      } else {
        continue;
      }
    }
    adjust(ctx, ino, adjusted);
  }
  // Making lost+found late adds names to the root and to lost+found: check both again.
  adjust(ctx, UFS_ROOTINO, adjusted);
  if (ctx.lostfound) adjust(ctx, ctx.lostfound, adjusted);
}
