/**
 * One client connection = one kernel process (rumpuser_sp.c's spclient). Frames are decoded as they
 * arrive and executed synchronously in arrival order against the connection's Proc; the replies of
 * one read batch go out in one socket write. A protocol violation closes this connection only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { type ErrnoCode, isRumpError, type Proc, RumpError } from '@rumpts/librump';
import { CALL_BY_OP } from '../protocol/calls.js';
import { ProtocolError, Reader, type WireValue, Writer } from '../protocol/codec.js';
import { beginFrame, endFrame, type Frame, FrameReader, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO } from '../protocol/frame.js';
import { PROTO_MAJOR, PROTO_MINOR } from '../protocol/version.js';
import { checkArgs, HANDLERS } from './syscalls.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly maxFrame: number;
  readonly token: string | undefined;
  readonly banner: string;
  log(line: string): void;
  debug(line: string): void;
  newproc(): Proc;
  /** A client asked for reboot(howto); the host replies through `reply` once the kernel is down. */
  reboot(conn: Connection, howto: number, reply: () => void): void;
  closed(conn: Connection): void;
}

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export class Connection {
  readonly reader: FrameReader;
  #state: 'new' | 'running' | 'dead' = 'new';
  #proc: Proc | undefined;
  #out: Writer | undefined;
  #timer: NodeJS.Timeout | undefined;
  comm = '?';

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly host: ConnectionHost,
    handshakeTimeoutMs: number,
  ) {
    this.reader = new FrameReader(host.maxFrame);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => this.host.debug(`connection ${this.id}: ${e.message}`));
    socket.on('close', () => {
      if (this.#state !== 'dead' && this.reader.pending > 0) {
        this.host.log(`connection ${this.id}${this.#proc ? ` (pid ${this.#proc.pid}, '${this.comm}')` : ''}: peer vanished mid-request (${this.reader.pending} bytes of a partial frame dropped)`);
      }
      this.#teardown();
    });
    socket.on('drain', () => socket.resume());
    this.#timer = setTimeout(() => this.fatal('EAUTH', `no handshake within ${handshakeTimeoutMs} ms`), handshakeTimeoutMs);
    this.#timer.unref();
  }

  get dead(): boolean {
    return this.#state === 'dead';
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  #onData(chunk: Buffer): void {
    if (this.#state === 'dead') return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.#violation(e);
      return;
    }
    for (const f of frames) {
      if (this.dead) return;
      try {
        this.#frame(f);
      } catch (e) {
        this.#violation(e);
        return;
      }
    }
    this.#flush();
  }

  #violation(e: unknown): void {
    if (e instanceof ProtocolError) this.fatal('EPROTO', e.message);
    else this.fatal('EIO', `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }

  #writer(): Writer {
    return (this.#out ??= new Writer(1024));
  }

  #flush(): void {
    const w = this.#out;
    if (!w || w.pos === 0 || this.#state === 'dead') return;
    this.#out = undefined;
    // Pause reading while the peer does not take our replies: bounded memory per connection.
    if (!this.socket.write(w.buf.subarray(0, w.pos))) this.socket.pause();
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
      this.#flush();
      this.host.reboot(this, args[0] as number, () => {
        this.#reply(id, null);
        this.#flush();
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
    this.#reply(f.id, result ?? null);
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
        this.fatal('EAUTH', 'authentication failed (RUMP_SERVER_TOKEN does not match)');
        return;
      }
    }
    if (typeof o['comm'] === 'string') this.comm = o['comm'].slice(0, 64);
    clearTimeout(this.#timer);
    this.#proc = this.host.newproc();
    this.#state = 'running';
    const w = this.#writer();
    const at = beginFrame(w, f.id, K_WELCOME);
    w.u16(PROTO_MAJOR);
    w.u16(PROTO_MINOR);
    w.value({ banner: this.host.banner, pid: this.#proc.pid, maxFrame: this.host.maxFrame, maxIo: MAX_IO });
    endFrame(w, at);
    this.host.debug(`connection ${this.id}: '${this.comm}' is pid ${this.#proc.pid}`);
  }

  #reply(id: number, v: WireValue): void {
    const w = this.#writer();
    const at = beginFrame(w, id, K_OK);
    w.value(v);
    endFrame(w, at);
    if (w.pos - at > this.host.maxFrame) {
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
    const w = this.#writer();
    const at = beginFrame(w, id, K_ERR);
    w.u32(err.errno);
    w.value({ code: err.code, detail: err.detail ?? null, syscall: err.syscall ?? null, path: err.path ?? null });
    endFrame(w, at);
  }

  /** Say why (one BYE frame), log it, and close this connection only. */
  fatal(code: ErrnoCode, why: string): void {
    if (this.#state === 'dead') return;
    this.host.log(`connection ${this.id}${this.#proc ? ` (pid ${this.#proc.pid}, '${this.comm}')` : ''}: ${why}; closing it`);
    this.#flush();
    const w = new Writer(64);
    const at = beginFrame(w, 0, K_BYE);
    w.u32(new RumpError(code).errno);
    w.value({ code, detail: why });
    endFrame(w, at);
    this.#state = 'dead';
    this.socket.end(w.buf.subarray(0, w.pos));
    this.socket.destroySoon();
    this.#teardown();
  }

  /** Close quietly (server shutdown). */
  end(): void {
    if (this.#state === 'dead') return;
    this.#flush();
    this.#state = 'dead';
    this.socket.end();
    this.#teardown();
  }

  #teardown(): void {
    this.#state = 'dead';
    clearTimeout(this.#timer);
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
}
