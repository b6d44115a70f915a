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
/** mbrp_type: Linux's extended partition. */
export const MBR_PTYPE_EXT_LNX = 0x85;
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

/** Is this an extended partition type (a chain of extended boot records)? */
export function isExtendedType(type: number): boolean {
  return type === MBR_PTYPE_EXT || type === MBR_PTYPE_EXT_LBA || type === MBR_PTYPE_EXT_LNX;
}

/** A partition of an MBR disk with its number: 1–4 primary, 5 on the logical ones in chain order. */
export interface MbrSlot extends MbrPartition {
  /** Its number: 1–4 for a primary, 5 on for the logical ones in chain order (`%MBR:N%`). */
  index: number;
  /** For a logical partition: the LBA of the extended boot record that describes it. */
  ebr?: number;
}

/** The most logical partitions followed along an extended chain. */
export const MBR_MAX_LOGICAL = 128;

/**
 * Every partition of an MBR disk of `sectors` 512-byte sectors: the four primaries (empty ones left
 * out) and the logical ones along the extended chain, with absolute start sectors. Null when sector 0
 * is no MBR. A chain that leaves its extended partition, loops or is longer than MBR_MAX_LOGICAL ends
 * there, with the reason in `problems`.
 */
export function readMbrPartitions(read: (offset: number, length: number) => Uint8Array, sectors: number): {
  /** The partitions found, primaries first. */
  slots: MbrSlot[];
  /** Why the chain ended early, or what is wrong with a logical partition. */
  problems: string[];
} | null {
  const primary = decodeMbr(read(0, MBR_SIZE));
  if (!primary) return null;
  const slots: MbrSlot[] = [];
  const problems: string[] = [];
  primary.forEach((p, i) => {
    if (p.type !== MBR_PTYPE_UNUSED && p.size > 0) slots.push({ ...p, index: i + 1 });
  });
  const ext = primary.find((p) => isExtendedType(p.type) && p.size > 0);
  if (!ext) return { slots, problems };
  const extEnd = ext.start + ext.size;
  const seen = new Set<number>();
  let ebr = ext.start;
  for (let n = 0; ; n++) {
    if (n >= MBR_MAX_LOGICAL) {
      problems.push(`more than ${MBR_MAX_LOGICAL} logical partitions; the rest are not listed`);
      break;
    }
    if (ebr < ext.start || ebr >= extEnd || ebr >= sectors) {
      problems.push(`extended boot record at sector ${ebr} is outside the extended partition`);
      break;
    }
    if (seen.has(ebr)) {
      problems.push(`the extended chain loops at sector ${ebr}`);
      break;
    }
    seen.add(ebr);
    const e = decodeMbr(read(ebr * MBR_SIZE, MBR_SIZE));
    if (!e) {
      problems.push(`no extended boot record signature at sector ${ebr}`);
      break;
    }
    const [log, next] = e;
    if (log && log.type !== MBR_PTYPE_UNUSED && log.size > 0) {
      const start = ebr + log.start;
      if (start + log.size > extEnd) problems.push(`logical partition ${slots.length + 1} at sector ${start} (${log.size} sectors) runs past its extended partition`);
      slots.push({ ...log, start, index: 5 + slots.filter((s) => s.index >= 5).length, ebr });
    }
    if (!next || !isExtendedType(next.type) || next.size === 0) break;
    ebr = ext.start + next.start;
  }
  return { slots, problems };
}

/**
 * The sectors an MBR with logical partitions writes: the MBR (up to 4 primaries, one of them the
 * extended partition covering the logicals) and one EBR per logical: the first at the extended
 * partition's start, each next one in the sector before its logical partition. Returns [byte offset, sector] pairs; `logical` starts and sizes are absolute 512-byte sectors.
 */
export function encodeMbrChain(primaries: readonly MbrPartition[], ext: { start: number; size: number; type?: number } | null, logical: readonly MbrPartition[]): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  const prim = [...primaries];
  if (ext) {
    if (prim.length >= MBR_PART_COUNT) throw errno('EINVAL', 'mbr: no primary slot left for the extended partition');
    prim.push({ flag: 0, type: ext.type ?? MBR_PTYPE_EXT_LBA, start: ext.start, size: ext.size });
  }
  out.push([0, encodeMbr(prim)]);
  if (!ext) return out;
  const sorted = [...logical].sort((a, b) => a.start - b.start);
  let ebr = ext.start;
  sorted.forEach((l, i) => {
    if (l.start <= ebr || l.start + l.size > ext.start + ext.size) throw errno('EINVAL', `mbr: logical partition at ${l.start} does not fit after its EBR at ${ebr} inside the extended partition`);
    const nextL = sorted[i + 1];
    const entries: MbrPartition[] = [{ flag: l.flag, type: l.type, start: l.start - ebr, size: l.size }];
    // The next EBR sits in the sector before the next logical partition.
    const nextEbr = nextL ? nextL.start - 1 : 0;
    if (nextL) entries.push({ flag: 0, type: MBR_PTYPE_EXT, start: nextEbr - ext.start, size: nextL.start + nextL.size - nextEbr });
    out.push([ebr * MBR_SIZE, encodeMbr(entries)]);
    ebr = nextEbr;
  });
  return out;
}
