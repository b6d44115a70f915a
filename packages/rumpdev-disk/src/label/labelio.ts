/**
 * Reading and writing the label on a device, where the amd64 kernel looks for it (subr_disk_mbr.c):
 * inside the NetBSD MBR partition (type 0xA9, else 0xA5) at its sector LABELSECTOR, or at sector
 * LABELSECTOR of the disk when there is no such partition. Every check happens before any write, so a
 * refused label leaves the media untouched.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { BBSIZE, DKTYPE_UNKNOWN, FS_UNUSED, LABELOFFSET, LABELSCANSECTORS, LABELSECTOR, MAXPARTITIONS, NETBSD_PART, RAW_PART, SBLOCKSIZE, partitionIndex } from './constants.js';
import { type ByteOrder, type DiskLabel, type DiskPartition, checkDiskLabel, encodeDiskLabel, findDiskLabel } from './disklabel.js';
import { type MbrPartition, MBR_SIZE, checkMbr, decodeMbr, encodeMbr, netbsdMbrPartition } from './mbr.js';

/** Where a device's disklabel is, or would be written ({@link locateDiskLabel}). */
export interface LabelLocation {
  /** Byte offset of the label on the device. */
  offset: number;
  /** The MBR partition the label lives in, or null on an unpartitioned disk. */
  mbrPartition: MbrPartition | null;
  /** The MBR's entries, or null without an MBR. */
  mbr: MbrPartition[] | null;
}

/** A disklabel read from a device, with where it was found. */
export interface ReadLabel extends LabelLocation {
  /** The decoded label. */
  label: DiskLabel;
}

function readSectors(dev: BlockDevice, sector: number, count: number): Uint8Array {
  const buf = new Uint8Array(count * dev.secsize);
  dev.read(buf, sector * dev.secsize);
  return buf;
}

/** Where the label of this device is (or would be written). EINVAL if the MBR is inconsistent with the media. */
export function locateDiskLabel(dev: BlockDevice): LabelLocation {
  const nsec = Math.floor(dev.size / dev.secsize);
  if (nsec < LABELSECTOR + 1) throw errno('EINVAL', `disk of ${dev.size} bytes is too small for a disklabel`);
  const mbr = dev.secsize >= MBR_SIZE ? decodeMbr(readSectors(dev, 0, 1)) : null;
  const part = mbr ? netbsdMbrPartition(mbr) : null;
  if (mbr && part) {
    checkMbr(mbr, nsec);
    if (part.size <= LABELSECTOR) throw errno('EINVAL', `NetBSD MBR partition of ${part.size} sectors has no room for a label`);
    return { offset: (part.start + LABELSECTOR) * dev.secsize + LABELOFFSET, mbrPartition: part, mbr };
  }
  return { offset: LABELSECTOR * dev.secsize + LABELOFFSET, mbrPartition: null, mbr };
}

/** Whether {@link readDiskLabel} checks the label against the media, and its partition limit. */
export interface ReadLabelOptions {
  /** Check partitions against the media (past end, overlaps); default true. */
  check?: boolean;
  /** Partition count limit; default MAXPARTITIONS (16). */
  maxPartitions?: number;
}

/**
 * readdisklabel: the label of the device, or null if there is none. A label that is present but bad
 * (torn, wrong checksum, too many partitions, partitions past the media or overlapping) → EINVAL.
 */
export function readDiskLabel(dev: BlockDevice, opts: ReadLabelOptions = {}): ReadLabel | null {
  const loc = locateDiskLabel(dev);
  const first = Math.floor(loc.offset / dev.secsize);
  const nsec = Math.min(LABELSCANSECTORS, Math.floor(dev.size / dev.secsize) - first);
  const bytes = readSectors(dev, first, nsec);
  const maxPartitions = opts.maxPartitions ?? MAXPARTITIONS;
  const found = findDiskLabel(bytes, { step: 4, maxPartitions });
  if (!found) return null;
  if (opts.check ?? true) {
    if (found.label.secsize !== dev.secsize) throw errno('EINVAL', `disklabel: d_secsize ${found.label.secsize} differs from the device's ${dev.secsize}`);
    checkDiskLabel(found.label, { mediaSectors: Math.floor(dev.size / dev.secsize), maxPartitions });
  }
  return { ...loc, offset: first * dev.secsize + found.at, label: found.label };
}

/**
 * writedisklabel: check the label against the device, then write it where readDiskLabel looks
 * (read-modify-write of that sector). Returns the byte offset written.
 */
export function writeDiskLabel(dev: BlockDevice, label: DiskLabel, opts: { byteOrder?: ByteOrder } = {}): number {
  if (dev.readonly) throw errno('EROFS', 'cannot write a disklabel on a read-only device');
  if (label.secsize !== dev.secsize) throw errno('EINVAL', `disklabel: d_secsize ${label.secsize} differs from the device's ${dev.secsize}`);
  checkDiskLabel(label, { mediaSectors: Math.floor(dev.size / dev.secsize) });
  const bytes = encodeDiskLabel(label, opts.byteOrder ? { byteOrder: opts.byteOrder } : {});
  const loc = locateDiskLabel(dev);
  const sector = Math.floor(loc.offset / dev.secsize);
  const within = loc.offset - sector * dev.secsize;
  const nsec = Math.ceil((within + bytes.length) / dev.secsize);
  const buf = readSectors(dev, sector, nsec);
  buf.set(bytes, within);
  dev.write(buf, sector * dev.secsize);
  return loc.offset;
}

/** Write an MBR partition table into sector 0 (keeping boot code); checked against the media first. */
export function writeMbr(dev: BlockDevice, parts: readonly MbrPartition[]): void {
  if (dev.readonly) throw errno('EROFS', 'cannot write an MBR on a read-only device');
  if (dev.secsize !== MBR_SIZE) throw errno('EINVAL', `an MBR needs 512-byte sectors, the device has ${dev.secsize}`);
  checkMbr(parts, Math.floor(dev.size / dev.secsize));
  const sector = readSectors(dev, 0, 1);
  encodeMbr(parts, sector);
  dev.write(sector, 0);
}

/** Read the MBR of a device, or null if sector 0 is not one. */
export function readMbr(dev: BlockDevice): MbrPartition[] | null {
  if (dev.secsize < MBR_SIZE || dev.size < dev.secsize) return null;
  return decodeMbr(readSectors(dev, 0, 1));
}

/** One partition for {@link makeDiskLabel}: offset and size required, the other struct partition fields optional. */
export type PartitionSpec = Pick<DiskPartition, 'offset' | 'size'> & Partial<DiskPartition>;

/** What {@link makeDiskLabel} builds a label from. */
export interface MakeLabelOptions {
  /** Total sectors (d_secperunit). */
  secperunit: number;
  /** d_secsize: bytes per sector (default 512). */
  secsize?: number;
  /** Partitions by letter ('a'…'p') or index; fstype defaults to FS_UNUSED. */
  partitions?: Record<string, PartitionSpec>;
  /** The NetBSD part of the disk, for 'c' (default: the whole disk). */
  netbsdPart?: {
    /** First sector of the NetBSD part. */
    offset: number;
    /** Its length in sectors. */
    size: number;
  };
  /** d_type (default DKTYPE_UNKNOWN). */
  type?: number;
  /** d_typename (default 'rumpts'). */
  typename?: string;
  /** d_packname (default 'fictitious', as disklabel(8) writes it). */
  packname?: string;
  /** d_flags, D_* bits (default 0). */
  flags?: number;
}

/**
 * A label as disklabel(8) would make it: fictitious geometry of 32 sectors × 64 tracks (1 MiB
 * cylinders at 512 bytes), 'c' the NetBSD part, 'd' the whole disk, the given partitions.
 */
export function makeDiskLabel(opts: MakeLabelOptions): DiskLabel {
  const secsize = opts.secsize ?? 512;
  const nsectors = 32;
  const ntracks = 64;
  const secpercyl = nsectors * ntracks;
  const parts: (DiskPartition | undefined)[] = [];
  const blank = (): DiskPartition => ({ size: 0, offset: 0, fsize: 0, fstype: FS_UNUSED, frag: 0, cpg: 0 });
  const nb = opts.netbsdPart ?? { offset: 0, size: opts.secperunit };
  parts[NETBSD_PART] = { ...blank(), ...nb };
  parts[RAW_PART] = { ...blank(), offset: 0, size: opts.secperunit };
  for (const [key, spec] of Object.entries(opts.partitions ?? {})) {
    const i = /^\d+$/.test(key) ? Number(key) : partitionIndex(key);
    if (!(i >= 0 && i < MAXPARTITIONS)) throw errno('EINVAL', `disklabel: bad partition name '${key}'`);
    parts[i] = { ...blank(), ...spec };
  }
  const partitions = Array.from(parts, (p) => p ?? blank());
  return {
    type: opts.type ?? DKTYPE_UNKNOWN,
    subtype: 0,
    typename: opts.typename ?? 'rumpts',
    packname: opts.packname ?? 'fictitious',
    secsize,
    nsectors,
    ntracks,
    ncylinders: Math.floor(opts.secperunit / secpercyl),
    secpercyl,
    secperunit: opts.secperunit,
    sparespertrack: 0,
    sparespercyl: 0,
    acylinders: 0,
    rpm: 3600,
    interleave: 1,
    trackskew: 0,
    cylskew: 0,
    headswitch: 0,
    trkseek: 0,
    flags: opts.flags ?? 0,
    drivedata: [0, 0, 0, 0, 0],
    bbsize: BBSIZE,
    sbsize: SBLOCKSIZE,
    partitions,
  };
}
