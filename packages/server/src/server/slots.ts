/**
 * Connection slots: connections that have not yet authenticated are counted apart from those that
 * have. The handshake slots are few and short-lived — when they are full, a new connection takes the
 * slot of the oldest one, which is closed — so sockets that never say HELLO cost little and cannot
 * keep a client with the right token out for long. A connection keeps its slot for a grace period
 * whatever arrives after it, so a burst of connections accepted in one go cannot close one whose
 * HELLO is already waiting to be read; a connection that finds every slot in its grace is refused
 * (the client library tries again). Authenticated connections have their own, larger limit.
 */

/** A connection as the slots see it. */
export interface SlotMember {
  /** Close it: it lost its handshake slot to a newer connection. */
  evictUnauthenticated(): void;
}

/** How long a connection keeps its handshake slot against newcomers (ms). */
export const SLOT_GRACE_MS = 500;

export class ConnectionSlots {
  /** Connections in the handshake with their arrival time, oldest first (a Map keeps insertion order). */
  readonly #pending = new Map<SlotMember, number>();
  readonly #active = new Set<SlotMember>();
  /** Handshake slots taken over from older connections. */
  evictions = 0;

  constructor(
    readonly maxUnauthenticated: number,
    readonly maxConnections: number,
  ) {}

  get unauthenticated(): number {
    return this.#pending.size;
  }

  get authenticated(): number {
    return this.#active.size;
  }

  /** Newcomers refused because every slot was in its grace period. */
  refusals = 0;

  /**
   * A new connection takes a handshake slot, closing the oldest holder if they are all taken and it
   * is past its grace. False: every holder is in its grace, the newcomer is refused.
   */
  admit(m: SlotMember, now = performance.now()): boolean {
    while (this.#pending.size >= this.maxUnauthenticated) {
      const [oldest, since] = this.#pending.entries().next().value as [SlotMember, number];
      if (now - since < SLOT_GRACE_MS) {
        this.refusals++;
        return false;
      }
      this.#pending.delete(oldest);
      this.evictions++;
      oldest.evictUnauthenticated();
    }
    this.#pending.set(m, now);
    return true;
  }

  /** `m` authenticated: false when every connection slot is taken (the caller refuses it). */
  promote(m: SlotMember): boolean {
    this.#pending.delete(m);
    if (this.#active.size >= this.maxConnections) return false;
    this.#active.add(m);
    return true;
  }

  /** `m` is gone. */
  leave(m: SlotMember): void {
    this.#pending.delete(m);
    this.#active.delete(m);
  }
}
