/**
 * Directory blocks (ufs_lookup.c, ufs_readdir): entries are walked 512-byte chunk by chunk, each
 * checked as ufs_dirbadentry does before its name is read; a bad one is EIO naming the field.
 */
import { decodeName } from '@rumpts/librump';
import { dirhashOf } from './dirhash.js';
import { ffs_read } from './read.js';
import { type Direct, decodeDirect, direntBad } from './ondisk/direct.js';
import { DIRBLKSIZ } from './ondisk/geometry.js';
import type { Inode } from './inode.js';

/** One live directory entry as ffs_dirwalk yields it: the struct direct fields with the name decoded. */
export interface DirSlot {
  /** Byte offset of the entry in the directory. */
  off: number;
  /** d_ino: the inode the entry names. */
  ino: number;
  /** d_type (DT_*), or DT_UNKNOWN (0) on an old-format directory. */
  type: number;
  /** d_name as decodeName gives it (names are bytes: any that are not UTF-8 come back escaped). */
  name: string;
  /** d_reclen: the record's length, slack to the next entry included. */
  reclen: number;
}

/**
 * Call `fn` for each live entry (d_ino ≠ 0) at or after byte `start`, in order, until it returns
 * false. The walk reads at most the directory's size, one fs block at a time.
 */
export function ffs_dirwalk(ip: Inode, start: number, fn: (e: DirSlot) => boolean): void {
  const ump = ip.ump;
  const size = ip.size;
  if (size % DIRBLKSIZ !== 0) throw ump.corrupt(`directory inode ${ip.ino}: di_size ${size} is not a multiple of ${DIRBLKSIZ}`);
  const bsize = ump.fs.bsize;
  const buf = new Uint8Array(bsize);
  const dv = new DataView(buf.buffer);
  // Start at the chunk holding `start` and skip entries before it: cookies stay valid even if
  // they do not fall on an entry boundary.
  let base = Math.floor(start / DIRBLKSIZ) * DIRBLKSIZ;
  while (base < size) {
    const blockStart = Math.floor(base / bsize) * bsize;
    const len = ffs_read(ip, buf.subarray(0, Math.min(bsize, size - blockStart)), blockStart);
    for (let chunk = base - blockStart; chunk < len; chunk += DIRBLKSIZ) {
      let off = chunk;
      const end = chunk + DIRBLKSIZ;
      while (off < end) {
        const d: Direct = decodeDirect(buf, dv, off, ump.le, ump.dtype);
        const bad = direntBad(d, off);
        if (bad) throw ump.corrupt(`directory inode ${ip.ino} corrupt at offset ${blockStart + off}: ${bad}`);
        const at = blockStart + off;
        if (d.ino !== 0 && at >= start) {
          const name = decodeName(buf.subarray(d.nameOff, d.nameOff + d.namlen));
          if (!fn({ off: at, ino: d.ino, type: d.type, name, reclen: d.reclen })) return;
        }
        off += d.reclen;
      }
    }
    base = blockStart + bsize;
  }
}

/** The inode number `name` has in directory `ip`, or 0. Builds the dirhash on first use. */
export function ffs_dirlookup(ip: Inode, name: string): number {
  return dirhashOf(ip).names.ino(name);
}
