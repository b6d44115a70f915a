/**
 * The mount control block of a FAT volume (msdosfsmount.h struct msdosfsmount) and the FAT itself
 * (msdosfs_fat.c): reading and writing entries through the kernel's buffer cache, the in-use bitmap
 * and free count built at mount (fillinusemap), cluster allocation and freeing, both FAT copies kept
 * equal, the FSInfo hints of FAT32 and the clean-shutdown bit in FAT[1].
 */
import { Buffer } from 'node:buffer';
import { errno } from '@rumpts/librump';
import type { Mount } from '@rumpts/rumpvfs';
import type { Buf, BufCache, StagedDevice } from '@rumpts/rumpdev-disk';
import { decodeFsInfo, encodeFsInfo } from './ondisk/bootsector.js';
import { CLUST_FIRST, FAT_CONSTS, type FatConsts, type FatGeometry, cntosec, fatEntryOffset } from './ondisk/geometry.js';

/** MSDOSFSMNT_SHORTNAME (mount_msdos -s): only DOS 8.3 names; long names are neither read nor written. */
export const MSDOSFSMNT_SHORTNAME = 1;
/** MSDOSFSMNT_LONGNAME (mount_msdos -l): Win95 long names are read and written (the default here). */
export const MSDOSFSMNT_LONGNAME = 2;
/**
 * MSDOSFSMNT_NOWIN95 (mount_msdos -9): ignore Win95 long-name entries completely, as if absent (implies short
 * names).
 */
export const MSDOSFSMNT_NOWIN95 = 4;
/** MSDOSFSMNT_GEMDOSFS (mount_msdos -G): the Atari GEMDOS variant; refused with EINVAL here. */
export const MSDOSFSMNT_GEMDOSFS = 8;
/** MSDOSFSMNT_VERSIONED: the msdosfs_args carry a version (and so dirmask and gmtoff); accepted and ignored. */
export const MSDOSFSMNT_VERSIONED = 16;
/** MSDOSFSMNT_UTF8: long names as UTF-8 rather than Latin-1; accepted (names are always Unicode here). */
export const MSDOSFSMNT_UTF8 = 32;
/** Every flag mount data may carry. */
export const MSDOSFSMNT_MNTOPT = MSDOSFSMNT_SHORTNAME | MSDOSFSMNT_LONGNAME | MSDOSFSMNT_NOWIN95 | MSDOSFSMNT_GEMDOSFS | MSDOSFSMNT_VERSIONED | MSDOSFSMNT_UTF8;

/** Bytes per FAT buffer on FAT16/32 (FAT12 uses one buffer for its whole used FAT, so entries never straddle two). */
const FAT_BLOCK = 32768;
/** Zeros to compare FAT blocks with (see allZero). */
const ZEROS = new Uint8Array(FAT_BLOCK);

/** Are the first `n` bytes of `d` zero? (A native compare, FAT_BLOCK bytes at a time.) */
function allZero(d: Uint8Array, n: number): boolean {
  for (let at = 0; at < n; at += FAT_BLOCK) {
    const len = Math.min(FAT_BLOCK, n - at);
    if (Buffer.compare(d.subarray(at, at + len), ZEROS.subarray(0, len)) !== 0) return false;
  }
  return true;
}

/** Bytes per buffer of the fixed FAT12/16 root directory. */
const ROOT_BLOCK = 16384;
/** File ids of removed files still open live above every on-disk position. */
export const ORPHAN_BASE = 2 ** 52;

/** A block of the volume as the buffer cache sees it: 512-byte block number and size. */
export interface BlockRef {
  blkno: number;
  size: number;
}

export interface MountOptions {
  uid: number;
  gid: number;
  mask: number;
  dirmask: number;
  flags: number;
  gmtoff: number;
}

export class Msdosfsmount {
  readonly fc: FatConsts;
  readonly fatBlockBytes: number;
  readonly rootBlockBytes: number;
  /** pm_inusemap: a bit per cluster number 0..maxcluster, set when in use (0 and 1 always). */
  inuse: Uint32Array;
  freeCount = 0;
  /** pm_nxtfree: where the next search for a free cluster starts. */
  nxtfree: number = CLUST_FIRST;
  /** FAT blocks (of the active copy) changed since the copies were last made equal. */
  readonly dirtyFat = new Set<number>();
  /** The FAT or FSInfo changed since the last sync (pm_fmod). */
  fmod = false;
  /**
   * Directory clusters allocated since the last sync (device byte → block number): free in the FAT
   * on the device, so their bytes may reach it before the sync without changing what it holds.
   */
  readonly newDirClusters = new Map<number, number>();
  ronly: boolean;
  /** The volume was not marked clean when mounted (FAT[1] clean bit clear). */
  wasDirty = false;
  #orphanSeq = 0;
  /** The volume label's time for the root (which has no entry of its own). */
  rootTimes: { mDate: number; mTime: number } = { mDate: 0, mTime: 0 };

  constructor(
    readonly mp: Mount,
    readonly dev: StagedDevice,
    readonly cache: BufCache,
    readonly g: FatGeometry,
    readonly opts: MountOptions,
    ronly: boolean,
  ) {
    this.fc = FAT_CONSTS[g.fatType];
    this.fatBlockBytes = g.fatType === 12 ? g.fatUsedBytes : Math.min(FAT_BLOCK, g.fatUsedBytes);
    this.rootBlockBytes = Math.min(ROOT_BLOCK, g.rootDirSecs * g.bps);
    this.inuse = new Uint32Array(Math.ceil((g.maxcluster + 1) / 32));
    this.ronly = ronly;
  }

  get flags(): number {
    return this.opts.flags;
  }

  /** Long names are in use (not MSDOSFSMNT_SHORTNAME / NOWIN95). */
  get longNames(): boolean {
    return (this.opts.flags & MSDOSFSMNT_SHORTNAME) === 0;
  }

  /** A fresh file id for a removed file that is still open (never on disk). */
  orphanKey(): number {
    return ORPHAN_BASE + ++this.#orphanSeq;
  }

  // ---- addressing -------------------------------------------------------------------------------

  /** 512-byte block number of volume sector `sec`. */
  secBlkno(sec: number): number {
    return (sec * this.g.bps) / 512;
  }

  /** The buffer holding cluster `cn`. */
  clusterRef(cn: number): BlockRef {
    this.checkCluster(cn);
    return { blkno: this.secBlkno(cntosec(this.g, cn)), size: this.g.bpc };
  }

  /** The 512-byte block number of cluster `cn` (its buffer is `g.bpc` bytes): clusterRef without the object. */
  clusterBlkno(cn: number): number {
    this.checkCluster(cn);
    return (cntosec(this.g, cn) * this.g.bps) / 512;
  }

  /** Byte address on the device of cluster `cn`. */
  clusterByte(cn: number): number {
    return cntosec(this.g, cn) * this.g.bps;
  }

  /** Byte address of the fixed root directory (FAT12/16). */
  get rootByte(): number {
    return this.g.rootStart * this.g.bps;
  }

  get rootBytes(): number {
    return this.g.rootDirSecs * this.g.bps;
  }

  /** The buffer of the fixed root directory holding directory offset `off`, and `off`'s place in it. */
  rootRef(off: number): BlockRef & { boff: number } {
    const rb = this.rootBlockBytes;
    const i = Math.floor(off / rb);
    const start = i * rb;
    return { blkno: this.secBlkno(this.g.rootStart) + start / 512, size: Math.min(rb, this.rootBytes - start), boff: off - start };
  }

  /**
   * The buffer holding the 32-byte slot at device byte `pos` (a directory entry in the fixed root or
   * in a data cluster), and its place in it. EIO if `pos` is in neither.
   */
  slotRef(pos: number): BlockRef & { boff: number } {
    const g = this.g;
    if (g.fatType !== 32 && pos >= this.rootByte && pos < this.rootByte + this.rootBytes) return this.rootRef(pos - this.rootByte);
    const dataByte = g.dataStart * g.bps;
    if (pos < dataByte || pos >= dataByte + g.nclusters * g.bpc) throw errno('EIO', `msdosfs: directory entry address ${pos} is outside the directories`);
    const cn = CLUST_FIRST + Math.floor((pos - dataByte) / g.bpc);
    const r = this.clusterRef(cn);
    return { blkno: r.blkno, size: r.size, boff: pos - this.clusterByte(cn) };
  }

  /** Is `cn` a valid data cluster number? */
  validCluster(cn: number): boolean {
    return Number.isInteger(cn) && cn >= CLUST_FIRST && cn <= this.g.maxcluster;
  }

  checkCluster(cn: number): void {
    if (!this.validCluster(cn)) throw errno('EIO', `msdosfs: cluster ${cn} is outside 2..${this.g.maxcluster}`);
  }

  // ---- FAT entries ----------------------------------------------------------------------------

  /** The buffer of FAT copy `copy` holding FAT byte `off`, and `off`'s place in it. */
  fatRef(copy: number, off: number): BlockRef & { boff: number; index: number } {
    const fb = this.fatBlockBytes;
    const index = Math.floor(off / fb);
    const start = index * fb;
    const sec = this.g.resSectors + copy * this.g.fatSecs;
    return { blkno: this.secBlkno(sec) + start / 512, size: Math.min(fb, this.g.fatUsedBytes - start), boff: off - start, index };
  }

  /** The raw entry of cluster `cn` (0 ≤ cn ≤ maxcluster) in the active FAT, masked. */
  fatGet(cn: number): number {
    const off = fatEntryOffset(this.g, cn);
    const r = this.fatRef(this.g.activeFat, off);
    const bp = this.cache.bread(this.dev, r.blkno, r.size);
    try {
      return this.#decode(bp.data, r.boff, cn);
    } finally {
      this.cache.brelse(bp);
    }
  }

  #decode(d: Uint8Array, o: number, cn: number): number {
    switch (this.g.fatType) {
      case 32:
        return ((d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0) & 0x0fffffff;
      case 16:
        return d[o]! | (d[o + 1]! << 8);
      default: {
        const w = d[o]! | (d[o + 1]! << 8);
        return (cn & 1) !== 0 ? w >>> 4 : w & 0xfff;
      }
    }
  }

  #encode(d: Uint8Array, o: number, cn: number, v: number): void {
    switch (this.g.fatType) {
      case 32: {
        // The top four bits are reserved: keep what is there.
        const keep = d[o + 3]! & 0xf0;
        d[o] = v & 0xff;
        d[o + 1] = (v >>> 8) & 0xff;
        d[o + 2] = (v >>> 16) & 0xff;
        d[o + 3] = keep | ((v >>> 24) & 0x0f);
        break;
      }
      case 16:
        d[o] = v & 0xff;
        d[o + 1] = (v >>> 8) & 0xff;
        break;
      default:
        if ((cn & 1) !== 0) {
          d[o] = (d[o]! & 0x0f) | ((v << 4) & 0xf0);
          d[o + 1] = (v >>> 4) & 0xff;
        } else {
          d[o] = v & 0xff;
          d[o + 1] = (d[o + 1]! & 0xf0) | ((v >>> 8) & 0x0f);
        }
    }
  }

  /** Set the entry of cluster `cn` in the active FAT (the other copies follow at sync). */
  fatSet(cn: number, v: number): void {
    if (this.ronly) throw errno('EROFS', 'msdosfs: the file system is read-only');
    const off = fatEntryOffset(this.g, cn);
    const r = this.fatRef(this.g.activeFat, off);
    const bp = this.cache.bread(this.dev, r.blkno, r.size);
    this.#encode(bp.data, r.boff, cn, v & this.fc.mask);
    this.cache.bdwrite(bp);
    this.dirtyFat.add(r.index);
    this.fmod = true;
  }

  /**
   * Chain `cns` together in the active FAT, the last marked end of chain: fatSet for each, holding
   * one FAT buffer while the entries stay in it (a new file's clusters nearly always do).
   */
  #fatLink(cns: readonly number[]): void {
    const g = this.g;
    const fb = this.fatBlockBytes;
    let bp: Buf | null = null;
    let index = -1;
    let start = 0;
    try {
      for (let i = 0; i < cns.length; i++) {
        const cn = cns[i]!;
        const off = fatEntryOffset(g, cn);
        const idx = Math.floor(off / fb);
        if (idx !== index) {
          if (bp) this.cache.bdwrite(bp);
          bp = null;
          const r = this.fatRef(g.activeFat, off);
          bp = this.cache.bread(this.dev, r.blkno, r.size);
          index = idx;
          start = idx * fb;
          this.dirtyFat.add(idx);
        }
        this.#encode(bp!.data, off - start, cn, (i + 1 < cns.length ? cns[i + 1]! : this.fc.eofWrite) & this.fc.mask);
      }
    } finally {
      if (bp) this.cache.bdwrite(bp);
    }
    this.fmod = true;
  }

  /** The next cluster after `cn`, or -1 at the end of the chain; EIO for anything that is not a link. */
  fatNext(cn: number, what: string): number {
    const v = this.fatGet(cn);
    if (v >= this.fc.eof) return -1;
    if (!this.validCluster(v)) throw errno('EIO', `msdosfs: ${what}: cluster ${cn} links to ${v === this.fc.bad ? 'a bad cluster' : v === 0 ? 'a free cluster' : `invalid cluster ${v}`}`);
    return v;
  }

  // ---- the in-use bitmap and allocation ---------------------------------------------------------

  isInuse(cn: number): boolean {
    return (this.inuse[cn >>> 5]! & (1 << (cn & 31))) !== 0;
  }

  #setInuse(cn: number, on: boolean): void {
    const i = cn >>> 5;
    const bit = 1 << (cn & 31);
    if (on) this.inuse[i] = this.inuse[i]! | bit;
    else this.inuse[i] = this.inuse[i]! & ~bit;
  }

  /** fillinusemap: read every FAT entry of the active copy; free ones are zero. */
  fillinusemap(): void {
    this.inuse.fill(0);
    this.#setInuse(0, true);
    this.#setInuse(1, true);
    let free = 0;
    const g = this.g;
    const fb = this.fatBlockBytes;
    for (let index = 0; index * fb < g.fatUsedBytes; index++) {
      const r = this.fatRef(g.activeFat, index * fb);
      const bp = this.cache.bread(this.dev, r.blkno, r.size);
      try {
        const d = bp.data;
        // Clusters whose entries begin inside this block.
        const first = Math.max(CLUST_FIRST, this.#firstClusterAt(index * fb));
        // A block of zeros (the free part of the FAT, all of it on a fresh volume) is free clusters
        // only: counted, not decoded entry by entry (a 128 MiB FAT32 volume has 260,000 entries).
        if (allZero(d, r.size)) {
          const last = Math.min(g.maxcluster, this.#firstClusterAt(index * fb + r.size) - 1);
          if (last >= first) free += last - first + 1;
          continue;
        }
        for (let cn = first; cn <= g.maxcluster; cn++) {
          const off = fatEntryOffset(g, cn) - index * fb;
          if (off >= r.size) break;
          if (this.#decode(d, off, cn) === 0) free++;
          else this.#setInuse(cn, true);
        }
      } finally {
        this.cache.brelse(bp);
      }
    }
    this.freeCount = free;
  }

  #firstClusterAt(byte: number): number {
    const t = this.g.fatType;
    return t === 32 ? Math.ceil(byte / 4) : t === 16 ? Math.ceil(byte / 2) : Math.ceil((byte * 2) / 3);
  }

  /** The first free cluster at or after `from`, wrapping to 2; -1 if there is none. */
  findFree(from: number): number {
    const max = this.g.maxcluster;
    let start = from >= CLUST_FIRST && from <= max ? from : CLUST_FIRST;
    for (let pass = 0; pass < 2; pass++) {
      let cn = start;
      const end = pass === 0 ? max : Math.min(max, from - 1);
      while (cn <= end) {
        const w = this.inuse[cn >>> 5]!;
        if (w === -1 || w === 0xffffffff) {
          cn = (cn | 31) + 1;
          continue;
        }
        if ((w & (1 << (cn & 31))) === 0) return cn;
        cn++;
      }
      start = CLUST_FIRST;
    }
    return -1;
  }

  /**
   * clusteralloc: take `count` free clusters, the first as close after `near` as possible and each
   * next one right after the previous when free (contiguous files read fast), chained together with
   * the last marked end of chain. ENOSPC (nothing taken) if fewer than `count` are free.
   */
  allocClusters(count: number, near: number): number[] {
    if (count <= 0) return [];
    if (this.ronly) throw errno('EROFS', 'msdosfs: the file system is read-only');
    if (count > this.freeCount) throw errno('ENOSPC', `msdosfs: ${count} clusters wanted, ${this.freeCount} free`);
    const got: number[] = [];
    let at = this.validCluster(near) ? near : this.nxtfree;
    for (let i = 0; i < count; i++) {
      const cn = this.findFree(at);
      if (cn < 0) throw errno('EIO', 'msdosfs: the free count disagrees with the FAT');
      this.#setInuse(cn, true);
      this.freeCount--;
      got.push(cn);
      at = cn + 1;
    }
    this.#fatLink(got);
    this.nxtfree = at > this.g.maxcluster ? CLUST_FIRST : at;
    return got;
  }

  /** freeclusterchain: free `start` and every cluster after it. Returns how many were freed. */
  freeChain(start: number): number {
    let cn = start;
    let n = 0;
    for (let hops = 0; hops <= this.g.nclusters; hops++) {
      if (!this.validCluster(cn)) break;
      const next = this.fatGet(cn);
      this.fatSet(cn, 0);
      if (this.isInuse(cn)) {
        this.#setInuse(cn, false);
        this.freeCount++;
      }
      n++;
      if (next >= this.fc.rsrvd || next === 0) break;
      cn = next;
    }
    return n;
  }

  // ---- sync -------------------------------------------------------------------------------------

  /** Make the other FAT copies equal to the active one where it changed (updatefats, deferred). */
  mirrorFats(): void {
    if (this.dirtyFat.size === 0) return;
    if (this.g.mirror && this.g.nfats > 1) {
      for (const index of [...this.dirtyFat].sort((a, b) => a - b)) {
        const src = this.fatRef(this.g.activeFat, index * this.fatBlockBytes);
        const bp = this.cache.bread(this.dev, src.blkno, src.size);
        const bytes = bp.data.slice();
        this.cache.brelse(bp);
        for (let copy = 0; copy < this.g.nfats; copy++) {
          if (copy === this.g.activeFat) continue;
          const dst = this.fatRef(copy, index * this.fatBlockBytes);
          const mb = this.cache.getblk(this.dev, dst.blkno, dst.size);
          mb.data.set(bytes);
          this.cache.bdwrite(mb);
        }
      }
    }
    this.dirtyFat.clear();
  }

  /** Write the true free count and the next-free hint to FSInfo (FAT32), when it is valid. */
  writeFsInfo(): void {
    if (this.g.fatType !== 32 || this.g.fsInfoSec === 0 || this.ronly) return;
    const bp = this.cache.bread(this.dev, this.secBlkno(this.g.fsInfoSec), this.g.bps);
    if (!decodeFsInfo(bp.data).valid) {
      // Not an FSInfo sector we recognise: leave it alone, as msdosfs does (pm_fsinfo = 0).
      this.cache.brelse(bp);
      return;
    }
    encodeFsInfo({ freeCount: this.freeCount, nextFree: this.nxtfree }, bp.data);
    this.cache.bdwrite(bp);
  }

  /** Read the FSInfo next-free hint, if valid (the free count is recounted at mount). */
  readFsInfo(): void {
    if (this.g.fatType !== 32 || this.g.fsInfoSec === 0) return;
    const bp = this.cache.bread(this.dev, this.secBlkno(this.g.fsInfoSec), this.g.bps);
    const fi = decodeFsInfo(bp.data);
    this.cache.brelse(bp);
    if (fi.valid && this.validCluster(fi.nextFree)) this.nxtfree = fi.nextFree;
  }

  /** Is the clean-shutdown bit of FAT[1] set (always true on FAT12, which has none)? */
  isClean(): boolean {
    if (this.fc.cleanBit === 0) return true;
    return (this.fatGet(1) & this.fc.cleanBit) !== 0;
  }

  /**
   * Set or clear the clean-shutdown bit in FAT[1] of every copy, written at once: cleared while
   * mounted read-write, set again by unmount (markvoldirty).
   */
  setClean(clean: boolean): void {
    if (this.fc.cleanBit === 0 || this.ronly) return;
    const v = this.fatGet(1);
    const nv = clean ? v | this.fc.cleanBit : v & ~this.fc.cleanBit;
    if (nv !== v) this.fatSet(1, nv);
    this.mirrorFats();
  }

  /** A cluster just allocated to a directory, zeroed in the cache (see {@link fillGap}). */
  noteNewDirCluster(cn: number, blkno: number): void {
    this.newDirClusters.set(this.clusterByte(cn), blkno);
  }

  /**
   * StagedDevice gap filler: `dst` gets the device bytes from `offset` when they are whole directory
   * clusters allocated since the last sync, each dirty in the cache (its latest bytes). Anything
   * else (a live cluster, one not cached, a partial cluster) is refused: it must wait for the sync.
   */
  fillGap(dst: Uint8Array, offset: number): boolean {
    const bpc = this.g.bpc;
    if (dst.length % bpc !== 0) return false;
    const bufs: Buf[] = [];
    for (let pos = 0; pos < dst.length; pos += bpc) {
      const blkno = this.newDirClusters.get(offset + pos);
      const bp = blkno === undefined ? undefined : this.cache.incore(this.dev, blkno);
      if (bp === undefined || !bp.dirty || bp.busy || bp.data.length !== bpc) return false;
      bufs.push(bp);
    }
    for (let i = 0; i < bufs.length; i++) dst.set(bufs[i]!.data, i * bpc);
    return true;
  }

  /**
   * A new directory cluster this mount has filled (its directory grows past it): if its bytes are
   * still staged (a filled gap) and dirty in the cache, write it now — into the staged run, which
   * goes out anyway — so that it is clean at the sync instead of one more write of its own.
   */
  settleDirCluster(cn: number): void {
    const bpc = this.g.bpc;
    const at = this.clusterByte(cn);
    const blkno = this.newDirClusters.get(at);
    if (blkno === undefined || !this.dev.holds(at, bpc)) return;
    const bp = this.cache.incore(this.dev, blkno);
    if (bp === undefined || !bp.dirty || bp.busy || bp.data.length !== bpc) return;
    this.cache.bwrite(this.cache.getblk(this.dev, blkno, bpc));
  }

  /** Everything this mount changed in the FAT and FSInfo, to the buffers (callers flush). */
  syncMeta(): void {
    // From here the FAT on the device may link the new directory clusters: no more early writes.
    this.newDirClusters.clear();
    if (this.ronly) return;
    this.mirrorFats();
    if (this.fmod) this.writeFsInfo();
    this.fmod = false;
  }
}

/** The mount's Msdosfsmount (VFSTOMSDOSFS). */
export function VFSTOMSDOSFS(mp: Mount): Msdosfsmount {
  const pmp = mp.data;
  if (!(pmp instanceof Msdosfsmount)) throw errno('EINVAL', 'msdosfs: not a mounted FAT file system');
  return pmp;
}

