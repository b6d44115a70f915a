/** Per-process directories (struct cwdinfo): the current and root directory vnodes. */
import { errno, type Proc } from '@rumpts/librump';
import type { Vnode } from './vnode.js';

export interface Cwdinfo {
  cdir: Vnode;
  /** chroot(2) directory, or null for the global root. */
  rdir: Vnode | null;
}

export function cwdinfo(p: Proc): Cwdinfo {
  const c = p.cwdi as Cwdinfo | undefined;
  if (!c) throw errno('ESRCH', `process ${p.pid} has no vfs context`);
  return c;
}
