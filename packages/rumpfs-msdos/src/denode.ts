/**
 * The in-memory directory entry (sys/fs/msdosfs/denode.h, msdosfs_denode.c): a file's or
 * directory's attributes as its 32-byte entry holds them, its cluster chain (walked once and kept),
 * deupdat (entry back to its directory block), detrunc and deextend, and the data path of regular
 * files (fresh clusters and large reads straight to and from the device in runs, the rest a cluster
 * at a time through the buffer cache).
 *
 * File ids (the vcache key, st_ino, d_fileno) are NetBSD's: a directory is named by the position of
 * its own '.' entry (its first cluster, stable across renames), the root by 1, any other file by
 * the position of its entry (device byte / 32), which a rename or removal changes — then the vnode
 * is rekeyed (Mount.vcacheRekey).
 */
import { errno, type Timespec } from '@rumpts/librump';
import { VDIR, VREG, type VType, type Vnode } from '@rumpts/rumpvfs';
import { btodb } from '@rumpts/rumpdev-disk';
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, DIRENT_SIZE, type DirEntry, decodeDirEntry, encodeDirEntry,
} from './ondisk/direntry.js';
import { dos2unixtime, unix2dostime } from './ondisk/dostime.js';
import { CLUST_FIRST } from './ondisk/geometry.js';
import { MSDOSFSMNT_NOWIN95, type Msdosfsmount } from './msdosfsmount.js';
import type { DirCache } from './dircache.js';
import type { NameForms } from './conv.js';

/** Reads of at least this many bytes take runs of whole clusters straight from the device. */
export const DIRECT_READ = 64 << 10;

/**
 * The time now for a DOS entry: to the millisecond, since an entry keeps 10 ms at best (the
 * creation hundredths); the VFS's nanotime would add a sub-millisecond part from a BigInt clock read
 * that no DOS field can hold.
 */
export function dosNow(): Timespec {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

/** The root's file id (NetBSD's msdosfs_getattr gives the root 1). */
export const ROOT_KEY = 1;
/** Largest file: DOS sizes are 32 bits. */
export const MSDOSFS_FILESIZE_MAX = 0xffffffff;

export class Denode {
  /** The short entry's device byte address (-1: the root, or a directory whose entry was not found yet). */
  entryPos = -1;
  /** The entry's offset inside its directory (-1 when unknown). */
  diroffset = -1;
  /** The entry still has a name (de_refcnt); false once removed. */
  linked = true;
  /** The entry in memory differs from the one on disk (DE_MODIFIED). */
  modified = false;
  /** The clusters were given back (a removed file, at inactive). */
  freed = false;
  /** st_ino kept by a removed file (its key moved to the orphan range). */
  orphanFileid = 0;
  /** The cluster chain as far as it has been walked; `chainDone` once its end was seen. */
  chain: number[] = [];
  chainDone = false;
  /** Index in `chain` of the cluster a loop would come back to (Brent's cycle detection). */
  #mark = 0;
  /** Directories: names and free slots, built on first use (dircache.ts). */
  dircache: DirCache | null = null;
  /** Directories: the forms of the name last looked up or created in it (dir.ts formsOf). */
  lastForms: NameForms | null = null;
  vnode: Vnode<Denode> | null = null;

  constructor(
    readonly pmp: Msdosfsmount,
    public key: number,
    readonly type: VType,
    readonly isRoot: boolean,
    public de: DirEntry,
  ) {}

  get startCluster(): number {
    return this.de.startCluster;
  }

  /** The file size; for a directory, its chain's length in bytes (the entry says 0). */
  fileSize = 0;

  /** The fixed FAT12/16 root, which has no chain. */
  get isFixedRoot(): boolean {
    return this.isRoot && this.pmp.g.fatType !== 32;
  }

  /** st_ino: the key, or the id a removed file had while it had a name. */
  get fileid(): number {
    return this.orphanFileid !== 0 ? this.orphanFileid : this.key;
  }

  // ---- times ----------------------------------------------------------------------------------

  /** Set the modification time to now (DE_UPDATE) and the archive bit. */
  touchModified(now: Timespec = dosNow()): void {
    const t = unix2dostime(now, this.pmp.opts.gmtoff);
    this.de.mDate = t.date;
    this.de.mTime = t.time;
    this.de.attributes |= ATTR_ARCHIVE;
    this.modified = true;
  }

  /** Set the access date to today (DE_ACCESS), unless Win95 fields are ignored. */
  touchAccessed(): void {
    if ((this.pmp.flags & MSDOSFSMNT_NOWIN95) !== 0) return;
    const d = unix2dostime(dosNow(), this.pmp.opts.gmtoff).date;
    if (d !== this.de.aDate) {
      this.de.aDate = d;
      this.modified = true;
    }
  }

  mtime(): Timespec {
    return dos2unixtime(this.de.mDate, this.de.mTime, 0, this.pmp.opts.gmtoff);
  }

  // ---- the cluster chain ----------------------------------------------------------------------

  /** Cluster number of file cluster `idx`, or -1 past the end of the chain. */
  clusterAt(idx: number): number {
    const pmp = this.pmp;
    if (idx < this.chain.length) return this.chain[idx]!;
    if (this.chainDone) return -1;
    if (this.chain.length === 0) {
      const s = this.de.startCluster;
      if (s === 0) {
        this.chainDone = true;
        return -1;
      }
      pmp.checkCluster(s);
      this.chain.push(s);
    }
    while (this.chain.length <= idx) {
      const next = pmp.fatNext(this.chain[this.chain.length - 1]!, `file ${this.fileid}`);
      if (next < 0) {
        this.chainDone = true;
        return -1;
      }
      // Brent's cycle check: a loop returns to the cluster marked at the last power of two.
      if (next === this.chain[this.#mark] || this.chain.length > pmp.g.nclusters) throw errno('EIO', `msdosfs: the cluster chain of file ${this.fileid} loops`);
      const i = this.chain.length;
      this.chain.push(next);
      if ((i & (i - 1)) === 0) this.#mark = i;
    }
    return this.chain[idx]!;
  }

  /** Clusters in the chain (walks it to the end once). */
  chainLength(): number {
    if (!this.chainDone) this.clusterAt(Number.MAX_SAFE_INTEGER);
    return this.chain.length;
  }

  /** Forget the walked chain (after the FAT changed under it in a way not mirrored here). */
  resetChain(): void {
    this.chain = [];
    this.chainDone = false;
    this.#mark = 0;
  }

  // ---- the entry on disk ------------------------------------------------------------------------

  /** deupdat: write the entry back to its directory block if it changed. */
  deupdat(): void {
    if (!this.modified || !this.linked || this.isRoot || this.pmp.ronly) return;
    if (this.entryPos < 0) return; // a directory reached only through '..': its entry is written when next looked up
    const pmp = this.pmp;
    const r = pmp.slotRef(this.entryPos);
    const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
    const fat32 = pmp.g.fatType === 32;
    encodeDirEntry(this.de, bp.data, r.boff, fat32, this.type === VDIR ? 0 : this.fileSize);
    pmp.cache.bdwrite(bp);
    this.modified = false;
  }

  /** Take attributes and times from a directory entry read from disk (keeping start and size). */
  adoptEntry(e: DirEntry): void {
    this.de = { ...e, startCluster: this.de.startCluster };
  }

  // ---- data -----------------------------------------------------------------------------------

  /**
   * msdosfs_read: copy file bytes at `offset` into `buf`; bytes read (0 at or past the end). A large
   * read (DIRECT_READ bytes or more) takes each run of whole clusters that follow each other on disk
   * straight from the device into `buf`, one request per run, as the write path puts fresh clusters
   * straight on the device; a run any cached buffer overlaps (a delayed write is newer than the
   * disk), partial clusters and small reads come through the buffer cache and its read-ahead.
   */
  read(buf: Uint8Array, offset: number): number {
    if (offset >= this.fileSize) return 0;
    const pmp = this.pmp;
    const bpc = pmp.g.bpc;
    const n = Math.min(buf.length, this.fileSize - offset);
    const direct = n >= DIRECT_READ;
    // The pending direct run: `runLen` bytes at device byte `runDev` going to buf[runDst..].
    let runDev = 0;
    let runDst = 0;
    let runLen = 0;
    let runCi = 0;
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const ci = Math.floor(pos / bpc);
      const boff = pos - ci * bpc;
      const len = Math.min(bpc - boff, n - done);
      const cn = this.clusterAt(ci);
      if (cn < 0) throw errno('EIO', `msdosfs: file ${this.fileid} has fewer clusters than its size ${this.fileSize} needs`);
      if (direct && len === bpc) {
        pmp.checkCluster(cn);
        const at = pmp.clusterByte(cn);
        if (runLen > 0 && at === runDev + runLen) runLen += bpc;
        else {
          if (runLen > 0) this.#readRun(buf, runDst, runLen, runDev, runCi);
          runDev = at;
          runDst = done;
          runLen = bpc;
          runCi = ci;
        }
        done += len;
        continue;
      }
      if (runLen > 0) this.#readRun(buf, runDst, runLen, runDev, runCi);
      runLen = 0;
      this.#readCached(buf, done, cn, boff, len);
      done += len;
    }
    if (runLen > 0) this.#readRun(buf, runDst, runLen, runDev, runCi);
    return n;
  }

  /** Bytes [boff, boff+len) of cluster `cn` into buf[at..], through the buffer cache. */
  #readCached(buf: Uint8Array, at: number, cn: number, boff: number, len: number): void {
    const pmp = this.pmp;
    const r = pmp.clusterRef(cn);
    const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
    buf.set(bp.data.subarray(boff, boff + len), at);
    pmp.cache.brelse(bp);
  }

  /**
   * A run of whole clusters (the file's `ci`th on) at device byte `dev` into buf[at..at+len): one
   * device read, or cluster by cluster through the cache when cached buffers overlap it.
   */
  #readRun(buf: Uint8Array, at: number, len: number, dev: number, ci: number): void {
    const pmp = this.pmp;
    if (!pmp.cache.cachedIn(pmp.dev, btodb(dev), btodb(len))) {
      pmp.dev.read(buf.subarray(at, at + len), dev);
      return;
    }
    const bpc = pmp.g.bpc;
    for (let k = 0; k < len; k += bpc) this.#readCached(buf, at + k, this.clusterAt(ci + k / bpc), 0, bpc);
  }

  /** Clusters a size needs (de_clcount). */
  clcount(size: number): number {
    return Math.ceil(size / this.pmp.g.bpc);
  }

  /**
   * Grow the chain to `total` clusters (extendfile): all taken at once or ENOSPC with nothing
   * changed. New clusters are linked after the last one, or become the start cluster.
   */
  extendChain(total: number): number[] {
    const have = this.chainLength();
    if (total <= have) return [];
    const pmp = this.pmp;
    const last = have > 0 ? this.chain[have - 1]! : 0;
    const got = pmp.allocClusters(total - have, last > 0 ? last + 1 : pmp.nxtfree);
    if (have > 0) pmp.fatSet(last, got[0]!);
    else {
      this.de.startCluster = got[0]!;
      this.modified = true;
    }
    this.chain.push(...got);
    this.chainDone = true;
    return got;
  }

  /**
   * msdosfs_write for a regular file: `buf` at `offset`, filling any gap past the old end with
   * zeros (DOS files have no holes). Space is taken before any byte is written: ENOSPC leaves the
   * file as it was. Returns buf.length.
   */
  write(buf: Uint8Array, offset: number): number {
    if (buf.length === 0) return 0;
    const end = offset + buf.length;
    if (end > MSDOSFS_FILESIZE_MAX) throw errno('EFBIG', `msdosfs: a file cannot grow past ${MSDOSFS_FILESIZE_MAX} bytes`);
    const pmp = this.pmp;
    const bpc = pmp.g.bpc;
    const oldSize = this.fileSize;
    const oldHave = this.chainLength();
    if (this.clcount(end) > oldHave) this.extendChain(this.clcount(end));
    const from = Math.min(offset, oldSize);
    const cache = pmp.cache;
    const dev = pmp.dev;
    // Whole clusters past the old end, not in the cache, go straight to the device, a run of
    // adjacent clusters in one request (the cache would only copy them and write them later),
    // staged so that the runs of files written one after another become one request (rumpdev-disk's StagedDevice).
    let runStart = -1;
    let runLen = 0;
    let runSrc = 0;
    for (let ci = Math.floor(from / bpc); ci * bpc < end; ci++) {
      const cs = ci * bpc;
      const ce = cs + bpc;
      const wLo = cs > offset ? cs : offset;
      const wHi = ce < end ? ce : end;
      const cn = this.clusterAt(ci);
      if (cn < 0) throw errno('EIO', `msdosfs: file ${this.fileid}: cluster ${ci} missing from its chain`);
      const blkno = pmp.clusterBlkno(cn);
      const fresh = cs >= oldSize && wLo === cs && cache.incore(dev, blkno) === undefined;
      if (fresh && wHi === ce) {
        if (runLen > 0 && cn === runStart + runLen) runLen++;
        else {
          if (runLen > 0) dev.stage(buf.subarray(runSrc, runSrc + runLen * bpc), pmp.clusterByte(runStart));
          runStart = cn;
          runLen = 1;
          runSrc = wLo - offset;
        }
        continue;
      }
      if (runLen > 0) dev.stage(buf.subarray(runSrc, runSrc + runLen * bpc), pmp.clusterByte(runStart));
      runLen = 0;
      if (fresh) {
        // The new last cluster: its bytes, then zeros to its end, as the cache would have written it.
        dev.stage(buf.subarray(wLo - offset, wHi - offset), pmp.clusterByte(cn), ce - wHi);
        continue;
      }
      // Bytes before the old end must be kept; anything at or past it is stale and becomes zeros.
      const full = wLo === cs && wHi === ce;
      const keep = !full && cs < oldSize && ci < oldHave;
      const bp = keep ? cache.bread(dev, blkno, bpc) : cache.getblk(dev, blkno, bpc);
      const d = bp.data;
      if (!full) {
        const zLo = keep ? Math.max(oldSize, cs) - cs : 0;
        if (zLo < bpc) d.fill(0, zLo);
      }
      if (wHi > wLo) d.set(buf.subarray(wLo - offset, wHi - offset), wLo - cs);
      cache.bdwrite(bp);
    }
    if (runLen > 0) dev.stage(buf.subarray(runSrc, runSrc + runLen * bpc), pmp.clusterByte(runStart));
    if (end > this.fileSize) this.fileSize = end;
    this.touchModified();
    return buf.length;
  }

  /**
   * detrunc / deextend: set a regular file's size. Shrinking frees the clusters past the new end and
   * zeros the rest of the last one (it could come back by a later extension); growing allocates
   * zeroed clusters (ENOSPC with nothing changed).
   */
  truncate(length: number): void {
    if (length > MSDOSFS_FILESIZE_MAX) throw errno('EFBIG', `msdosfs: a file cannot grow past ${MSDOSFS_FILESIZE_MAX} bytes`);
    const pmp = this.pmp;
    const bpc = pmp.g.bpc;
    if (length < this.fileSize) {
      const keep = this.clcount(length);
      const have = this.chainLength();
      if (keep === 0) {
        if (this.de.startCluster !== 0) pmp.freeChain(this.de.startCluster);
        this.de.startCluster = 0;
        this.chain = [];
        this.chainDone = true;
        this.#mark = 0;
      } else if (keep < have) {
        const last = this.chain[keep - 1]!;
        const next = this.chain[keep]!;
        pmp.fatSet(last, pmp.fc.eofWrite);
        pmp.freeChain(next);
        this.chain.length = keep;
        this.chainDone = true;
        if (this.#mark >= keep) this.#mark = 0;
      }
      if (keep > 0 && length % bpc !== 0) this.#zeroFrom(keep - 1, length % bpc);
      this.fileSize = length;
    } else if (length > this.fileSize) {
      const oldHave = this.chainLength();
      const got = this.extendChain(this.clcount(length));
      const oldSize = this.fileSize;
      // The old last cluster past the old end, then every new cluster, become zeros.
      if (oldHave > 0 && oldSize < oldHave * bpc) this.#zeroFrom(Math.floor(oldSize / bpc), oldSize % bpc);
      for (const cn of got) {
        const r = pmp.clusterRef(cn);
        const bp = pmp.cache.getblk(pmp.dev, r.blkno, r.size);
        bp.data.fill(0);
        pmp.cache.bdwrite(bp);
      }
      this.fileSize = length;
    }
    this.touchModified();
  }

  /** Zero file cluster `ci` from byte `from` of it to its end. */
  #zeroFrom(ci: number, from: number): void {
    const pmp = this.pmp;
    const cn = this.clusterAt(ci);
    if (cn < 0) return;
    const r = pmp.clusterRef(cn);
    const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
    bp.data.fill(0, from);
    pmp.cache.bdwrite(bp);
  }

  /** Give every cluster back (a removed file's last close, rmdir). */
  freeClusters(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.de.startCluster >= CLUST_FIRST && !this.pmp.ronly) this.pmp.freeChain(this.de.startCluster);
    this.de.startCluster = 0;
    this.chain = [];
    this.chainDone = true;
    this.#mark = 0;
  }
}

/** The vnode's Denode (VTODE). */
export function VTODE(vp: Vnode): Denode {
  const d = vp.data;
  if (!(d instanceof Denode)) throw errno('EINVAL', 'msdosfs: not a FAT vnode');
  return d;
}

/** A directory's file id from its first cluster: the position of its '.' entry (root: 1). */
export function dirKeyOf(pmp: Msdosfsmount, cluster: number): number {
  if (cluster === 0 || (pmp.g.fatType === 32 && cluster === pmp.g.rootCluster)) return ROOT_KEY;
  return pmp.clusterByte(cluster) / DIRENT_SIZE;
}

/** The vnode type of a directory entry. */
export function entryType(e: DirEntry): VType {
  return (e.attributes & ATTR_DIRECTORY) !== 0 ? VDIR : VREG;
}

/** Read the 32-byte entry at device byte `pos`. */
export function readEntryAt(pmp: Msdosfsmount, pos: number): DirEntry {
  const r = pmp.slotRef(pos);
  const bp = pmp.cache.bread(pmp.dev, r.blkno, r.size);
  try {
    return decodeDirEntry(bp.data, r.boff, pmp.g.fatType === 32);
  } finally {
    pmp.cache.brelse(bp);
  }
}
