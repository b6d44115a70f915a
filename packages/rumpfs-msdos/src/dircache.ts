/**
 * What a directory holds, kept in memory once read (NetBSD scans the directory for every lookup;
 * this is the dirhash of msdosfs): names to entry offsets, long names folded for the case-insensitive
 * match, short names for the 8.3 match and for `~N` uniqueness, which slots are free, and where the
 * never-used tail begins. Built by one scan, then kept in step by every change this mount makes.
 */

export interface EntryNames {
  /** The valid long name, or null (a short-only entry, or long names not in use). */
  long: string | null;
  /** The 11-byte short name as a string key. */
  short: string;
}

export class DirCache {
  /** Folded long name → offset of the short entry (the first such entry). */
  readonly byLong = new Map<string, number>();
  /** 11-byte short name → offset of the entry (the first such entry). */
  readonly byShort = new Map<string, number>();
  /** Short-entry offset → its names (every live entry but '.', '..' and volume labels). */
  readonly names = new Map<number, EntryNames>();
  /** Two entries shared a name (a damaged directory): removals rebuild instead of patching. */
  hasDup = false;
  /** Offset of the first never-used slot (0x00) — everything from here on is free. */
  end = 0;
  /** No free slot lies below this offset. */
  freeHint = 0;
  /** Per slot below `end`: 1 if deleted (free), 0 if in use. */
  free: Uint8Array;
  /**
   * Short-entry offset → the file id of the node this mount created there (create, mkdir): a lookup
   * of a name whose node is still cached needs no read of the entry.
   */
  readonly keyOf = new Map<number, number>();
  /** uniqdosname: for a gen-1 short name, the lowest generation number not known to be taken. */
  readonly genHint = new Map<string, number>();

  constructor(slots: number) {
    this.free = new Uint8Array(Math.max(16, slots));
  }

  /** Record a live entry found by the scan or written by a create. */
  add(off: number, n: EntryNames, foldedLong: string | null): void {
    this.names.set(off, n);
    if (this.byShort.has(n.short)) this.hasDup = true;
    else this.byShort.set(n.short, off);
    if (foldedLong !== null) {
      if (this.byLong.has(foldedLong)) this.hasDup = true;
      else this.byLong.set(foldedLong, off);
    }
  }

  /** Forget a removed entry. */
  remove(off: number, foldedLong: string | null): void {
    const n = this.names.get(off);
    this.keyOf.delete(off);
    if (!n) return;
    this.names.delete(off);
    if (this.byShort.get(n.short) === off) this.byShort.delete(n.short);
    if (foldedLong !== null && this.byLong.get(foldedLong) === off) this.byLong.delete(foldedLong);
    this.genHint.clear();
  }

  setFree(slot: number, isFree: boolean): void {
    if (slot >= this.free.length) {
      const grown = new Uint8Array(Math.max(slot + 1, this.free.length * 2));
      grown.set(this.free);
      this.free = grown;
    }
    this.free[slot] = isFree ? 1 : 0;
  }

  /**
   * The first run of `n` free slots (NetBSD's slotcount search): a run of deleted slots below `end`,
   * or the run that reaches `end` and continues into the unused tail. Returns its first slot index.
   */
  findRun(n: number): number {
    const endSlot = this.end / 32;
    let runStart = -1;
    let run = 0;
    for (let i = this.freeHint / 32; i < endSlot; i++) {
      if (this.free[i] === 1) {
        if (run === 0) runStart = i;
        if (++run === n) return runStart;
      } else run = 0;
    }
    return run > 0 ? runStart : endSlot;
  }
}
