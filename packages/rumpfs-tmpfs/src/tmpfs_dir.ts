/**
 * Directory contents (tn_spec.tn_dir): entries by name for lookup, and the same entries in creation
 * order, each with a sequence number that never changes and is never reused. readdir cookies are
 * these numbers, so a reader resuming after an entry finds its place even if entries before or
 * after it were added or removed in between (NetBSD tmpfs uses the same idea, tmpfs_dir_getseq).
 */
import type { TmpfsNode } from './tmpfs_node.js';

/** Cookies 0 and 1 are '.' and '..'; real entries start here (TMPFS_DIRSEQ_START). */
export const TMPFS_DIRSEQ_DOT = 0;
export const TMPFS_DIRSEQ_DOTDOT = 1;
export const TMPFS_DIRSEQ_START = 2;

export interface TmpfsDirent {
  name: string;
  readonly node: TmpfsNode;
  readonly seq: number;
  /** Set once removed; the slot stays in `#order` until the next compaction. */
  removed: boolean;
}

export class TmpfsDir {
  /** The parent directory ('..'); the mount's root is its own parent; null once rmdir'ed. */
  parent: TmpfsNode | null;
  readonly #byName = new Map<string, TmpfsDirent>();
  /** Entries in ascending seq, including removed ones not yet compacted away. */
  #order: TmpfsDirent[] = [];
  #removed = 0;
  #nextSeq = TMPFS_DIRSEQ_START;

  constructor(parent: TmpfsNode) {
    this.parent = parent;
  }

  /** Number of entries, not counting '.' and '..'. */
  get count(): number {
    return this.#byName.size;
  }

  lookup(name: string): TmpfsDirent | undefined {
    return this.#byName.get(name);
  }

  /** Add an entry; the caller made sure the name is free. */
  add(name: string, node: TmpfsNode): TmpfsDirent {
    const de: TmpfsDirent = { name, node, seq: this.#nextSeq++, removed: false };
    this.#byName.set(name, de);
    this.#order.push(de);
    return de;
  }

  /** Remove the entry `name` and return it (undefined if absent). */
  remove(name: string): TmpfsDirent | undefined {
    const de = this.#byName.get(name);
    if (!de) return undefined;
    this.#byName.delete(name);
    de.removed = true;
    // Compact when half the slots are dead: amortised O(1) per removal, O(n) memory.
    if (++this.#removed * 2 > this.#order.length) {
      this.#order = this.#order.filter((d) => !d.removed);
      this.#removed = 0;
    }
    return de;
  }

  /** Rename an entry in place: it keeps its seq, so an ongoing readdir neither loses nor repeats it. */
  rename(from: string, to: string): void {
    const de = this.#byName.get(from);
    if (!de) return;
    this.#byName.delete(from);
    de.name = to;
    this.#byName.set(to, de);
  }

  /** Live entries with seq ≥ `cookie`, in seq order. */
  *from(cookie: number): Generator<TmpfsDirent> {
    // Binary search over #order (ascending seq) for the first slot with seq ≥ cookie.
    let lo = 0;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#order[mid] as TmpfsDirent).seq < cookie) lo = mid + 1;
      else hi = mid;
    }
    // Snapshot the array reference: a compaction during iteration replaces it, not mutates it.
    const order = this.#order;
    for (let i = lo; i < order.length; i++) {
      const de = order[i] as TmpfsDirent;
      if (!de.removed) yield de;
    }
  }
}
