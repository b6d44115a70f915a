/**
 * What partitions a disk image holds, whatever the scheme: a GPT (protective MBR at sector 0), else an
 * MBR with its logical partitions, each with its number as `%GPT:N%` / `%MBR:N%` name it — and, for
 * either, where it lies in bytes.
 */
import { errno } from '@rumpts/librump';
import { type Gpt, type ReadBytes, readGpt } from './gpt.js';
import { MBR_SIZE, readMbrPartitions } from './mbr.js';

/** Which kind of partition table: a GPT, or an MBR (with its extended chain). */
export type PartitionScheme = 'gpt' | 'mbr';

/** One partition of a disk, whatever the scheme. */
export interface PartitionInfo {
  /** The table it comes from. */
  scheme: PartitionScheme;
  /** GPT: the 1-based entry; MBR: 1–4 primary, 5+ logical. */
  index: number;
  /** GPT: the type GUID; MBR: the type byte as two hex digits ("0c", "a9"). */
  type: string;
  /** Where it lies, in bytes. */
  offset: number;
  /** Its length in bytes. */
  size: number;
  /** In the table's own sectors. */
  startSector: number;
  /** Its length in the table's sectors. */
  sectors: number;
  /** The table's sector size (512 for an MBR; 512 or 4096 for a GPT). */
  secsize: number;
  /** GPT partition name (MBR: ''). */
  name: string;
  /** MBR: the active flag. */
  active?: boolean;
}

/** A disk's partition table, as {@link readPartitionTable} found it. */
export interface PartitionTable {
  /** GPT or MBR. */
  scheme: PartitionScheme;
  /** The partitions, in table order (an MBR's primaries, then its logical ones). */
  partitions: PartitionInfo[];
  /** What is wrong with the table (a bad primary GPT header, a broken extended chain …). */
  problems: string[];
  /** The GPT when the scheme is gpt. */
  gpt?: Gpt;
}

/** The partition table of a disk of `size` bytes, or null when it has neither a GPT nor an MBR with partitions. */
export function readPartitionTable(read: ReadBytes, size: number): PartitionTable | null {
  const gpt = readGpt(read, size);
  if (gpt) {
    const partitions = gpt.entries.map((e): PartitionInfo => ({
      scheme: 'gpt', index: e.index, type: e.type, offset: e.start * gpt.secsize, size: (e.end - e.start + 1) * gpt.secsize,
      startSector: e.start, sectors: e.end - e.start + 1, secsize: gpt.secsize, name: e.name,
    }));
    return { scheme: 'gpt', partitions, problems: gpt.problems, gpt };
  }
  if (size < MBR_SIZE) return null;
  const mbr = readMbrPartitions(read, Math.floor(size / MBR_SIZE));
  // A sector 0 with the signature but no partitions (a FAT boot sector, an empty MBR) holds no table.
  if (!mbr || (mbr.slots.length === 0 && mbr.problems.length === 0)) return null;
  const partitions = mbr.slots.map((p): PartitionInfo => ({
    scheme: 'mbr', index: p.index, type: p.type.toString(16).padStart(2, '0'), offset: p.start * MBR_SIZE, size: p.size * MBR_SIZE,
    startSector: p.start, sectors: p.size, secsize: MBR_SIZE, name: '', active: p.flag === 0x80,
  }));
  return { scheme: 'mbr', partitions, problems: mbr.problems };
}

/**
 * The byte window of partition `index` of `scheme`: ENOENT when the image has no such table or no
 * such partition, EINVAL when the partition lies past the end of the image.
 */
export function findPartition(read: ReadBytes, size: number, scheme: PartitionScheme, index: number): PartitionInfo {
  const t = readPartitionTable(read, size);
  if (!t || t.scheme !== scheme) throw errno('ENOENT', `no ${scheme === 'gpt' ? 'GPT' : 'MBR'} partition table${t ? ` (the image has ${t.scheme === 'gpt' ? 'a GPT' : 'an MBR'})` : ''}`);
  const p = t.partitions.find((x) => x.index === index);
  if (!p) throw errno('ENOENT', `no ${scheme === 'gpt' ? 'GPT' : 'MBR'} partition ${index} (the table has ${t.partitions.map((x) => x.index).join(', ') || 'none'})`);
  if (p.offset + p.size > size) throw errno('EINVAL', `${scheme === 'gpt' ? 'GPT' : 'MBR'} partition ${index} (bytes ${p.offset}..${p.offset + p.size}) runs past the end of the image (${size} bytes)`);
  return p;
}
