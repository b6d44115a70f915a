/**
 * WAPBL, the write-ahead physical block log (sys/wapbl_replay.h, vfs_wapbl.c), as a reader: find the
 * log from the superblock, pick the commit header with the higher generation, and walk the records
 * between tail and head in the circular area to learn which file-system blocks the committed
 * transactions hold. Everything the log says is checked before it is believed; a log that does not
 * add up is EFTYPE naming what is wrong. The log is written in the writing host's byte order (not
 * FFS_EI-swapped): the header magic tells which.
 */
import { errno } from '@rumpts/librump';

export const WAPBL_WC_HEADER = 0x5741424c; // "WABL"
export const WAPBL_WC_INODES = 0x5741424d;
export const WAPBL_WC_REVOCATIONS = 0x5741424e;
export const WAPBL_WC_BLOCKS = 0x5741424f;
export const UFS_WAPBL_VERSION = 1;
export const UFS_WAPBL_JOURNALLOC_NONE = 0;
export const UFS_WAPBL_JOURNALLOC_END_PARTITION = 1;
export const UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM = 2;
/** fs_journallocs[UFS_WAPBL_INFS_INO]: the inode of an in-filesystem log. */
export const UFS_WAPBL_INFS_INO = 3;
/** di_flags of the in-filesystem log inode (sys/stat.h SF_LOG). */
export const SF_LOG = 0x400000;

/** struct wapbl_wc_header field offsets. */
const H = { type: 0, len: 4, checksum: 8, generation: 12, fsid0: 16, fsid1: 20, time: 24, timensec: 32, version: 36, logBshift: 40, fsBshift: 44, head: 48, tail: 56, circOff: 64, circSize: 72 } as const;
export const WAPBL_HEADER_SIZE = 80;

export interface WapblHeader {
  le: boolean;
  generation: number;
  version: number;
  logBshift: number;
  fsBshift: number;
  head: number;
  tail: number;
  circOff: number;
  circSize: number;
}

/** The superblock's journal fields (864..903), in the writing host's byte order. */
export interface JournalLoc {
  version: number;
  location: number;
  flags: number;
  /** journallocs[0..3]: start (in blksize units), count (blocks), blksize, inode (in-fs). */
  locs: [number, number, number, number];
}

export function decodeJournalLoc(sb: Uint8Array): JournalLoc {
  const dv = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  const read = (le: boolean): JournalLoc => ({
    version: dv.getUint8(864),
    location: dv.getUint8(865),
    flags: dv.getUint32(868, le),
    locs: [0, 1, 2, 3].map((i) => Number(dv.getBigUint64(872 + 8 * i, le))) as [number, number, number, number],
  });
  const le = read(true);
  // The block size is a small power of two: that tells the byte order.
  const sane = (j: JournalLoc): boolean => j.locs[2] >= 512 && j.locs[2] <= 65536 && (j.locs[2] & (j.locs[2] - 1)) === 0;
  if (sane(le)) return le;
  const be = read(false);
  return sane(be) ? be : le;
}

/** Where the log is on the device: [byte offset, byte length), and its block size. */
export function journalExtent(j: JournalLoc, deviceSize: number): { offset: number; length: number; blksize: number } {
  if (j.version !== UFS_WAPBL_VERSION) throw errno('EFTYPE', `wapbl: fs_journal_version ${j.version} is not ${UFS_WAPBL_VERSION}`);
  if (j.location !== UFS_WAPBL_JOURNALLOC_END_PARTITION && j.location !== UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM) {
    throw errno('EFTYPE', `wapbl: unknown fs_journal_location ${j.location}`);
  }
  const [start, count, blksize] = j.locs;
  if (!(blksize >= 512 && blksize <= 65536 && (blksize & (blksize - 1)) === 0)) throw errno('EFTYPE', `wapbl: journallocs[2] block size ${blksize} is invalid`);
  const offset = start * blksize;
  const length = count * blksize;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || count < 3 || offset + length > deviceSize) {
    throw errno('EFTYPE', `wapbl: journal [${offset}, ${offset + length}) does not fit the ${deviceSize}-byte device`);
  }
  return { offset, length, blksize };
}

/** Decode one commit header; null if the magic is not there in either byte order. */
export function decodeHeader(b: Uint8Array): WapblHeader | null {
  if (b.length < WAPBL_HEADER_SIZE) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let le: boolean;
  if (dv.getUint32(H.type, true) === WAPBL_WC_HEADER) le = true;
  else if (dv.getUint32(H.type, false) === WAPBL_WC_HEADER) le = false;
  else return null;
  const i64 = (o: number): number => Number(dv.getBigInt64(o, le));
  return {
    le,
    generation: dv.getUint32(H.generation, le),
    version: dv.getUint32(H.version, le),
    logBshift: dv.getUint32(H.logBshift, le),
    fsBshift: dv.getUint32(H.fsBshift, le),
    head: i64(H.head),
    tail: i64(H.tail),
    circOff: i64(H.circOff),
    circSize: i64(H.circSize),
  };
}

/** What a commit header records (written in little-endian, our host order; replay accepts either). */
export interface WapblHeaderOut {
  generation: number;
  fsid: [number, number];
  /** Seconds and nanoseconds of the commit (wc_time, wc_timensec). */
  time: number;
  timensec: number;
  logBshift: number;
  fsBshift: number;
  head: number;
  tail: number;
  circOff: number;
  circSize: number;
}

/** Encode a commit header into a whole log block (wc_len = the block size, wc_checksum 0, version 1). */
export function encodeHeader(h: WapblHeaderOut): Uint8Array {
  const bsize = 1 << h.logBshift;
  const b = new Uint8Array(bsize);
  const dv = new DataView(b.buffer);
  const le = true;
  dv.setUint32(H.type, WAPBL_WC_HEADER, le);
  dv.setInt32(H.len, bsize, le);
  dv.setUint32(H.checksum, 0, le);
  dv.setUint32(H.generation, h.generation >>> 0, le);
  dv.setInt32(H.fsid0, h.fsid[0] | 0, le);
  dv.setInt32(H.fsid1, h.fsid[1] | 0, le);
  dv.setBigUint64(H.time, BigInt(h.time), le);
  dv.setUint32(H.timensec, h.timensec, le);
  dv.setUint32(H.version, UFS_WAPBL_VERSION, le);
  dv.setUint32(H.logBshift, h.logBshift, le);
  dv.setUint32(H.fsBshift, h.fsBshift, le);
  dv.setBigInt64(H.head, BigInt(h.head), le);
  dv.setBigInt64(H.tail, BigInt(h.tail), le);
  dv.setBigInt64(H.circOff, BigInt(h.circOff), le);
  dv.setBigInt64(H.circSize, BigInt(h.circSize), le);
  return b;
}

/**
 * Write the superblock's journal fields (fs_journal_version at 864, _location 865, _flags 868,
 * fs_journallocs[4] at 872) into the raw superblock bytes. NetBSD never byte-swaps them (ffs_sb_swap
 * skips them): they are in the writing host's order, little-endian here.
 */
export function encodeJournalLoc(sb: Uint8Array, j: JournalLoc): void {
  const dv = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  dv.setUint8(864, j.version);
  dv.setUint8(865, j.location);
  dv.setUint16(866, 0, true);
  dv.setUint32(868, j.flags, true);
  for (let i = 0; i < 4; i++) dv.setBigUint64(872 + 8 * i, BigInt(j.locs[i] ?? 0), true);
}

/** The current header of a log (the higher generation of the two), checked against the log's size. */
export function currentHeader(h0: WapblHeader | null, h1: WapblHeader | null, logLength: number): WapblHeader {
  const h = !h0 ? h1 : !h1 ? h0 : h1.generation > h0.generation ? h1 : h0;
  if (!h) throw errno('EFTYPE', 'wapbl: no log header (magic "WABL") in either header block');
  const bsize = 1 << h.logBshift;
  const bad = (what: string): never => {
    throw errno('EFTYPE', `wapbl: log header ${what}`);
  };
  if (h.version !== 1) bad(`version ${h.version}`);
  if (h.logBshift < 9 || h.logBshift > 16) bad(`wc_log_dev_bshift ${h.logBshift}`);
  if (h.fsBshift < 9 || h.fsBshift > 16) bad(`wc_fs_dev_bshift ${h.fsBshift}`);
  if (h.circOff < 2 * bsize || h.circOff % bsize !== 0) bad(`wc_circ_off ${h.circOff}`);
  if (h.circSize <= 0 || h.circSize % bsize !== 0 || h.circOff + h.circSize > logLength) bad(`wc_circ_size ${h.circSize}`);
  const inCirc = (x: number): boolean => x === 0 || (x >= h.circOff && x < h.circOff + h.circSize && x % bsize === 0);
  if (!inCirc(h.head)) bad(`wc_head ${h.head}`);
  if (!inCirc(h.tail)) bad(`wc_tail ${h.tail}`);
  return h;
}

/** One block the log holds for the file system: device byte address and where its bytes are in the log. */
export interface LoggedBlock {
  /** Byte address on the file-system device. */
  addr: number;
  len: number;
  /** Byte offset of the data within the log (circular; use readCirc). */
  logOff: number;
}

export interface ReplayPlan {
  header: WapblHeader;
  /** The newest logged copy of each block address, revocations applied. */
  blocks: Map<number, LoggedBlock>;
  /** Inodes the log lists as allocated-but-unlinked (to free after replay). */
  inodes: { inumber: number; imode: number }[];
  /** Records walked. */
  records: number;
  /** The bytes of a logged block. */
  read(block: LoggedBlock): Uint8Array;
}

/**
 * Walk the committed records from tail to head. `readLog(off, len)` reads bytes of the log (offsets
 * from the log's start, never wrapping — this function handles the circle).
 */
export function planReplay(readLog: (off: number, len: number) => Uint8Array, logLength: number): ReplayPlan {
  const h0 = decodeHeader(readLog(0, WAPBL_HEADER_SIZE));
  const bs0 = h0 ? 1 << h0.logBshift : 512;
  const h1 = decodeHeader(readLog(bs0, WAPBL_HEADER_SIZE));
  const h = currentHeader(h0, h1, logLength);
  const bsize = 1 << h.logBshift;
  const fsb = 1 << h.fsBshift;
  const end = h.circOff + h.circSize;
  const wrap = (x: number): number => (x >= end ? x - h.circSize : x);
  /** Read `len` bytes at circular offset `off`. */
  const readCirc = (off: number, len: number): Uint8Array => {
    const out = new Uint8Array(len);
    let done = 0;
    let at = off;
    while (done < len) {
      const n = Math.min(len - done, end - at);
      out.set(readLog(at, n), done);
      done += n;
      at = wrap(at + n);
    }
    return out;
  };
  const plan: ReplayPlan = { header: h, blocks: new Map(), inodes: [], records: 0, read: (b) => readCirc(b.logOff, b.len) };
  if (h.head === h.tail && h.head === 0) return plan; // empty log
  // Bytes between tail and head (a full log has head === tail !== 0).
  let remaining = h.head > h.tail ? h.head - h.tail : h.circSize - (h.tail - h.head);
  let off = h.tail;
  const le = h.le;
  while (remaining > 0) {
    if (++plan.records > 10_000_000) throw errno('EFTYPE', 'wapbl: too many records');
    const hdr = readCirc(off, bsize);
    const dv = new DataView(hdr.buffer);
    const type = dv.getUint32(0, le);
    const len = dv.getInt32(4, le);
    if (len <= 0 || len % bsize !== 0 || len > remaining) throw errno('EFTYPE', `wapbl: record at ${off} has length ${len} (${remaining} bytes left to head)`);
    if (type === WAPBL_WC_BLOCKS || type === WAPBL_WC_REVOCATIONS) {
      const count = dv.getInt32(8, le);
      if (count < 0 || 16 + 16 * count > bsize) throw errno('EFTYPE', `wapbl: record at ${off} lists ${count} blocks`);
      let data = wrap(off + bsize);
      let used = bsize;
      for (let i = 0; i < count; i++) {
        const daddr = Number(dv.getBigInt64(16 + 16 * i, le));
        const dlen = dv.getInt32(16 + 16 * i + 12, le);
        if (daddr < 0 || dlen < 0 || dlen % fsb !== 0) throw errno('EFTYPE', `wapbl: block ${i} of record at ${off}: daddr ${daddr} dlen ${dlen}`);
        const addr = daddr * fsb;
        if (type === WAPBL_WC_BLOCKS) {
          const padded = Math.ceil(dlen / bsize) * bsize;
          used += padded;
          if (used > len) throw errno('EFTYPE', `wapbl: record at ${off}: block data runs past the record`);
          // Newer copies replace older ones of the same range.
          for (const [a, b] of plan.blocks) if (a < addr + dlen && addr < a + b.len) plan.blocks.delete(a);
          plan.blocks.set(addr, { addr, len: dlen, logOff: data });
          data = wrap(data + padded);
        } else {
          // A revoked range must not be written back from the log.
          for (const [a, b] of plan.blocks) if (a < addr + dlen && addr < a + b.len) plan.blocks.delete(a);
        }
      }
    } else if (type === WAPBL_WC_INODES) {
      const count = dv.getInt32(8, le);
      const clear = dv.getInt32(12, le);
      if (clear !== 0) plan.inodes = [];
      if (count < 0 || 16 + 8 * count > len) throw errno('EFTYPE', `wapbl: inode record at ${off} lists ${count} inodes`);
      const body = count * 8 + 16 > bsize ? readCirc(off, 16 + 8 * count) : hdr;
      const bv = new DataView(body.buffer);
      for (let i = 0; i < count; i++) plan.inodes.push({ inumber: bv.getUint32(16 + 8 * i, le), imode: bv.getUint32(16 + 8 * i + 4, le) });
    } else {
      throw errno('EFTYPE', `wapbl: unknown record type 0x${type.toString(16)} at ${off}`);
    }
    off = wrap(off + len);
    remaining -= len;
  }
  return plan;
}
