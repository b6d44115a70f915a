/**
 * Buffers that host reads fill, starting on a page boundary (as coreutils' cat and dd align theirs).
 * Where a buffer lies matters to read(2): measured on the bench machine (2-core EPYC VM, Linux 6.18),
 * a page-cached read into a buffer 16 bytes past a page boundary copies at a third of the speed of a
 * read into any other place (the destination and the page-cache source alias 4 KiB apart), and 16 bytes
 * past a page boundary is where glibc puts every block it maps for a large malloc — where a Uint8Array
 * of 128 KiB or more usually lands. Node has no aligned allocation, but V8 reserves the pages of a
 * resizable ArrayBuffer itself, so its bytes start on a page boundary.
 */

/** The ArrayBuffer constructor with ES2024's options (this repository's TypeScript lib is ES2023). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer;

/**
 * `size` bytes, zeroed, starting on a page boundary: a fixed-length view of a resizable ArrayBuffer
 * that never grows. Where the runtime cannot make one, an ordinary buffer (as fast or slower, never wrong).
 */
export function pageAlignedBuffer(size: number): Uint8Array {
  if (size > 0) {
    try {
      return new Uint8Array(new ResizableArrayBuffer(size, { maxByteLength: size }), 0, size);
    } catch {
      // fall through: an ordinary buffer is only slower
    }
  }
  return new Uint8Array(size);
}
