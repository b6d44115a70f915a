/**
 * The device the metadata buffer cache of a logged mount writes to. NetBSD keeps a transaction's
 * buffers B_LOCKED in the cache until the log holds them; our buffer cache may write a delayed buffer
 * back whenever it likes (eviction, flush), so instead the cache sits on this device: a write lands
 * in the open transaction (in memory, by sector), never at its home location, and reads see the
 * transaction's newest bytes over the device. Only the log's checkpoint, after the commit header is
 * on disk, writes the blocks home — so a crash at any moment leaves home metadata as of some commit.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';

export class WapblMetaDevice implements BlockDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly = false;
  /** The open transaction: sector index → that sector's newest bytes. */
  readonly pending = new Map<number, Uint8Array>();
  /** Sectors written by one request starting at a sector (a buffer's size, for a freed block's extent). */
  readonly #starts = new Map<number, number>();
  /** Called by flush() (the cache's fsync of this device): the commit point. */
  onflush: (() => void) | null = null;
  /** Called with the sector indexes a write brought into the transaction (to cancel their revocation). */
  onwrite: ((first: number, count: number) => void) | null = null;

  constructor(readonly raw: BlockDevice) {
    this.secsize = raw.secsize;
    this.size = raw.size;
  }

  #check(buf: Uint8Array, offset: number, what: string): void {
    const ss = this.secsize;
    if (offset % ss !== 0 || buf.length % ss !== 0 || offset < 0 || offset + buf.length > this.size) {
      throw errno('EIO', `wapbl: metadata ${what} of ${buf.length} bytes at ${offset} is not whole sectors on the device`);
    }
  }

  read(buf: Uint8Array, offset: number): void {
    this.#check(buf, offset, 'read');
    this.raw.read(buf, offset);
    if (this.pending.size === 0) return;
    const ss = this.secsize;
    const first = offset / ss;
    const n = buf.length / ss;
    for (let i = 0; i < n; i++) {
      const s = this.pending.get(first + i);
      if (s) buf.set(s, i * ss);
    }
  }

  write(buf: Uint8Array, offset: number): void {
    this.#check(buf, offset, 'write');
    const ss = this.secsize;
    const first = offset / ss;
    const n = buf.length / ss;
    for (let i = 0; i < n; i++) this.pending.set(first + i, buf.slice(i * ss, (i + 1) * ss));
    if ((this.#starts.get(first) ?? 0) < n) this.#starts.set(first, n);
    this.onwrite?.(first, n);
  }

  flush(): void {
    this.onflush?.();
  }

  /** Sectors of the largest write that started at sector `first` in this transaction (0 if none). */
  extentAt(first: number): number {
    return this.#starts.get(first) ?? 0;
  }

  /** Drop sectors [first, first+count) from the transaction (a freed block: it must not go home). */
  drop(first: number, count: number): void {
    if (this.pending.size === 0) return;
    for (let i = 0; i < count; i++) this.pending.delete(first + i);
  }

  /**
   * The transaction's contents as runs of adjacent sectors (each at most `maxRun` bytes), ascending,
   * and the transaction emptied.
   */
  take(maxRun: number): { sector: number; data: Uint8Array }[] {
    const ss = this.secsize;
    const keys = [...this.pending.keys()].sort((a, b) => a - b);
    const runs: { sector: number; data: Uint8Array }[] = [];
    let i = 0;
    while (i < keys.length) {
      const start = keys[i] as number;
      let j = i + 1;
      while (j < keys.length && keys[j] === start + (j - i) && (j - i + 1) * ss <= maxRun) j++;
      const data = new Uint8Array((j - i) * ss);
      for (let k = i; k < j; k++) data.set(this.pending.get(keys[k] as number) as Uint8Array, (k - i) * ss);
      runs.push({ sector: start, data });
      i = j;
    }
    this.pending.clear();
    this.#starts.clear();
    return runs;
  }
}
