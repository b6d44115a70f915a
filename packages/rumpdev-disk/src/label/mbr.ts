/**
 * The PC master boot record (sys/sys/bootblock.h, struct mbr_sector): four 16-byte partition entries at
 * byte 446 and the 0x55 0xAA signature at 510. NetBSD x86 disks keep their disklabel inside the MBR
 * partition of type 0xA9. LBA fields are little-endian.
 */
import { errno } from '@rumpts/librump';

/** Bytes of the MBR sector (and of an extended boot record). */
export const MBR_SIZE = 512;
/** Byte offset of the partition table (mbr_parts), after the boot code. */
export const MBR_PART_OFFSET = 446;
/** Primary partition entries in an MBR. */
export const MBR_PART_COUNT = 4;
/** Bytes of one partition entry (struct mbr_partition). */
export const MBR_PART_SIZE = 16;
/** Byte offset of the signature (mbr_magic). */
export const MBR_MAGIC_OFFSET = 510;
/** The signature 0x55 0xAA, read as a little-endian 16-bit number. */
export const MBR_MAGIC = 0xaa55;

/** mbrp_type: unused entry. */
export const MBR_PTYPE_UNUSED = 0x00;
/** mbrp_type: FAT12. */
export const MBR_PTYPE_FAT12 = 0x01;
/** mbrp_type: extended partition (CHS addressed). */
export const MBR_PTYPE_EXT = 0x05;
/** mbrp_type: FAT32 with LBA addressing. */
export const MBR_PTYPE_FAT32L = 0x0c;
/** mbrp_type: extended partition, LBA addressed. */
export const MBR_PTYPE_EXT_LBA = 0x0f;
/** mbrp_type: Linux native (ext2 and its successors). */
export const MBR_PTYPE_LNXEXT2 = 0x83;
/** mbrp_type: 386BSD/FreeBSD; NetBSD's reader falls back to it when no 0xA9 partition exists. */
export const MBR_PTYPE_386BSD = 0xa5;
/** mbrp_type: NetBSD; its first sector + LABELSECTOR holds the disklabel. */
export const MBR_PTYPE_NETBSD = 0xa9;
/** Active flag of mbrp_flag. */
export const MBR_PFLAG_ACTIVE = 0x80;

/** One partition entry; start and size in 512-byte sectors (LBA). Unused entries have type 0. */
export interface MbrPartition {
  /** 0x80 active, 0 inactive. */
  flag: number;
  /** mbrp_type: MBR_PTYPE_* partition type (0: unused). */
  type: number;
  /** First sector (LBA, mbrp_start). */
  start: number;
  /** Length in sectors (mbrp_size). */
  size: number;
}

/** Partition entry fields: [name, offset, width]; CHS bytes at 1..3 and 5..7 are derived from LBA on write. */
const ENTRY: readonly (readonly ['flag' | 'type' | 'start' | 'size', number, 1 | 4])[] = [
  ['flag', 0, 1],
  ['type', 4, 1],
  ['start', 8, 4],
  ['size', 12, 4],
];
const OFF_CHS_FIRST = 1;
const OFF_CHS_LAST = 5;
/** The conventional LBA→CHS translation (255 heads, 63 sectors per track), capped at 1023/254/63. */
const HEADS = 255;
const SECTORS = 63;

/**
 * Decode sector 0. Returns null if it is not an MBR: no 0x55AA signature, or an entry flag other than
 * 0x00/0x80 (a FAT or other boot sector also ends in 0x55AA). All four entries are returned.
 */
export function decodeMbr(sector: Uint8Array): MbrPartition[] | null {
  if (sector.length < MBR_SIZE) return null;
  const v = new DataView(sector.buffer, sector.byteOffset, MBR_SIZE);
  if (v.getUint16(MBR_MAGIC_OFFSET, true) !== MBR_MAGIC) return null;
  const parts: MbrPartition[] = [];
  for (let i = 0; i < MBR_PART_COUNT; i++) {
    const base = MBR_PART_OFFSET + i * MBR_PART_SIZE;
    const p: MbrPartition = { flag: 0, type: 0, start: 0, size: 0 };
    for (const [name, off, w] of ENTRY) p[name] = w === 4 ? v.getUint32(base + off, true) : v.getUint8(base + off);
    if (p.flag !== 0 && p.flag !== MBR_PFLAG_ACTIVE) return null;
    parts.push(p);
  }
  return parts;
}

function chs(lba: number): [number, number, number] {
  const c = Math.floor(lba / (HEADS * SECTORS));
  if (c > 1023) return [254, 0xff, 0xff];
  const h = Math.floor(lba / SECTORS) % HEADS;
  const s = (lba % SECTORS) + 1;
  return [h, s | ((c >> 2) & 0xc0), c & 0xff];
}

/**
 * Write up to four entries and the signature into `sector` (512 bytes, usually the existing sector 0, so
 * boot code before byte 446 is kept). Missing entries are cleared. EINVAL if a field does not fit.
 */
export function encodeMbr(parts: readonly MbrPartition[], sector: Uint8Array = new Uint8Array(MBR_SIZE)): Uint8Array {
  if (sector.length < MBR_SIZE) throw errno('EINVAL', `mbr: sector of ${sector.length} bytes, need ${MBR_SIZE}`);
  if (parts.length > MBR_PART_COUNT) throw errno('EINVAL', `mbr: ${parts.length} partitions, at most ${MBR_PART_COUNT}`);
  const v = new DataView(sector.buffer, sector.byteOffset, MBR_SIZE);
  sector.fill(0, MBR_PART_OFFSET, MBR_MAGIC_OFFSET);
  parts.forEach((p, i) => {
    const base = MBR_PART_OFFSET + i * MBR_PART_SIZE;
    for (const [name, off, w] of ENTRY) {
      const x = p[name];
      const max = w === 4 ? 0xffffffff : 0xff;
      if (!Number.isInteger(x) || x < 0 || x > max) throw errno('EINVAL', `mbr: partition ${i}: ${name} = ${x} does not fit`);
      if (w === 4) v.setUint32(base + off, x, true);
      else v.setUint8(base + off, x);
    }
    if (p.flag !== 0 && p.flag !== MBR_PFLAG_ACTIVE) throw errno('EINVAL', `mbr: partition ${i}: flag must be 0 or 0x80`);
    if (p.type === MBR_PTYPE_UNUSED) return;
    if (p.start + p.size > 0xffffffff + 1) throw errno('EINVAL', `mbr: partition ${i} ends past 2^32 sectors`);
    sector.set(chs(p.start), base + OFF_CHS_FIRST);
    sector.set(chs(p.start + p.size - 1), base + OFF_CHS_LAST);
  });
  v.setUint16(MBR_MAGIC_OFFSET, MBR_MAGIC, true);
  return sector;
}

/** Partitions inside the media (in 512-byte sectors), non-empty primaries not overlapping; EINVAL otherwise. */
export function checkMbr(parts: readonly MbrPartition[], mediaSectors: number): void {
  const used = parts
    .map((p, i) => ({ ...p, i }))
    .filter((p) => p.type !== MBR_PTYPE_UNUSED && p.size > 0)
    .sort((a, b) => a.start - b.start);
  for (const p of used) {
    if (p.start === 0) throw errno('EINVAL', `mbr: partition ${p.i} starts at sector 0, over the MBR itself`);
    if (p.start + p.size > mediaSectors) throw errno('EINVAL', `mbr: partition ${p.i} [${p.start}, ${p.start + p.size}) is past the end of the media (${mediaSectors} sectors)`);
  }
  for (let k = 1; k < used.length; k++) {
    const a = used[k - 1];
    const b = used[k];
    if (a && b && b.start < a.start + a.size) throw errno('EINVAL', `mbr: partitions ${a.i} and ${b.i} overlap`);
  }
}

/** The NetBSD partition (0xA9), or failing that a 386BSD one (0xA5), as the kernel's reader picks it. */
export function netbsdMbrPartition(parts: readonly MbrPartition[]): MbrPartition | null {
  return parts.find((p) => p.type === MBR_PTYPE_NETBSD && p.size > 0) ?? parts.find((p) => p.type === MBR_PTYPE_386BSD && p.size > 0) ?? null;
}
