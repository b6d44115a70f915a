/**
 * struct direct (sys/ufs/ufs/dir.h): `0 d_ino(u32) 4 d_reclen(u16) 6 d_type(u8) 7 d_namlen(u8)
 * 8 d_name`. The old (4.2, fs_maxsymlinklen == 0) format has no d_type: a 16-bit d_namlen at 6.
 */
import { encodeName, nameByteLength } from '@rumpts/librump';
import { DIRBLKSIZ, FFS_MAXNAMLEN, dirsiz } from './geometry.js';

/** Byte offsets of the struct direct fields (new format; the old one has a 16-bit d_namlen at 6). */
export const DIRECT_FIELDS = {
  /** d_ino (uint32). */
  ino: 0,
  /** d_reclen (uint16). */
  reclen: 4,
  /** d_type (uint8): DT_*, the file type, so readdir need not load the inode. */
  type: 6,
  /** d_namlen (uint8). */
  namlen: 7,
  /** d_name: the name, NUL-terminated and padded to a multiple of 4. */
  name: 8,
} as const;
/** The smallest possible record (an empty name): DIRSIZ(0). */
export const DIRECT_MIN = 12;

/** A decoded struct direct header; the name stays in the buffer at `nameOff`. */
export interface Direct {
  /** d_ino: the inode named; 0 marks a free slot. */
  ino: number;
  /** d_reclen: bytes from this entry to the next, slack included (entries never cross a DIRBLKSIZ chunk). */
  reclen: number;
  /** DT_* (0 = DT_UNKNOWN in the old format). */
  type: number;
  /** d_namlen: bytes in the name (no NUL). */
  namlen: number;
  /** Offset of the name within the buffer the entry was decoded from. */
  nameOff: number;
}

/** What is wrong with the entry at `off` (ufs_dirbadentry), or null if it is sound. */
export function direntBad(d: Direct, off: number): string | null {
  const room = DIRBLKSIZ - (off % DIRBLKSIZ);
  if (d.reclen === 0) return 'd_reclen is 0';
  if ((d.reclen & 3) !== 0) return `d_reclen ${d.reclen} is not a multiple of 4`;
  if (d.reclen > room) return `d_reclen ${d.reclen} crosses the ${DIRBLKSIZ}-byte chunk (room ${room})`;
  if (d.namlen > FFS_MAXNAMLEN) return `d_namlen ${d.namlen} exceeds ${FFS_MAXNAMLEN}`;
  if (d.reclen < dirsiz(d.namlen)) return `d_reclen ${d.reclen} is too small for d_namlen ${d.namlen}`;
  return null;
}

/**
 * Decode the entry at `off` of a directory buffer. `needs` at least 8 bytes at off; the caller
 * checks the name fits via direntBad before using it.
 */
export function decodeDirect(b: Uint8Array, dv: DataView, off: number, le: boolean, newfmt: boolean): Direct {
  const ino = dv.getUint32(off, le);
  const reclen = dv.getUint16(off + 4, le);
  let type: number;
  let namlen: number;
  if (newfmt) {
    type = b[off + 6] ?? 0;
    namlen = b[off + 7] ?? 0;
  } else {
    type = 0;
    namlen = dv.getUint16(off + 6, le);
  }
  return { ino, reclen, type, namlen, nameOff: off + 8 };
}

/*
 * Field reads for walks that only need one or two fields of each entry (a chunk walk per insert or
 * removal): no record is allocated per entry.
 */
/** d_ino of the entry at `off`, read without decoding the record. */
export function direntIno(dv: DataView, off: number, le: boolean): number {
  return dv.getUint32(off, le);
}
/** d_reclen of the entry at `off`. */
export function direntReclen(dv: DataView, off: number, le: boolean): number {
  return dv.getUint16(off + 4, le);
}
/** d_namlen of the entry at `off`: a byte at 7 in the new format (`newfmt`), a 16-bit field at 6 in the old. */
export function direntNamlen(b: Uint8Array, dv: DataView, off: number, le: boolean, newfmt: boolean): number {
  return newfmt ? (b[off + 7] as number) : dv.getUint16(off + 6, le);
}

const utf8 = new TextEncoder();

/**
 * The byte length of a name (librump's nameByteLength: escaped bytes count one each; EILSEQ for a
 * lone surrogate with no byte form); ASCII (the common case) is counted without a call.
 */
export function nameLength(name: string): number {
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0x7f) return nameByteLength(name);
  }
  return name.length;
}

/** Whether `s` holds a UTF-16 surrogate (then TextEncoder would turn an escaped byte into U+FFFD). */
function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

function encodeHeader(b: Uint8Array, dv: DataView, off: number, le: boolean, newfmt: boolean, ino: number, reclen: number, type: number, namlen: number): void {
  dv.setUint32(off, ino >>> 0, le);
  dv.setUint16(off + 4, reclen, le);
  if (newfmt) {
    b[off + 6] = type;
    b[off + 7] = namlen;
  } else {
    dv.setUint16(off + 6, namlen, le);
  }
}

/** Encode an entry header + name at `off` (the name is NUL-padded to its DIRSIZ). */
export function encodeDirect(b: Uint8Array, dv: DataView, off: number, le: boolean, newfmt: boolean, ino: number, reclen: number, type: number, name: Uint8Array): void {
  encodeHeader(b, dv, off, le, newfmt, ino, reclen, type, name.length);
  b.set(name, off + 8);
  b.fill(0, off + 8 + name.length, off + dirsiz(name.length));
}

/**
 * encodeDirect for a name given as a string of `namlen` bytes (see nameLength): written straight
 * into the block, without an intermediate byte array. Names are bytes (librump names.ts): an escaped
 * byte U+DC80..U+DCFF is written as the byte it stands for.
 */
export function encodeDirectName(b: Uint8Array, dv: DataView, off: number, le: boolean, newfmt: boolean, ino: number, reclen: number, type: number, name: string, namlen: number): void {
  encodeHeader(b, dv, off, le, newfmt, ino, reclen, type, namlen);
  const at = off + 8;
  if (namlen === name.length) {
    // One byte per UTF-16 unit: every unit is ASCII or an escaped byte U+DC80..U+DCFF (any other
    // non-ASCII unit takes more bytes than units), and the low 8 bits are the byte either way.
    for (let i = 0; i < namlen; i++) b[at + i] = name.charCodeAt(i) & 0xff;
  } else if (!hasSurrogate(name)) {
    utf8.encodeInto(name, b.subarray(at, at + namlen));
  } else {
    b.set(encodeName(name), at);
  }
  b.fill(0, at + namlen, off + dirsiz(namlen));
}
