/**
 * struct disklabel codec (sys/sys/disklabel.h): decode with magic, count and checksum checks, encode
 * with the checksum computed. Field offsets live in one table; byte order is decided once per label
 * (native amd64 labels are little-endian; a label whose magics read byte-swapped is big-endian).
 */
import { errno } from '@rumpts/librump';
import {
  DISKLABEL_HEADER_SIZE,
  DISKLABEL_PARTITION_SIZE,
  DISKMAGIC,
  FS_UNUSED,
  MAXMAXPARTITIONS,
  MAXPARTITIONS,
  NETBSD_PART,
  RAW_PART,
  partitionLetter,
} from './constants.js';
import { isPowerOfTwo } from '../blkdev/bounds.js';

/** Byte order of a disklabel: 'le' (native on amd64/i386) or 'be' (as a big-endian port wrote it). */
export type ByteOrder = 'le' | 'be';

/** struct partition: sizes and offsets in sectors of d_secsize; p_offset is absolute on the disk. */
export interface DiskPartition {
  /** p_size: length in sectors. */
  size: number;
  /** p_offset: first sector, counted from the start of the disk. */
  offset: number;
  /** Fragment size (FFS) / ISO9660 session start (p_cdsession). */
  fsize: number;
  /** p_fstype: what the partition holds (FS_*). */
  fstype: number;
  /** p_frag: FFS fragments per block. */
  frag: number;
  /** Cylinders per group (FFS) / segment shift (LFS, p_sgs). */
  cpg: number;
}

/**
 * struct disklabel (disklabel(5)): the disk's geometry and its partition table, decoded. Geometry
 * fields are historical for most media, but kept as read so a label round-trips.
 */
export interface DiskLabel {
  /** d_type: drive type (DKTYPE_*). */
  type: number;
  /** d_subtype: controller- or type-specific. */
  subtype: number;
  /** d_typename: drive type name (up to 16 characters). */
  typename: string;
  /** d_packname: pack (disk) identifier (up to 16 characters). */
  packname: string;
  /** d_secsize: bytes per sector. */
  secsize: number;
  /** d_nsectors: data sectors per track. */
  nsectors: number;
  /** d_ntracks: tracks per cylinder. */
  ntracks: number;
  /** d_ncylinders: data cylinders per unit. */
  ncylinders: number;
  /** d_secpercyl: data sectors per cylinder. */
  secpercyl: number;
  /** d_secperunit: data sectors per unit (the disk's size in sectors). */
  secperunit: number;
  /** d_sparespertrack: spare sectors per track. */
  sparespertrack: number;
  /** d_sparespercyl: spare sectors per cylinder. */
  sparespercyl: number;
  /** d_acylinders: alternate cylinders per unit. */
  acylinders: number;
  /** d_rpm: rotational speed. */
  rpm: number;
  /** d_interleave: hardware sector interleave. */
  interleave: number;
  /** d_trackskew: sector 0 skew, per track. */
  trackskew: number;
  /** d_cylskew: sector 0 skew, per cylinder. */
  cylskew: number;
  /** d_headswitch: head switch time, microseconds. */
  headswitch: number;
  /** d_trkseek: track-to-track seek time, microseconds. */
  trkseek: number;
  /** d_flags: D_* flags. */
  flags: number;
  /** d_drivedata[5]. */
  drivedata: number[];
  /** d_bbsize: bytes of the boot area at sector 0. */
  bbsize: number;
  /** d_sbsize: largest file system superblock, in bytes. */
  sbsize: number;
  /** d_partitions[d_npartitions]. */
  partitions: DiskPartition[];
  /** d_checksum as stored (decode only; encode computes it). */
  checksum?: number;
  /** Byte order the label was read in (decode only; encode takes it as an option). */
  byteOrder?: ByteOrder;
}

type Width = 1 | 2 | 4;
type NumField = Exclude<keyof DiskLabel, 'typename' | 'packname' | 'drivedata' | 'partitions' | 'checksum' | 'byteOrder'>;

/** The header's numeric fields: [name, offset, width]. d_magic, d_magic2, d_checksum, d_npartitions are handled apart. */
const HEADER: readonly (readonly [NumField, number, Width])[] = [
  ['type', 4, 2],
  ['subtype', 6, 2],
  ['secsize', 40, 4],
  ['nsectors', 44, 4],
  ['ntracks', 48, 4],
  ['ncylinders', 52, 4],
  ['secpercyl', 56, 4],
  ['secperunit', 60, 4],
  ['sparespertrack', 64, 2],
  ['sparespercyl', 66, 2],
  ['acylinders', 68, 4],
  ['rpm', 72, 2],
  ['interleave', 74, 2],
  ['trackskew', 76, 2],
  ['cylskew', 78, 2],
  ['headswitch', 80, 4],
  ['trkseek', 84, 4],
  ['flags', 88, 4],
  ['bbsize', 140, 4],
  ['sbsize', 144, 4],
];
const OFF_MAGIC = 0;
const OFF_TYPENAME = 8;
const OFF_PACKNAME = 24;
const NAMELEN = 16;
const OFF_DRIVEDATA = 92;
const NDDATA = 5;
const OFF_SPARE = 112;
const OFF_MAGIC2 = 132;
const OFF_CHECKSUM = 136;
const OFF_NPARTITIONS = 138;

/** struct partition fields: [name, offset, width]. */
const PARTITION: readonly (readonly [keyof DiskPartition, number, Width])[] = [
  ['size', 0, 4],
  ['offset', 4, 4],
  ['fsize', 8, 4],
  ['fstype', 12, 1],
  ['frag', 13, 1],
  ['cpg', 14, 2],
];

function get(v: DataView, off: number, w: Width, le: boolean): number {
  return w === 4 ? v.getUint32(off, le) : w === 2 ? v.getUint16(off, le) : v.getUint8(off);
}

function put(v: DataView, off: number, w: Width, le: boolean, value: number, what: string): void {
  const max = w === 4 ? 0xffffffff : w === 2 ? 0xffff : 0xff;
  if (!Number.isInteger(value) || value < 0 || value > max) throw errno('EINVAL', `disklabel: ${what} = ${value} does not fit in ${w * 8} bits`);
  if (w === 4) v.setUint32(off, value, le);
  else if (w === 2) v.setUint16(off, value, le);
  else v.setUint8(off, value);
}

/** Bytes a label with n partitions covers (and its checksum spans). */
export function disklabelSize(npartitions: number): number {
  return DISKLABEL_HEADER_SIZE + DISKLABEL_PARTITION_SIZE * npartitions;
}

/** dkcksum: XOR of the 16-bit words of the first `len` bytes, read in the label's byte order. */
export function dkcksum(v: DataView, len: number, le: boolean): number {
  let sum = 0;
  for (let i = 0; i + 1 < len; i += 2) sum ^= v.getUint16(i, le);
  return sum;
}

/** The byte order whose magics both match at `at`, or null. */
export function labelByteOrder(bytes: Uint8Array, at = 0): ByteOrder | null {
  if (at < 0 || at + OFF_MAGIC2 + 4 > bytes.length) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, OFF_MAGIC2 + 4);
  if (v.getUint32(OFF_MAGIC, true) === DISKMAGIC && v.getUint32(OFF_MAGIC2, true) === DISKMAGIC) return 'le';
  if (v.getUint32(OFF_MAGIC, false) === DISKMAGIC && v.getUint32(OFF_MAGIC2, false) === DISKMAGIC) return 'be';
  return null;
}

function readName(bytes: Uint8Array, off: number): string {
  const raw = bytes.subarray(off, off + NAMELEN);
  const nul = raw.indexOf(0);
  return String.fromCharCode(...(nul >= 0 ? raw.subarray(0, nul) : raw));
}

function writeName(bytes: Uint8Array, off: number, s: string, what: string): void {
  if (s.length > NAMELEN || [...s].some((c) => c.charCodeAt(0) > 0xff)) throw errno('EINVAL', `disklabel: ${what} '${s}' is longer than ${NAMELEN} latin1 characters`);
  for (let i = 0; i < s.length; i++) bytes[off + i] = s.charCodeAt(i);
}

/** How many partitions {@link decodeDiskLabel} accepts. */
export interface DecodeOptions {
  /** Most partitions accepted (default MAXMAXPARTITIONS, 22; the amd64 kernel accepts MAXPARTITIONS, 16). */
  maxPartitions?: number;
}

/**
 * Decode the label at `at`: both magics (either byte order), d_npartitions ≤ maxPartitions, the whole
 * label inside `bytes`, checksum 0 over it. Anything else → EINVAL naming what is wrong.
 */
export function decodeDiskLabel(bytes: Uint8Array, at = 0, opts: DecodeOptions = {}): DiskLabel {
  const max = opts.maxPartitions ?? MAXMAXPARTITIONS;
  const order = labelByteOrder(bytes, at);
  if (!order) throw errno('EINVAL', `disklabel: no disklabel magic at byte ${at}`);
  const le = order === 'le';
  if (at + DISKLABEL_HEADER_SIZE > bytes.length) throw errno('EINVAL', `disklabel at byte ${at}: torn (header cut off at ${bytes.length} bytes)`);
  const hv = new DataView(bytes.buffer, bytes.byteOffset + at, DISKLABEL_HEADER_SIZE);
  const npart = hv.getUint16(OFF_NPARTITIONS, le);
  if (npart > max) throw errno('EINVAL', `disklabel at byte ${at}: ${npart} partitions, more than the ${max} allowed`);
  const len = disklabelSize(npart);
  if (at + len > bytes.length) throw errno('EINVAL', `disklabel at byte ${at}: torn (${npart} partitions need ${len} bytes, ${bytes.length - at} present)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, len);
  const sum = dkcksum(v, len, le);
  if (sum !== 0) throw errno('EINVAL', `disklabel at byte ${at}: bad checksum (stored 0x${v.getUint16(OFF_CHECKSUM, le).toString(16)}, words XOR to 0x${sum.toString(16)})`);
  const label: Partial<DiskLabel> = {};
  for (const [name, off, w] of HEADER) label[name] = get(v, off, w, le);
  label.typename = readName(bytes, at + OFF_TYPENAME);
  label.packname = readName(bytes, at + OFF_PACKNAME);
  label.drivedata = Array.from({ length: NDDATA }, (_, i) => v.getUint32(OFF_DRIVEDATA + 4 * i, le));
  label.partitions = Array.from({ length: npart }, (_, i) => {
    const p: Partial<DiskPartition> = {};
    for (const [name, off, w] of PARTITION) p[name] = get(v, DISKLABEL_HEADER_SIZE + i * DISKLABEL_PARTITION_SIZE + off, w, le);
    return p as DiskPartition;
  });
  label.checksum = v.getUint16(OFF_CHECKSUM, le);
  label.byteOrder = order;
  return label as DiskLabel;
}

/** Encode a label (disklabelSize(n) bytes) with its checksum; EINVAL if a field does not fit. */
export function encodeDiskLabel(label: DiskLabel, opts: { byteOrder?: ByteOrder } = {}): Uint8Array {
  const le = (opts.byteOrder ?? 'le') === 'le';
  const n = label.partitions.length;
  if (n > MAXMAXPARTITIONS) throw errno('EINVAL', `disklabel: ${n} partitions, more than ${MAXMAXPARTITIONS}`);
  const len = disklabelSize(n);
  const bytes = new Uint8Array(len);
  const v = new DataView(bytes.buffer);
  v.setUint32(OFF_MAGIC, DISKMAGIC, le);
  v.setUint32(OFF_MAGIC2, DISKMAGIC, le);
  for (const [name, off, w] of HEADER) put(v, off, w, le, label[name], `d_${name}`);
  writeName(bytes, OFF_TYPENAME, label.typename, 'd_typename');
  writeName(bytes, OFF_PACKNAME, label.packname, 'd_packname');
  if (label.drivedata.length > NDDATA) throw errno('EINVAL', `disklabel: d_drivedata has ${NDDATA} words`);
  label.drivedata.forEach((d, i) => put(v, OFF_DRIVEDATA + 4 * i, 4, le, d, `d_drivedata[${i}]`));
  for (let i = 0; i < NDDATA; i++) v.setUint32(OFF_SPARE + 4 * i, 0, le);
  v.setUint16(OFF_NPARTITIONS, n, le);
  label.partitions.forEach((p, i) => {
    for (const [name, off, w] of PARTITION) put(v, DISKLABEL_HEADER_SIZE + i * DISKLABEL_PARTITION_SIZE + off, w, le, p[name], `${partitionLetter(i)}: p_${name}`);
  });
  v.setUint16(OFF_CHECKSUM, 0, le);
  v.setUint16(OFF_CHECKSUM, dkcksum(v, len, le), le);
  return bytes;
}

/** A label found by {@link findDiskLabel}, and where. */
export interface FoundLabel {
  /** The decoded label. */
  label: DiskLabel;
  /** Byte offset of the label within the scanned bytes. */
  at: number;
}

/** How {@link findDiskLabel} scans: the step between candidate offsets, and whether the first magic ends the scan. */
export interface ScanOptions extends DecodeOptions {
  /** Step between candidate offsets (the kernel uses sizeof(long) = 8; ukfs 4). Default 4. */
  step?: number;
  /** Stop at the first magic match even if it is invalid (ukfs_part_probe). Default false: try later candidates. */
  firstMatchOnly?: boolean;
}

/**
 * Scan `bytes` for a label. Returns the first valid one, or null if no magic is present. If magics
 * were found but none was a valid label, the first candidate's error is thrown (a corrupt label is
 * an error, not an absent one).
 */
export function findDiskLabel(bytes: Uint8Array, opts: ScanOptions = {}): FoundLabel | null {
  const step = opts.step ?? 4;
  if (!Number.isInteger(step) || step < 1) throw errno('EINVAL', `disklabel scan: bad step ${step}`);
  let firstError: Error | undefined;
  for (let at = 0; at + OFF_MAGIC2 + 4 <= bytes.length; at += step) {
    if (!labelByteOrder(bytes, at)) continue;
    try {
      return { label: decodeDiskLabel(bytes, at, opts), at };
    } catch (e) {
      firstError ??= e instanceof Error ? e : new Error(String(e));
      if (opts.firstMatchOnly) break;
    }
  }
  if (firstError !== undefined) throw firstError;
  return null;
}

/** What {@link checkDiskLabel} checks a label against: the media size and the partition limit. */
export interface CheckOptions {
  /** Media size in d_secsize sectors; partitions must end inside it (default: d_secperunit). */
  mediaSectors?: number;
  /** Partition count limit (default MAXPARTITIONS, 16 on amd64). */
  maxPartitions?: number;
}

/**
 * Sanity checks beyond the codec (the kernel's validate/setdisklabel): a power-of-two sector size,
 * the partition count, every partition inside the media, and no overlap between partitions that hold
 * something — the raw 'd' and the NetBSD-part 'c' cover others by design and are not compared.
 */
export function checkDiskLabel(label: DiskLabel, opts: CheckOptions = {}): void {
  if (!isPowerOfTwo(label.secsize) || label.secsize < 256) throw errno('EINVAL', `disklabel: sector size ${label.secsize} is not a power of two`);
  const max = opts.maxPartitions ?? MAXPARTITIONS;
  const n = label.partitions.length;
  if (n > max) throw errno('EINVAL', `disklabel: ${n} partitions, more than the ${max} allowed`);
  const media = opts.mediaSectors ?? label.secperunit;
  if (label.secperunit > media) throw errno('EINVAL', `disklabel: d_secperunit ${label.secperunit} is larger than the media (${media} sectors)`);
  const used: { i: number; start: number; end: number }[] = [];
  label.partitions.forEach((p, i) => {
    if (p.size === 0) return;
    const end = p.offset + p.size;
    if (end > media) throw errno('EINVAL', `disklabel: partition ${partitionLetter(i)} [${p.offset}, ${end}) is past the end of the media (${media} sectors)`);
    if (i === RAW_PART || i === NETBSD_PART || p.fstype === FS_UNUSED) return;
    used.push({ i, start: p.offset, end });
  });
  used.sort((a, b) => a.start - b.start);
  for (let k = 1; k < used.length; k++) {
    const a = used[k - 1];
    const b = used[k];
    if (a && b && b.start < a.end) {
      throw errno('EINVAL', `disklabel: partitions ${partitionLetter(a.i)} [${a.start}, ${a.end}) and ${partitionLetter(b.i)} [${b.start}, ${b.end}) overlap`);
    }
  }
}
