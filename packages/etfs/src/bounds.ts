/**
 * The one place block I/O requests are checked: sector-granular, inside the device. Every backing and
 * the partition windows call this before touching bytes, so no request can reach past a window.
 */
import { errno } from '@rumpts/librump';

/** True if n is a power of two ≥ 1 (sector sizes must be: disklabel.h d_secsize, DEV_BSHIFT maths). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** EINVAL unless secsize is a usable sector size (a power of two, 512 … 64 KiB). */
export function checkSecsize(secsize: number, what: string): void {
  if (!isPowerOfTwo(secsize) || secsize < 512 || secsize > 65536) {
    throw errno('EINVAL', `${what}: sector size ${secsize} is not a power of two between 512 and 65536`);
  }
}

/**
 * Check a transfer of `len` bytes at byte `offset` against a device of `size` bytes with `secsize`
 * sectors: misaligned → EINVAL (physio needs whole sectors), outside [0, size) → ENXIO.
 */
export function checkTransfer(what: string, offset: number, len: number, size: number, secsize: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % secsize !== 0 || len % secsize !== 0) {
    throw errno('EINVAL', `${what}: transfer of ${len} bytes at offset ${offset} is not aligned to ${secsize}-byte sectors`);
  }
  if (offset + len > size) {
    throw errno('ENXIO', `${what}: transfer of ${len} bytes at offset ${offset} is past the end of the device (${size} bytes)`);
  }
}
