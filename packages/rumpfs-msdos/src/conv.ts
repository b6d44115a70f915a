/**
 * Name conversion (sys/fs/msdosfs/msdosfs_conv.c): Unix names to DOS 8.3 names with NetBSD's rules
 * for extensions, dropped characters and `~N` generation numbers; 8.3 names back to Unix names; the
 * Win95 long-name checksum and slot count. Names are JavaScript strings; long names are stored as
 * UTF-16 (what NetBSD's MSDOSFSMNT_UTF8 gives), short names in code page 850 as NetBSD's tables map
 * Latin-1 to it. A character outside Latin-1 has no short form and is dropped from the short name,
 * which then gets a generation number — exactly as NetBSD treats characters its table maps to 0.
 */
import { errno, nameHasEscapes, nameText } from '@rumpts/librump';
import { SLOT_E5, SLOT_DELETED, LCASE_BASE, LCASE_EXT, WIN_CHARS, WIN_MAXLEN } from './ondisk/direntry.js';

const SPACE = 0x20;
const DOT = 0x2e;

/** Latin-1 0xA0..0xFF to code page 850 (upper case; 0 = not representable). NetBSD's unix2dos table. */
const LATIN1_TO_CP850: readonly number[] = [
  0x00, 0xad, 0xbd, 0x9c, 0xcf, 0xbe, 0xdd, 0xf5, 0xf9, 0xb8, 0xa6, 0xae, 0xaa, 0xf0, 0xa9, 0xee,
  0xf8, 0xf1, 0xfd, 0xfc, 0xef, 0xe6, 0xf4, 0xfa, 0xf7, 0xfb, 0xa7, 0xaf, 0xac, 0xab, 0xf3, 0xa8,
  0xb7, 0xb5, 0xb6, 0xc7, 0x8e, 0x8f, 0x92, 0x80, 0xd4, 0x90, 0xd2, 0xd3, 0xde, 0xd6, 0xd7, 0xd8,
  0xd1, 0xa5, 0xe3, 0xe0, 0xe2, 0xe5, 0x99, 0x9e, 0x9d, 0xeb, 0xe9, 0xea, 0x9a, 0xed, 0xe8, 0xe1,
  0xb7, 0xb5, 0xb6, 0xc7, 0x8e, 0x8f, 0x92, 0x80, 0xd4, 0x90, 0xd2, 0xd3, 0xde, 0xd6, 0xd7, 0xd8,
  0xd1, 0xa5, 0xe3, 0xe0, 0xe2, 0xe5, 0x99, 0xf6, 0x9d, 0xeb, 0xe9, 0xea, 0x9a, 0xed, 0xe8, 0x98,
];

/** Code page 850 0x80..0xFF to Latin-1 ('?' where Latin-1 has nothing). NetBSD's dos2unix table. */
const CP850_TO_LATIN1: readonly number[] = [
  0xc7, 0xfc, 0xe9, 0xe2, 0xe4, 0xe0, 0xe5, 0xe7, 0xea, 0xeb, 0xe8, 0xef, 0xee, 0xec, 0xc4, 0xc5,
  0xc9, 0xe6, 0xc6, 0xf4, 0xf6, 0xf2, 0xfb, 0xf9, 0xff, 0xd6, 0xdc, 0xf8, 0xa3, 0xd8, 0xd7, 0x3f,
  0xe1, 0xed, 0xf3, 0xfa, 0xf1, 0xd1, 0xaa, 0xba, 0xbf, 0xae, 0xac, 0xbd, 0xbc, 0xa1, 0xab, 0xbb,
  0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xc1, 0xc2, 0xc0, 0xa9, 0x3f, 0x3f, 0x3f, 0x3f, 0xa2, 0xa5, 0x3f,
  0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xe3, 0xc3, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xa4,
  0xf0, 0xd0, 0xca, 0xcb, 0xc8, 0x3f, 0xcd, 0xce, 0xcf, 0x3f, 0x3f, 0x3f, 0x3f, 0xa6, 0xcc, 0x3f,
  0xd3, 0xdf, 0xd4, 0xd2, 0xf5, 0xd5, 0xb5, 0xfe, 0xde, 0xda, 0xdb, 0xd9, 0xfd, 0xdd, 0xaf, 0x3f,
  0xad, 0xb1, 0x3f, 0xbe, 0xb6, 0xa7, 0xf7, 0xb8, 0xb0, 0xa8, 0xb7, 0xb9, 0xb3, 0xb2, 0x3f, 0x3f,
];

/** ASCII to its short-name byte (letters upper-cased; 0 = not allowed): a table, since every name's every character goes through it. */
const ASCII_TO_SHORT = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (const ch of "!#$%&'()+-@^_`{}~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") t[ch.charCodeAt(0)] = ch.charCodeAt(0);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = c - 0x20;
  return t;
})();

/** unix2dos[]: the short-name byte of a UTF-16 code unit, 0 if it has none. */
export function unix2dosChar(c: number): number {
  if (c < 0x80) return ASCII_TO_SHORT[c]!;
  if (c >= 0xa0 && c <= 0xff) return LATIN1_TO_CP850[c - 0xa0] ?? 0;
  return 0;
}

/** dos2unix[]: a short-name byte as a character (control bytes, and '/' from a damaged entry, show as '?'). */
export function dos2unixChar(b: number): number {
  if (b < 0x20 || b === 0x2f) return 0x3f;
  if (b < 0x80) return b;
  return CP850_TO_LATIN1[b - 0x80] ?? 0x3f;
}

/** u2l[]: Latin-1 lower case (other code units as they are). */
function u2l(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c >= 0xc0 && c <= 0xde && c !== 0xd7) return c + 0x20;
  return c;
}

/** What unix2dosfn found. */
export const enum DosConv {
  /** The name has no DOS form (only dots and blanks), or no room for this generation number. */
  NONE = 0,
  /** The 8.3 name is the name itself: no long-name entries needed. */
  SAME = 1,
  /** Converted without loss of characters (case or padding differ): long-name entries needed. */
  CASE = 2,
  /** Characters were dropped; a generation number `~N` was inserted. */
  GEN = 3,
}

/** The result of unix2dosfn: the 8.3 bytes and how they relate to the Unix name. */
export interface DosName {
  /**
   * How the 8.3 name relates to the original (unix2dosfn's return value): none, same, case-only, or with a
   * generation number.
   */
  conv: DosConv;
  /** The 11 bytes (8 + 3, blank padded). */
  dn: Uint8Array;
}

/**
 * unix2dosfn: the 8.3 form of `name` with generation number `gen` (1 = none unless characters were
 * dropped). The extension is what follows the last dot that is followed by something other than dots
 * and blanks; a leading dot never starts one; trailing dots and blanks are ignored.
 */
export function unix2dosfn(name: string, gen: number): DosName {
  const dn = new Uint8Array(11).fill(SPACE);
  const len = name.length;
  const at = (i: number): number => name.charCodeAt(i);
  if (name === '.' || name === '..') {
    dn[0] = DOT;
    if (len === 2) dn[1] = DOT;
    return { conv: gen <= 1 ? DosConv.SAME : DosConv.NONE, dn };
  }
  let meaningful = false;
  for (let i = 0; i < len; i++) {
    const c = at(i);
    if (c !== SPACE && c !== DOT) {
      meaningful = true;
      break;
    }
  }
  if (!meaningful) return { conv: DosConv.NONE, dn };

  // Find the extension: `ext` starts after the last dot that has a non-blank, non-dot after it;
  // `pendingDot` is set while only dots and blanks followed the most recent dot.
  let ext = -1;
  let pendingDot = -1;
  for (let i = 1; i < len; i++) {
    const c = at(i);
    if (c === DOT) {
      if (pendingDot < 0) pendingDot = i + 1;
    } else if (c !== SPACE) {
      if (pendingDot >= 0) ext = pendingDot;
      pendingDot = -1;
    }
  }

  let conv = DosConv.SAME;
  let nameEnd: number;
  if (ext >= 0) {
    const l = pendingDot >= 0 ? pendingDot - ext : len - ext;
    let i = 0;
    let j = 8;
    for (; i < l && j < 11; i++, j++) {
      const c = at(ext + i);
      const d = unix2dosChar(c);
      dn[j] = d;
      if (c !== d && conv !== DosConv.GEN) conv = DosConv.CASE;
      if (d === 0) {
        conv = DosConv.GEN;
        dn[j--] = SPACE;
      }
    }
    if (i < l) conv = DosConv.GEN;
    nameEnd = ext - 1; // the dot before the extension
  } else {
    nameEnd = len;
    while (nameEnd > 0 && (at(nameEnd - 1) === SPACE || at(nameEnd - 1) === DOT)) nameEnd--;
  }

  // Blanks inside a base name that fits are kept; in a longer one they are dropped.
  const shortlen = nameEnd <= 8;
  let k = 0;
  let j = 0;
  for (; k < nameEnd && j < 8; k++, j++) {
    const c = at(k);
    const d = c === SPACE && shortlen ? SPACE : unix2dosChar(c);
    dn[j] = d;
    if (c !== d && conv !== DosConv.GEN) conv = DosConv.CASE;
    if (d === 0) {
      conv = DosConv.GEN;
      dn[j--] = SPACE;
    }
  }
  if (k < nameEnd) conv = DosConv.GEN;
  if (j === 0) dn[0] = 0x5f; // '_': nothing of the base name survived
  if (dn[0] === SLOT_DELETED) dn[0] = SLOT_E5;

  if (conv !== DosConv.GEN) return { conv: gen > 1 ? DosConv.NONE : conv, dn };

  // Insert "~gen" at the end of the base name, cutting it as needed.
  const digits = String(gen);
  if (!Number.isInteger(gen) || gen < 1 || digits.length > 6) return { conv: DosConv.NONE, dn };
  let i = 8;
  while (i > 0 && dn[i - 1] === SPACE) i--;
  if (digits.length + 1 > 8 - i) i = 8 - (digits.length + 1);
  dn[i++] = 0x7e;
  for (const ch of digits) dn[i++] = ch.charCodeAt(0);
  return { conv: DosConv.GEN, dn };
}

/**
 * dos2unixfn: an 8.3 name as a Unix name ("NAME.EXT", blanks dropped). `lowerCase` holds the
 * LCASE_BASE / LCASE_EXT bits saying which parts to show in lower case (the NT convention mtools,
 * Linux and Windows write for short-only names; NetBSD's short-name mode lowers both).
 */
export function dos2unixfn(dn: Uint8Array, lowerCase: number): string {
  const lowerBase = (lowerCase & LCASE_BASE) !== 0;
  const lowerExt = (lowerCase & LCASE_EXT) !== 0;
  const out: number[] = [];
  let end = 8;
  while (end > 1 && dn[end - 1] === SPACE) end--;
  for (let i = 0; i < end; i++) {
    let b = dn[i] ?? SPACE;
    if (i === 0 && b === SLOT_E5) b = SLOT_DELETED;
    const c = dos2unixChar(b);
    out.push(lowerBase ? u2l(c) : c);
  }
  if (dn[8] !== SPACE) {
    out.push(DOT);
    for (let i = 8; i < 11 && dn[i] !== SPACE; i++) {
      const c = dos2unixChar(dn[i] ?? SPACE);
      out.push(lowerExt ? u2l(c) : c);
    }
  }
  return String.fromCharCode(...out);
}

/** winChksum: the checksum of an 8.3 name that every long-name entry of it carries. */
export function winChksum(dn: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < 11; i++) s = ((((s & 1) << 7) | (s >> 1)) + (dn[i] ?? 0)) & 0xff;
  return s;
}

/** The name as stored in long-name entries: trailing blanks and dots dropped (unix2winfn). */
export function winName(name: string): string {
  let end = name.length;
  while (end > 0 && (name.charCodeAt(end - 1) === SPACE || name.charCodeAt(end - 1) === DOT)) end--;
  return name.slice(0, end);
}

/**
 * Refuse a name that holds escaped bytes (bytes that are not UTF-8, librump names.ts): a FAT name is
 * UTF-16 (long) or a code page (8.3), and neither has a form for them (EILSEQ, before anything changes).
 */
export function checkFatName(name: string): void {
  if (nameHasEscapes(name)) throw errno('EILSEQ', `msdosfs: '${nameText(name)}' holds bytes that are not UTF-8; a FAT name cannot hold them`);
}

/** winSlotCnt: long-name entries `name` needs (0 if it is too long for any). */
export function winSlotCnt(name: string): number {
  const n = winName(name).length;
  if (n > WIN_MAXLEN) return 0;
  return Math.ceil(n / WIN_CHARS);
}

/** The 13 code units of long-name entry `cnt` (1-based) of `stored` (a winName), padding included. */
export function winEntryChars(stored: string, cnt: number): number[] {
  const chars: number[] = [];
  const base = (cnt - 1) * WIN_CHARS;
  for (let i = 0; i < WIN_CHARS; i++) {
    const k = base + i;
    if (k < stored.length) chars.push(stored.charCodeAt(k));
    else if (k === stored.length) chars.push(0x0000);
    else chars.push(0xffff);
  }
  return chars;
}

/**
 * The case-insensitive key two names are compared by (winChkName compares through u2l): each UTF-16
 * unit lowered on its own, so the key has the name's length.
 */
export function foldName(name: string): string {
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return name.toLowerCase();
  let out = '';
  for (const ch of name) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

/** The 11 bytes of a DOS name as a map key. */
export function dosKey(dn: Uint8Array): string {
  return String.fromCharCode(dn[0]!, dn[1]!, dn[2]!, dn[3]!, dn[4]!, dn[5]!, dn[6]!, dn[7]!, dn[8]!, dn[9]!, dn[10]!);
}

/**
 * What a name's lookup and its create both need (unix2dosfn with no generation number, its key, the
 * folded long name), worked out once: NetBSD's msdosfs_lookup likewise leaves what it found for the
 * VOP_CREATE that follows a failed CREATE lookup.
 */
export interface NameForms {
  readonly name: string;
  readonly dos: DosName;
  /** dosKey(dos.dn). */
  readonly key: string;
  /** foldName(name). */
  readonly folded: string;
}

/** The forms of `name`, reusing `last` when it is of the same name (they depend on the name alone). */
export function nameForms(name: string, last: NameForms | null): NameForms {
  if (last !== null && last.name === name) return last;
  const dos = unix2dosfn(name, 1);
  return { name, dos, key: dosKey(dos.dn), folded: foldName(name) };
}
