/**
 * Names are bytes. A NetBSD directory entry name, symbolic link target or path is a string of bytes
 * other than NUL, in no particular encoding; the kernel here speaks JS strings. This codec maps one
 * onto the other without loss: a byte string that is valid UTF-8 is its decoded text, and each byte
 * that is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte (U+DC80 to
 * U+DCFF, as Python's "surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so
 * encodeName(decodeName(b)) is `b` for every byte string, and a name read from an image (say a
 * Latin-1 name on an old NetBSD disk) can be looked up, copied and written back exactly.
 *
 * A string holding any other lone surrogate has no byte form: encodeName refuses it (EILSEQ), as it
 * refuses nothing else.
 */
import { errno } from './errno.js';

// ignoreBOM: a name may begin with the bytes of U+FEFF; they are part of it.
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** The first lone surrogate an escaped byte becomes (byte 0x80 → U+DC80; ASCII is always valid). */
const ESCAPE_BASE = 0xdc00;

/** Whether `s` holds a UTF-16 surrogate (a pair or a lone one): only then does encoding need care. */
function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** The length of the valid UTF-8 sequence at b[i], or 0 if the byte there does not start one. */
function seqLen(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    // No overlong forms (F0 80..8F) and nothing past U+10FFFF (F4 90..).
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

/** The name that bytes `b` stand for: their UTF-8 text, each byte outside a valid sequence as U+DC00 + byte. */
export function decodeName(b: Uint8Array): string {
  try {
    return fatal.decode(b);
  } catch {
    // Not valid UTF-8: byte by byte (rare: a name from an image written in another encoding).
  }
  let out = '';
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const n = seqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) out += fatal.decode(b.subarray(run, i));
    out += String.fromCharCode(ESCAPE_BASE + b[i]!);
    i++;
    run = i;
  }
  if (run < b.length) out += fatal.decode(b.subarray(run));
  return out;
}

/** The bytes of name `s` (see decodeName); EILSEQ if it holds a lone surrogate that is not an escaped byte. */
export function encodeName(s: string): Uint8Array {
  if (!hasSurrogate(s)) return utf8.encode(s);
  const parts: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      const start = i;
      while (i + 1 < s.length && (s.charCodeAt(i + 1) < 0xd800 || s.charCodeAt(i + 1) > 0xdfff)) i++;
      for (const x of utf8.encode(s.slice(start, i + 1))) parts.push(x);
      continue;
    }
    const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      // A surrogate pair: one code point above U+FFFF.
      for (const x of utf8.encode(s.slice(i, i + 2))) parts.push(x);
      i++;
      continue;
    }
    if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff) {
      parts.push(c - ESCAPE_BASE);
      continue;
    }
    throw errno('EILSEQ', `the name holds a lone surrogate U+${c.toString(16).toUpperCase()} (no byte form)`);
  }
  return Uint8Array.from(parts);
}

/** The byte length of name `s` (encodeName(s).length), without making the bytes when it can. */
export function nameByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdfff) return encodeName(s).length;
    n += c < 0x800 ? 1 : 2;
  }
  return n;
}

/** Whether name `s` holds an escaped byte (it came from bytes that are not valid UTF-8). */
export function nameHasEscapes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) return true;
  }
  return false;
}

/** Name `s` for a message or a listing: each escaped byte as `\xNN` (the rest as it is). */
export function nameText(s: string): string {
  if (!nameHasEscapes(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const paired = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff && !paired) out += `\\x${(c - ESCAPE_BASE).toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}

/**
 * Name or path `s` as a host (node:fs) path: the string itself when it holds no surrogate (the common
 * case: no copy), else a Buffer of its exact bytes — node:fs would write an escaped byte as U+FFFD.
 * EILSEQ for a lone surrogate that stands for no byte.
 */
export function nameHostPath(s: string): string | Buffer {
  if (!hasSurrogate(s)) return s;
  const b = encodeName(s);
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}

