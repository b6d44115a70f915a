/**
 * A sysproxy client on a listener that does not serve sysproxy to it (tcp with a token): sysproxy
 * has no authentication, so it can never get in. It is told so at once, in the protocol's own
 * words — its first frame, whatever it is, is answered ERROR AUTH (what NetBSD's rumpuser_sp.c
 * answers a client that may not in; librumpclient's rumpclient_init then fails with EPERM) and the
 * connection is closed. This endpoint holds no process and no kernel reference: nothing a peer
 * sends here reaches the kernel. It costs one 24-byte frame; the pipe's pre-handshake limits (the
 * 16 KiB frame limit, the handshake slot and its timeout) apply until it has gone.
 */
import type { ErrnoCode } from '@rumpts/librump';
import { putSpHeader, RUMPSP_ERR_AUTH, RUMPSP_ERROR, SP_HEADER } from '@rumpts/rumpclient/protocol';
import type { ConnectionHost, HostedConnection } from '../server/connection.js';
import { type ConnectionPipe, EndpointBase } from '../server/pipe.js';

/** Why, in the server's log. */
const WHY = 'sysproxy handshake refused (ERROR AUTH): sysproxy has no authentication and this listener requires a token';

export class SpRefusal extends EndpointBase implements HostedConnection {
  #done = false;

  constructor(
    readonly id: number,
    readonly host: ConnectionHost,
    /** The pipe the listener made and started while it found out the protocol. */
    readonly pipe: ConnectionPipe,
  ) {
    super();
  }

  /** The first frame (a GUEST or FORK handshake from a real client) gets ERROR AUTH, echoing its reqno. */
  frame(buf: Buffer): void {
    if (this.#done) return;
    const w = this.pipe.writer(SP_HEADER);
    w.ensure(SP_HEADER);
    putSpHeader(w.buf, w.pos, SP_HEADER, buf.subarray(8, 16), RUMPSP_ERROR, 0, RUMPSP_ERR_AUTH);
    w.pos += SP_HEADER;
    this.#close(WHY, false);
  }

  violation(e: unknown): void {
    this.#close(e instanceof Error ? e.message : String(e), true);
  }

  /** As a served sysproxy connection: no goodbye frame, closed at once. */
  protected drop(_code: ErrnoCode, why: string): void {
    this.#close(why, true);
  }

  gone(): void {
    this.#done = true;
    this.host.closed(this);
  }

  /** Close quietly (server shutdown). */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.pipe.close();
  }

  /** Log why (rate-limited: anyone can cause it) and close, after the ERROR unless `now`. */
  #close(why: string, now: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.host.logUnauthenticated(`sysproxy connection ${this.id}: ${why}; closing it`);
    this.pipe.close(undefined, now);
  }
}
