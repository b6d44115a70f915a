/**
 * ukfs_part_probe (ukfs_disklabel.c): the partition syntax of device paths. `image%DISKLABEL:e%` selects
 * a disklabel partition (a..v), `image%OFFSET:start,size%` a byte window; without magic the whole image.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { errno, RUMP_ETFS_SIZE_ENDOFF } from '@rumpts/librump';
import { findDiskLabel, MAXMAXPARTITIONS } from '@rumpts/rumpdev-disk';
import { hostError } from '@rumpts/etfs';

export const UKFS_PARTITION_SCANMAGIC = '%PART:';
export const UKFS_DISKLABEL_SCANMAGIC = '%DISKLABEL:';
export const UKFS_DISKLABEL_MAGICLEN = 13; // strlen("%DISKLABEL:a%")
export const UKFS_OFFSET_SCANMAGIC = '%OFFSET:';
export const UKFS_OFFSET_MINLEN = 16; // strlen("%OFFSET:512,512%")
/** Partitions a..v (MAXMAXPARTITIONS). */
export const UKFS_MAXPARTITIONS = MAXMAXPARTITIONS;
/** ukfs scans this much of the image for a label. */
export const UKFS_LABEL_SCANSIZE = 65536;

export type UkfsPart =
  | { type: 'none' }
  | { type: 'disklabel'; index: number; offset: number; size: number }
  | { type: 'offset'; offset: number; size: number };

export interface ProbedDevice {
  /** The host path with the magic cut off. */
  path: string;
  /** What the magic asked for (the label itself is read by `resolvePart`). */
  want: { type: 'none' } | { type: 'disklabel'; index: number } | { type: 'offset'; offset: number; size: number };
}

/** Parse a device path's partition magic, without touching the image. */
export function parseDevpath(devpath: string): ProbedDevice {
  if (devpath.includes(UKFS_PARTITION_SCANMAGIC)) throw errno('ENODEV', '%PART is deprecated. use %DISKLABEL instead');
  const dl = devpath.indexOf(UKFS_DISKLABEL_SCANMAGIC);
  if (dl >= 0 && devpath.length - dl === UKFS_DISKLABEL_MAGICLEN && devpath[dl + UKFS_DISKLABEL_MAGICLEN - 1] === '%') {
    const c = devpath.charCodeAt(dl + UKFS_DISKLABEL_SCANMAGIC.length) - 0x61;
    if (!(c >= 0 && c < UKFS_MAXPARTITIONS)) throw errno('EINVAL', `partition letter must be a..${String.fromCharCode(0x61 + UKFS_MAXPARTITIONS - 1)}`);
    return { path: devpath.slice(0, dl), want: { type: 'disklabel', index: c } };
  }
  const off = devpath.indexOf(UKFS_OFFSET_SCANMAGIC);
  if (off >= 0 && devpath.length - off >= UKFS_OFFSET_MINLEN) {
    const body = devpath.slice(off + UKFS_OFFSET_SCANMAGIC.length);
    const comma = body.indexOf(',');
    const close = comma < 0 ? -1 : body.indexOf('%', comma);
    if (comma < 0 || close < 0) throw errno('EINVAL', "%OFFSET: needs 'start,size%'");
    const num = (s: string): number => {
      if (s.startsWith('-')) throw errno('ERANGE', `negative number '${s}'`);
      if (!/^[0-9]+$/.test(s)) throw errno('EADDRNOTAVAIL', `not a decimal number: '${s}'`);
      const n = Number(s);
      if (!Number.isSafeInteger(n)) throw errno('ERANGE', `number too large: '${s}'`);
      return n;
    };
    return { path: devpath.slice(0, off), want: { type: 'offset', offset: num(body.slice(0, comma)), size: num(body.slice(comma + 1, close)) } };
  }
  return { path: devpath, want: { type: 'none' } };
}

/** Read the label (for a disklabel partition) and give the byte window to map. */
export function resolvePart(path: string, want: ProbedDevice['want']): UkfsPart {
  if (want.type !== 'disklabel') return want;
  const head = new Uint8Array(UKFS_LABEL_SCANSIZE);
  let n: number;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    n = readSync(fd, head, 0, head.length, 0);
  } catch (e) {
    throw hostError(e, `read ${path}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const found = findDiskLabel(head.subarray(0, n), { step: 4, firstMatchOnly: true, maxPartitions: UKFS_MAXPARTITIONS });
  if (!found) throw errno('ENOENT', `${path}: no disklabel in the first ${UKFS_LABEL_SCANSIZE} bytes (the image is unlabeled; use the whole image)`);
  const p = found.label.partitions[want.index];
  if (!p || want.index >= found.label.partitions.length) {
    throw errno('ENOENT', `${path}: the disklabel has ${found.label.partitions.length} partitions, no '${String.fromCharCode(0x61 + want.index)}'`);
  }
  if (p.size === 0) throw errno('ENOENT', `${path}: partition '${String.fromCharCode(0x61 + want.index)}' is empty`);
  const secsize = found.label.secsize || 512;
  return { type: 'disklabel', index: want.index, offset: p.offset * secsize, size: p.size * secsize };
}

/** The etfs window of a part: [offset, size) or the whole file. */
export function partWindow(part: UkfsPart): { begin: number; size: number } {
  return part.type === 'none' ? { begin: 0, size: RUMP_ETFS_SIZE_ENDOFF } : { begin: part.offset, size: part.size };
}

/** ukfs_part_tostring: "" for none, "%DISKLABEL:c%", or "[start,end]". */
export function partToString(part: UkfsPart): string {
  if (part.type === 'none') return '';
  if (part.type === 'disklabel') return `%DISKLABEL:${String.fromCharCode(0x61 + part.index)}%`;
  return `[${part.offset},${part.offset + part.size}]`;
}
