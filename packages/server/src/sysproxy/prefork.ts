/**
 * Preforked processes waiting for their child's connection (rumpuser_sp.c's prefork list): a
 * PREFORK copies the client's process and hands out a random 16-byte cookie; the child, after the
 * host fork(), connects and presents it in a FORK handshake. Each connection may hold a few at once;
 * those nobody claims are released a while after their parent's connection goes.
 */
import { randomBytes } from 'node:crypto';
import type { Proc } from '@rumpts/librump';
import { RSP_AUTHLEN } from '@rumpts/rumpclient/protocol';

/** Unclaimed preforks one connection may hold (a shell forks one child at a time). */
export const MAX_PREFORKS = 32;
/** How long a prefork outlives its parent's connection (a daemonising parent exits before its child connects). */
export const ORPHAN_GRACE_MS = 10_000;

interface Prefork {
  proc: Proc;
  owner: object;
}

export class PreforkTable {
  readonly #byCookie = new Map<string, Prefork>();
  readonly #count = new Map<object, number>();

  /** Preforks held by `owner`. */
  held(owner: object): number {
    return this.#count.get(owner) ?? 0;
  }

  /** Keep `proc` for a child to claim; returns the cookie. */
  add(proc: Proc, owner: object): Buffer {
    const cookie = randomBytes(RSP_AUTHLEN);
    this.#byCookie.set(cookie.toString('hex'), { proc, owner });
    this.#count.set(owner, this.held(owner) + 1);
    return cookie;
  }

  /** The process of `cookie`, removed from the table (a cookie is good once), or undefined. */
  take(cookie: Uint8Array): Proc | undefined {
    const key = Buffer.from(cookie).toString('hex');
    const pf = this.#byCookie.get(key);
    if (!pf) return undefined;
    this.#byCookie.delete(key);
    const n = this.held(pf.owner) - 1;
    if (n > 0) this.#count.set(pf.owner, n);
    else this.#count.delete(pf.owner);
    return pf.proc;
  }

  /** `owner` is gone: release its unclaimed preforks after the grace period (at once with `now`). */
  orphan(owner: object, now = false): void {
    if (this.held(owner) === 0) return;
    const release = (): void => {
      for (const [key, pf] of this.#byCookie) {
        if (pf.owner !== owner) continue;
        this.#byCookie.delete(key);
        if (pf.proc.kernel.running) pf.proc.exit();
      }
      this.#count.delete(owner);
    };
    if (now) release();
    else setTimeout(release, ORPHAN_GRACE_MS).unref();
  }
}
