/**
 * UFS_WAPBL_BEGIN/END around every vnode operation of a logged mount: an operation's metadata
 * changes are never split between two commits, and the transaction is committed between operations
 * once it passes half the log (as wapbl_begin decides). An operation that ran out of space while
 * frees of the open transaction were waiting for its commit is run again after that commit.
 */
import { isRumpError } from '@rumpts/librump';
import type { Vnode, VnodeOps } from '@rumpts/rumpvfs';
import { Ufsmount } from '../ufsmount.js';

type AnyOp = (vp: Vnode, ...rest: never[]) => unknown;

export function wapbl_vnodeops(ops: VnodeOps): VnodeOps {
  const out: Record<string, unknown> = { ...ops };
  for (const [name, op] of Object.entries(ops)) {
    if (typeof op !== 'function') continue;
    const f = op as AnyOp;
    out[name] = (vp: Vnode, ...rest: never[]): unknown => {
      const ump = vp.mount.data;
      const w = ump instanceof Ufsmount ? ump.wapbl : null;
      if (!w) return f(vp, ...rest);
      w.begin();
      try {
        try {
          return f(vp, ...rest);
        } catch (e) {
          // Out of space while this transaction's frees hold it: the operation has undone itself;
          // commit (which frees them) and run it once more. Only the outermost operation does.
          if (!(w.spaceWanted && w.depth === 1 && isRumpError(e) && e.code === 'ENOSPC')) throw e;
        }
        w.commit();
        return f(vp, ...rest);
      } finally {
        w.end();
      }
    };
  }
  return out as unknown as VnodeOps;
}
