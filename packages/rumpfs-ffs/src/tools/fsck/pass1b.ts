/**
 * Pass 1b — rescan for more duplicates (fsck_ffs pass1b.c): pass 1 saw a fragment claimed twice
 * only at the second claim; this pass finds every inode holding any duplicated fragment, the first
 * claimant included, and marks each for clearing as NetBSD does (pass 2 removes their names,
 * pass 4 clears them, pass 5 frees what no one else holds).
 */
import { UFS_ROOTINO } from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, FCLEAR, FSTATE, type FsckContext } from './context.js';

export function pass1b(ctx: FsckContext): void {
  if (ctx.dups.size === 0) return;
  ctx.log('** Phase 1b - Rescan For More DUPS');
  for (let ino = UFS_ROOTINO; ino < ctx.maxino; ino++) {
    const st = ctx.state[ino];
    if (st !== FSTATE && st !== DSTATE) continue;
    const din = ctx.readDinode(ino);
    if (ctx.noBlocks(din)) continue;
    let hit = -1;
    ctx.walkBlocks(din, (addr, n) => {
      if (hit >= 0 || ctx.badRange(addr, n)) return false;
      for (let i = 0; i < n; i++) {
        if (ctx.dups.has(addr + i)) {
          hit = addr + i;
          return false;
        }
      }
      return true;
    });
    if (hit < 0) continue;
    ctx.problem('1b', 'dup-block', `DUP BLOCK ${hit} I=${ino}: CLEAR`, ino);
    ctx.state[ino] = st === DSTATE ? DCLEAR : FCLEAR;
  }
}
