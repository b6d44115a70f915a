/**
 * Host directory entry names that are not valid UTF-8, for the tools that copy a host tree into an
 * image (makefs -t ffs and -t msdos, fsu put -r).
 *
 * A host name is bytes; readdirSync decodes it as UTF-8, putting U+FFFD for each bad sequence, and
 * the decoded name then names no file (old archives hold Latin-1 names: `caf\xe9.txt`). The common
 * case stays as cheap as readdirSync: only a directory where a decoded name holds U+FFFD is read a
 * second time, as bytes, to tell a bad name from a real U+FFFD (valid UTF-8 EF BF BD).
 */
import { isUtf8 } from 'node:buffer';
import { readdirSync } from 'node:fs';
import { decodeName, nameHostPath } from '@rumpts/librump';

/** A host entry name (or path): a string, or its bytes where they are not valid UTF-8. */
export type HostName = string | Buffer;

/** What readdirSync puts for a byte sequence that is not UTF-8. */
const REPLACEMENT = '\uFFFD';

/** Byte names as HostNames: the valid UTF-8 ones decoded, the others kept as bytes. */
function fromBytes(raw: readonly Buffer[]): HostName[] {
  const out: HostName[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    out.push(isUtf8(b) ? b.toString() : b);
  }
  return out;
}

/** Order of readdirSync(…).sort() for decoded names (UTF-16 units); a byte name sorts by its decoding, then its bytes. */
function compareNames(a: HostName, b: HostName): number {
  const sa = typeof a === 'string' ? a : a.toString();
  const sb = typeof b === 'string' ? b : b.toString();
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (typeof a === 'string') return typeof b === 'string' ? 0 : -1;
  return typeof b === 'string' ? 1 : Buffer.compare(a, b);
}

/**
 * The names in host directory `dir`, sorted as readdirSync(dir).sort() sorts them; a name that is
 * not valid UTF-8 is given as its bytes (a Buffer). Throws the host's error, as readdirSync.
 */
export function hostDirNames(dir: HostName): HostName[] {
  if (typeof dir !== 'string') return fromBytes(readdirSync(dir, { encoding: 'buffer' })).sort(compareNames);
  const names = readdirSync(dir);
  for (let i = 0; i < names.length; i++) {
    if (names[i]!.includes(REPLACEMENT)) return fromBytes(readdirSync(dir, { encoding: 'buffer' })).sort(compareNames);
  }
  return names.sort();
}

/**
 * The names in host directory `dir` that are not valid UTF-8, keyed by their decoding (what
 * readdirSync gives for them). For a caller that met a decoded name holding U+FFFD.
 */
export function undecodableNames(dir: HostName): Map<string, Buffer[]> {
  const out = new Map<string, Buffer[]>();
  for (const b of readdirSync(dir, { encoding: 'buffer' })) {
    if (isUtf8(b)) continue;
    const s = b.toString();
    const list = out.get(s);
    if (list) list.push(b);
    else out.set(s, [b]);
  }
  return out;
}

/** `dir` + '/' + `name` (no slash doubled), as a string when both are strings, else as bytes. */
export function joinHostName(dir: HostName, name: HostName): HostName {
  if (typeof dir === 'string' && typeof name === 'string') return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  return d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.concat([d, n]) : Buffer.concat([d, Buffer.from('/'), n]);
}

/** Length of the valid UTF-8 sequence at b[i], or 0 (RFC 3629: no overlong forms, surrogates or values above U+10FFFF). */
function utf8SeqLen(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A host name or path for a message: a string as it is; bytes decoded as UTF-8 where they are
 * valid, each byte that is not as `\xNN` (`sub/caf\xe9.txt`).
 */
export function hostNameText(name: HostName | Uint8Array): string {
  if (typeof name === 'string') return name;
  let out = '';
  let i = 0;
  while (i < name.length) {
    const n = utf8SeqLen(name, i);
    if (n === 0) {
      out += `\\x${name[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += Buffer.from(name.buffer, name.byteOffset + i, n).toString();
      i += n;
    }
  }
  return out;
}

/**
 * A kernel name or path (librump's names: each byte that is not valid UTF-8 held as U+DC80..U+DCFF)
 * as a host path: librump's nameHostPath — the string itself when it holds no surrogate, else its
 * exact bytes; EILSEQ for a lone surrogate that stands for no byte.
 */
export const hostPathOf: (s: string) => string | Buffer = nameHostPath;

/**
 * The names in host directory `dir` (a kernel path, see hostPathOf) as kernel names: each decoded as UTF-8 with its stray bytes
 * escaped (librump decodeName), so a Latin-1 host name stays that name. Read as bytes only when a
 * plain read shows U+FFFD. Unsorted, as readdirSync.
 */
export function hostDirKernelNames(dir: string): string[] {
  const path = hostPathOf(dir);
  const names = readdirSync(path);
  for (let i = 0; i < names.length; i++) {
    if (names[i]!.includes(REPLACEMENT)) return readdirSync(path, { encoding: 'buffer' }).map((b) => decodeName(b));
  }
  return names;
}
