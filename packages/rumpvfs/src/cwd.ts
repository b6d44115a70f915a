/** Per-process directories (struct cwdinfo): the current and root directory vnodes. */
import { errno, type Proc } from '@rumpts/librump';
import type { Vnode } from './vnode.js';

/** struct cwdinfo: a process's current and root directory, each holding a reference. */
export interface Cwdinfo {
  /** Current working directory (cwdi_cdir). */
  cdir: Vnode;
  /** chroot(2) directory, or null for the global root. */
  rdir: Vnode | null;
}

/** The cwdinfo of a process; ESRCH if the process has none (rumpvfs was not linked when it was made). */
export function cwdinfo(p: Proc): Cwdinfo {
  const c = p.cwdi as Cwdinfo | undefined;
  if (!c) throw errno('ESRCH', `process ${p.pid} has no vfs context`);
  return c;
}
