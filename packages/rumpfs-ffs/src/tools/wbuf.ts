/**
 * A write-behind block device for bulk builders (makefs): writes that continue the previous one
 * on disk are gathered into one large host write, as a disk's write cache would. Every read, any
 * write that does not continue the run, and flush() first push the gathered bytes out, so the
 * device always reads back what was written.
 */
import type { BlockDevice } from '@rumpts/rumpvfs';

const GATHER = 4 * 1024 * 1024;

export class WriteBehindDevice implements BlockDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly: boolean;
  readonly #buf = new Uint8Array(GATHER);
  #start = 0;
  #len = 0;

  constructor(readonly dev: BlockDevice) {
    this.secsize = dev.secsize;
    this.size = dev.size;
    this.readonly = dev.readonly;
  }

  /** Write out what has been gathered. */
  drain(): void {
    if (this.#len === 0) return;
    const n = this.#len;
    this.#len = 0;
    this.dev.write(this.#buf.subarray(0, n), this.#start);
  }

  read(buf: Uint8Array, offset: number): void {
    this.drain();
    this.dev.read(buf, offset);
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.#len > 0 && offset === this.#start + this.#len && this.#len + buf.length <= GATHER) {
      this.#buf.set(buf, this.#len);
      this.#len += buf.length;
      return;
    }
    this.drain();
    if (buf.length > GATHER / 2) {
      this.dev.write(buf, offset);
      return;
    }
    this.#buf.set(buf, 0);
    this.#start = offset;
    this.#len = buf.length;
  }

  flush(): void {
    this.drain();
    this.dev.flush();
  }
}
