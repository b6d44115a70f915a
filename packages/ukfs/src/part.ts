/**
 * ukfs_part_probe (ukfs_disklabel.c): the partition syntax of device paths. `image%DISKLABEL:e%` selects
 * a disklabel partition (a..v), `image%GPT:N%` a GPT entry (1-based), `image%MBR:N%` an MBR partition
 * (1–4 primary, 5+ logical), `image%OFFSET:start,size%` a byte window; without magic the whole image.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { errno, isRumpError, RUMP_ETFS_SIZE_ENDOFF } from '@rumpts/librump';
import { findDiskLabel, findPartition, MAXMAXPARTITIONS, type PartitionScheme } from '@rumpts/rumpdev-disk';
import { hostError, hostPathOf } from '@rumpts/etfs';

/**
 * UKFS_PARTITION_SCANMAGIC: the old `%PART:` syntax; ukfs_part_probe refuses it with ENODEV ("use %DISKLABEL
 * instead").
 */
export const UKFS_PARTITION_SCANMAGIC = '%PART:';
/**
 * UKFS_DISKLABEL_SCANMAGIC: `image%DISKLABEL:x%` selects partition x (a..v) of the NetBSD disklabel in the
 * image.
 */
export const UKFS_DISKLABEL_SCANMAGIC = '%DISKLABEL:';
/** UKFS_DISKLABEL_MAGICLEN: strlen("%DISKLABEL:a%"); the magic must end the path exactly. */
export const UKFS_DISKLABEL_MAGICLEN = 13; // strlen("%DISKLABEL:a%")
/** UKFS_OFFSET_SCANMAGIC: `image%OFFSET:start,size%` selects a byte window (decimal byte offset and size). */
export const UKFS_OFFSET_SCANMAGIC = '%OFFSET:';
/** UKFS_OFFSET_MINLEN: strlen("%OFFSET:512,512%"); shorter tails are not taken as the magic. */
export const UKFS_OFFSET_MINLEN = 16; // strlen("%OFFSET:512,512%")
/** `image%GPT:N%` selects GPT entry N (from 1); a rumpts extension of ukfs_part_probe. */
export const UKFS_GPT_SCANMAGIC = '%GPT:';
/**
 * `image%MBR:N%` selects MBR partition N (1–4 primary, 5 on logical); a rumpts extension of ukfs_part_probe.
 */
export const UKFS_MBR_SCANMAGIC = '%MBR:';
/** Partitions a..v (MAXMAXPARTITIONS). */
export const UKFS_MAXPARTITIONS = MAXMAXPARTITIONS;
/** ukfs scans this much of the image for a label. */
export const UKFS_LABEL_SCANSIZE = 65536;

/**
 * struct ukfs_part: which part of a host image a disk mount uses, as resolvePart found it — the whole
 * image (ukfs_part_none), a disklabel, GPT or MBR partition, or an explicit byte window.
 */
export type UkfsPart =
  | {
      /** No partition magic: the whole image (ukfs_part_none). */
      type: 'none';
    }
  | {
      /** A NetBSD disklabel partition (`%DISKLABEL:x%`). */
      type: 'disklabel';
      /** Partition number, 0 = 'a'. */
      index: number;
      /** Byte offset of the partition in the image (p_offset × d_secsize). */
      offset: number;
      /** Bytes in the partition (p_size × d_secsize). */
      size: number;
    }
  | {
      /** A GPT entry (`%GPT:N%`) or an MBR partition (`%MBR:N%`). */
      type: 'gpt' | 'mbr';
      /** Partition number as written, from 1 (MBR: 1–4 primary, 5 on logical). */
      index: number;
      /** Byte offset of the partition in the image. */
      offset: number;
      /** Bytes in the partition. */
      size: number;
    }
  | {
      /** An explicit window (`%OFFSET:start,size%`). */
      type: 'offset';
      /** Byte offset of the window in the image. */
      offset: number;
      /** Bytes in the window. */
      size: number;
    };

/** A device path split by parseDevpath: the host image and the partition its magic names. */
export interface ProbedDevice {
  /** The host path with the magic cut off. */
  path: string;
  /** What the magic asked for (the label itself is read by `resolvePart`). */
  want:
    | {
        /** No magic: the whole image. */
        type: 'none';
      }
    | {
        /** `%DISKLABEL:x%`. */
        type: 'disklabel';
        /** Partition number, 0 = 'a'. */
        index: number;
      }
    | {
        /** `%GPT:N%` or `%MBR:N%`. */
        type: 'gpt' | 'mbr';
        /** Partition number as written, from 1. */
        index: number;
      }
    | {
        /** `%OFFSET:start,size%`. */
        type: 'offset';
        /** Byte offset of the window. */
        offset: number;
        /** Bytes in the window. */
        size: number;
      };
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
  for (const [magic, type] of [[UKFS_GPT_SCANMAGIC, 'gpt'], [UKFS_MBR_SCANMAGIC, 'mbr']] as const) {
    const at = devpath.lastIndexOf(magic);
    if (at < 0 || !devpath.endsWith('%') || devpath.length - at <= magic.length + 1) continue;
    const digits = devpath.slice(at + magic.length, -1);
    if (!/^[0-9]{1,4}$/.test(digits) || Number(digits) < 1) throw errno('EINVAL', `${magic}N%: N must be a partition number from 1, not '${digits}'`);
    return { path: devpath.slice(0, at), want: { type, index: Number(digits) } };
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

/** The byte window of GPT or MBR partition `index` of the host image at `path`. */
function resolveTable(path: string, scheme: PartitionScheme, index: number): UkfsPart {
  let fd = -1;
  try {
    try {
      fd = openSync(hostPathOf(path), 'r');
    } catch (e) {
      throw hostError(e, `read ${path}`);
    }
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number): Uint8Array => {
      const b = new Uint8Array(length);
      try {
        readSync(fd, b, 0, length, offset);
      } catch (e) {
        throw hostError(e, `read ${path}`);
      }
      return b;
    };
    try {
      const p = findPartition(read, size, scheme, index);
      return { type: scheme, index, offset: p.offset, size: p.size };
    } catch (e) {
      if (isRumpError(e) && e.path === undefined) throw errno(e.code, e.detail, { path, cause: e });
      throw e;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Read the label or partition table (for a partition) and give the byte window to map. */
export function resolvePart(path: string, want: ProbedDevice['want']): UkfsPart {
  if (want.type === 'none' || want.type === 'offset') return want;
  if (want.type !== 'disklabel') return resolveTable(path, want.type, want.index);
  const head = new Uint8Array(UKFS_LABEL_SCANSIZE);
  let n: number;
  let fd = -1;
  try {
    fd = openSync(hostPathOf(path), 'r');
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
export function partWindow(part: UkfsPart): {
  /** Byte offset in the host file where the device begins. */
  begin: number;
  /** Bytes in the device, or RUMP_ETFS_SIZE_ENDOFF for "to the end of the file". */
  size: number;
} {
  return part.type === 'none' ? { begin: 0, size: RUMP_ETFS_SIZE_ENDOFF } : { begin: part.offset, size: part.size };
}

/** ukfs_part_tostring: "" for none, "%DISKLABEL:c%", "%GPT:1%", "%MBR:5%", or "[start,end]". */
export function partToString(part: UkfsPart): string {
  if (part.type === 'none') return '';
  if (part.type === 'disklabel') return `%DISKLABEL:${String.fromCharCode(0x61 + part.index)}%`;
  if (part.type === 'gpt') return `%GPT:${part.index}%`;
  if (part.type === 'mbr') return `%MBR:${part.index}%`;
  return `[${part.offset},${part.offset + part.size}]`;
}
