/**
 * WAPBL as a writer (vfs_wapbl.c's wapbl_flush/wapbl_write_commit, the facts only): metadata changes
 * collect in an open transaction (WapblMetaDevice); a commit writes them into the circular area as
 * BLOCKS records, then REVOCATIONS (freed metadata) and INODES (unlinked files still in use), flushes
 * the device, and writes the alternating commit header — generation g at log block g % 2 — which is
 * the commit point. Then the blocks are written to their home locations (the checkpoint); the next
 * commit header moves the tail past them. A clean stop leaves head = tail = 0 (an empty log).
 *
 * The log is written little-endian (our host order; NetBSD writes its host order and replay takes
 * either). Block addresses in records are in DEV_BSIZE units (wc_fs_dev_bshift 9); the log block
 * size is the device sector size (fs_journallocs[2]).
 */
import { errno } from '@rumpts/librump';
import type { BufCache } from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { MAXBSIZE } from '../ondisk/geometry.js';
import { WapblMetaDevice } from './wapbl_dev.js';
import { WAPBL_WC_BLOCKS, WAPBL_WC_INODES, WAPBL_WC_REVOCATIONS, encodeHeader } from './wapbl_log.js';

/** DEV_BSHIFT: record block addresses are in 512-byte units. */
const FS_DEV_BSHIFT = 9;
/** struct wapbl_wc_blocklist / _inodelist: a 16-byte header, then 16-byte block or 8-byte inode entries. */
const REC_HDR = 16;
const BLK_ENT = 16;
const INO_ENT = 8;

export interface WapblLogExtent {
  /** Byte offset of the log on the device. */
  offset: number;
  /** Bytes. */
  length: number;
  /** Log block size (a power of two ≥ the sector size): the header and record unit. */
  blksize: number;
}

export interface WapblStats {
  commits: number;
  blocks: number;
  logBytes: number;
}

export interface UnlinkedInode {
  inumber: number;
  imode: number;
}

/** What the file system does for its log (NetBSD's wl_flush callback and the inode registry). */
export interface WapblFsHooks {
  /** Put every in-core change (modified inodes, the superblock summary) into buffers before a commit. */
  syncMetadata(): void;
  /**
   * The outermost operation ended: put its in-core changes (the inodes it modified) into buffers
   * now, so the size of the open transaction is known before deciding to commit.
   */
  opEnd?(): void;
  /** The inodes with no links that are still referenced (listed in every commit's INODES record). */
  unlinked(): UnlinkedInode[];
}

export class Wapbl {
  /** The device the metadata cache uses while logging. */
  readonly dev: WapblMetaDevice;
  readonly circOff: number;
  readonly circSize: number;
  readonly logBshift: number;
  /** wc_head / wc_tail as in the newest header on disk (0, 0 = empty). */
  head = 0;
  tail = 0;
  /** The generation the next header gets. */
  generation: number;
  readonly stats: WapblStats = { commits: 0, blocks: 0, logBytes: 0 };
  /**
   * An allocation failed while frees waited for this transaction's commit: the operation, undone,
   * commits and tries once more (wapbl_vnops.ts). Reset by every commit.
   */
  spaceWanted = false;
  /** Freed metadata sectors (wapbl_register_deallocation), written as REVOCATIONS. */
  readonly #revoked = new Set<number>();
  /** Bytes of metadata dirtied since the last commit (an over-estimate: the size trigger). */
  #dirtied = 0;
  #depth = 0;
  #committing = false;

  constructor(
    readonly raw: BlockDevice,
    readonly cache: BufCache,
    readonly ext: WapblLogExtent,
    readonly fsid: [number, number],
    generation: number,
    readonly hooks: WapblFsHooks,
    readonly printf: (line: string) => void,
  ) {
    const bs = ext.blksize;
    if (!(bs >= raw.secsize && (bs & (bs - 1)) === 0 && ext.offset % raw.secsize === 0 && ext.length % bs === 0 && ext.length >= 8 * bs)) {
      throw errno('EINVAL', `wapbl: log of ${ext.length} bytes at ${ext.offset} with ${bs}-byte blocks does not fit the device`);
    }
    this.logBshift = Math.log2(bs);
    this.circOff = 2 * bs;
    this.circSize = ext.length - this.circOff;
    this.generation = generation >>> 0;
    this.dev = new WapblMetaDevice(raw);
    this.dev.onflush = () => this.commit();
    this.dev.onwrite = (first, n) => {
      if (this.#revoked.size === 0) return;
      for (let i = 0; i < n; i++) this.#revoked.delete(first + i);
    };
  }

  /** Start with an empty log: both header blocks written (as NetBSD does for generation 0). */
  init(): void {
    this.head = this.tail = 0;
    this.#writeHeader(0, 0);
    this.#writeHeader(0, 0);
  }

  /** UFS_WAPBL_BEGIN: a vnode operation starts (commits first if the transaction is already large). */
  begin(): void {
    if (this.#depth === 0 && this.#tooBig()) this.commit();
    this.#depth++;
  }

  /** UFS_WAPBL_END: at the end of the outermost operation, commit if the transaction passed half the log. */
  end(): void {
    if (this.#depth > 0) this.#depth--;
    if (this.#depth !== 0) return;
    this.hooks.opEnd?.();
    if (this.#tooBig()) this.commit();
  }

  /** Operations in progress (nested UFS_WAPBL_BEGIN). */
  get depth(): number {
    return this.#depth;
  }

  /** A metadata buffer of `bytes` became dirty. */
  dirtied(bytes: number): void {
    this.#dirtied += bytes;
  }

  /**
   * A metadata block at byte `off`, `len` bytes, was freed (past its first `keep` bytes): its
   * logged copies must not be replayed.
   */
  revoke(off: number, len: number, keep = 0): void {
    const ss = this.raw.secsize;
    if (off % ss !== 0 || keep % ss !== 0) return;
    const first = off / ss;
    // Not cached: the buffer may have gone to the transaction already; its write gives the extent.
    const n = len > 0 ? Math.ceil(len / ss) : this.dev.extentAt(first);
    const k = keep / ss;
    if (n <= k) return;
    this.dev.drop(first + k, n - k);
    for (let i = k; i < n; i++) this.#revoked.add(first + i);
  }

  #tooBig(): boolean {
    return this.#dirtied + this.dev.pending.size * this.raw.secsize > this.circSize / 2;
  }

  /** Bytes between tail and head (wapbl_space_used). */
  #used(): number {
    if (this.tail === 0) return 0;
    return ((this.head + (this.circSize - 1) - this.tail) % this.circSize) + 1;
  }

  /**
   * wapbl_flush: commit the open transaction — records, flush, header (the commit point), flush —
   * then checkpoint its blocks home. Nothing to commit: nothing written.
   */
  commit(): void {
    if (this.#committing) return;
    this.#committing = true;
    this.spaceWanted = false;
    try {
      this.hooks.syncMetadata();
      this.cache.writeback(this.dev);
      const runs = this.dev.take(MAXBSIZE);
      const revs = this.#takeRevocations();
      if (runs.length === 0 && revs.length === 0) return;
      const inodes = this.hooks.unlinked();
      const rec = this.#records(runs, revs, inodes);
      if (rec.length >= this.circSize) {
        // wapbl_flush panics here; we write the transaction home unprotected and say so.
        this.printf(`wapbl: transaction of ${rec.length} bytes does not fit the ${this.circSize}-byte log; written without the log`);
        this.#checkpoint(runs);
        this.raw.flush();
        return;
      }
      if (rec.length > this.circSize - this.#used()) {
        // The records would overwrite the previous (already checkpointed) transaction that the
        // current header still names: make the log empty on disk first.
        this.raw.flush();
        this.#writeHeader(0, 0);
      }
      const start = this.head === 0 ? this.circOff : this.head;
      this.#circWrite(rec, start);
      // The records (and the previous checkpoint) are stable before the header that names them.
      this.raw.flush();
      let head = start + rec.length;
      if (head >= this.circOff + this.circSize) head -= this.circSize;
      this.#writeHeader(head, start);
      this.#checkpoint(runs);
      this.#dirtied = 0;
      this.stats.commits++;
      this.stats.blocks += runs.length;
      this.stats.logBytes += rec.length;
    } finally {
      this.#committing = false;
    }
  }

  /** wapbl_stop: commit, make the checkpoint stable and leave an empty log (head = tail = 0). */
  stop(): void {
    this.commit();
    this.raw.flush();
    if (this.head !== 0 || this.tail !== 0) this.#writeHeader(0, 0);
  }

  #takeRevocations(): { sector: number; count: number }[] {
    if (this.#revoked.size === 0) return [];
    const keys = [...this.#revoked].sort((a, b) => a - b);
    this.#revoked.clear();
    const out: { sector: number; count: number }[] = [];
    const maxN = MAXBSIZE / this.raw.secsize;
    for (const k of keys) {
      const last = out[out.length - 1];
      if (last && last.sector + last.count === k && last.count < maxN) last.count++;
      else out.push({ sector: k, count: 1 });
    }
    return out;
  }

  /** The transaction's records in log order: BLOCKS (with data), REVOCATIONS, INODES. */
  #records(runs: { sector: number; data: Uint8Array }[], revs: { sector: number; count: number }[], inodes: UnlinkedInode[]): Uint8Array {
    const bs = this.ext.blksize;
    const ss = this.raw.secsize;
    const bph = Math.floor((bs - REC_HDR) / BLK_ENT);
    const iph = Math.floor((bs - REC_HDR) / INO_ENT);
    const roundup = (n: number): number => Math.ceil(n / bs) * bs;
    let len = 0;
    for (let i = 0; i < runs.length; i += bph) {
      len += bs;
      for (const r of runs.slice(i, i + bph)) len += roundup(r.data.length);
    }
    len += Math.ceil(revs.length / bph) * bs;
    len += Math.max(1, Math.ceil(inodes.length / iph)) * bs;
    const out = new Uint8Array(len);
    const dv = new DataView(out.buffer);
    const le = true;
    const daddr = (sector: number): bigint => BigInt((sector * ss) >> FS_DEV_BSHIFT);
    let off = 0;
    for (let i = 0; i < runs.length; i += bph) {
      const group = runs.slice(i, i + bph);
      let reclen = bs;
      for (const r of group) reclen += roundup(r.data.length);
      dv.setUint32(off, WAPBL_WC_BLOCKS, le);
      dv.setInt32(off + 4, reclen, le);
      dv.setInt32(off + 8, group.length, le);
      group.forEach((r, j) => {
        dv.setBigInt64(off + REC_HDR + j * BLK_ENT, daddr(r.sector), le);
        dv.setInt32(off + REC_HDR + j * BLK_ENT + 12, r.data.length, le);
      });
      let d = off + bs;
      for (const r of group) {
        out.set(r.data, d);
        d += roundup(r.data.length);
      }
      off += reclen;
    }
    for (let i = 0; i < revs.length; i += bph) {
      const group = revs.slice(i, i + bph);
      dv.setUint32(off, WAPBL_WC_REVOCATIONS, le);
      dv.setInt32(off + 4, bs, le);
      dv.setInt32(off + 8, group.length, le);
      group.forEach((r, j) => {
        dv.setBigInt64(off + REC_HDR + j * BLK_ENT, daddr(r.sector), le);
        dv.setInt32(off + REC_HDR + j * BLK_ENT + 12, r.count * ss, le);
      });
      off += bs;
    }
    let i = 0;
    do {
      const group = inodes.slice(i, i + iph);
      dv.setUint32(off, WAPBL_WC_INODES, le);
      dv.setInt32(off + 4, bs, le);
      dv.setInt32(off + 8, group.length, le);
      dv.setInt32(off + 12, i === 0 ? 1 : 0, le);
      group.forEach((n, j) => {
        dv.setUint32(off + REC_HDR + j * INO_ENT, n.inumber >>> 0, le);
        dv.setUint32(off + REC_HDR + j * INO_ENT + 4, n.imode >>> 0, le);
      });
      off += bs;
      i += iph;
    } while (i < inodes.length);
    return out;
  }

  /** wapbl_circ_write: `data` at circular offset `off`, wrapping at the end of the area. */
  #circWrite(data: Uint8Array, off: number): void {
    const end = this.circOff + this.circSize;
    const first = Math.min(data.length, end - off);
    this.raw.write(data.subarray(0, first), this.ext.offset + off);
    if (first < data.length) this.raw.write(data.subarray(first), this.ext.offset + this.circOff);
  }

  /** wapbl_write_commit: header generation g at log block g % 2, then flush; head/tail now as written. */
  #writeHeader(head: number, tail: number): void {
    const now = Date.now();
    const hdr = encodeHeader({
      generation: this.generation,
      fsid: this.fsid,
      time: Math.floor(now / 1000),
      timensec: (now % 1000) * 1e6,
      logBshift: this.logBshift,
      fsBshift: FS_DEV_BSHIFT,
      head,
      tail,
      circOff: this.circOff,
      circSize: this.circSize,
    });
    this.raw.write(hdr, this.ext.offset + (this.generation % 2) * this.ext.blksize);
    this.raw.flush();
    this.generation = (this.generation + 1) >>> 0;
    this.head = head;
    this.tail = tail;
  }

  /** Write committed blocks to their home locations. */
  #checkpoint(runs: { sector: number; data: Uint8Array }[]): void {
    const ss = this.raw.secsize;
    for (const r of runs) this.raw.write(r.data, r.sector * ss);
  }
}
