/**
 * The System Use Sharing Protocol (SUSP, IEEE P1281) and the Rock Ridge Interchange Protocol
 * (RRIP, IEEE P1282) entries a directory record's system use area carries: POSIX modes, links and
 * owners (PX), device numbers (PN), long names (NM), symlink targets (SL), times (TF) and the
 * relocation of deep directories (CL/PL/RE). Pure decoding; continuation areas (CE) are fetched
 * through a callback so this file knows nothing of devices.
 */
import { type Timespec, decodeName } from '@rumpts/librump';
import { makedev, minor } from '@rumpts/rumpvfs';
import { decodeDate17, decodeDate7, isonum_711, isonum_733 } from './iso_ondisk.js';

/** Entry header: two signature bytes, length (header included), version (SUSP 4.1). */
const SUE = { sig: 0, len: 2, version: 3, data: 4 } as const;
/** SP (SUSP 5.3): check bytes 0xBE 0xEF, then LEN_SKP. */
const SP = { check: 4, len_skp: 6 } as const;
/** CE (SUSP 5.1): continuation block, offset, length — each both-endian 32. */
const CE = { block: 4, offset: 12, length: 20 } as const;
/** PX (RRIP 4.1.1): mode, links, uid, gid, and from RRIP 1.12 the file serial number. */
const PX = { mode: 4, nlink: 12, uid: 20, gid: 28, ino: 36 } as const;
/** PN (RRIP 4.1.2): device number high and low 32 bits. */
const PN = { high: 4, low: 12 } as const;
/** CL / PL (RRIP 4.1.5.1, 4.1.5.2): a directory's location. */
const CL_LOCATION = 4;

/** NM and SL component flags (RRIP 4.1.3.1, 4.1.4). */
const RR_CONTINUE = 0x01;
const RR_CURRENT = 0x02;
const RR_PARENT = 0x04;
const RR_ROOT = 0x08;
/** TF flags (RRIP 4.1.6): which times follow, in this order, and whether they are 17-byte dates. */
const TF_CREATION = 0x01;
const TF_MODIFY = 0x02;
const TF_ACCESS = 0x04;
const TF_ATTRIBUTES = 0x08;
const TF_BACKUP = 0x10;
const TF_EXPIRATION = 0x20;
const TF_EFFECTIVE = 0x40;
const TF_LONG_FORM = 0x80;

/** At most this many continuation areas per record: a CE loop on a corrupt image ends here. */
export const SUSP_MAX_CONTINUATIONS = 32;

/** What Rock Ridge says about one directory record. Absent fields were not recorded. */
export interface RripInfo {
  /** PX: the POSIX attributes. */
  px?: {
    /** st_mode: file type and permission bits. */
    mode: number;
    /** Link count (st_nlink). */
    nlink: number;
    /** Owner (st_uid). */
    uid: number;
    /** Group (st_gid). */
    gid: number;
    /** File serial number (RRIP 1.12 only): the st_ino the image was written with. */
    ino?: number;
  };
  /** PN: the device number of a block or character device node. */
  rdev?: number;
  /** The NM name; '.'/'..' entries (CURRENT/PARENT flags) leave it unset. */
  name?: string;
  /** The symlink target assembled from SL components. */
  symlink?: string;
  /** TF: the times recorded (backup, expiration and effective times are read past and dropped). */
  times?: {
    /** TF CREATION: when the file was created (st_birthtime). */
    birthtime?: Timespec;
    /** TF MODIFY: the last data change (st_mtime). */
    mtime?: Timespec;
    /** TF ACCESS: the last access (st_atime). */
    atime?: Timespec;
    /** TF ATTRIBUTES: the last attribute change (st_ctime). */
    ctime?: Timespec;
  };
  /** CL: this entry stands for a directory relocated to this logical block. */
  childLink?: number;
  /** PL: in a relocated directory's '..', the original parent's logical block. */
  parentLink?: number;
  /** RE: this is the relocated directory's own entry; readers hide it. */
  relocated?: boolean;
}

/** Fetch `length` bytes at byte `offset` of logical block `block` (a CE continuation area). */
export type ContinuationReader = (block: number, offset: number, length: number) => Uint8Array;

/** The bytes of `parts` one after another. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/**
 * Is Rock Ridge in use? The root directory's '.' record starts its system use area with an SP
 * entry (SUSP 5.3); its LEN_SKP is the number of bytes to skip in every system use area.
 */
export function suspSkip(rootDotSystemUse: Uint8Array): number | null {
  const su = rootDotSystemUse;
  if (su.length < 7) return null;
  if (su[0] !== 0x53 || su[1] !== 0x50 || isonum_711(su, SUE.len) < 7) return null;
  if (su[SP.check] !== 0xbe || su[SP.check + 1] !== 0xef) return null;
  return isonum_711(su, SP.len_skp);
}

/** Decode the Rock Ridge entries of a system use area, following continuation areas. */
export function parseRrip(systemUse: Uint8Array, skip: number, readCont: ContinuationReader): RripInfo {
  const info: RripInfo = {};
  // NM pieces as bytes: a name is bytes (decoded once, whole: a piece may end inside a UTF-8 sequence).
  const name: Uint8Array[] = [];
  let nameDone = false;
  const link = new SymlinkBuilder();
  let area: Uint8Array | null = skip < systemUse.length ? systemUse.subarray(skip) : null;
  for (let hops = 0; area !== null; hops++) {
    if (hops > SUSP_MAX_CONTINUATIONS) throw new Error(`more than ${SUSP_MAX_CONTINUATIONS} SUSP continuation areas`);
    const next: { ce: [number, number, number] | null } = { ce: null };
    for (let off = 0; off + 4 <= area.length; ) {
      const len = isonum_711(area, off + SUE.len);
      // A length below the header, or running past the area, ends the entries (padding or damage).
      if (len < 4 || off + len > area.length) break;
      const e = area.subarray(off, off + len);
      const sig = String.fromCharCode(e[0] ?? 0, e[1] ?? 0);
      off += len;
      switch (sig) {
        case 'ST':
          off = area.length; // SUSP 5.4: no more entries in this area
          break;
        case 'CE':
          if (len >= 28) next.ce = [isonum_733(e, CE.block), isonum_733(e, CE.offset), isonum_733(e, CE.length)];
          break;
        case 'PX':
          if (len >= 36) {
            info.px = { mode: isonum_733(e, PX.mode), nlink: isonum_733(e, PX.nlink), uid: isonum_733(e, PX.uid), gid: isonum_733(e, PX.gid) };
            if (len >= 44) info.px.ino = isonum_733(e, PX.ino);
          }
          break;
        case 'PN':
          if (len >= 20) {
            // cd9660_rrip_device: a zero high word means the low word is the whole dev_t.
            const high = isonum_733(e, PN.high);
            const low = isonum_733(e, PN.low);
            info.rdev = high === 0 ? low : makedev(high, minor(low));
          }
          break;
        case 'NM': {
          const flags = isonum_711(e, SUE.data);
          if ((flags & (RR_CURRENT | RR_PARENT)) === 0 && !nameDone) {
            name.push(e.subarray(5));
            if ((flags & RR_CONTINUE) === 0) nameDone = true;
          }
          break;
        }
        case 'SL':
          link.entry(e);
          break;
        case 'TF':
          info.times = decodeTf(e);
          break;
        case 'CL':
          if (len >= 12) info.childLink = isonum_733(e, CL_LOCATION);
          break;
        case 'PL':
          if (len >= 12) info.parentLink = isonum_733(e, CL_LOCATION);
          break;
        case 'RE':
          info.relocated = true;
          break;
        default:
          // SP, ER, ES, RR, SF, ZF, AA… carry nothing this reader uses.
          break;
      }
    }
    area = next.ce ? readCont(...next.ce) : null;
  }
  if (name.length > 0) info.name = decodeName(concat(name));
  const target = link.target();
  if (target !== null) info.symlink = target;
  return info;
}

/** TF: the recorded times in flag-bit order (creation, modify, access, attributes, …). */
function decodeTf(e: Uint8Array): NonNullable<RripInfo['times']> {
  const flags = isonum_711(e, SUE.data);
  const long = (flags & TF_LONG_FORM) !== 0;
  const size = long ? 17 : 7;
  const out: NonNullable<RripInfo['times']> = {};
  let off = 5;
  const take = (bit: number): Timespec | undefined => {
    if ((flags & bit) === 0) return undefined;
    if (off + size > e.length) return undefined;
    const t = long ? decodeDate17(e, off) : decodeDate7(e, off);
    off += size;
    return t;
  };
  const birthtime = take(TF_CREATION);
  const mtime = take(TF_MODIFY);
  const atime = take(TF_ACCESS);
  const ctime = take(TF_ATTRIBUTES);
  for (const bit of [TF_BACKUP, TF_EXPIRATION, TF_EFFECTIVE]) take(bit);
  if (birthtime) out.birthtime = birthtime;
  if (mtime) out.mtime = mtime;
  if (atime) out.atime = atime;
  if (ctime) out.ctime = ctime;
  return out;
}

const DOT = Uint8Array.of(0x2e);
const DOTDOT = Uint8Array.of(0x2e, 0x2e);
const SLASH = Uint8Array.of(0x2f);

/**
 * SL entries (RRIP 4.1.3): component records `flags, len, bytes`. A component with CONTINUE goes
 * on in the next component record (even across SL entries); ROOT makes the path absolute,
 * CURRENT and PARENT stand for '.' and '..'.
 */
class SymlinkBuilder {
  /** Components as bytes (a target is bytes; decoded once, whole, as a component may be split anywhere). */
  readonly #parts: Uint8Array[][] = [];
  #absolute = false;
  #continuing = false;
  #seen = false;

  entry(e: Uint8Array): void {
    this.#seen = true;
    for (let off = 5; off + 2 <= e.length; ) {
      const flags = isonum_711(e, off);
      const len = isonum_711(e, off + 1);
      if (off + 2 + len > e.length) break;
      let text: Uint8Array;
      if ((flags & RR_ROOT) !== 0) {
        if (this.#parts.length === 0) this.#absolute = true;
        text = DOT.subarray(0, 0);
      } else if ((flags & RR_PARENT) !== 0) text = DOTDOT;
      else if ((flags & RR_CURRENT) !== 0) text = DOT;
      else text = e.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      if ((flags & RR_ROOT) !== 0) continue;
      if (this.#continuing && this.#parts.length > 0) this.#parts[this.#parts.length - 1]!.push(text);
      else this.#parts.push([text]);
      this.#continuing = (flags & RR_CONTINUE) !== 0;
    }
  }

  target(): string | null {
    if (!this.#seen) return null;
    const bytes: Uint8Array[] = this.#absolute ? [SLASH] : [];
    for (let i = 0; i < this.#parts.length; i++) {
      if (i > 0) bytes.push(SLASH);
      bytes.push(...this.#parts[i]!);
    }
    return decodeName(concat(bytes));
  }
}
