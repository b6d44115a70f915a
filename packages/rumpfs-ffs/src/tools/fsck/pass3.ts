/**
 * Pass 3 — connectivity (fsck_ffs pass3.c): every directory must be reachable from the root.
 * For each one that is not, the top of its detached subtree (followed up through the directories
 * naming it, bounded by a visited set) is reconnected into lost+found as #ino, its '..' pointing
 * there; its subtree comes with it.
 */
import { UFS_ROOTINO } from '../../ondisk/geometry.js';
import { DSTATE, type FsckContext } from './context.js';
import { linkup, removeNames, setDotdot } from './dirs.js';


/** Mark `from` and every directory below it reached. */
function reach(ctx: FsckContext, from: number, reached: Set<number>): void {
  const stack = [from];
  while (stack.length > 0) {
    const ino = stack.pop()!;
    if (reached.has(ino) || ctx.state[ino] !== DSTATE) continue;
    reached.add(ino);
    for (const c of ctx.dirs.get(ino)?.subdirs ?? []) if (!reached.has(c)) stack.push(c);
  }
}

export function pass3(ctx: FsckContext): void {
  ctx.log('** Phase 3 - Check Connectivity');
  const reached = new Set<number>();
  reach(ctx, UFS_ROOTINO, reached);
  const order = [...ctx.dirs.keys()].sort((a, b) => a - b);
  for (const ino of order) {
    if (reached.has(ino) || ctx.state[ino] !== DSTATE) continue;
    // Up to the top of the detached part (a directory nobody names, or a cycle).
    let top = ino;
    const seen = new Set<number>([top]);
    for (;;) {
      const p = ctx.dirs.get(top)?.parent ?? 0;
      if (p === 0 || seen.has(p) || reached.has(p) || ctx.state[p] !== DSTATE) break;
      seen.add(p);
      top = p;
    }
    const d = ctx.dirs.get(top)!;
    // A top with a parent is in a loop of directories naming each other, none reachable: its name
    // in the loop goes once it is reconnected (a directory has one name), as fsck_ffs does.
    const loopParent = d.parent !== 0 && d.parent !== top ? ctx.dirs.get(d.parent) : undefined;
    const what = loopParent ? `ORPHANED DIRECTORY LOOP DETECTED I=${top}` : `UNREF DIR I=${top}`;
    if (ctx.problem(3, 'unref-dir', `${what}: RECONNECT`, top)) {
      if (linkup(ctx, top, true)) {
        if (loopParent) {
          const n = removeNames(ctx, loopParent, top);
          ctx.refs[top] = (ctx.refs[top] ?? 0) - n;
          loopParent.subdirs = loopParent.subdirs.filter((x) => x !== top);
        }
        const lf = ctx.lostfound;
        const old = d.dotdot;
        // '..' is the second record or nothing (pass 2 made the record where one was missing).
        if (old !== lf && old !== 0 && setDotdot(ctx, d, lf)) {
          if (old > 0) ctx.refs[old] = (ctx.refs[old] ?? 0) - 1;
          ctx.refs[lf] = (ctx.refs[lf] ?? 0) + 1;
          d.dotdot = lf;
        } else if (old !== lf) {
          ctx.unfixed("its '..' could not be rewritten");
        }
        d.parent = lf;
        reach(ctx, lf, reached);
      } else {
        ctx.unfixed('no lost+found to reconnect to');
      }
    }
    reach(ctx, top, reached);
  }
}
