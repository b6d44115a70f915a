/**
 * One sysproxy client (rumpuser_sp.c's spclient) on top of a ConnectionPipe: the GUEST and FORK
 * handshakes make it a kernel process, then its SYSCALL requests run concurrently — each waits only
 * for its own COPYIN answers — and are answered in whatever order they finish; PREFORK and the EXEC
 * handshake carry fork(2) and execve(2) of the client. The pipe's bounds apply as to our protocol:
 * the pre-handshake frame limit and timeout, handshake slots, reply backpressure.
 */
import { errno, type ErrnoCode, isRumpError, type Proc, RUMP_RFFDG, type RumpError } from '@rumpts/librump';
import {
  HANDSHAKE_EXEC, HANDSHAKE_FORK, HANDSHAKE_GUEST, parseSpFrame, ProtocolError, putSpHeader, RSP_AUTHLEN, RSP_COPYDATA, RSP_HANDSHAKE_FORK, RSP_SYSRESP,
  RUMPSP_COPYIN, RUMPSP_COPYINSTR, RUMPSP_COPYOUT, RUMPSP_ERR_AUTH, RUMPSP_ERR_INEXEC, RUMPSP_ERR_INVALID_PREFORK, RUMPSP_ERR_MALFORMED_REQUEST,
  RUMPSP_ERR_NOMEM, RUMPSP_ERR_RFORK_FAILED, RUMPSP_ERR_TRYAGAIN, RUMPSP_ERROR, RUMPSP_HANDSHAKE, RUMPSP_PREFORK, RUMPSP_RAISE, RUMPSP_REQ, RUMPSP_RESP,
  RUMPSP_SYSCALL, SP_HEADER, type SpFrame, SYS_NSYSENT, SYS_reboot, writePtr,
} from '@rumpts/rumpclient/protocol';
import type { ConnectionHost, HostedConnection } from '../server/connection.js';
import { type ConnectionPipe, EndpointBase } from '../server/pipe.js';
import { type CallChannel, type Retval, SpCall } from './call.js';
import { attachConsole } from './console.js';
import { MAX_PREFORKS, type PreforkTable } from './prefork.js';
import { SYSCALLS } from './syscalls.js';

/** What a sysproxy connection needs from its server. */
export interface SpHost extends ConnectionHost {
  readonly preforks: PreforkTable;
  /** A new process for a guest: forked off init with an empty descriptor table (RUMP_RFCFDG). */
  guestproc(): Proc;
}

/** Syscalls of one client running at once; one more is answered ERROR TRYAGAIN (EAGAIN). */
export const MAX_INFLIGHT = 128;
/** Argument slots of the widest syscall (8 × register_t); a shorter body reads as zeros. */
const ARG_BYTES = 64;
/** Program names are cut to this (p_comm is 16 bytes in NetBSD; a little slack for the logs). */
const MAX_COMM = 64;
/** A batch of frames written from a syscall's continuation goes out once it holds this much. */
const FLUSH_AT = 64 * 1024;

interface Waiter {
  resolve(b: Buffer): void;
  reject(e: RumpError): void;
  /** The most bytes the answer may carry. */
  max: number;
}

export class SpConnection extends EndpointBase implements HostedConnection, CallChannel {
  #state: 'new' | 'running' | 'dead' = 'new';
  #proc: Proc | undefined;
  comm = '?';
  /** The server's own request numbers on this connection (COPYOUT uses one too). */
  #nextReq = 0;
  readonly #waiters = new Map<number, Waiter>();
  readonly #inflight = new Set<Promise<void>>();
  #inExec = false;
  #flushQueued = false;
  /** Copy-in allowance taken by calls gathering big data, and the calls waiting for some. */
  #reserved = 0;
  readonly #reserveWaiters: { n: number; resolve(): void; reject(e: RumpError): void }[] = [];

  constructor(
    readonly id: number,
    readonly host: SpHost,
    /** The pipe the listener made and started while it found out the protocol. */
    readonly pipe: ConnectionPipe,
  ) {
    super();
  }

  get dead(): boolean {
    return this.#state === 'dead';
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Syscalls running now. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  // --- PipeEndpoint ---

  frame(buf: Buffer): void {
    if (this.#state === 'dead') return;
    try {
      this.#frame(parseSpFrame(buf));
    } catch (e) {
      this.#violation(e);
    }
  }

  violation(e: unknown): void {
    this.#violation(e);
  }

  /** sysproxy has no goodbye frame: the connection just closes, at once. */
  protected drop(_code: ErrnoCode, why: string): void {
    this.#close(why, true);
  }

  gone(byPeer: boolean, partial: number): void {
    if (byPeer && partial > 0 && this.#state !== 'dead') this.#logLine(`${this.#who()}: peer vanished mid-request (${partial} bytes dropped)`);
    this.#state = 'dead';
    for (const w of this.#waiters.values()) w.reject(errno('EFAULT', 'the client disconnected during the copy'));
    this.#waiters.clear();
    for (const w of this.#reserveWaiters.splice(0)) w.reject(errno('EFAULT', 'the client disconnected'));
    const p = this.#proc;
    this.#proc = undefined;
    if (p && !p.exited) {
      try {
        if (p.kernel.running) p.exit();
      } catch (e) {
        this.host.log(`connection ${this.id}: exit of pid ${p.pid}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.host.preforks.orphan(this);
    this.host.closed(this);
  }

  /** Close quietly (server shutdown). */
  end(): void {
    if (this.#state === 'dead') return;
    this.pipe.close();
  }

  #who(): string {
    return `sysproxy connection ${this.id}${this.#proc ? ` (pid ${this.#proc.pid}, '${this.comm}')` : ''}`;
  }

  #logLine(line: string): void {
    if (this.pipe.authenticated) this.host.log(line);
    else this.host.logUnauthenticated(line);
  }

  #violation(e: unknown): void {
    if (e instanceof ProtocolError) this.#close(e.message, true);
    else this.#close(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, true);
  }

  /** Log why and close (flushing what is queued unless `now`). */
  #close(why: string, now = false): void {
    if (this.#state === 'dead') return;
    this.#logLine(`${this.#who()}: ${why}; closing it`);
    this.#state = 'dead';
    this.pipe.close(undefined, now);
  }

  // --- frames ---

  #frame(f: SpFrame): void {
    if (this.#state === 'new') {
      if (f.cls !== RUMPSP_REQ || f.type !== RUMPSP_HANDSHAKE) return this.#refuse(f, RUMPSP_ERR_AUTH, 'first frame is not a handshake');
      if (f.u === HANDSHAKE_GUEST) return this.#guest(f);
      if (f.u === HANDSHAKE_FORK) return this.#forked(f);
      return this.#refuse(f, RUMPSP_ERR_AUTH, `handshake type ${f.u} before GUEST or FORK`);
    }
    if (f.cls === RUMPSP_RESP) return this.#answer(f);
    if (f.cls !== RUMPSP_REQ) return this.#error(f, RUMPSP_ERR_MALFORMED_REQUEST);
    switch (f.type) {
      case RUMPSP_SYSCALL:
        return this.#syscall(f);
      case RUMPSP_HANDSHAKE:
        if (f.u === HANDSHAKE_EXEC) return void this.#exec(f);
        return this.#refuse(f, RUMPSP_ERR_MALFORMED_REQUEST, `handshake type ${f.u} on a running connection`);
      case RUMPSP_PREFORK:
        return this.#prefork(f);
      default:
        return this.#error(f, RUMPSP_ERR_MALFORMED_REQUEST);
    }
  }

  /** The client's reqno bytes, echoed as they came. */
  static #reqno(f: SpFrame): Buffer {
    return Buffer.from(f.buf.subarray(8, 16));
  }

  #send(reqno: number | Uint8Array, cls: number, type: number, u: number, body?: Uint8Array): void {
    const n = SP_HEADER + (body ? body.length : 0);
    const w = this.pipe.writer(n);
    w.ensure(n);
    putSpHeader(w.buf, w.pos, n, reqno, cls, type, u);
    if (body) w.buf.set(body, w.pos + SP_HEADER);
    w.pos += n;
    if (w.pos >= FLUSH_AT) this.pipe.flush();
    else this.#scheduleFlush();
  }

  /** Frames written outside the pipe's pump (a syscall's continuation) go out at the end of the tick. */
  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    process.nextTick(() => {
      this.#flushQueued = false;
      this.pipe.flush();
    });
  }

  #error(f: SpFrame, code: number): void {
    this.#send(SpConnection.#reqno(f), RUMPSP_ERROR, 0, code);
  }

  /** ERROR and shut the connection down (what NetBSD does for a bad handshake). */
  #refuse(f: SpFrame, code: number, why: string): void {
    this.#error(f, code);
    this.#close(why);
  }

  #handshakeOk(f: SpFrame): void {
    this.#send(SpConnection.#reqno(f), RUMPSP_RESP, RUMPSP_HANDSHAKE, 0, Buffer.alloc(4));
  }

  #name(f: SpFrame): string {
    const body = f.buf.subarray(SP_HEADER);
    const nul = body.indexOf(0);
    const s = body.toString('utf8', 0, nul < 0 ? body.length : nul).slice(0, MAX_COMM);
    return s === '' ? '???' : s;
  }

  #guest(f: SpFrame): void {
    if (!this.pipe.authenticate()) return this.#refuse(f, RUMPSP_ERR_TRYAGAIN, `too many connections (the limit is ${this.host.limits.maxConnections})`);
    this.comm = this.#name(f);
    const p = this.host.guestproc();
    attachConsole(p);
    this.#proc = p;
    this.#state = 'running';
    this.#handshakeOk(f);
    this.host.debug(`sysproxy connection ${this.id}: '${this.comm}' is pid ${p.pid}`);
  }

  #forked(f: SpFrame): void {
    if (f.len !== SP_HEADER + RSP_HANDSHAKE_FORK) return this.#refuse(f, RUMPSP_ERR_MALFORMED_REQUEST, `FORK handshake of ${f.len - SP_HEADER} bytes`);
    const body = f.buf.subarray(SP_HEADER);
    const parent = this.host.preforks.take(body.subarray(0, RSP_AUTHLEN));
    if (!parent) return this.#refuse(f, RUMPSP_ERR_INVALID_PREFORK, 'FORK handshake with an unknown cookie');
    if (body.readInt32LE(RSP_AUTHLEN) !== 0) {
      // rf_cancel: the host fork failed; drop the prefork, say nothing.
      parent.exit();
      return this.#close('fork cancelled');
    }
    if (!this.pipe.authenticate()) {
      parent.exit();
      return this.#refuse(f, RUMPSP_ERR_TRYAGAIN, `too many connections (the limit is ${this.host.limits.maxConnections})`);
    }
    let child: Proc;
    try {
      // As NetBSD does: the child is forked off the preforked copy (sharing its open files), which goes.
      child = parent.rfork(RUMP_RFFDG);
    } catch {
      parent.exit();
      return this.#refuse(f, RUMPSP_ERR_RFORK_FAILED, 'rfork failed');
    }
    parent.exit();
    this.#proc = child;
    this.#state = 'running';
    this.#handshakeOk(f);
    this.host.debug(`sysproxy connection ${this.id}: forked child is pid ${child.pid}`);
  }

  #prefork(f: SpFrame): void {
    if (this.#inExec) return this.#error(f, RUMPSP_ERR_INEXEC);
    if (this.host.preforks.held(this) >= MAX_PREFORKS) return this.#error(f, RUMPSP_ERR_NOMEM);
    let copy: Proc;
    try {
      copy = (this.#proc as Proc).rfork(RUMP_RFFDG);
    } catch {
      return this.#error(f, RUMPSP_ERR_RFORK_FAILED);
    }
    this.#send(SpConnection.#reqno(f), RUMPSP_RESP, RUMPSP_PREFORK, 0, this.host.preforks.add(copy, this));
  }

  async #exec(f: SpFrame): Promise<void> {
    if (this.#inExec) return this.#refuse(f, RUMPSP_ERR_INEXEC, 'EXEC handshake during an exec');
    this.#inExec = true;
    const name = this.#name(f);
    // The old image's calls finish first (NetBSD waits for the process's lwps to drain).
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    if (this.#state === 'dead') return;
    try {
      (this.#proc as Proc).closeOnExec();
    } catch (e) {
      this.host.log(`${this.#who()}: exec: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.comm = name;
    this.#inExec = false;
    this.#handshakeOk(f);
  }

  #syscall(f: SpFrame): void {
    if (this.#inExec) return this.#error(f, RUMPSP_ERR_INEXEC);
    if (this.#inflight.size >= MAX_INFLIGHT) return this.#error(f, RUMPSP_ERR_TRYAGAIN);
    const reqno = SpConnection.#reqno(f);
    if (f.u === SYS_reboot) return this.#reboot(reqno, f.buf.length >= SP_HEADER + 4 ? f.buf.readInt32LE(SP_HEADER) : 0);
    const handler = f.u < SYS_NSYSENT ? SYSCALLS.get(f.u) : undefined;
    if (!handler) return this.#sysresp(reqno, errno('ENOSYS').errno);
    const args = Buffer.alloc(ARG_BYTES);
    f.buf.copy(args, 0, SP_HEADER, Math.min(f.buf.length, SP_HEADER + ARG_BYTES));
    const call = new SpCall(this.#proc as Proc, args, this);
    const run = (async () => {
      let rv: Retval;
      try {
        rv = await handler(call);
      } catch (e) {
        if (this.#state !== 'dead') this.#sysresp(reqno, this.#errnoOf(e));
        return;
      }
      if (this.#state !== 'dead') this.#sysresp(reqno, 0, rv);
    })();
    this.#inflight.add(run);
    void run.finally(() => this.#inflight.delete(run));
  }

  #errnoOf(e: unknown): number {
    if (isRumpError(e)) return e.errno;
    this.host.log(`${this.#who()}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return errno('EIO').errno;
  }

  /** RESP SYSCALL: rsys_error, 4 bytes of padding (zero here), rsys_retval[2]. */
  #sysresp(reqno: Uint8Array, error: number, rv?: Retval): void {
    const b = Buffer.alloc(RSP_SYSRESP);
    b.writeInt32LE(error, 0);
    if (error === 0 && rv !== undefined) {
      const [r0, r1] = typeof rv === 'number' ? [rv, 0] : rv;
      b.writeBigInt64LE(BigInt(Math.trunc(r0)), 8);
      b.writeBigInt64LE(BigInt(Math.trunc(r1)), 16);
    }
    this.#send(reqno, RUMPSP_RESP, RUMPSP_SYSCALL, 0, b);
  }

  #reboot(reqno: Uint8Array, howto: number): void {
    this.pipe.flush();
    this.pipe.hold();
    this.host.reboot(this, howto, () => {
      this.#sysresp(reqno, 0, 0);
      this.pipe.flush();
      this.pipe.release();
      return this.pipe.flushed();
    });
  }

  /** A RESP from the client: the answer to one of our COPYIN/COPYINSTR requests (others are dropped). */
  #answer(f: SpFrame): void {
    const w = this.#waiters.get(f.reqno);
    if (!w || f.type !== RUMPSP_COPYIN) return;
    this.#waiters.delete(f.reqno);
    const body = f.buf.subarray(SP_HEADER);
    if (body.length > w.max) w.reject(errno('EFAULT', `copyin answered with ${body.length} bytes, ${w.max} were asked for`));
    else w.resolve(body);
  }

  // --- CallChannel ---

  copyin(addr: number, len: number, str: boolean): Promise<Buffer> {
    if (this.#state === 'dead') return Promise.reject(errno('EFAULT', 'the client is gone'));
    const reqno = this.#nextReq++;
    const body = Buffer.allocUnsafe(RSP_COPYDATA);
    writePtr(body, 0, len);
    writePtr(body, 8, addr);
    const p = new Promise<Buffer>((resolve, reject) => this.#waiters.set(reqno, { resolve, reject, max: len }));
    this.#send(reqno, RUMPSP_REQ, str ? RUMPSP_COPYINSTR : RUMPSP_COPYIN, 0, body);
    return p;
  }

  copyout(addr: number, data: Uint8Array): void {
    if (this.#state === 'dead') throw errno('EFAULT', 'the client is gone');
    const reqno = this.#nextReq++;
    const n = SP_HEADER + RSP_COPYDATA + data.length;
    const w = this.pipe.writer(n);
    w.ensure(n);
    putSpHeader(w.buf, w.pos, n, reqno, RUMPSP_REQ, RUMPSP_COPYOUT, 0);
    writePtr(w.buf, w.pos + SP_HEADER, data.length);
    writePtr(w.buf, w.pos + SP_HEADER + 8, addr);
    w.buf.set(data, w.pos + SP_HEADER + RSP_COPYDATA);
    w.pos += n;
    if (w.pos >= FLUSH_AT) this.pipe.flush();
    else this.#scheduleFlush();
  }

  raise(signo: number): void {
    // NetBSD leaves rsp_reqno of RAISE uninitialised; clients ignore it.
    if (this.#state !== 'dead') this.#send(0, RUMPSP_REQ, RUMPSP_RAISE, signo);
  }

  reserve(n: number): Promise<void> {
    if (this.#state === 'dead') return Promise.reject(errno('EFAULT', 'the client is gone'));
    // A request bigger than the whole allowance still runs, alone (never the case: pieces are 1 MiB).
    if (this.#reserveWaiters.length === 0 && (this.#reserved === 0 || this.#reserved + n <= this.host.limits.maxFrame)) {
      this.#reserved += n;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#reserveWaiters.push({ n, resolve, reject }));
  }

  unreserve(n: number): void {
    this.#reserved -= n;
    while (this.#reserveWaiters.length > 0) {
      const w = this.#reserveWaiters[0] as { n: number; resolve(): void };
      if (this.#reserved !== 0 && this.#reserved + w.n > this.host.limits.maxFrame) break;
      this.#reserveWaiters.shift();
      this.#reserved += w.n;
      w.resolve();
    }
  }

  drained(): Promise<void> {
    if (this.#state === 'dead') return Promise.reject(errno('EFAULT', 'the client is gone'));
    if (this.pipe.queued < this.host.limits.connReplyBytes / 2) return Promise.resolve();
    return this.pipe.flushed();
  }
}

