/**
 * The server's resource limits (docs/protocol.md §7): how much a connection may make the server
 * hold before and after it authenticates. They belong to the transport, not to one protocol — a
 * connection of any protocol the server speaks is admitted, reassembled and paced by the same rules.
 */
import { errno } from '@rumpts/librump';
import { DEFAULT_MAX_FRAME } from '../protocol/frame.js';

export interface ServerLimits {
  /** Frame-size limit once a connection has authenticated (default 4 MiB). */
  maxFrame: number;
  /** Frame-size limit before the handshake: a HELLO is small (default 16 KiB). */
  preauthMaxFrame: number;
  /** Close a connection that has not completed the handshake within this time (default 3 s). */
  handshakeTimeoutMs: number;
  /**
   * Connections still in the handshake at once (default 64). One more arriving closes the oldest
   * of them, so idle sockets can never keep an authenticating client out.
   */
  maxUnauthenticated: number;
  /** Authenticated connections at once (default 1024); one more is refused with EAGAIN. */
  maxConnections: number;
  /**
   * Reply bytes one connection may have waiting to be sent before the server stops reading its
   * requests (default 2 MiB). Requests are executed again once the peer has taken its replies.
   */
  connReplyBytes: number;
  /** Reply bytes all connections together may have waiting (default 32 MiB). */
  serverReplyBytes: number;
  /**
   * Past serverReplyBytes, a connection with nothing waiting may still run requests until this
   * much more is waiting (default 16 MiB): a client that reads its replies keeps being served while
   * others hold the budget with replies they never read.
   */
  reserveReplyBytes: number;
  /**
   * While the server's reply budget is exhausted and a connection waits for it, a connection whose
   * replies have not moved for this long is closed, longest-stalled first (default 2 s).
   */
  stallTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxFrame: DEFAULT_MAX_FRAME,
  preauthMaxFrame: 16 * 1024,
  handshakeTimeoutMs: 3000,
  maxUnauthenticated: 64,
  maxConnections: 1024,
  connReplyBytes: 2 * 1024 * 1024,
  serverReplyBytes: 32 * 1024 * 1024,
  reserveReplyBytes: 16 * 1024 * 1024,
  stallTimeoutMs: 2000,
});

/** Fill in the defaults and check that the limits make sense together. */
export function resolveLimits(given: Partial<ServerLimits> = {}): ServerLimits {
  const l: ServerLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given) as [keyof ServerLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw errno('EINVAL', `server limit ${k} must be a positive number, not ${v}`);
    l[k] = v;
  }
  if (l.preauthMaxFrame > l.maxFrame) l.preauthMaxFrame = l.maxFrame;
  return l;
}
