/**
 * Walking a directory's records (cd9660_lookup.c, cd9660_readdir) and the names they show
 * (cd9660_util.c isofntrans): a Rock Ridge NM name when there is one, else the ISO 9660 identifier
 * with its ';version' and a trailing '.' removed and mapped to lower case, unless the mount's
 * ISOFSMNT_GENS / ISOFSMNT_NOCASETRANS flags say otherwise.
 */
import { decodeName, errno } from '@rumpts/librump';
import { type DirRecord, ISO_FILE_ASSOCIATED, ISO_FILE_DIRECTORY, decodeDirRecord, decodeJolietName, isDotName } from './iso_ondisk.js';
import type { RripInfo } from './iso_rrip.js';
import { ISOFSMNT_GENS, ISOFSMNT_NOCASETRANS, type IsoMount } from './cd9660_mount.js';
import { type IsoNode, readBlockCopy, rripOf } from './cd9660_node.js';

/**
 * isofntrans: the name an identifier shows without Rock Ridge. Joliet identifiers are UCS-2 and
 * keep their case; plain ISO 9660 ones are bytes (decodeName: a byte outside d-characters that is
 * not UTF-8 comes back escaped, and encodes back to itself), lower-cased (A-Z only, as NetBSD's)
 * unless ISOFSMNT_NOCASETRANS.
 */
export function isofntrans(id: Uint8Array, flags: number, joliet = false): string {
  let s = joliet ? decodeJolietName(id) : decodeName(id);
  if ((flags & ISOFSMNT_GENS) === 0) {
    const semi = s.indexOf(';');
    if (semi >= 0) s = s.slice(0, semi);
    if (s.length > 1 && s.endsWith('.')) s = s.slice(0, -1);
  }
  if (!joliet && (flags & ISOFSMNT_NOCASETRANS) === 0) s = s.replace(/[A-Z]+/g, (u) => u.toLowerCase());
  return s;
}

/** One record met while walking a directory. */
export interface DirSlot {
  rec: DirRecord;
  /** Rock Ridge entries (null without Rock Ridge). */
  rr: RripInfo | null;
  /** Offset of the record inside the directory (its readdir cookie). */
  offset: number;
  /** Offset just past it (the cookie that resumes after it). */
  next: number;
  /** Byte address of the record on the device. */
  addr: number;
  /** '.' → 0, '..' → 1, else null. */
  dot: 0 | 1 | null;
}

/**
 * Visit the records of directory dp from offset `from` until `visit` returns false. Records never
 * cross a logical block (ECMA-119 6.8.1.1); a zero length byte means the rest of the block is
 * padding. Every step moves forward, so a corrupt directory ends the walk with EIO, never a loop.
 */
export function cd9660_dirwalk(imp: IsoMount, dp: IsoNode, from: number, visit: (slot: DirSlot) => boolean): void {
  const bs = imp.bsize;
  let off = from;
  while (off < dp.size) {
    const blockOff = Math.floor(off / bs) * bs;
    const block = readBlockCopy(imp, (dp.dataStart + blockOff) / bs).subarray(0, Math.min(bs, dp.size - blockOff));
    let inblk = off - blockOff;
    while (inblk < block.length) {
      let rec: DirRecord | null;
      try {
        rec = decodeDirRecord(block, inblk);
      } catch (e) {
        throw errno('EIO', `cd9660: directory at byte ${dp.key}, offset ${blockOff + inblk}: ${(e as Error).message}`);
      }
      if (!rec) break;
      const offset = blockOff + inblk;
      inblk += rec.length;
      const addr = dp.dataStart + offset;
      const dot = isDotName(rec.name);
      const slot: DirSlot = { rec, rr: rripOf(imp, rec, addr), offset, next: blockOff + inblk, addr, dot };
      if (!visit(slot)) return;
    }
    off = blockOff + bs;
  }
}

/** Should readdir and lookup skip this record? Associated files and relocated directories' own entries. */
export function isHidden(slot: DirSlot): boolean {
  return (slot.rec.flags & ISO_FILE_ASSOCIATED) !== 0 || slot.rr?.relocated === true;
}

/** The name a record shows. */
export function slotName(imp: IsoMount, slot: DirSlot): string {
  return slot.rr?.name ?? isofntrans(slot.rec.name, imp.flags, imp.joliet !== 0);
}

/** Is this entry a directory (its own flag, or a Rock Ridge CL placeholder)? */
export function slotIsDir(slot: DirSlot): boolean {
  return (slot.rec.flags & ISO_FILE_DIRECTORY) !== 0 || slot.rr?.childLink !== undefined;
}
