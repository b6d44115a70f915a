/**
 * Directory contents (sys/fs/msdosfs/msdosfs_lookup.c): walking a directory's 32-byte slots,
 * assembling Win95 long names, finding a name (msdosfs_lookup), adding an entry with its long-name
 * slots and a unique short name (createde, uniqdosname), removing one (removede), and the emptiness
 * test of rmdir (dosdirempty). A directory is the fixed root region of FAT12/16 or a cluster chain.
 */
import { errno } from '@rumpts/librump';
import {
  ATTR_VOLUME, ATTR_WIN95, DIRENT_SIZE, type DirEntry, SLOT_DELETED, SLOT_EMPTY, WIN_CNT, WIN_LAST, WIN_MAXLEN, WIN_MAXSUBCNT,
  decodeDirEntry, decodeWinEntry, encodeDirEntry, encodeWinEntry,
} from './ondisk/direntry.js';
import { DosConv, type DosName, type NameForms, dosKey, foldName, nameForms, unix2dosfn, winChksum, winEntryChars, winName, winSlotCnt } from './conv.js';
import { DirCache } from './dircache.js';
import type { Denode } from './denode.js';
import type { BlockRef } from './msdosfsmount.js';
import type { Buf } from '@rumpts/rumpdev-disk';

/** A FAT directory holds at most 65536 entries (2 MiB): the specification's limit, which DOS tools assume. */
export const MAX_DIR_SLOTS = 65536;

/** Bytes of directory `dep` (the fixed root region, or its clusters). */
export function dirSize(dep: Denode): number {
  if (dep.isFixedRoot) return dep.pmp.rootBytes;
  return dep.chainLength() * dep.pmp.g.bpc;
}

/** The buffer holding directory offset `off` of `dep`, and `off`'s place in it. */
export function dirRef(dep: Denode, off: number): BlockRef & { boff: number } {
  const pmp = dep.pmp;
  if (dep.isFixedRoot) return pmp.rootRef(off);
  const bpc = pmp.g.bpc;
  const ci = Math.floor(off / bpc);
  const cn = dep.clusterAt(ci);
  if (cn < 0) throw errno('EIO', `msdosfs: directory ${dep.fileid} ends before offset ${off}`);
  const r = pmp.clusterRef(cn);
  return { blkno: r.blkno, size: r.size, boff: off - ci * bpc };
}

/** Device byte address of directory offset `off`. */
export function dirPos(dep: Denode, off: number): number {
  const pmp = dep.pmp;
  if (dep.isFixedRoot) return pmp.rootByte + off;
  const bpc = pmp.g.bpc;
  const ci = Math.floor(off / bpc);
  const cn = dep.clusterAt(ci);
  if (cn < 0) throw errno('EIO', `msdosfs: directory ${dep.fileid} ends before offset ${off}`);
  return pmp.clusterByte(cn) + (off - ci * bpc);
}

/**
 * Visit the slots of `dep` from offset `from` (a multiple of 32) to its end, one buffer at a time.
 * `visit(data, boff, off)` returns false to stop. Nothing else may do I/O while a buffer is held,
 * so `visit` must only look.
 */
export function scanDir(dep: Denode, from: number, visit: (d: Uint8Array, boff: number, off: number) => boolean): void {
  const pmp = dep.pmp;
  const size = dirSize(dep);
  let off = from;
  while (off < size) {
    const r = dirRef(dep, off);
    const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
    let go = true;
    try {
      for (let b = r.boff; b < r.size && off < size; b += DIRENT_SIZE, off += DIRENT_SIZE) {
        if (!visit(bp.data, b, off)) {
          go = false;
          break;
        }
      }
    } finally {
      pmp.cache.brelse(bp);
    }
    if (!go) return;
  }
}

/** Is this short entry a directory's '.' or '..'? */
export function isDotName(name: Uint8Array): 0 | 1 | 2 {
  if (name[0] !== 0x2e) return 0;
  const two = name[1] === 0x2e;
  for (let i = two ? 2 : 1; i < 11; i++) if (name[i] !== 0x20) return 0;
  return two ? 2 : 1;
}

/**
 * Win95 long names, assembled slot by slot (win2unixfn): the entry marked last comes first and
 * counts down to 1; all carry the checksum of the short entry that follows. Anything else drops the
 * name and the short name is used.
 */
export class LfnAssembler {
  #parts: number[][] = [];
  #total = 0;
  #expect = 0;
  #chksum = -1;

  reset(): void {
    this.#chksum = -1;
  }

  feed(d: Uint8Array, boff: number): void {
    const w = decodeWinEntry(d, boff);
    const n = w.cnt & WIN_CNT;
    if ((w.cnt & WIN_LAST) !== 0) {
      if (n < 1 || n > WIN_MAXSUBCNT) {
        this.#chksum = -1;
        return;
      }
      this.#total = n;
      this.#expect = n - 1;
      this.#chksum = w.chksum;
      this.#parts = [];
      this.#parts[n - 1] = w.chars;
      return;
    }
    if (this.#chksum < 0 || n !== this.#expect || n < 1 || w.chksum !== this.#chksum) {
      this.#chksum = -1;
      return;
    }
    this.#parts[n - 1] = w.chars;
    this.#expect = n - 1;
  }

  /** The long name for the short entry with this name, or null. Resets. */
  finish(shortName: Uint8Array): string | null {
    const ok = this.#chksum >= 0 && this.#expect === 0 && winChksum(shortName) === this.#chksum;
    this.#chksum = -1;
    if (!ok) return null;
    let s = '';
    for (let i = 0; i < this.#total; i++) {
      for (const c of this.#parts[i] ?? []) {
        if (c === 0) return valid(s);
        if (c === 0x2f) return null; // '/' cannot be in a name
        s += String.fromCharCode(c);
      }
    }
    return valid(s);
  }
}

function valid(s: string): string | null {
  if (s.length === 0 || s.length > WIN_MAXLEN || s === '.' || s === '..') return null;
  return s;
}

/** The directory's cache, scanning it first if needed. */
export function dircache(dep: Denode): DirCache {
  if (dep.dircache) return dep.dircache;
  const pmp = dep.pmp;
  const size = dirSize(dep);
  const c = new DirCache(size / DIRENT_SIZE);
  c.end = size;
  c.freeHint = size;
  const lfn = new LfnAssembler();
  const longNames = pmp.longNames;
  scanDir(dep, 0, (d, b, off) => {
    const n0 = d[b]!;
    if (n0 === SLOT_EMPTY) {
      c.end = off;
      return false;
    }
    if (n0 === SLOT_DELETED) {
      lfn.reset();
      c.setFree(off / DIRENT_SIZE, true);
      if (off < c.freeHint) c.freeHint = off;
      return true;
    }
    const attr = d[b + 11]!;
    if (attr === ATTR_WIN95) {
      if (longNames) lfn.feed(d, b);
      return true;
    }
    const name = d.subarray(b, b + 11);
    if ((attr & ATTR_VOLUME) !== 0 || isDotName(name) !== 0) {
      lfn.reset();
      return true;
    }
    const long = longNames ? lfn.finish(name) : null;
    c.add(off, { long, short: dosKey(name) }, long === null ? null : foldName(long));
    return true;
  });
  if (c.freeHint > c.end) c.freeHint = c.end;
  dep.dircache = c;
  return c;
}

/**
 * The forms of `name` (conv.ts nameForms), kept on the directory for the create that follows a
 * failed lookup, and for the next lookup of the same name (a path walked again and again).
 */
function formsOf(dep: Denode, name: string): NameForms {
  const f = nameForms(name, dep.lastForms);
  dep.lastForms = f;
  return f;
}

/** msdosfs_lookup's name matching: the offset of `name`'s short entry in `dep`, or -1. */
export function dirLookup(dep: Denode, name: string): number {
  const f = formsOf(dep, name);
  const conv = f.dos.conv;
  if (conv === DosConv.NONE) throw errno('EINVAL', `msdosfs: '${name}' has no DOS form (only dots and blanks)`);
  const c = dircache(dep);
  let best = -1;
  if (dep.pmp.longNames) best = c.byLong.get(f.folded) ?? -1;
  // A name whose 8.3 form lost nothing matches short entries too (olddos).
  if (conv !== DosConv.GEN) {
    const o = c.byShort.get(f.key) ?? -1;
    if (o >= 0 && (best < 0 || o < best)) best = o;
  }
  return best;
}

/** Read the short entry at directory offset `off`. */
export function readDirEntry(dep: Denode, off: number): DirEntry {
  const pmp = dep.pmp;
  const r = dirRef(dep, off);
  const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
  try {
    return decodeDirEntry(bp.data, r.boff, pmp.g.fatType === 32);
  } finally {
    pmp.cache.brelse(bp);
  }
}

/** Change the slot at directory offset `off` in place when `fn` says so (returns true). */
function modifySlot(dep: Denode, off: number, fn: (d: Uint8Array, boff: number, size: number) => boolean | void): boolean {
  const pmp = dep.pmp;
  const r = dirRef(dep, off);
  const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
  let changed: boolean;
  try {
    changed = fn(bp.data, r.boff, r.size) !== false;
  } catch (e) {
    pmp.cache.brelse(bp);
    throw e;
  }
  if (changed) pmp.cache.bdwrite(bp);
  else pmp.cache.brelse(bp);
  return changed;
}

/** Grow a cluster directory to at least `bytes`, new clusters zeroed (extendfile with DE_CLEAR). */
function growDir(dep: Denode, bytes: number): void {
  const pmp = dep.pmp;
  if (dep.isFixedRoot) throw errno('ENOSPC', 'msdosfs: the root directory is full (FAT12/16 roots have a fixed size)');
  if (bytes > MAX_DIR_SLOTS * DIRENT_SIZE) throw errno('ENOSPC', `msdosfs: a directory holds at most ${MAX_DIR_SLOTS} entries`);
  const have = dep.chainLength();
  const got = dep.extendChain(dep.clcount(bytes));
  // The clusters the directory grows past are full. The last one may still change (an entry whose
  // slots run on into the new cluster), the one before it not: settle both, each once it is final.
  if (got.length > 0) for (let i = Math.max(0, have - 2); i < have; i++) pmp.settleDirCluster(dep.chain[i]!);
  for (const cn of got) {
    const r = pmp.clusterRef(cn);
    const bp = pmp.cache.getblk(pmp.dev, r.blkno, r.size);
    bp.data.fill(0);
    pmp.cache.bdwrite(bp);
    pmp.noteNewDirCluster(cn, r.blkno);
  }
  dep.fileSize = dep.chainLength() * pmp.g.bpc;
}

export interface NewEntry {
  /** Offset of the short entry in the directory. */
  off: number;
  /** Its device byte address (the file id of a regular file is pos / 32). */
  pos: number;
  /** The short name chosen. */
  dn: Uint8Array;
}

/** uniqdosname: the short name for `name`: its lossless 8.3 form, or the first free `~N` one. */
function uniqdosname(c: DirCache, name: string, longNames: boolean, first: DosName, firstKey: string): Uint8Array {
  if (first.conv === DosConv.NONE) throw errno('EINVAL', `msdosfs: '${name}' has no DOS form (only dots and blanks)`);
  if (first.conv !== DosConv.GEN) {
    if (c.byShort.has(firstKey)) throw errno('EEXIST', `msdosfs: the short name of '${name}' is taken`);
    return first.dn;
  }
  if (!longNames) throw errno('EINVAL', `msdosfs: '${name}' does not fit an 8.3 name (the file system is mounted with short names only)`);
  for (let gen = c.genHint.get(firstKey) ?? 1; ; gen++) {
    const r = unix2dosfn(name, gen);
    if (r.conv === DosConv.NONE) throw errno('EEXIST', `msdosfs: every short name for '${name}' is taken`);
    if (!c.byShort.has(dosKey(r.dn))) {
      c.genHint.set(firstKey, gen + 1);
      return r.dn;
    }
  }
}

/**
 * createde: enter `name` for entry `e` (its short name is chosen here and set in `e`) into directory `dep`, with
 * long-name slots when the name is not its own 8.3 form. The directory grows by a cluster when full.
 */
export function createEntry(dep: Denode, name: string, e: DirEntry): NewEntry {
  if (!dep.linked) throw errno('ENOENT', 'msdosfs: the directory was removed');
  const pmp = dep.pmp;
  const c = dircache(dep);
  const longNames = pmp.longNames;
  const forms = formsOf(dep, name);
  const dos1 = forms.dos;
  const dn = uniqdosname(c, name, longNames, dos1, forms.key);
  const same = dos1.conv === DosConv.SAME;
  const stored = winName(name);
  const nwin = same || !longNames ? 0 : winSlotCnt(name);
  if (!same && longNames && (nwin === 0 || stored.length > WIN_MAXLEN)) throw errno('ENAMETOOLONG', `msdosfs: '${name}' is longer than ${WIN_MAXLEN} characters`);
  const wincnt = nwin + 1;
  const first = c.findRun(wincnt) * DIRENT_SIZE;
  const shortOff = first + (wincnt - 1) * DIRENT_SIZE;
  if (shortOff + DIRENT_SIZE > MAX_DIR_SLOTS * DIRENT_SIZE) throw errno('ENOSPC', `msdosfs: a directory holds at most ${MAX_DIR_SLOTS} entries`);
  if (shortOff + DIRENT_SIZE > dirSize(dep)) growDir(dep, shortOff + DIRENT_SIZE);
  const fat32 = pmp.g.fatType === 32;
  const chk = winChksum(dn);
  // The entry takes the chosen short name (callers keep `e` as their denode's entry).
  e.name = dn;
  const entry = e;
  const oldEnd = c.end;
  // Long-name slots first, the one holding the end of the name (marked last) lowest, then the short
  // entry; one buffer held while the slots stay in it (they nearly always share one).
  let bp: Buf | null = null;
  /** Directory offset and device byte of the held buffer's start, and its size. */
  let base = 0;
  let byte = 0;
  let size = 0;
  let pos = -1;
  try {
    for (let k = 0; k <= nwin; k++) {
      const off = first + k * DIRENT_SIZE;
      if (bp === null || off - base >= size) {
        if (bp) pmp.cache.bdwrite(bp);
        bp = null;
        const r = dirRef(dep, off);
        bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
        base = off - r.boff;
        byte = r.blkno * 512;
        size = r.size;
      }
      const d = bp.data;
      const boff = off - base;
      if (k < nwin) {
        const cnt = nwin - k;
        encodeWinEntry({ cnt: cnt | (k === 0 ? WIN_LAST : 0), chksum: chk, chars: winEntryChars(stored, cnt) }, d, boff);
        continue;
      }
      encodeDirEntry(entry, d, boff, fat32);
      pos = byte + boff;
      // Past the old end nothing was in use, but a foreign tool may have left bytes there: the slot
      // after a new last entry must read as the end (when it shares the buffer, as it nearly always does).
      const next = boff + DIRENT_SIZE;
      if (shortOff + DIRENT_SIZE >= oldEnd && next < size) d[next] = SLOT_EMPTY;
    }
  } finally {
    if (bp) pmp.cache.bdwrite(bp);
  }
  const lastSlot = shortOff / DIRENT_SIZE;
  for (let s = first / DIRENT_SIZE; s <= lastSlot; s++) c.setFree(s, false);
  if (first === c.freeHint) c.freeHint = shortOff + DIRENT_SIZE;
  if (shortOff + DIRENT_SIZE > c.end) c.end = shortOff + DIRENT_SIZE;
  if (c.freeHint > c.end) c.freeHint = c.end;
  const long = nwin > 0 ? stored : null;
  c.add(shortOff, { long, short: dn === dos1.dn ? forms.key : dosKey(dn) }, long === null ? null : long === name ? forms.folded : foldName(long));
  dep.touchModified();
  return { off: shortOff, pos, dn };
}

/**
 * removede: mark the short entry at `off` and the long-name slots before it that belong to it
 * deleted. The directory never shrinks (DOS directories keep their clusters).
 */
export function removeEntry(dep: Denode, off: number): void {
  const c = dircache(dep);
  const names = c.names.get(off);
  let chk = -1;
  modifySlot(dep, off, (d, b) => {
    chk = winChksum(d.subarray(b, b + 11));
    d[b] = SLOT_DELETED;
  });
  c.setFree(off / DIRENT_SIZE, true);
  let first = off;
  for (let k = 1; k <= WIN_MAXSUBCNT && off - k * DIRENT_SIZE >= 0; k++) {
    const o = off - k * DIRENT_SIZE;
    const mine = modifySlot(dep, o, (d, b) => {
      if (d[b] === SLOT_DELETED || d[b] === SLOT_EMPTY || d[b + 11] !== ATTR_WIN95 || d[b + 13] !== chk) return false;
      d[b] = SLOT_DELETED;
      return true;
    });
    if (!mine) break;
    c.setFree(o / DIRENT_SIZE, true);
    first = o;
  }
  if (first < c.freeHint) c.freeHint = first;
  if (c.hasDup) dep.dircache = null;
  else c.remove(off, names?.long ? foldName(names.long) : null);
  dep.touchModified();
}

/** dosdirempty: no live entries besides '.' and '..' (long-name slots and labels do not count). */
export function dirEmpty(dep: Denode): boolean {
  return dircache(dep).names.size === 0;
}

/** Rewrite the short entry at `off` (rename of a directory's '..', attribute changes). */
export function writeDirEntry(dep: Denode, off: number, e: DirEntry): void {
  const fat32 = dep.pmp.g.fatType === 32;
  modifySlot(dep, off, (d, b) => encodeDirEntry(e, d, b, fat32));
}
