/**
 * Connection slots: connections that have not yet authenticated are counted apart from those that
 * have. The handshake slots are few and short-lived — when they are full, a new connection takes the
 * slot of the oldest one, which is closed — so sockets that never say HELLO cost little and can never
 * keep a client with the right token out. Authenticated connections have their own, larger limit.
 */

/** A connection as the slots see it. */
export interface SlotMember {
  /** Close it: it lost its handshake slot to a newer connection. */
  evictUnauthenticated(): void;
}

export class ConnectionSlots {
  /** Connections in the handshake, oldest first (a Set keeps insertion order). */
  readonly #pending = new Set<SlotMember>();
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

  /** A new connection takes a handshake slot, closing the oldest holder if they are all taken. */
  admit(m: SlotMember): void {
    while (this.#pending.size >= this.maxUnauthenticated) {
      const oldest = this.#pending.values().next().value as SlotMember;
      this.#pending.delete(oldest);
      this.evictions++;
      oldest.evictUnauthenticated();
    }
    this.#pending.add(m);
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
