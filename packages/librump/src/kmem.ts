/**
 * Kernel memory accounting (kmem + the pagedaemon's role): caches charge what they hold against the
 * kernel's memlimit (rump_server -r, RUMP_MEMLIMIT). When a charge would pass the limit, registered
 * caches are asked to shrink first; only if that cannot make room does the charge fail with ENOMEM.
 */
import { errno } from './errno.js';

/** A cache that can give memory back when the kernel runs short (the pagedaemon's drain). */
export interface Reclaimer {
  /** Shown in diagnostics. */
  readonly name: string;
  /** Release at least `bytes` if possible; return how many bytes were actually released (uncharged). */
  reclaim(bytes: number): number;
}

/** The kernel memory account of one kernel (`kernel.kmem`). */
export class Kmem {
  /** The limit in bytes (Infinity: none). */
  readonly limit: number;
  #inuse = 0;
  #peak = 0;
  #reclaiming = false;
  readonly #reclaimers: Reclaimer[] = [];
  /** Count of times a reclaimer pass ran, for sysctl and tests. */
  reclaimPasses = 0;

  /** An account with this limit in bytes (positive; Infinity for none). */
  constructor(limit: number = Number.POSITIVE_INFINITY) {
    if (!(limit > 0)) throw errno('EINVAL', `memlimit must be positive, got ${limit}`);
    this.limit = limit;
  }

  /** Bytes charged now. */
  get inuse(): number {
    return this.#inuse;
  }

  /** The most bytes ever charged at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Ask `r` to shrink when a charge would pass the limit; the function returned unregisters it. */
  registerReclaimer(r: Reclaimer): () => void {
    this.#reclaimers.push(r);
    return () => {
      const i = this.#reclaimers.indexOf(r);
      if (i >= 0) this.#reclaimers.splice(i, 1);
    };
  }

  /** Would `bytes` fit without reclaiming? */
  fits(bytes: number): boolean {
    return this.#inuse + bytes <= this.limit;
  }

  /** Charge `bytes`, shrinking caches first if needed; ENOMEM if it cannot fit. */
  charge(bytes: number, what = 'allocation'): void {
    if (bytes < 0 || !Number.isFinite(bytes)) throw errno('EINVAL', `bad charge ${bytes}`);
    if (this.#inuse + bytes > this.limit) this.#makeRoom(bytes);
    if (this.#inuse + bytes > this.limit) {
      throw errno('ENOMEM', `${what} of ${bytes} bytes exceeds the kernel memory limit (${this.#inuse} of ${this.limit} in use)`);
    }
    this.#inuse += bytes;
    if (this.#inuse > this.#peak) this.#peak = this.#inuse;
  }

  /** Charge without reclaiming and without failing; false if over the limit (caller backs off). */
  tryCharge(bytes: number): boolean {
    if (this.#inuse + bytes > this.limit) return false;
    this.#inuse += bytes;
    if (this.#inuse > this.#peak) this.#peak = this.#inuse;
    return true;
  }

  /** Give back `bytes` charged earlier. */
  uncharge(bytes: number): void {
    this.#inuse -= bytes;
    if (this.#inuse < 0) this.#inuse = 0;
  }

  #makeRoom(bytes: number): void {
    // A reclaimer that itself allocates must not recurse into reclaiming.
    if (this.#reclaiming) return;
    this.#reclaiming = true;
    try {
      this.reclaimPasses++;
      for (const r of [...this.#reclaimers]) {
        const need = this.#inuse + bytes - this.limit;
        if (need <= 0) break;
        r.reclaim(need);
      }
    } finally {
      this.#reclaiming = false;
    }
  }
}
