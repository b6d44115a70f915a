/**
 * fsu cat's read buffer: page-aligned (rumpdev-disk's pageAlignedBuffer), so the host copies each
 * read into it at full speed — a buffer 16 bytes past a page boundary, where a large Uint8Array
 * usually lands, copies at a third of that on the bench machine, which is what made reads larger than
 * 128 KiB look slow.
 */
import { pageAlignedBuffer } from '@rumpts/rumpdev-disk';
import { CopyBuffer } from './copy.js';

/** A CopyBuffer whose buffer is page-aligned, made on first use. */
export class PageCopyBuffer extends CopyBuffer {
  #buf: Uint8Array | undefined;

  override get(): Uint8Array {
    return (this.#buf ??= pageAlignedBuffer(this.size));
  }
}
