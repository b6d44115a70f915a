/**
 * rump_server -d drivespecs: `key=…,hostpath=…,size=…|disklabel=p[,offset=…][,type=blk|chr|reg]`.
 * Parsing follows rump_allserver.c's getsubopt loop (each token once, size=host, disklabel alone);
 * applying it after boot maps the host file through etfs, creating and extending it as the man page says.
 */
import { closeSync, constants as fsc, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  errno, isRumpError, type Kernel, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_REG, RUMP_ETFS_SIZE_ENDOFF, type RumpEtfsType,
} from '@rumpts/librump';
import { findDiskLabel } from '@rumpts/rumpdev-disk';
import { parseSize } from './size.js';

/** One `-d` drivespec of rump_server(1), parsed. */
export interface Drivespec {
  /** The kernel path the drive appears at (e.g. `/dev/dk`). */
  key: string;
  /** The host file behind it (relative paths are taken from the cwd when applied). */
  hostpath: string;
  /** Bytes; 'host' = the host file's current size; undefined with disklabel. */
  size?: number | 'host';
  /** Where the window starts in the host file, in bytes (default 0). */
  offset?: number;
  /** Partition letter a..z. */
  disklabel?: string;
  /** The etfs type the drive is registered as (RUMP_ETFS_BLK by default). */
  type: RumpEtfsType;
  /** The same type as the drivespec spells it. */
  typeName: 'blk' | 'chr' | 'reg';
}

const TYPES = { blk: RUMP_ETFS_BLK, chr: RUMP_ETFS_CHR, reg: RUMP_ETFS_REG } as const;

/** Parse one -d argument. Errors are EINVAL naming the offending token. */
export function parseDrivespec(spec: string): Drivespec {
  let key: string | undefined;
  let hostpath: string | undefined;
  let size: number | 'host' | undefined;
  let offset: number | undefined;
  let disklabel: string | undefined;
  let typeName: Drivespec['typeName'] | undefined;
  const bad = (msg: string): never => {
    throw errno('EINVAL', `drivespec '${spec}': ${msg}`);
  };
  for (const tok of spec.split(',')) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    const name = eq < 0 ? tok : tok.slice(0, eq);
    const value = eq < 0 ? undefined : tok.slice(eq + 1);
    const need = (): string => (value === undefined || value === '' ? bad(`token '${name}' needs a value (${name}=…)`) : value);
    switch (name) {
      case 'key':
        if (key !== undefined) bad('key already given');
        key = need();
        break;
      case 'hostpath':
        if (hostpath !== undefined) bad('hostpath already given');
        hostpath = need();
        break;
      case 'size': {
        if (size !== undefined) bad('size already given');
        if (disklabel !== undefined) bad(`token 'size': disklabel needs to be used alone`);
        const v = need();
        if (v === 'host') {
          if (offset !== undefined) bad(`token 'size=host': cannot specify offset with size=host`);
          size = 'host';
        } else {
          size = parseTok(v, 'size', bad);
        }
        break;
      }
      case 'offset':
        if (offset !== undefined) bad('offset already given');
        if (size === 'host') bad(`token 'offset': cannot specify offset with size=host`);
        if (disklabel !== undefined) bad(`token 'offset': disklabel needs to be used alone`);
        offset = parseTok(need(), 'offset', bad);
        break;
      case 'disklabel': {
        if (disklabel !== undefined) bad('disklabel already given');
        if (size !== undefined) bad(`token 'disklabel': both size and disklabel given (disklabel needs to be used alone)`);
        if (offset !== undefined) bad(`token 'disklabel': disklabel needs to be used alone (offset given)`);
        const v = need();
        if (!/^[a-z]$/.test(v)) bad(`token 'disklabel=${v}': invalid label part (one letter a..z)`);
        disklabel = v;
        break;
      }
      case 'type': {
        if (typeName !== undefined) bad('type already specified');
        const v = need();
        if (v !== 'blk' && v !== 'chr' && v !== 'reg') bad(`token 'type=${v}': invalid type (blk, chr or reg)`);
        typeName = v as Drivespec['typeName'];
        break;
      }
      default:
        bad(`invalid token '${name}' (key, hostpath, size, offset, disklabel, type)`);
    }
  }
  if (key === undefined) bad("incomplete drivespec: missing 'key'");
  if (hostpath === undefined) bad("incomplete drivespec: missing 'hostpath'");
  const t = typeName ?? 'blk';
  if ((size === undefined || size === 0) && disklabel === undefined && t !== 'reg') {
    bad("incomplete drivespec: give 'size' or 'disklabel'");
  }
  const out: Drivespec = { key: key as string, hostpath: hostpath as string, type: TYPES[t], typeName: t };
  if (size !== undefined) out.size = size;
  if (offset !== undefined) out.offset = offset;
  if (disklabel !== undefined) out.disklabel = disklabel;
  return out;
}

function parseTok(v: string, what: string, bad: (m: string) => never): number {
  try {
    return parseSize(v, what);
  } catch (e) {
    return bad(`token '${what}=${v}': ${isRumpError(e) ? (e.detail ?? e.message) : String(e)}`);
  }
}

/** What apply() mapped: the window in bytes. */
export interface AppliedDrive {
  /** The kernel path the drive appears at (the drivespec's key). */
  key: string;
  /** The host file, as an absolute path. */
  hostpath: string;
  /** The window's first byte in the host file. */
  begin: number;
  /** The window's length in bytes. */
  size: number;
}

/**
 * Map one drive into a booted kernel: open (creating with mode 0644 unless size=host), find the
 * disklabel window, extend a short regular file, then etfs-register the window.
 */
export function applyDrivespec(kernel: Kernel, d: Drivespec, cwd = process.cwd()): AppliedDrive {
  const hostpath = resolve(cwd, d.hostpath);
  let fd: number;
  try {
    fd = openSync(hostpath, d.size === 'host' ? fsc.O_RDWR : fsc.O_RDWR | fsc.O_CREAT, 0o644);
  } catch (e) {
    throw errno('ENOENT', `etfs hostpath open '${hostpath}': ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    let begin = d.offset ?? 0;
    let size: number;
    if (d.size === 'host') {
      if (!st.isFile() || st.size === 0) throw errno('EINVAL', `size=host, but cannot query non-zero size of '${hostpath}'`);
      size = st.size;
    } else if (d.disklabel !== undefined) {
      const head = new Uint8Array(65536);
      const n = readSync(fd, head, 0, head.length, 0);
      let found: ReturnType<typeof findDiskLabel>;
      try {
        found = findDiskLabel(head.subarray(0, n), { step: 4, firstMatchOnly: true });
      } catch (e) {
        throw errno('ENOENT', `disklabel not found in '${hostpath}': ${isRumpError(e) ? (e.detail ?? e.message) : String(e)}`);
      }
      if (!found) throw errno('ENOENT', `disklabel not found in the first 64 KiB of '${hostpath}'`);
      const idx = d.disklabel.charCodeAt(0) - 97;
      const p = found.label.partitions[idx];
      if (idx >= found.label.partitions.length || !p) {
        throw errno('ENOENT', `partition '${d.disklabel}' not available (the label of '${hostpath}' has ${found.label.partitions.length})`);
      }
      // p_offset and p_size count 512-byte sectors (rump_allserver.c shifts by 9).
      begin = p.offset * 512;
      size = p.size * 512;
    } else if (d.size === undefined || d.size === 0) {
      size = d.type === RUMP_ETFS_REG ? RUMP_ETFS_SIZE_ENDOFF : 0;
    } else {
      size = d.size;
    }
    if (st.isFile() && size !== RUMP_ETFS_SIZE_ENDOFF && st.size < begin + size) ftruncateSync(fd, begin + size);
    kernel.etfsRegisterWithSize(d.key, hostpath, d.type, begin, size);
    return { key: d.key, hostpath, begin, size: size === RUMP_ETFS_SIZE_ENDOFF ? Math.max(0, st.size - begin) : size };
  } finally {
    closeSync(fd);
  }
}
