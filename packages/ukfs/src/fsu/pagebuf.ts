/**
 * A read buffer that starts on a page boundary, as coreutils' cat aligns its own. Where a buffer lies
 * matters to read(2): measured on the bench machine (2-core EPYC VM, Linux), a page-cached read into a
 * buffer 16 bytes past a page boundary — where glibc puts every block it maps for a large malloc, so
 * where a large Uint8Array usually lands — copies at a third of the speed of a read into any other
 * place (the source pages and the destination alias 4 KiB apart), and that, not the size, is why reads
 * larger than 128 KiB looked slow. Node has no aligned allocation; a WebAssembly memory is mapped
 * by V8 on a page boundary, so a view of one is page-aligned at offset 0.
 */
import { CopyBuffer } from './copy.js';

/** The size of a WebAssembly memory page (the unit its memories grow by). */
const WASM_PAGE = 64 << 10;

/** The WebAssembly global, as far as this file uses it (Node's types do not declare it). */
interface WasmGlobal {
  Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
}

/**
 * `size` bytes, zeroed, starting on a page boundary; where no WebAssembly memory can be made (a
 * runtime without it, or an address-space limit too tight for V8's reservation), an ordinary buffer.
 */
export function pageAlignedBuffer(size: number): Uint8Array {
  const wasm = (globalThis as { WebAssembly?: WasmGlobal }).WebAssembly;
  if (wasm && size > 0) {
    const pages = Math.ceil(size / WASM_PAGE);
    try {
      return new Uint8Array(new wasm.Memory({ initial: pages, maximum: pages }).buffer, 0, size);
    } catch {
      // fall through: an ordinary buffer is only slower
    }
  }
  return new Uint8Array(size);
}

/** A CopyBuffer whose buffer is page-aligned (pageAlignedBuffer), made on first use. */
export class PageCopyBuffer extends CopyBuffer {
  #buf: Uint8Array | undefined;

  override get(): Uint8Array {
    return (this.#buf ??= pageAlignedBuffer(this.size));
  }
}
