/**
 * Command-line arguments are bytes. Node decodes them as UTF-8, with U+FFFD for each byte sequence
 * that is not, so a Latin-1 file name given on the command line (`fsu get IMG $'/x/caf\xe9' .`) would
 * name no file. Linux keeps the exact bytes in /proc/self/cmdline: an argument showing U+FFFD is
 * taken from there and decoded as the kernel's names are (librump decodeName: each stray byte as
 * U+DC00 + byte), which fsu turns back into those bytes wherever the name meets the host or an image.
 */
import { readFileSync } from 'node:fs';
import { decodeName } from '@rumpts/librump';

/** `argv` (the program's arguments, process.argv without node and the script) with exact names restored. */
export function argvNames(argv: readonly string[]): string[] {
  const out = [...argv];
  if (!out.some((a) => a.includes('\uFFFD'))) return out;
  let raw: Buffer;
  try {
    raw = readFileSync('/proc/self/cmdline');
  } catch {
    return out;
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < raw.length; ) {
    let end = raw.indexOf(0, at);
    if (end < 0) end = raw.length;
    parts.push(raw.subarray(at, end));
    at = end + 1;
  }
  // The arguments are the last ones (node's own options and the script come first).
  if (parts.length < out.length) return out;
  const tail = parts.slice(parts.length - out.length);
  for (let i = 0; i < out.length; i++) {
    const a = out[i] as string;
    const b = tail[i] as Buffer;
    // Only where the bytes are what Node decoded: anything else leaves the argument as Node gave it.
    if (a.includes('\uFFFD') && b.toString() === a) out[i] = decodeName(b);
  }
  return out;
}
