/**
 * The GUID partition table (UEFI specification §5.3; NetBSD sys/sys/disklabel_gpt.h): a protective
 * MBR at LBA 0, the primary header at LBA 1 and its entry array after it, the backup entry array and
 * header at the end of the disk. Both headers carry a CRC32 of themselves and of the entry array;
 * a reader checks both and falls back to the backup when the primary is damaged. Little-endian;
 * GUIDs in their mixed-endian on-disk form, shown as the usual upper-case strings.
 */
import { errno } from '@rumpts/librump';
import { MBR_MAGIC, MBR_MAGIC_OFFSET, MBR_SIZE, type MbrPartition, decodeMbr, encodeMbr } from './mbr.js';

/** The header's Signature (its first 8 bytes). */
export const GPT_SIGNATURE = 'EFI PART';
/** The header Revision written (1.0). */
export const GPT_REVISION = 0x00010000;
/** Bytes of the header (HeaderSize) written, and the least a reader accepts. */
export const GPT_HEADER_SIZE = 92;
/** Bytes of one partition entry (SizeOfPartitionEntry) written, and the least a reader accepts. */
export const GPT_ENTRY_SIZE = 128;
/** Entries an array conventionally holds (16 KiB). */
export const GPT_DEFAULT_ENTRIES = 128;
/** The most entries a reader accepts (a bound on what a hostile header can make it read). */
export const GPT_MAX_ENTRIES = 1024;
/** The protective MBR's partition type. */
export const MBR_PTYPE_PMBR = 0xee;
/** Characters of a partition name (UTF-16LE, 72 bytes). */
export const GPT_NAME_CHARS = 36;

/** Partition type GUIDs in common use. */
export const GPT_TYPE = {
  /** An unused entry. */
  UNUSED: '00000000-0000-0000-0000-000000000000',
  /** EFI system partition (FAT). */
  EFI_SYSTEM: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  /** Microsoft basic data (FAT, NTFS, exFAT). */
  MS_BASIC_DATA: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  /** Linux file system data. */
  LINUX_DATA: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  /** NetBSD FFS (gpt(8) type ffs). */
  NETBSD_FFS: '49F48D5A-B10E-11DC-B99B-0019D1879648',
  /** NetBSD LFS. */
  NETBSD_LFS: '49F48D82-B10E-11DC-B99B-0019D1879648',
  /** NetBSD swap. */
  NETBSD_SWAP: '49F48D32-B10E-11DC-B99B-0019D1879648',
  /** NetBSD RAIDframe component. */
  NETBSD_RAID: '49F48DAA-B10E-11DC-B99B-0019D1879648',
  /** NetBSD concatenated disk (ccd(4)) component. */
  NETBSD_CCD: '2DB519C4-B10F-11DC-B99B-0019D1879648',
  /** NetBSD encrypted disk (cgd(4)). */
  NETBSD_CGD: '2DB519EC-B10F-11DC-B99B-0019D1879648',
  /** BIOS boot partition (GRUB's core image on a GPT disk). */
  BIOS_BOOT: '21686148-6449-6E6F-744E-656564454649',
} as const;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, as the UEFI specification and zlib compute it). */
export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 16 on-disk bytes as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (the first three fields little-endian). */
export function guidToString(b: Uint8Array, off = 0): string {
  const h = (i: number): string => b[off + i]!.toString(16).padStart(2, '0');
  const le = (...idx: number[]): string => idx.map(h).join('');
  return `${le(3, 2, 1, 0)}-${le(5, 4)}-${le(7, 6)}-${le(8, 9)}-${le(10, 11, 12, 13, 14, 15)}`.toUpperCase();
}

/** The on-disk bytes of a GUID string; EINVAL if it is not one. */
export function guidFromString(s: string): Uint8Array {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(s);
  if (!m) throw errno('EINVAL', `gpt: '${s}' is not a GUID`);
  const hex = (x: string): number[] => x.match(/../g)!.map((p) => parseInt(p, 16));
  return new Uint8Array([...hex(m[1]!).reverse(), ...hex(m[2]!).reverse(), ...hex(m[3]!).reverse(), ...hex(m[4]!), ...hex(m[5]!)]);
}

/** A random (version 4) GUID. */
export function randomGuid(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[7] = (b[7]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return guidToString(b);
}

/** A GPT header (UEFI §5.3.2), decoded and checked by {@link decodeGptHeader}. */
export interface GptHeader {
  /** Revision (0x00010000 for 1.0). */
  revision: number;
  /** HeaderSize: bytes the header CRC covers. */
  headerSize: number;
  /** MyLBA: where this copy of the header is. */
  myLba: number;
  /** AlternateLBA: where the other copy is (the backup's for the primary, and back). */
  alternateLba: number;
  /** FirstUsableLBA: the first sector partitions may use. */
  firstUsableLba: number;
  /** LastUsableLBA: the last sector partitions may use. */
  lastUsableLba: number;
  /** DiskGUID, as an upper-case string. */
  diskGuid: string;
  /** PartitionEntryLBA: where this copy's entry array starts. */
  entriesLba: number;
  /** NumberOfPartitionEntries: slots in the array, used or not. */
  numEntries: number;
  /** SizeOfPartitionEntry: bytes per slot (128 × 2^n). */
  entrySize: number;
  /** PartitionEntryArrayCRC32. */
  entriesCrc: number;
}

/** One used GPT partition entry (UEFI §5.3.3). */
export interface GptEntry {
  /** 1-based slot in the entry array (what `%GPT:N%` names). */
  index: number;
  /** PartitionTypeGUID (see {@link GPT_TYPE}). */
  type: string;
  /** UniquePartitionGUID. */
  guid: string;
  /** First and last LBA (inclusive), in the table's sectors. */
  start: number;
  /** EndingLBA, inclusive. */
  end: number;
  /** Attribute bits as a bigint (bit 0 required, bit 2 legacy BIOS bootable, 48..63 type-specific). */
  attributes: bigint;
  /** PartitionName (UTF-16LE on disk, up to 36 characters). */
  name: string;
}

/** A GPT as {@link readGpt} found it: the header and entries used, and the state of both copies. */
export interface Gpt {
  /** The LBA size the table was found with (512 or 4096). */
  secsize: number;
  /** The header the entries were taken from (the primary's unless it was unusable). */
  header: GptHeader;
  /** The used (non-empty) entries, in slot order. */
  entries: GptEntry[];
  /** The primary header and its entry array passed every check. */
  primaryOk: boolean;
  /** The backup header and its entry array passed every check. */
  backupOk: boolean;
  /** The entries and header come from the backup (the primary was unusable). */
  usedBackup: boolean;
  /** What was found wrong, in words (empty when both copies are good and agree). */
  problems: string[];
}

/** Read `length` bytes at device byte `offset` (callers bound it to the medium). */
export type ReadBytes = (offset: number, length: number) => Uint8Array;

function u64(v: DataView, off: number): number {
  const lo = v.getUint32(off, true);
  const hi = v.getUint32(off + 4, true);
  return hi * 0x100000000 + lo;
}

function setU64(v: DataView, off: number, x: number): void {
  v.setUint32(off, x % 0x100000000, true);
  v.setUint32(off + 4, Math.floor(x / 0x100000000), true);
}

/** Decode and check one header sector. Returns the header or why it is unusable. */
export function decodeGptHeader(sector: Uint8Array, lba: number, sectors: number): GptHeader | string {
  const v = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (String.fromCharCode(...sector.subarray(0, 8)) !== GPT_SIGNATURE) return 'no "EFI PART" signature';
  const headerSize = v.getUint32(12, true);
  if (headerSize < GPT_HEADER_SIZE || headerSize > sector.length) return `header size ${headerSize}`;
  const copy = sector.slice(0, headerSize);
  new DataView(copy.buffer).setUint32(16, 0, true);
  if (crc32(copy) !== v.getUint32(16, true)) return 'header CRC mismatch';
  const h: GptHeader = {
    revision: v.getUint32(8, true),
    headerSize,
    myLba: u64(v, 24),
    alternateLba: u64(v, 32),
    firstUsableLba: u64(v, 40),
    lastUsableLba: u64(v, 48),
    diskGuid: guidToString(sector, 56),
    entriesLba: u64(v, 72),
    numEntries: v.getUint32(80, true),
    entrySize: v.getUint32(84, true),
    entriesCrc: v.getUint32(88, true),
  };
  if (h.myLba !== lba) return `header says it is at LBA ${h.myLba}, found at ${lba}`;
  if (h.entrySize < GPT_ENTRY_SIZE || h.entrySize > 4096 || (h.entrySize & (h.entrySize - 1)) !== 0) return `entry size ${h.entrySize}`;
  if (h.numEntries < 1 || h.numEntries > GPT_MAX_ENTRIES) return `${h.numEntries} entries`;
  const entrySecs = Math.ceil((h.numEntries * h.entrySize) / sector.length);
  if (h.entriesLba < 2 || h.entriesLba + entrySecs > sectors || (h.entriesLba <= lba && lba < h.entriesLba + entrySecs)) return `entry array at LBA ${h.entriesLba} is outside the disk or over the header`;
  if (h.firstUsableLba > h.lastUsableLba || h.lastUsableLba >= sectors) return `usable range ${h.firstUsableLba}..${h.lastUsableLba} on a disk of ${sectors} sectors`;
  return h;
}

function decodeEntries(arr: Uint8Array, h: GptHeader): { entries: GptEntry[]; problems: string[] } {
  const entries: GptEntry[] = [];
  const problems: string[] = [];
  for (let i = 0; i < h.numEntries; i++) {
    const off = i * h.entrySize;
    const type = guidToString(arr, off);
    if (type === GPT_TYPE.UNUSED) continue;
    const v = new DataView(arr.buffer, arr.byteOffset + off, GPT_ENTRY_SIZE);
    const start = u64(v, 32);
    const end = u64(v, 40);
    let name = '';
    for (let k = 0; k < GPT_NAME_CHARS; k++) {
      const c = v.getUint16(56 + 2 * k, true);
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    const attributes = v.getBigUint64(48, true);
    const e: GptEntry = { index: i + 1, type, guid: guidToString(arr, off + 16), start, end, attributes, name };
    if (start > end || start < h.firstUsableLba || end > h.lastUsableLba) problems.push(`entry ${i + 1}: LBA ${start}..${end} is outside the usable range ${h.firstUsableLba}..${h.lastUsableLba}`);
    entries.push(e);
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.start <= sorted[k - 1]!.end) problems.push(`entries ${sorted[k - 1]!.index} and ${sorted[k]!.index} overlap`);
  }
  return { entries, problems };
}

/** The header at `lba` and its entry array, checked (CRCs); or why not. */
function readCopy(read: ReadBytes, secsize: number, sectors: number, lba: number): { h: GptHeader; arr: Uint8Array } | string {
  if (lba < 1 || lba >= sectors) return `LBA ${lba} is outside the disk`;
  const h = decodeGptHeader(read(lba * secsize, secsize), lba, sectors);
  if (typeof h === 'string') return h;
  const arr = read(h.entriesLba * secsize, Math.ceil((h.numEntries * h.entrySize) / secsize) * secsize).subarray(0, h.numEntries * h.entrySize);
  if (crc32(arr) !== h.entriesCrc) return 'entry array CRC mismatch';
  return { h, arr };
}

/**
 * Read the GPT of a disk of `size` bytes: null if it has none (no protective MBR and no header at
 * either end), else the table with both copies checked — the primary's entries when it is good, the
 * backup's when not. EINVAL when there is a table but neither copy is usable.
 */
export function readGpt(read: ReadBytes, size: number, secsizes: readonly number[] = [512, 4096]): Gpt | null {
  let protectiveSeen = false;
  const NOSIG = 'no "EFI PART" signature';
  for (const secsize of secsizes) {
    const sectors = Math.floor(size / secsize);
    if (sectors < 3) continue;
    const pmbr = decodeMbr(read(0, MBR_SIZE));
    const protective = pmbr?.some((p) => p.type === MBR_PTYPE_PMBR) ?? false;
    protectiveSeen ||= protective;
    const primary = readCopy(read, secsize, sectors, 1);
    // The backup is where the primary says, else at the last sector.
    const altLba = typeof primary === 'string' ? sectors - 1 : primary.h.alternateLba;
    let backup = readCopy(read, secsize, sectors, altLba);
    if (typeof backup === 'string' && altLba !== sectors - 1) backup = readCopy(read, secsize, sectors, sectors - 1);
    if (typeof primary === 'string' && typeof backup === 'string') {
      // Nothing at this sector size: try the next one.
      if (primary === NOSIG && backup === NOSIG) continue;
      throw errno('EINVAL', `gpt: neither header is usable (primary: ${primary}; backup: ${backup})`);
    }
    const problems: string[] = [];
    if (!protective) problems.push('no protective MBR (type 0xEE) at LBA 0');
    if (typeof primary === 'string') problems.push(`primary header: ${primary}; using the backup`);
    if (typeof backup === 'string') problems.push(`backup header: ${backup}`);
    if (typeof primary !== 'string' && typeof backup !== 'string') {
      if (!primary.arr.every((b, i) => b === backup.arr[i])) problems.push('the backup entry array differs from the primary');
      if (backup.h.alternateLba !== 1) problems.push(`the backup header points to LBA ${backup.h.alternateLba} for the primary`);
      if (primary.h.alternateLba !== sectors - 1) problems.push(`the backup header is at LBA ${primary.h.alternateLba}, not at the disk's last sector ${sectors - 1}`);
    }
    const use = typeof primary !== 'string' ? primary : (backup as Exclude<typeof backup, string>);
    const { entries, problems: ep } = decodeEntries(use.arr, use.h);
    return {
      secsize, header: use.h, entries, primaryOk: typeof primary !== 'string', backupOk: typeof backup !== 'string', usedBackup: typeof primary === 'string',
      problems: [...problems, ...ep],
    };
  }
  if (protectiveSeen) throw errno('EINVAL', 'gpt: a protective MBR but no GPT header at either end of the disk');
  return null;
}

/** One partition for {@link encodeGpt}. */
export interface GptPartitionSpec {
  /** Partition type GUID (see {@link GPT_TYPE}). */
  type: string;
  /** First LBA. */
  start: number;
  /** Last LBA, inclusive. */
  end: number;
  /** Unique partition GUID (default: a random one). */
  guid?: string;
  /** Partition name, up to GPT_NAME_CHARS characters (default ''). */
  name?: string;
  /** Attribute bits (default 0). */
  attributes?: bigint;
}

/** What {@link encodeGpt} writes: the disk's size and geometry, and the partitions. */
export interface MakeGptOptions {
  /** Disk size in sectors. */
  sectors: number;
  /** LBA size in bytes (default 512). */
  secsize?: number;
  /** DiskGUID (default: a random one). */
  diskGuid?: string;
  /** Slots in the entry array (default GPT_DEFAULT_ENTRIES, 128). */
  numEntries?: number;
  /** The partitions, in the order their slots get. */
  partitions: readonly GptPartitionSpec[];
}

/** The usable LBA range of a new table on a disk of `sectors` sectors. */
export function gptUsableRange(sectors: number, secsize = 512, numEntries = GPT_DEFAULT_ENTRIES): {
  /** First usable LBA: after the protective MBR, the primary header and its entry array. */
  first: number;
  /** Last usable LBA: before the backup entry array and header. */
  last: number;
} {
  const entrySecs = Math.ceil((numEntries * GPT_ENTRY_SIZE) / secsize);
  return { first: 2 + entrySecs, last: sectors - 2 - entrySecs };
}

/**
 * Everything a new GPT writes: the protective MBR, the primary header and entries, the backup
 * entries and header, as [byte offset, bytes] pairs. Checked first: entries inside the usable range,
 * not overlapping, names that fit.
 */
export function encodeGpt(o: MakeGptOptions, mbrSector?: Uint8Array): [number, Uint8Array][] {
  const secsize = o.secsize ?? 512;
  const numEntries = o.numEntries ?? GPT_DEFAULT_ENTRIES;
  if (o.partitions.length > numEntries) throw errno('EINVAL', `gpt: ${o.partitions.length} partitions, at most ${numEntries}`);
  const { first, last } = gptUsableRange(o.sectors, secsize, numEntries);
  if (last < first) throw errno('EINVAL', `gpt: a disk of ${o.sectors} sectors is too small for a GPT`);
  const sorted = [...o.partitions].sort((a, b) => a.start - b.start);
  sorted.forEach((p, i) => {
    if (!Number.isSafeInteger(p.start) || !Number.isSafeInteger(p.end) || p.start > p.end || p.start < first || p.end > last) {
      throw errno('EINVAL', `gpt: partition at LBA ${p.start}..${p.end} is outside the usable range ${first}..${last}`);
    }
    const prev = sorted[i - 1];
    if (prev && p.start <= prev.end) throw errno('EINVAL', `gpt: partitions at ${prev.start} and ${p.start} overlap`);
    if ((p.name ?? '').length > GPT_NAME_CHARS) throw errno('EINVAL', `gpt: name '${p.name}' is longer than ${GPT_NAME_CHARS} characters`);
  });
  const arr = new Uint8Array(numEntries * GPT_ENTRY_SIZE);
  o.partitions.forEach((p, i) => {
    const off = i * GPT_ENTRY_SIZE;
    const v = new DataView(arr.buffer, off, GPT_ENTRY_SIZE);
    arr.set(guidFromString(p.type), off);
    arr.set(guidFromString(p.guid ?? randomGuid()), off + 16);
    setU64(v, 32, p.start);
    setU64(v, 40, p.end);
    v.setBigUint64(48, p.attributes ?? 0n, true);
    const name = p.name ?? '';
    for (let k = 0; k < name.length; k++) v.setUint16(56 + 2 * k, name.charCodeAt(k), true);
  });
  const entriesCrc = crc32(arr);
  const entrySecs = Math.ceil(arr.length / secsize);
  const diskGuid = guidFromString(o.diskGuid ?? randomGuid());
  const header = (my: number, alt: number, entriesLba: number): Uint8Array => {
    const s = new Uint8Array(secsize);
    const v = new DataView(s.buffer);
    s.set([...GPT_SIGNATURE].map((c) => c.charCodeAt(0)), 0);
    v.setUint32(8, GPT_REVISION, true);
    v.setUint32(12, GPT_HEADER_SIZE, true);
    setU64(v, 24, my);
    setU64(v, 32, alt);
    setU64(v, 40, first);
    setU64(v, 48, last);
    s.set(diskGuid, 56);
    setU64(v, 72, entriesLba);
    v.setUint32(80, numEntries, true);
    v.setUint32(84, GPT_ENTRY_SIZE, true);
    v.setUint32(88, entriesCrc, true);
    v.setUint32(16, crc32(s.subarray(0, GPT_HEADER_SIZE)), true);
    return s;
  };
  const pmbrParts: MbrPartition[] = [{ flag: 0, type: MBR_PTYPE_PMBR, start: 1, size: Math.min(o.sectors - 1, 0xffffffff) }];
  const pmbr = encodeMbr(pmbrParts, mbrSector ? mbrSector.slice(0, MBR_SIZE) : new Uint8Array(MBR_SIZE));
  new DataView(pmbr.buffer).setUint16(MBR_MAGIC_OFFSET, MBR_MAGIC, true);
  const arrPadded = new Uint8Array(entrySecs * secsize);
  arrPadded.set(arr);
  const backupEntriesLba = o.sectors - 1 - entrySecs;
  return [
    [0, pmbr],
    [secsize, header(1, o.sectors - 1, 2)],
    [2 * secsize, arrPadded],
    [backupEntriesLba * secsize, arrPadded],
    [(o.sectors - 1) * secsize, header(o.sectors - 1, 1, backupEntriesLba)],
  ];
}
