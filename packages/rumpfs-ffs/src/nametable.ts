/**
 * The name index of a dirhash: name → (entry offset, inode number), an open-addressing table with
 * linear probing over typed arrays. A JS Map did the same job, but a lookup that misses — every
 * create asks first — compared the name with the strings already in its chains, one cache miss
 * each; here the probe compares 32-bit hashes kept beside the slots and touches a stored name only
 * when the hashes agree. No per-entry object is allocated either.
 */

/** Hash slot markers; a real hash is stored with bit 1 set (hashOf), so it is never one of these. */
const EMPTY = 0;
const TOMB = 1;
const MIN_CAP = 16;

/** FNV-1a over the UTF-16 code units, with bit 1 forced so it differs from EMPTY and TOMB. */
function hashOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 2;
}

export class NameTable {
  #hash = new Int32Array(MIN_CAP);
  #keys: (string | null)[] = new Array<string | null>(MIN_CAP).fill(null);
  #off = new Float64Array(MIN_CAP);
  #ino = new Uint32Array(MIN_CAP);
  #mask = MIN_CAP - 1;
  /** Live entries. */
  #size = 0;
  /** Live entries plus tombstones (what probing has to walk past). */
  #used = 0;
  /**
   * The last name find() missed, and the slot set() would give it: a create looks its name up
   * (namei) and then enters it, and the second probe is skipped (NetBSD passes ulr_offset from
   * lookup to direnter the same way). Any change to the table forgets it.
   */
  #missName: string | null = null;
  #missHash = 0;
  #missSlot = -1;

  get size(): number {
    return this.#size;
  }

  /** The slot holding `name`, or -1. */
  find(name: string): number {
    const h = hashOf(name);
    const hash = this.#hash;
    const mask = this.#mask;
    let tomb = -1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hash[i];
      if (x === EMPTY) {
        this.#missName = name;
        this.#missHash = h;
        this.#missSlot = tomb >= 0 ? tomb : i;
        return -1;
      }
      if (x === TOMB) {
        if (tomb < 0) tomb = i;
      } else if (x === h && this.#keys[i] === name) {
        return i;
      }
    }
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  /** The inode number of `name`, or 0. */
  ino(name: string): number {
    const i = this.find(name);
    return i < 0 ? 0 : (this.#ino[i] as number);
  }

  inoAt(slot: number): number {
    return this.#ino[slot] as number;
  }

  offAt(slot: number): number {
    return this.#off[slot] as number;
  }

  setInoAt(slot: number, ino: number): void {
    this.#ino[slot] = ino;
  }

  /** Enter `name` (or update it if present). */
  set(name: string, off: number, ino: number): void {
    let h: number;
    let i: number;
    if (name === this.#missName) {
      h = this.#missHash;
      i = this.#missSlot;
    } else {
      h = hashOf(name);
      const mask = this.#mask;
      let tomb = -1;
      for (i = h & mask; ; i = (i + 1) & mask) {
        const x = this.#hash[i];
        if (x === EMPTY) break;
        if (x === TOMB) {
          if (tomb < 0) tomb = i;
        } else if (x === h && this.#keys[i] === name) {
          this.#off[i] = off;
          this.#ino[i] = ino;
          return;
        }
      }
      if (tomb >= 0) i = tomb;
    }
    this.#missName = null;
    if (this.#hash[i] === EMPTY) this.#used++;
    this.#hash[i] = h;
    this.#keys[i] = name;
    this.#off[i] = off;
    this.#ino[i] = ino;
    this.#size++;
    // Keep probes short: at most half the slots live or dead.
    if (this.#used * 2 > this.#hash.length) this.#resize(this.#size * 4 > this.#hash.length ? this.#hash.length * 2 : this.#hash.length);
  }

  /** Remove `name`; false if it was not there. */
  delete(name: string): boolean {
    const i = this.find(name);
    if (i < 0) return false;
    this.#hash[i] = TOMB;
    this.#keys[i] = null;
    this.#size--;
    this.#missName = null;
    return true;
  }

  /** Every name, in no particular order. */
  *keys(): Generator<string> {
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k !== null && k !== undefined) yield k;
    }
  }

  /** Rebuild at capacity `cap` (a power of two), dropping tombstones. */
  #resize(cap: number): void {
    this.#missName = null;
    const oh = this.#hash;
    const ok = this.#keys;
    const oo = this.#off;
    const oi = this.#ino;
    this.#hash = new Int32Array(cap);
    this.#keys = new Array<string | null>(cap).fill(null);
    this.#off = new Float64Array(cap);
    this.#ino = new Uint32Array(cap);
    this.#mask = cap - 1;
    const mask = this.#mask;
    for (let j = 0; j < oh.length; j++) {
      const h = oh[j] as number;
      if (h === EMPTY || h === TOMB) continue;
      let i = h & mask;
      while (this.#hash[i] !== EMPTY) i = (i + 1) & mask;
      this.#hash[i] = h;
      this.#keys[i] = ok[j] as string;
      this.#off[i] = oo[j] as number;
      this.#ino[i] = oi[j] as number;
    }
    this.#used = this.#size;
  }
}
