/**
 * ISO 9660 (ECMA-119) on-disk structures: the volume descriptor and the directory record. Pure
 * codecs over bytes; each struct's field offsets are in one table. Numbers are stored "both-endian"
 * (ECMA-119 7.2.3 / 7.3.3: a little-endian copy followed by a big-endian one); like NetBSD's
 * isonum_723/isonum_733 we read the little-endian half, and that choice is made here only.
 */
import type { Timespec } from '@rumpts/librump';

/** The ISO 9660 sector: volume descriptors are read in 2048-byte sectors, whatever the logical block size. */
export const ISO_SECTOR_SIZE = 2048;
/** Volume descriptors start at sector 16, after the system area (ECMA-119 6.2.1, 8.1). */
export const ISO_VD_FIRST_SECTOR = 16;
/** The standard identifier every volume descriptor carries at byte 1. */
export const ISO_STANDARD_ID = 'CD001';
/** Volume descriptor type (ECMA-119 8.1.1): boot record. */
export const ISO_VD_BOOT = 0;
/** Volume descriptor type: primary volume descriptor (the ISO 9660 tree). */
export const ISO_VD_PRIMARY = 1;
/** Volume descriptor type: supplementary volume descriptor (Joliet, when its escape sequences say so). */
export const ISO_VD_SUPPLEMENTARY = 2;
/** Volume descriptor type: volume partition descriptor. */
export const ISO_VD_PARTITION = 3;
/** Volume descriptor type: set terminator, the last descriptor. */
export const ISO_VD_END = 255;

/** struct iso_primary_descriptor (ECMA-119 8.4): byte offsets. */
const PVD = {
  type: 0,
  id: 1,
  version: 6,
  volume_id: 40,
  volume_space_size: 80,
  logical_block_size: 128,
  root_directory_record: 156,
  /** Supplementary descriptors only: the escape sequences naming the character set (ECMA-119 8.5.6). */
  escape_sequences: 88,
} as const;
const SVD_ESCAPES_LEN = 32;
const PVD_VOLUME_ID_LEN = 32;
/** The root's directory record inside the PVD is always 34 bytes (a one-byte name). */
export const ISO_ROOT_RECORD_LEN = 34;

/** struct iso_directory_record (ECMA-119 9.1): byte offsets. */
const DR = {
  length: 0,
  ext_attr_length: 1,
  extent: 2,
  size: 10,
  date: 18,
  flags: 25,
  file_unit_size: 26,
  interleave: 27,
  volume_sequence_number: 28,
  name_len: 32,
  name: 33,
} as const;
/** The fixed part of a directory record; the name follows. */
export const ISO_DIRREC_MIN = DR.name;

/** File flag (ECMA-119 9.1.6, the existence bit): the file need not be shown to the user. */
export const ISO_FILE_HIDDEN = 0x01;
/** File flag: the record is a directory. */
export const ISO_FILE_DIRECTORY = 0x02;
/** File flag: an associated file (such as a resource fork), not an ordinary one. */
export const ISO_FILE_ASSOCIATED = 0x04;
/** File flag: the record format is given in the extended attribute record. */
export const ISO_FILE_RECORD = 0x08;
/** File flag: owner and permissions are given in the extended attribute record. */
export const ISO_FILE_PROTECTION = 0x10;
/** File flag: not the file's final record; its data continues in the next record's extent. */
export const ISO_FILE_MULTIEXTENT = 0x80;

/** isonum_711: an unsigned byte. */
export function isonum_711(b: Uint8Array, off: number): number {
  return b[off] ?? 0;
}
/** isonum_712: a signed byte. */
export function isonum_712(b: Uint8Array, off: number): number {
  const v = b[off] ?? 0;
  return v >= 0x80 ? v - 0x100 : v;
}
/** isonum_723: a both-endian 16-bit number (its little-endian half). */
export function isonum_723(b: Uint8Array, off: number): number {
  return (b[off] ?? 0) | ((b[off + 1] ?? 0) << 8);
}
/** isonum_733: a both-endian 32-bit number (its little-endian half). */
export function isonum_733(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0;
}

function ascii(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, len).toString('latin1');
}

/** A volume descriptor header: its type, and whether it carries the 'CD001' standard identifier. */
export interface VolumeDescriptorHeader {
  /** ISO_VD_* type byte. */
  type: number;
  /** Whether the identifier is 'CD001' and the version 1: a real descriptor, not garbage. */
  valid: boolean;
}

/** Decode the header of the volume descriptor in a 2048-byte sector. */
export function decodeVdHeader(sector: Uint8Array): VolumeDescriptorHeader {
  return {
    type: isonum_711(sector, PVD.type),
    valid: ascii(sector, PVD.id, 5) === ISO_STANDARD_ID && isonum_711(sector, PVD.version) === 1,
  };
}

/** The fields of the primary volume descriptor a mount needs. */
export interface PrimaryVolumeDescriptor {
  /** Volume identifier, trailing spaces trimmed. */
  volumeId: string;
  /** Volume space size, in logical blocks. */
  volumeSpaceSize: number;
  /** Logical block size in bytes (the mount accepts 512, 1024 or 2048). */
  logicalBlockSize: number;
  /** The root directory's 34-byte record. */
  rootRecord: Uint8Array;
}

/** Decode the mount-relevant fields of a primary (or supplementary) volume descriptor sector; no checks. */
export function decodePvd(sector: Uint8Array): PrimaryVolumeDescriptor {
  return {
    volumeId: ascii(sector, PVD.volume_id, PVD_VOLUME_ID_LEN).trimEnd(),
    volumeSpaceSize: isonum_733(sector, PVD.volume_space_size),
    logicalBlockSize: isonum_723(sector, PVD.logical_block_size),
    rootRecord: sector.subarray(PVD.root_directory_record, PVD.root_directory_record + ISO_ROOT_RECORD_LEN),
  };
}

/**
 * The Joliet level of a supplementary volume descriptor: its escape sequences are '%/@', '%/C' or
 * '%/E' (UCS-2 levels 1-3, Joliet specification 5.1); 0 if it is not a Joliet descriptor.
 */
export function jolietLevel(sector: Uint8Array): 0 | 1 | 2 | 3 {
  const esc = ascii(sector, PVD.escape_sequences, SVD_ESCAPES_LEN);
  if (esc.startsWith('%/@')) return 1;
  if (esc.startsWith('%/C')) return 2;
  if (esc.startsWith('%/E')) return 3;
  return 0;
}

const jolietDecoder = new TextDecoder('utf-16be', { ignoreBOM: true });

/** A Joliet file identifier: UCS-2 big-endian (decoded as UTF-16BE; an odd trailing byte is dropped). */
export function decodeJolietName(id: Uint8Array): string {
  // A lone surrogate (no character, and no byte form as a name) becomes U+FFFD; a leading U+FEFF stays.
  return jolietDecoder.decode(id.subarray(0, id.length & ~1));
}

/** A decoded directory record. */
export interface DirRecord {
  /** Record length in bytes (LEN_DR). */
  length: number;
  /** Extended attribute record length, in logical blocks. */
  extAttrLength: number;
  /** First logical block of the extent (the extended attribute record, if any, comes first). */
  extent: number;
  /** Data length in bytes. */
  size: number;
  /** Recording date and time. */
  date: Timespec;
  /** ISO_FILE_* flags. */
  flags: number;
  /** Interleaved recording: file unit size in blocks (0: not interleaved). */
  fileUnitSize: number;
  /** Interleaved recording: interleave gap size in blocks. */
  interleave: number;
  /** File identifier bytes: 0x00 for '.', 0x01 for '..'. */
  name: Uint8Array;
  /** The system use area (where SUSP/Rock Ridge entries live), as a view. */
  systemUse: Uint8Array;
}

/**
 * Decode the record at `off` of `b` (which must hold the whole record). Returns null for a zero
 * length byte (the rest of the sector is padding); throws a plain Error describing the damage,
 * which callers turn into EIO with their context.
 */
export function decodeDirRecord(b: Uint8Array, off: number): DirRecord | null {
  const length = isonum_711(b, off + DR.length);
  if (length === 0) return null;
  if (length < ISO_DIRREC_MIN + 1) throw new Error(`directory record of ${length} bytes is shorter than ${ISO_DIRREC_MIN + 1}`);
  if (off + length > b.length) throw new Error(`directory record of ${length} bytes runs past its block`);
  const nameLen = isonum_711(b, off + DR.name_len);
  if (nameLen === 0 || DR.name + nameLen > length) throw new Error(`file identifier length ${nameLen} does not fit a ${length}-byte record`);
  // The system use area starts after the name and its padding byte (ECMA-119 9.1.12).
  const suStart = DR.name + nameLen + (nameLen % 2 === 0 ? 1 : 0);
  return {
    length,
    extAttrLength: isonum_711(b, off + DR.ext_attr_length),
    extent: isonum_733(b, off + DR.extent),
    size: isonum_733(b, off + DR.size),
    date: decodeDate7(b, off + DR.date),
    flags: isonum_711(b, off + DR.flags),
    fileUnitSize: isonum_711(b, off + DR.file_unit_size),
    interleave: isonum_711(b, off + DR.interleave),
    name: b.subarray(off + DR.name, off + DR.name + nameLen),
    systemUse: suStart < length ? b.subarray(off + suStart, off + length) : new Uint8Array(0),
  };
}

/** Is this the '.' (0x00) or '..' (0x01) identifier? */
export function isDotName(name: Uint8Array): 0 | 1 | null {
  if (name.length !== 1) return null;
  if (name[0] === 0) return 0;
  if (name[0] === 1) return 1;
  return null;
}

/**
 * The 7-byte recording date (ECMA-119 9.1.5): years since 1900, month, day, hour, minute, second,
 * and the offset from GMT in 15-minute units. All zero means "not specified" (time 0).
 */
export function decodeDate7(b: Uint8Array, off: number): Timespec {
  const y = isonum_711(b, off);
  const mo = isonum_711(b, off + 1);
  const d = isonum_711(b, off + 2);
  if (y === 0 && mo === 0 && d === 0) return { sec: 0, nsec: 0 };
  const ms = Date.UTC(1900 + y, Math.max(mo, 1) - 1, Math.max(d, 1), isonum_711(b, off + 3), isonum_711(b, off + 4), isonum_711(b, off + 5));
  return { sec: Math.floor(ms / 1000) - isonum_712(b, off + 6) * 15 * 60, nsec: 0 };
}

/**
 * The 17-byte date (ECMA-119 8.4.26.1), digits "YYYYMMDDHHMMSScc" then the GMT offset in 15-minute
 * units; used by Rock Ridge TF entries in long form. Year 0 means "not specified".
 */
export function decodeDate17(b: Uint8Array, off: number): Timespec {
  const digits = ascii(b, off, 16);
  if (!/^\d{16}$/.test(digits)) return { sec: 0, nsec: 0 };
  const n = (i: number, len: number): number => Number(digits.slice(i, i + len));
  if (n(0, 4) === 0) return { sec: 0, nsec: 0 };
  const ms = Date.UTC(n(0, 4), Math.max(n(4, 2), 1) - 1, Math.max(n(6, 2), 1), n(8, 2), n(10, 2), n(12, 2));
  return { sec: Math.floor(ms / 1000) - isonum_712(b, off + 16) * 15 * 60, nsec: n(14, 2) * 10_000_000 };
}
