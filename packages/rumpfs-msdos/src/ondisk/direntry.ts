/**
 * Directory entries (sys/fs/msdosfs/direntry.h): the 32-byte DOS entry (struct direntry) and the
 * Win95 long-name entry (struct winentry) that shares its slot size. Little-endian; offsets here only.
 */

/** sizeof(struct direntry): every directory slot, DOS or long-name, is 32 bytes. */
export const DIRENT_SIZE = 32;

/** deName[0] SLOT_EMPTY: a slot never used; it and every slot after it end the directory. */
export const SLOT_EMPTY = 0x00; // never used: the end of the directory
/** deName[0] SLOT_E5: the name really begins with byte 0xE5 (stored as 0x05 so it does not read as deleted). */
export const SLOT_E5 = 0x05; // the name really begins with 0xE5
/** deName[0] SLOT_DELETED: the entry was deleted; the slot is free for reuse. */
export const SLOT_DELETED = 0xe5;

/** deAttributes ATTR_NORMAL: a plain file (no bits set). */
export const ATTR_NORMAL = 0x00;
/** deAttributes ATTR_READONLY: the file may not be written (mapped to the write bits of the mode). */
export const ATTR_READONLY = 0x01;
/** deAttributes ATTR_HIDDEN: hidden from DOS directory listings. */
export const ATTR_HIDDEN = 0x02;
/** deAttributes ATTR_SYSTEM: a system file. */
export const ATTR_SYSTEM = 0x04;
/** deAttributes ATTR_VOLUME: the entry is the volume label, not a file. */
export const ATTR_VOLUME = 0x08;
/** deAttributes ATTR_DIRECTORY: the entry is a subdirectory. */
export const ATTR_DIRECTORY = 0x10;
/** deAttributes ATTR_ARCHIVE: changed since the last backup; set on every write. */
export const ATTR_ARCHIVE = 0x20;
/** A long-name entry's attribute byte (read-only, hidden, system, volume: DOS skips it). */
export const ATTR_WIN95 = 0x0f;

/** deLowerCase LCASE_BASE (the NT reserved byte): the base name of a short-only name is lower case. */
export const LCASE_BASE = 0x08;
/** deLowerCase LCASE_EXT: the extension of a short-only name is lower case. */
export const LCASE_EXT = 0x10;

/** weCnt WIN_LAST: set on the long-name entry holding the end of the name (the first one stored). */
export const WIN_LAST = 0x40;
/** weCnt WIN_CNT: mask of the entry's sequence number (1-based, counting from the start of the name). */
export const WIN_CNT = 0x3f;
/** WIN_CHARS: UTF-16 code units per long-name entry. */
export const WIN_CHARS = 13;
/** WIN_MAXLEN: the longest long name, in UTF-16 code units. */
export const WIN_MAXLEN = 255;
/** The most long-name entries one name takes (20 × 13 ≥ 255). */
export const WIN_MAXSUBCNT = Math.ceil(WIN_MAXLEN / WIN_CHARS);

/** struct direntry field offsets. */
const DE = {
  name: 0, // 11 bytes: 8 name + 3 extension
  attributes: 11,
  lowerCase: 12,
  cHundredth: 13,
  cTime: 14,
  cDate: 16,
  aDate: 18,
  highClust: 20,
  mTime: 22,
  mDate: 24,
  startCluster: 26,
  fileSize: 28,
} as const;

/** A decoded 32-byte DOS entry. `name` is the raw 11 bytes (8 + 3, space padded). */
export interface DirEntry {
  /** deName + deExtension: 8 + 3 bytes, blank padded, in code page 850. */
  name: Uint8Array;
  /** deAttributes: ATTR_* bits. */
  attributes: number;
  /** deLowerCase: LCASE_BASE / LCASE_EXT. */
  lowerCase: number;
  /** deCHundredth: hundredths of a second of the creation time (0..199; the odd second is here). */
  cHundredth: number;
  /** deCTime: creation time (DT_* fields, 2-second units). */
  cTime: number;
  /** deCDate: creation date (DD_* fields). */
  cDate: number;
  /** deADate: last access date (no time). */
  aDate: number;
  /** The start cluster, high word included (that word is meaningful on FAT32 only). */
  startCluster: number;
  /** deMTime: last modification time (DT_* fields, 2-second units). */
  mTime: number;
  /** deMDate: last modification date (DD_* fields). */
  mDate: number;
  /** deFileSize: size in bytes (0 for directories). */
  fileSize: number;
}

// Little-endian fields, byte by byte: a DataView made for each 32-byte entry cost more than the entry.
const get16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const get32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** A whole entry must lie inside the buffer (RangeError, as a DataView would, rather than a silent short read). */
function check(b: Uint8Array, off: number): void {
  if (!Number.isInteger(off) || off < 0 || off + DIRENT_SIZE > b.length) throw new RangeError(`directory entry at ${off} is outside a buffer of ${b.length} bytes`);
}

/** Decode the DOS entry at `off`; the high start-cluster word (deHighClust) is read on FAT32 only. */
export function decodeDirEntry(b: Uint8Array, off: number, fat32: boolean): DirEntry {
  check(b, off);
  const lo = get16(b, off + DE.startCluster);
  const hi = fat32 ? get16(b, off + DE.highClust) : 0;
  return {
    name: b.slice(off, off + 11),
    attributes: b[off + DE.attributes]!,
    lowerCase: b[off + DE.lowerCase]!,
    cHundredth: b[off + DE.cHundredth]!,
    cTime: get16(b, off + DE.cTime),
    cDate: get16(b, off + DE.cDate),
    aDate: get16(b, off + DE.aDate),
    startCluster: hi * 0x10000 + lo,
    mTime: get16(b, off + DE.mTime),
    mDate: get16(b, off + DE.mDate),
    fileSize: get32(b, off + DE.fileSize),
  };
}

/**
 * Write a DOS entry at `off` (all 32 bytes). The high cluster word is written on FAT32 only.
 * `fileSize` replaces the entry's own (a directory's entry says 0 whatever its denode holds).
 */
export function encodeDirEntry(e: DirEntry, b: Uint8Array, off: number, fat32: boolean, fileSize = e.fileSize): void {
  check(b, off);
  // Byte by byte: a subarray and set() for 11 bytes cost more than the rest of the entry.
  const name = e.name;
  const nl = name.length < 11 ? name.length : 11;
  for (let i = 0; i < nl; i++) b[off + i] = name[i]!;
  b[off + DE.attributes] = e.attributes & 0xff;
  b[off + DE.lowerCase] = e.lowerCase & 0xff;
  b[off + DE.cHundredth] = e.cHundredth & 0xff;
  put16(b, off + DE.cTime, e.cTime);
  put16(b, off + DE.cDate, e.cDate);
  put16(b, off + DE.aDate, e.aDate);
  put16(b, off + DE.highClust, fat32 ? Math.floor(e.startCluster / 0x10000) & 0xffff : 0);
  put16(b, off + DE.mTime, e.mTime);
  put16(b, off + DE.mDate, e.mDate);
  put16(b, off + DE.startCluster, e.startCluster & 0xffff);
  put32(b, off + DE.fileSize, fileSize >>> 0);
}

/** The first name byte and attributes of the slot at `off`, without decoding the rest. */
export function slotName0(b: Uint8Array, off: number): number {
  return b[off] ?? SLOT_EMPTY;
}
/** The attribute byte of the slot at `off` (ATTR_WIN95 marks a long-name entry). */
export function slotAttributes(b: Uint8Array, off: number): number {
  return b[off + DE.attributes] ?? 0;
}

/** struct winentry: 13 UCS-2 characters in three parts. */
const WE = {
  cnt: 0,
  part1: 1, // 5 chars
  attributes: 11,
  reserved1: 12,
  chksum: 13,
  part2: 14, // 6 chars
  reserved2: 26, // 2 bytes, 0
  part3: 28, // 2 chars
} as const;
const WE_PARTS: readonly (readonly [number, number])[] = [
  [WE.part1, 5],
  [WE.part2, 6],
  [WE.part3, 2],
];

/**
 * A decoded Win95 long-name entry (struct winentry): 13 characters of the name and the checksum tying it to its
 * DOS entry.
 */
export interface WinEntry {
  /** Sequence number (1-based) with WIN_LAST on the entry holding the end of the name. */
  cnt: number;
  /** weChksum: winChksum of the DOS entry's 11-byte name; a mismatch orphans the long name. */
  chksum: number;
  /** The 13 UTF-16 code units of this entry, padding included (0x0000 terminator, 0xFFFF fill). */
  chars: number[];
}

/** Decode the long-name entry at `off`. */
export function decodeWinEntry(b: Uint8Array, off: number): WinEntry {
  check(b, off);
  const chars: number[] = [];
  for (const [p, n] of WE_PARTS) for (let i = 0; i < n; i++) chars.push(get16(b, off + p + 2 * i));
  return { cnt: b[off + WE.cnt]!, chksum: b[off + WE.chksum]!, chars };
}

/** Write a long-name entry (attributes ATTR_WIN95, reserved fields 0). */
export function encodeWinEntry(w: WinEntry, b: Uint8Array, off: number): void {
  check(b, off);
  b[off + WE.cnt] = w.cnt & 0xff;
  b[off + WE.attributes] = ATTR_WIN95;
  b[off + WE.reserved1] = 0;
  b[off + WE.chksum] = w.chksum & 0xff;
  put16(b, off + WE.reserved2, 0);
  let k = 0;
  for (const [p, n] of WE_PARTS) for (let i = 0; i < n; i++) put16(b, off + p + 2 * i, w.chars[k++] ?? 0xffff);
}

/** The reserved start-cluster word of a long-name entry (must be 0: DOS tools check it). */
export function winEntryCluster(b: Uint8Array, off: number): number {
  check(b, off);
  return get16(b, off + WE.reserved2);
}
