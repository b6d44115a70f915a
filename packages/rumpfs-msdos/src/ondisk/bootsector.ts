/**
 * The boot sector and its BIOS parameter block (sys/fs/msdosfs/bootsect.h, bpb.h): the DOS 3.3/5.0
 * BPB every FAT volume has, and the FAT32 extension (bpb710) that replaces the FAT12/16 extended
 * boot record. All fields are little-endian; the offsets are in the tables below and nowhere else.
 */

/** The 0x55 0xAA signature at bytes 510..511 of the boot sector. */
export const BOOTSIG_OFFSET = 510;
/** BOOTSIG: the bytes 0x55 0xAA at BOOTSIG_OFFSET, read as a little-endian 16-bit word. */
export const BOOTSIG = 0xaa55;
/** The extended boot signature (bsBootSig) saying the volume id, label and type fields are valid. */
export const EXBOOTSIG = 0x29;

type Width = 1 | 2 | 4;

/** The common BPB (DOS 5.0), bytes 11..35. */
const BPB_FIELDS = {
  bytesPerSec: [11, 2],
  secPerClust: [13, 1],
  resSectors: [14, 2],
  fats: [16, 1],
  rootDirEnts: [17, 2],
  sectors: [19, 2],
  media: [21, 1],
  fatSecs: [22, 2],
  secPerTrack: [24, 2],
  heads: [26, 2],
  hiddenSecs: [28, 4],
  hugeSectors: [32, 4],
} as const satisfies Record<string, readonly [number, Width]>;

/** The FAT32 part of the BPB (bpb710), bytes 36..63. */
const BPB32_FIELDS = {
  bigFatSecs: [36, 4],
  extFlags: [40, 2],
  fsVers: [42, 2],
  rootClust: [44, 4],
  fsInfo: [48, 2],
  backup: [50, 2],
} as const satisfies Record<string, readonly [number, Width]>;

/** The extended boot record: at byte 36 on FAT12/16, at byte 64 on FAT32. */
const EXT_FIELDS = {
  driveNumber: [0, 1],
  reserved1: [1, 1],
  bootSig: [2, 1],
  volumeId: [3, 4],
} as const satisfies Record<string, readonly [number, Width]>;
const EXT_LABEL = 7;
const EXT_FSTYPE = 18;
/** Byte offset of the extended boot record (bootsector50) on FAT12/16: right after the DOS 5.0 BPB. */
export const EXT_OFFSET_FAT16 = 36;
/** Byte offset of the extended boot record (bootsector710) on FAT32: after the bpb710 fields. */
export const EXT_OFFSET_FAT32 = 64;

/** bpbExtFlags: bit 7 set = only the FAT numbered in bits 0..3 is active (no mirroring). */
export const FATMIRROR = 0x80;
/** bpbExtFlags bits 0..3: the number of the active FAT when FATMIRROR is set. */
export const FATNUM = 0x0f;

/** The BIOS parameter block every FAT volume has (struct bpb50, bytes 11..35 of the boot sector). */
export interface Bpb {
  /** bpbBytesPerSec: bytes per sector (512, 1024, 2048 or 4096). */
  bytesPerSec: number;
  /** bpbSecPerClust: sectors per cluster, a power of two. */
  secPerClust: number;
  /**
   * bpbResSectors: reserved sectors before the first FAT, the boot sector included (FAT32 keeps FSInfo and the
   * backup boot sector there).
   */
  resSectors: number;
  /** bpbFATs: number of FAT copies (usually 2). */
  fats: number;
  /** bpbRootDirEnts: entries of the fixed root directory (FAT12/16; 0 on FAT32). */
  rootDirEnts: number;
  /** 16-bit sector count (0 when hugeSectors is used). */
  sectors: number;
  /**
   * bpbMedia: the media descriptor (0xF8 fixed disk, 0xF0 removable, ...), repeated in the low byte of FAT[0].
   */
  media: number;
  /** 16-bit FAT size in sectors (0 on FAT32). */
  fatSecs: number;
  /** bpbSecPerTrack: sectors per track of the CHS geometry (recorded for booting, not used to find data). */
  secPerTrack: number;
  /** bpbHeads: heads of the CHS geometry (recorded for booting, not used to find data). */
  heads: number;
  /** bpbHiddenSecs: sectors before the volume on its disk (the partition's start), for boot code. */
  hiddenSecs: number;
  /** bpbHugeSectors: the 32-bit sector count, used when bpbSectors is 0. */
  hugeSectors: number;
}

/** The FAT32 extension of the BPB (struct bpb710, bytes 36..63). */
export interface Bpb32 {
  /** bpbBigFATsecs: sectors per FAT copy (32-bit). */
  bigFatSecs: number;
  /** bpbExtFlags: FATMIRROR and FATNUM, whether every FAT copy is kept or only one is active. */
  extFlags: number;
  /** bpbFSVers: file-system version, major << 8 | minor; only 0.0 is mounted. */
  fsVers: number;
  /** bpbRootClust: first cluster of the root directory. */
  rootClust: number;
  /** bpbFSInfo: sector of the FSInfo sector in the reserved area (0xFFFF: none). */
  fsInfo: number;
  /** bpbBackup: sector of the backup boot sector in the reserved area (usually 6; 0xFFFF: none). */
  backup: number;
}

/**
 * The extended boot record (bootsector50 / bootsector710 fields from bsDriveNumber on), at EXT_OFFSET_FAT16 or
 * EXT_OFFSET_FAT32.
 */
export interface ExtBoot {
  /** bsDriveNumber: the BIOS drive number (0x80 hard disk, 0x00 floppy). */
  driveNumber: number;
  /** bsReserved1: reserved (Windows NT keeps dirty flags here); kept as found. */
  reserved1: number;
  /** bsBootSignature: EXBOOTSIG when volumeId, label and fsType are valid. */
  bootSig: number;
  /** bsVolumeID: the volume serial number (newfs_msdos -I). */
  volumeId: number;
  /** 11 bytes, space padded (raw, not trimmed). */
  label: Uint8Array;
  /** 8 bytes: "FAT12   ", "FAT16   ", "FAT32   ". */
  fsType: Uint8Array;
}

/** A decoded boot sector (struct bootsector50 / bootsector710). */
export interface BootSector {
  /** bsJump: the 3-byte x86 jump to the boot code (0xEB xx 0x90 or 0xE9 xx xx). */
  jump: Uint8Array;
  /** bsOemName: the 8-byte OEM name of the formatter (e.g. "NetBSD "); informational. */
  oemName: Uint8Array;
  /** The BPB common to every FAT type. */
  bpb: Bpb;
  /** Present when the volume is laid out as FAT32 (rootDirEnts 0 and fatSecs 0). */
  bpb32: Bpb32 | null;
  /** The extended boot record, wherever the layout puts it. */
  ext: ExtBoot;
  /** The 0x55AA signature is present. */
  signature: boolean;
}

function get(v: DataView, off: number, w: Width): number {
  return w === 1 ? v.getUint8(off) : w === 2 ? v.getUint16(off, true) : v.getUint32(off, true);
}

function put(v: DataView, off: number, w: Width, x: number, name: string): void {
  const max = w === 1 ? 0xff : w === 2 ? 0xffff : 0xffffffff;
  if (!Number.isInteger(x) || x < 0 || x > max) throw new RangeError(`boot sector field ${name} = ${x} does not fit ${w} byte(s)`);
  if (w === 1) v.setUint8(off, x);
  else if (w === 2) v.setUint16(off, x, true);
  else v.setUint32(off, x, true);
}

function decodeTable<T>(v: DataView, base: number, table: Record<string, readonly [number, Width]>): T {
  const out: Record<string, number> = {};
  for (const [k, [off, w]] of Object.entries(table)) out[k] = get(v, base + off, w);
  return out as T;
}

function encodeTable(v: DataView, base: number, table: Record<string, readonly [number, Width]>, src: object): void {
  const s = src as Record<string, number>;
  for (const [k, [off, w]] of Object.entries(table)) put(v, base + off, w, s[k] ?? 0, k);
}

/** True when the BPB describes the FAT32 layout (no fixed root directory, 32-bit FAT size). */
export function isFat32Layout(bpb: Bpb): boolean {
  return bpb.rootDirEnts === 0 && bpb.fatSecs === 0;
}

/** Decode the first 512 bytes of a volume. Never throws on content; callers judge the values. */
export function decodeBootSector(b: Uint8Array): BootSector {
  if (b.length < 512) throw new RangeError(`boot sector of ${b.length} bytes`);
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const bpb = decodeTable<Bpb>(v, 0, BPB_FIELDS);
  const bpb32 = isFat32Layout(bpb) ? decodeTable<Bpb32>(v, 0, BPB32_FIELDS) : null;
  const eo = bpb32 ? EXT_OFFSET_FAT32 : EXT_OFFSET_FAT16;
  const e = decodeTable<Omit<ExtBoot, 'label' | 'fsType'>>(v, eo, EXT_FIELDS);
  return {
    jump: b.slice(0, 3),
    oemName: b.slice(3, 11),
    bpb,
    bpb32,
    ext: { ...e, label: b.slice(eo + EXT_LABEL, eo + EXT_LABEL + 11), fsType: b.slice(eo + EXT_FSTYPE, eo + EXT_FSTYPE + 8) },
    signature: v.getUint16(BOOTSIG_OFFSET, true) === BOOTSIG,
  };
}

/** Encode into `b` (512 bytes or more; bytes the structure does not cover are kept). */
export function encodeBootSector(bs: BootSector, b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, 512);
  b.set(bs.jump.subarray(0, 3), 0);
  b.set(bs.oemName.subarray(0, 8), 3);
  encodeTable(v, 0, BPB_FIELDS, bs.bpb);
  if (bs.bpb32) encodeTable(v, 0, BPB32_FIELDS, bs.bpb32);
  const eo = bs.bpb32 ? EXT_OFFSET_FAT32 : EXT_OFFSET_FAT16;
  encodeTable(v, eo, EXT_FIELDS, bs.ext);
  b.set(bs.ext.label.subarray(0, 11), eo + EXT_LABEL);
  b.set(bs.ext.fsType.subarray(0, 8), eo + EXT_FSTYPE);
  if (bs.signature) v.setUint16(BOOTSIG_OFFSET, BOOTSIG, true);
  return b;
}

/** fsisig1 "RRaA" at byte 0 of the FAT32 FSInfo sector (struct fsinfo). */
export const FSI_LEADSIG = 0x41615252; // "RRaA"
/** fsisig2 "rrAa" at byte 484 of the FSInfo sector, just before the two counts. */
export const FSI_STRUCSIG = 0x61417272; // "rrAa"
/** fsisig3 (bytes 00 00 55 AA) at byte 508, ending the FSInfo sector. */
export const FSI_TRAILSIG = 0xaa550000;
const FSI_OFF_LEAD = 0;
const FSI_OFF_STRUC = 484;
const FSI_OFF_FREE = 488;
const FSI_OFF_NEXT = 492;
const FSI_OFF_TRAIL = 508;
/** "Unknown" for both counts. */
export const FSI_UNKNOWN = 0xffffffff;

/**
 * The FSInfo sector of FAT32 (struct fsinfo): the free-cluster count and the next-free hint. Both are hints;
 * the FAT is the truth.
 */
export interface FsInfo {
  /** All three signatures are right; otherwise the counts are ignored. */
  valid: boolean;
  /** fsinfree: free clusters, or FSI_UNKNOWN. */
  freeCount: number;
  /** fsinxtfree: where the next free-cluster search should start, or FSI_UNKNOWN. */
  nextFree: number;
}

/** Decode the FSInfo sector `b` (512 bytes or more); never throws on content (see FsInfo.valid). */
export function decodeFsInfo(b: Uint8Array): FsInfo {
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const valid = v.getUint32(FSI_OFF_LEAD, true) === FSI_LEADSIG && v.getUint32(FSI_OFF_STRUC, true) === FSI_STRUCSIG && v.getUint32(FSI_OFF_TRAIL, true) === FSI_TRAILSIG;
  return { valid, freeCount: v.getUint32(FSI_OFF_FREE, true), nextFree: v.getUint32(FSI_OFF_NEXT, true) };
}

/** Write the signatures and both counts into `b` (the rest of the sector is kept). */
export function encodeFsInfo(fi: Omit<FsInfo, 'valid'>, b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, 512);
  v.setUint32(FSI_OFF_LEAD, FSI_LEADSIG, true);
  v.setUint32(FSI_OFF_STRUC, FSI_STRUCSIG, true);
  v.setUint32(FSI_OFF_FREE, fi.freeCount >>> 0, true);
  v.setUint32(FSI_OFF_NEXT, fi.nextFree >>> 0, true);
  v.setUint32(FSI_OFF_TRAIL, FSI_TRAILSIG, true);
  return b;
}
