/**
 * One client connection = one kernel process (rumpuser_sp.c's spclient): the rumpts protocol on top
 * of a ConnectionPipe. Frames are executed synchronously in arrival order against the connection's
 * Proc, as fast as the pipe's bounds allow; replies are batched into few socket writes. A protocol
 * violation closes this connection only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { type ErrnoCode, isRumpError, type Proc, RumpError } from '@rumpts/librump';
import {
  beginFrame, CALL_BY_OP, endFrame, type Frame, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO, parseFrame, PROTO_MAJOR, PROTO_MINOR,
  ProtocolError, Reader, RUMPTS_LAYOUT, type WireValue, Writer,
} from '@rumpts/rumpclient/protocol';
import { ConnectionPipe, EndpointBase, type PipeContext } from './pipe.js';
import { checkArgs, HANDLERS } from './syscalls.js';

/** What a connection needs from its server. */
export interface ConnectionHost extends PipeContext {
  readonly token: string | undefined;
  readonly banner: string;
  log(line: string): void;
  /** Log a line caused by a peer that has not authenticated (rate-limited: anyone can cause them). */
  logUnauthenticated(line: string): void;
  debug(line: string): void;
  newproc(): Proc;
  /**
   * A client asked for reboot(howto); the host replies through `reply` once the kernel is down
   * (it resolves when the answer has left).
   */
  reboot(conn: HostedConnection, howto: number, reply: () => Promise<void>): void;
  closed(conn: HostedConnection): void;
}

/** A connection as its server sees it, whatever its protocol. */
export interface HostedConnection {
  readonly id: number;
  /** Close quietly (server shutdown). */
  end(): void;
}

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export class Connection extends EndpointBase implements HostedConnection {
  /** The transport: framing, handshake slot and timeout, backpressure (shared with any protocol). */
  readonly pipe: ConnectionPipe;
  #state: 'new' | 'running' | 'dead' = 'new';
  #proc: Proc | undefined;
  comm = '?';

  constructor(
    readonly id: number,
    socket: Socket,
    readonly host: ConnectionHost,
    /** The pipe, when the listener made it to find out the protocol (it is started already). */
    pipe?: ConnectionPipe,
  ) {
    super();
    this.pipe = pipe ?? new ConnectionPipe(socket, RUMPTS_LAYOUT, host);
  }

  /** Start reading (after the host has recorded the connection: it may be closed at once). */
  start(): void {
    this.pipe.start(this);
  }

  get dead(): boolean {
    return this.#state === 'dead';
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  // --- PipeEndpoint ---

  frame(buf: Buffer): void {
    if (this.#state === 'dead') return;
    try {
      this.#frame(parseFrame(buf));
    } catch (e) {
      this.#violation(e);
    }
  }

  violation(e: unknown): void {
    this.#violation(e);
  }

  protected drop(code: ErrnoCode, why: string, now: boolean): void {
    this.fatal(code, why, now);
  }

  gone(byPeer: boolean, partial: number): void {
    if (byPeer && partial > 0 && this.#state !== 'dead') {
      this.#logLine(`${this.#who()}: peer vanished mid-request (${partial} bytes of requests not yet run dropped)`);
    }
    this.#state = 'dead';
    const p = this.#proc;
    this.#proc = undefined;
    if (p && !p.exited) {
      try {
        if (p.kernel.running) p.exit();
      } catch (e) {
        this.host.log(`connection ${this.id}: exit of pid ${p.pid}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.host.closed(this);
  }

  #who(): string {
    return `connection ${this.id}${this.#proc ? ` (pid ${this.#proc.pid}, '${this.comm}')` : ''}`;
  }

  #logLine(line: string): void {
    if (this.pipe.authenticated) this.host.log(line);
    else this.host.logUnauthenticated(line);
  }

  #violation(e: unknown): void {
    if (e instanceof ProtocolError) this.fatal('EPROTO', e.message);
    else this.fatal('EIO', `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }

  #frame(f: Frame): void {
    if (this.#state === 'new') {
      if (f.kind !== K_HELLO) throw new ProtocolError(`frame kind ${f.kind} before the handshake`);
      this.#hello(f);
      return;
    }
    if (f.kind !== K_CALL) throw new ProtocolError(`unexpected frame kind ${f.kind}`);
    const call = CALL_BY_OP.get(f.op);
    if (!call) throw new ProtocolError(`unknown call ${f.op}`);
    const r = new Reader(f.buf, HEADER_SIZE);
    const args = checkArgs(call.name, call.args, r.value());
    if (r.remaining !== 0) throw new ProtocolError(`${call.name}: ${r.remaining} stray bytes after the arguments`);
    const proc = this.#proc as Proc;
    if (call.name === 'reboot') {
      const id = f.id;
      this.pipe.flush();
      this.pipe.hold();
      this.host.reboot(this, args[0] as number, () => {
        this.#reply(id, null);
        this.pipe.flush();
        this.pipe.release();
        return this.pipe.flushed();
      });
      return;
    }
    let result: WireValue | void;
    try {
      result = HANDLERS[call.name](proc, args);
    } catch (e) {
      this.#error(f.id, e);
      return;
    }
    // read and pread return a buffer of their own (syscalls.ts readInto), which the reply may keep
    this.#reply(f.id, result ?? null, call.name === 'read' || call.name === 'pread');
  }

  #hello(f: Frame): void {
    const r = new Reader(f.buf, HEADER_SIZE);
    const major = r.u16();
    const minor = r.u16();
    const info = r.value();
    if (info === null || typeof info !== 'object' || Array.isArray(info) || info instanceof Uint8Array) throw new ProtocolError('handshake body is not a map');
    const o = info as Record<string, WireValue>;
    if (major !== PROTO_MAJOR) {
      this.fatal('EPROGMISMATCH', `protocol ${major}.${minor} requested, this server speaks ${PROTO_MAJOR}.${PROTO_MINOR}`);
      return;
    }
    if (this.host.token !== undefined) {
      const given = typeof o['token'] === 'string' ? o['token'] : '';
      if (!timingSafeEqual(sha(given), sha(this.host.token))) {
        this.fatal('EAUTH', given === '' ? 'authentication failed (no token given; this server requires one)' : 'authentication failed (the token does not match)');
        return;
      }
    }
    if (typeof o['comm'] === 'string') this.comm = o['comm'].slice(0, 64);
    if (!this.pipe.authenticate()) {
      this.fatal('EAGAIN', `too many connections (the limit is ${this.host.limits.maxConnections})`);
      return;
    }
    this.#proc = this.host.newproc();
    this.#state = 'running';
    const w = this.pipe.writer();
    const at = beginFrame(w, f.id, K_WELCOME);
    w.u16(PROTO_MAJOR);
    w.u16(PROTO_MINOR);
    w.value({ banner: this.host.banner, pid: this.#proc.pid, maxFrame: this.host.limits.maxFrame, maxIo: MAX_IO });
    endFrame(w, at);
    this.host.debug(`connection ${this.id}: '${this.comm}' is pid ${this.#proc.pid}`);
  }

  /** Answer OK with `v`. `owned`: v is a buffer nothing else holds, which may be sent without a copy. */
  #reply(id: number, v: WireValue, owned = false): void {
    if (owned && v instanceof Uint8Array && v.length >= BULK_MIN && HEADER_SIZE + 5 + v.length <= this.host.limits.maxFrame) {
      // A read's data goes out as it is, after its frame header.
      const w = this.pipe.writer();
      const at = beginFrame(w, id, K_OK);
      w.bytesHead(v.length);
      w.buf.writeUInt32LE(w.pos - at + v.length, at);
      this.pipe.sendBulk(v);
      return;
    }
    const w = this.pipe.writer(HEADER_SIZE + bulkSize(v));
    const at = beginFrame(w, id, K_OK);
    w.value(v);
    endFrame(w, at);
    if (w.pos - at > this.host.limits.maxFrame) {
      w.pos = at;
      this.#error(id, new RumpError('EMSGSIZE', 'reply exceeds the frame-size limit'));
    }
  }

  #error(id: number, e: unknown): void {
    let err: RumpError;
    if (isRumpError(e)) {
      err = e;
    } else {
      // A bug below us: keep serving, tell the caller, leave a trace.
      this.host.log(`connection ${this.id}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      err = new RumpError('EIO', `internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    const w = this.pipe.writer();
    const at = beginFrame(w, id, K_ERR);
    w.u32(err.errno);
    w.value({ code: err.code, detail: err.detail ?? null, syscall: err.syscall ?? null, path: err.path ?? null });
    endFrame(w, at);
  }

  /**
   * Say why (one BYE frame), log it, and close this connection only. `now`: drop it without the
   * goodbye (a peer that reads nothing would never take it).
   */
  fatal(code: ErrnoCode, why: string, now = false): void {
    if (this.#state === 'dead') return;
    this.#logLine(`${this.#who()}: ${why}; closing it`);
    this.#state = 'dead';
    this.pipe.close(byeFrame(code, why), now);
  }

  /** Close quietly (server shutdown). */
  end(): void {
    if (this.#state === 'dead') return;
    this.pipe.close();
  }
}

/** Our protocol's goodbye: the errno and why, before the server closes the connection. */
export function byeFrame(code: ErrnoCode, why: string): Buffer {
  const w = new Writer(64);
  const at = beginFrame(w, 0, K_BYE);
  w.u32(new RumpError(code).errno);
  w.value({ code, detail: why });
  endFrame(w, at);
  return w.buf.subarray(0, w.pos);
}

/** Read results at least this big are sent without being copied into the batch. */
const BULK_MIN = 16 * 1024;

/** The bytes of data a reply carries (a read's buffer, readv's buffers), to size its batch buffer. */
function bulkSize(v: WireValue): number {
  if (v instanceof Uint8Array) return 5 + v.length;
  if (Array.isArray(v)) {
    let n = 5;
    for (const x of v as readonly WireValue[]) n += x instanceof Uint8Array ? 5 + x.length : 16;
    return n;
  }
  return 64;
}
