/**
 * The server-wide reply budget: bytes of replies handed to sockets and not yet taken by the peers,
 * summed over every connection. A connection runs its next request only while the budget admits
 * it; otherwise it waits here and is woken, oldest first, when replies drain. While the budget is
 * exhausted and someone waits, connections whose replies have not moved for the stall timeout are
 * evicted, longest-stalled first, so peers that never read cannot hold the server's memory for ever.
 */

/** A connection as the budget sees it. */
export interface BudgetMember {
  /** Reply bytes this connection has waiting (sent to its socket, not yet flushed). */
  readonly queued: number;
  /** When its waiting replies last moved (ms, performance.now()). */
  readonly lastProgress: number;
  /** Its peer has taken every reply it was sent at least once (it reads). */
  readonly proven: boolean;
  /** The budget has room again: run requests. */
  wake(): void;
  /** Close the connection: its replies have not moved for `stalledMs` while others wait. */
  evict(stalledMs: number): void;
}

export class ReplyBudget {
  /** Bytes waiting, all connections together. */
  used = 0;
  /** The most that was ever waiting. */
  peak = 0;
  /** Connections closed for stalling. */
  evictions = 0;
  readonly #holders = new Set<BudgetMember>();
  readonly #waiters = new Set<BudgetMember>();
  #wakeQueued = false;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly limit: number,
    readonly reserve: number,
    readonly stallMs: number,
  ) {}

  /**
   * May a connection with `own` bytes waiting run its next request? Below the limit anyone may;
   * past it only a connection with nothing waiting, and only into the reserve.
   */
  admits(own: number): boolean {
    return this.used < this.limit || (own === 0 && this.used < this.limit + this.reserve);
  }

  /** `m` handed `n` more bytes to its socket. */
  charge(m: BudgetMember, n: number): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
    this.#holders.add(m);
  }

  /** `n` of `m`'s bytes were sent (or dropped with its connection). */
  release(m: BudgetMember, n: number): void {
    this.used -= n;
    if (m.queued === 0) this.#holders.delete(m);
    if (this.#waiters.size > 0 && !this.#wakeQueued && this.admits(0)) {
      this.#wakeQueued = true;
      setImmediate(() => this.#wakeWaiters());
    }
  }

  /** `m` could not run: wake it when there is room. */
  wait(m: BudgetMember): void {
    this.#waiters.add(m);
    if (this.#stallTimer === undefined) {
      this.#stallTimer = setInterval(() => this.#evictStalled(), Math.max(50, Math.min(1000, this.stallMs / 4)));
      this.#stallTimer.unref();
    }
  }

  /** `m` is gone: forget it (its bytes are released by the caller). */
  leave(m: BudgetMember): void {
    this.#waiters.delete(m);
    this.#holders.delete(m);
    this.#idle();
  }

  /**
   * Wake waiters while there is room: first those whose peers have shown they read their replies,
   * then the rest, oldest first — a reading client is not queued behind a crowd of new connections
   * that will never read.
   */
  #wakeWaiters(): void {
    this.#wakeQueued = false;
    for (const proven of [true, false]) {
      for (const m of [...this.#waiters]) {
        if (!this.admits(0)) break;
        if (m.proven !== proven || !this.admits(m.queued)) continue;
        this.#waiters.delete(m);
        m.wake();
      }
    }
    this.#idle();
  }

  #idle(): void {
    if (this.#waiters.size === 0 && this.#stallTimer !== undefined) {
      clearInterval(this.#stallTimer);
      this.#stallTimer = undefined;
    }
  }

  #evictStalled(): void {
    if (this.#waiters.size === 0 || this.used < this.limit) return;
    const now = performance.now();
    const stalled = [...this.#holders].filter((m) => m.queued > 0 && now - m.lastProgress >= this.stallMs);
    stalled.sort((a, b) => a.lastProgress - b.lastProgress);
    for (const m of stalled) {
      if (this.used < this.limit) break;
      this.evictions++;
      m.evict(now - m.lastProgress);
    }
  }
}
