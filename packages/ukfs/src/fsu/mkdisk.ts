/**
 * fsu partitions and fsu mkdisk, the work (partitions.ts registers the commands and loads this when
 * one runs): list the GPT or MBR partitions of an image (both GPT headers and
 * their CRCs checked), and build a partitioned disk from parts in one command — a GPT or MBR, then
 * in each partition a FAT or FFS file system made from a host directory (or empty), no root, no loop
 * devices:
 *
 *   fsu mkdisk -s 256m --gpt disk.img esp:fat32:64m:./efi ffs:rest:./root
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { errno, nameText } from '@rumpts/librump';
import {
  GPT_TYPE, HostFileBlockDevice, type MbrPartition, type PartitionTable, encodeGpt, encodeMbrChain, gptUsableRange, lockImage, readPartitionTable,
} from '@rumpts/rumpdev-disk';
import { makefs_msdos, newfs_msdos } from '@rumpts/rumpfs-msdos';
import { makefs as makefs_ffs, newfs as newfs_ffs } from '@rumpts/rumpfs-ffs';
import { hostError, hostPathOf } from '@rumpts/etfs';
import { parseSize } from '../size.js';

type Out = (line: string) => void;

/** The partition table of a host image (null: none). */
export function readImageTable(path: string): { table: PartitionTable | null; size: number } {
  let fd = -1;
  try {
    fd = openSync(hostPathOf(path), 'r');
  } catch (e) {
    throw hostError(e, `open ${path}`);
  }
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number): Uint8Array => {
      const b = new Uint8Array(length);
      readSync(fd, b, 0, length, offset);
      return b;
    };
    return { table: readPartitionTable(read, size), size };
  } finally {
    closeSync(fd);
  }
}

/** fsu partitions: the table as rows (scheme, index, type, start, size, name), problems as comments. */
export function cmd_partitions(image: string, out: Out, json = false): PartitionTable | null {
  const { table, size } = readImageTable(image);
  if (json) {
    out(JSON.stringify(table ? { scheme: table.scheme, problems: table.problems, partitions: table.partitions } : { scheme: null, problems: [], partitions: [] }, null, 2));
    return table;
  }
  if (!table) {
    out(`# ${nameText(image)}: no GPT or MBR partition table (${size} bytes)`);
    return null;
  }
  const secsize = table.partitions[0]?.secsize ?? table.gpt?.secsize ?? 512;
  out(`# ${nameText(image)}: ${table.scheme === 'gpt' ? 'GPT' : 'MBR'}, ${secsize}-byte sectors, ${Math.floor(size / secsize)} sectors${table.gpt ? `, disk ${table.gpt.header.diskGuid}${table.gpt.usedBackup ? ', from the backup header' : ''}` : ''}`);
  for (const p of table.problems) out(`# problem: ${p}`);
  const rows = table.partitions.map((p) => [p.scheme, String(p.index), p.type, String(p.startSector), String(p.sectors), `${p.name}${p.active ? ' (active)' : ''}`]);
  const head = ['scheme', 'index', 'type', 'start', 'size', 'name'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 5 ? c : c.padEnd(w[i]!))).join('  ').trimEnd();
  out(line(head));
  for (const r of rows) out(line(r));
  return table;
}

export type PartFs = 'fat12' | 'fat16' | 'fat32' | 'msdos' | 'ffs' | 'ffs1' | 'ffs2';
const FS_TYPES: readonly PartFs[] = ['fat12', 'fat16', 'fat32', 'msdos', 'ffs', 'ffs1', 'ffs2'];

export interface PartSpec {
  name: string;
  fs: PartFs;
  /** Bytes, or 'rest' for what is left. */
  size: number | 'rest';
  dir?: string;
}

export interface DiskSpec {
  scheme: 'gpt' | 'mbr';
  size: number;
  partitions: PartSpec[];
}

/**
 * A part on the command line: NAME:FS:SIZE[:DIR], or FS:SIZE[:DIR] (named after its file system).
 * FS is fat12, fat16, fat32, msdos (FAT, type from the size), ffs (UFS2), ffs1 or ffs2; the name
 * `esp` makes a FAT partition an EFI system partition.
 */
export function parsePartSpec(s: string): PartSpec {
  const f = s.split(':');
  let name: string;
  let fs: string;
  let rest: string[];
  if ((FS_TYPES as readonly string[]).includes(f[0] ?? '')) {
    name = f[0]!;
    fs = f[0]!;
    rest = f.slice(1);
  } else {
    name = f[0] ?? '';
    fs = f[1] ?? '';
    rest = f.slice(2);
  }
  if (!(FS_TYPES as readonly string[]).includes(fs)) throw errno('EINVAL', `part '${s}': file system '${fs}' is not one of ${FS_TYPES.join(', ')}`);
  if (!/^[A-Za-z0-9_.-]{1,36}$/.test(name)) throw errno('EINVAL', `part '${s}': name '${name}' (1–36 letters, digits, _ . -)`);
  const sizeText = rest[0];
  if (sizeText === undefined || sizeText === '') throw errno('EINVAL', `part '${s}': no size (a size such as 64m, or rest)`);
  const size = sizeText === 'rest' ? 'rest' : parseSize(sizeText, `part '${s}' size`);
  const dir = rest.length > 1 ? rest.slice(1).join(':') : undefined;
  return { name, fs: fs as PartFs, size, ...(dir ? { dir } : {}) };
}

/** A JSON spec: { "scheme": "gpt"|"mbr", "size": "256m", "partitions": [{ "name", "fs", "size", "dir"? }] }. */
export function parseDiskSpecJson(text: string): DiskSpec {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw errno('EINVAL', `mkdisk spec: ${(e as Error).message}`);
  }
  const o = j as { scheme?: unknown; size?: unknown; partitions?: unknown };
  if (o.scheme !== 'gpt' && o.scheme !== 'mbr') throw errno('EINVAL', 'mkdisk spec: "scheme" must be "gpt" or "mbr"');
  const size = typeof o.size === 'number' ? o.size : typeof o.size === 'string' ? parseSize(o.size, 'mkdisk spec size') : NaN;
  if (!Number.isSafeInteger(size) || size <= 0) throw errno('EINVAL', 'mkdisk spec: "size" must be a size');
  if (!Array.isArray(o.partitions) || o.partitions.length === 0) throw errno('EINVAL', 'mkdisk spec: "partitions" must be a non-empty list');
  const partitions = o.partitions.map((p: unknown, i) => {
    const q = p as { name?: unknown; fs?: unknown; size?: unknown; dir?: unknown };
    const sz = q.size === 'rest' ? 'rest' : typeof q.size === 'number' ? String(q.size) : q.size;
    if (typeof sz !== 'string') throw errno('EINVAL', `mkdisk spec: partition ${i + 1} needs a size`);
    const fs = typeof q.fs === 'string' ? q.fs : '';
    const name = typeof q.name === 'string' ? q.name : fs;
    return parsePartSpec([name, fs, sz, ...(typeof q.dir === 'string' ? [q.dir] : [])].join(':'));
  });
  return { scheme: o.scheme, size, partitions };
}

const ALIGN = 2048; // 1 MiB in 512-byte sectors

interface Placed extends PartSpec {
  start: number;
  sectors: number;
  index: number;
}

/** Lay the parts out at 1 MiB boundaries inside the table's usable sectors. */
function place(spec: DiskSpec): Placed[] {
  const sectors = Math.floor(spec.size / 512);
  const { first, last } = spec.scheme === 'gpt' ? gptUsableRange(sectors) : { first: 1, last: sectors - 1 };
  if (spec.scheme === 'mbr' && spec.partitions.length > 4) throw errno('EINVAL', 'mkdisk: an MBR holds four primary partitions');
  if (spec.partitions.filter((p) => p.size === 'rest').length > 1) throw errno('EINVAL', "mkdisk: only one part may take the 'rest'");
  const aligned = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
  const start0 = aligned(first);
  const fixed = spec.partitions.reduce((a, p) => a + (p.size === 'rest' ? 0 : aligned(Math.ceil(p.size / 512))), 0);
  const restSectors = Math.floor((last + 1 - start0 - fixed) / ALIGN) * ALIGN;
  let at = start0;
  const out: Placed[] = [];
  spec.partitions.forEach((p, i) => {
    const n = p.size === 'rest' ? restSectors : Math.ceil(p.size / 512);
    if (n <= 0 || at + n - 1 > last) throw errno('ENOSPC', `mkdisk: part ${i + 1} (${p.name}) does not fit a disk of ${spec.size} bytes`);
    out.push({ ...p, start: at, sectors: n, index: i + 1 });
    at = aligned(at + n);
  });
  return out;
}

function gptType(p: PartSpec): string {
  if (p.fs.startsWith('ffs')) return GPT_TYPE.NETBSD_FFS;
  return p.name.toLowerCase() === 'esp' ? GPT_TYPE.EFI_SYSTEM : GPT_TYPE.MS_BASIC_DATA;
}

function mbrType(p: PartSpec): number {
  if (p.fs.startsWith('ffs')) return 0xa9;
  if (p.name.toLowerCase() === 'esp') return 0xef;
  return p.fs === 'fat12' ? 0x01 : p.fs === 'fat16' ? 0x0e : 0x0c;
}

export interface MkdiskResult {
  parts: { index: number; name: string; fs: PartFs; start: number; sectors: number; detail: string }[];
}

/** fsu mkdisk: the table, then a file system in every part. */
export async function cmd_mkdisk(image: string, spec: DiskSpec, out: Out): Promise<MkdiskResult> {
  // mkdisk rewrites a whole existing image: nobody (a rump server, another fsu) may hold it meanwhile.
  let existing = false;
  try {
    const st = statSync(hostPathOf(image));
    existing = st.isFile() || st.isBlockDevice();
  } catch {
    // a new image
  }
  const lock = existing ? lockImage(image, { shared: false }) : null;
  try {
    return await buildDisk(image, spec, out);
  } finally {
    lock?.release();
  }
}

async function buildDisk(image: string, spec: DiskSpec, out: Out): Promise<MkdiskResult> {
  const parts = place(spec);
  for (const p of parts) if (p.dir !== undefined && !existsSync(hostPathOf(p.dir))) throw errno('ENOENT', `mkdisk: part ${p.index} (${p.name}): no directory ${p.dir}`);
  const sectors = Math.floor(spec.size / 512);
  let fd = -1;
  try {
    fd = openSync(hostPathOf(image), 'w+', 0o644);
    const writes = spec.scheme === 'gpt'
      ? encodeGpt({ sectors, partitions: parts.map((p) => ({ type: gptType(p), start: p.start, end: p.start + p.sectors - 1, name: p.name })) })
      : encodeMbrChain(parts.map((p, i): MbrPartition => ({ flag: i === 0 && p.fs.startsWith('fat') ? 0x80 : 0, type: mbrType(p), start: p.start, size: p.sectors })), null, []);
    writeSync(fd, new Uint8Array(1), 0, 1, spec.size - 1);
    for (const [at, b] of writes) writeSync(fd, b, 0, b.length, at);
  } catch (e) {
    throw hostError(e, `create ${nameText(image)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const result: MkdiskResult = { parts: [] };
  for (const p of parts) {
    const dev = new HostFileBlockDevice(image, { begin: p.start * 512, size: p.sectors * 512 });
    let detail: string;
    try {
      if (p.fs.startsWith('fat') || p.fs === 'msdos') {
        const fatType = p.fs === 'msdos' ? undefined : (Number(p.fs.slice(3)) as 12 | 16 | 32);
        const o = { ...(fatType ? { fatType } : {}), hiddenSectors: p.start, ...(p.name.toLowerCase() === 'esp' ? { label: 'EFI' } : {}) };
        if (p.dir !== undefined) {
          const r = await makefs_msdos(dev, p.dir, { ...o, onWarning: (w) => process.stderr.write(`fsu: warning: ${p.name}: ${w}\n`) });
          detail = `FAT${r.newfs.fatType}, ${r.files} files, ${r.bytes} bytes`;
        } else {
          const r = newfs_msdos(dev, o);
          detail = `FAT${r.fatType}, empty`;
        }
      } else {
        const version = p.fs === 'ffs1' ? 1 : 2;
        if (p.dir !== undefined) {
          const r = makefs_ffs(dev, p.dir, { version, size: p.sectors * 512 });
          detail = `UFS${version}, ${r.entries} entries, ${r.bytes} bytes`;
        } else {
          newfs_ffs(dev, { version, size: p.sectors * 512 });
          detail = `UFS${version}, empty`;
        }
      }
    } finally {
      dev.flush();
      dev.close();
    }
    const magic = spec.scheme === 'gpt' ? `%GPT:${p.index}%` : `%MBR:${p.index}%`;
    out(`${nameText(image)}${magic}: ${p.name}, ${Math.round((p.sectors * 512) / 1048576)} MiB at sector ${p.start}, ${detail}`);
    result.parts.push({ index: p.index, name: p.name, fs: p.fs, start: p.start, sectors: p.sectors, detail });
  }
  return result;
}
