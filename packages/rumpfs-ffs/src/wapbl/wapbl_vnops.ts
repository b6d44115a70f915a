/**
 * UFS_WAPBL_BEGIN/END around every vnode operation of a logged mount: an operation's metadata
 * changes are never split between two commits, and the transaction is committed between operations
 * once it passes half the log (as wapbl_begin decides).
 */
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
        return f(vp, ...rest);
      } finally {
        w.end();
      }
    };
  }
  return out as unknown as VnodeOps;
}
