/**
 * The transport half of a server connection, whatever protocol it speaks: it reassembles frames
 * (FrameAssembler, with the small pre-authentication limit until the protocol says the peer has
 * authenticated), holds a handshake slot with its timeout, and paces the peer — the next request is
 * taken only while this connection's unsent replies stay under its bound and the server's reply
 * budget admits it; otherwise the socket stops being read until the replies drain. When the
 * connection goes, every byte it held is released at once.
 */
import type { Socket } from 'node:net';
import type { ErrnoCode } from '@rumpts/librump';
import { FrameAssembler, type FrameLayout, Writer } from '@rumpts/rumpclient/protocol';
import type { BudgetMember, ReplyBudget } from './budget.js';
import type { ServerLimits } from './limits.js';
import type { ConnectionSlots, SlotMember } from './slots.js';

/** A batch of replies is written out once it holds this much (big replies go out one by one). */
const FLUSH_AT = 64 * 1024;
/** How long a closing connection may take to flush its last words before it is dropped. */
const CLOSE_GRACE_MS = 1000;

/** What a pipe shares with the other connections of its server. */
export interface PipeContext {
  readonly limits: ServerLimits;
  readonly budget: ReplyBudget;
  readonly slots: ConnectionSlots;
}

/** The protocol on top of a pipe. */
export interface PipeEndpoint {
  /** One whole frame from the peer (the endpoint handles its own errors). */
  frame(f: Buffer): void;
  /** The peer broke the framing (a ProtocolError from the assembler). */
  violation(e: unknown): void;
  /** No handshake within the limit. */
  handshakeTimeout(ms: number): void;
  /** A newer connection took this one's handshake slot. */
  slotLost(): void;
  /** Every handshake slot is taken by connections still in their grace period. */
  refused(): void;
  /** Replies not taken for `ms` while the server's reply budget is exhausted. */
  stalled(ms: number): void;
  /** The connection is gone. `byPeer`: the peer closed it; `partial`: bytes of an unfinished frame dropped. */
  gone(byPeer: boolean, partial: number): void;
}

/**
 * What every endpoint does when one of the pipe's limits closes its connection, in the same words
 * whatever the protocol: each says them its own way in drop() (our protocol in a BYE; sysproxy,
 * which has no such frame, by closing).
 */
export abstract class EndpointBase implements PipeEndpoint {
  /** The server the connection belongs to (its limits name the bounds in the messages). */
  abstract readonly host: PipeContext;
  abstract frame(f: Buffer): void;
  abstract violation(e: unknown): void;
  abstract gone(byPeer: boolean, partial: number): void;
  /** Close for `why`: `code` for a protocol that can tell the peer; `now` drops it without a goodbye. */
  protected abstract drop(code: ErrnoCode, why: string, now: boolean): void;

  handshakeTimeout(ms: number): void {
    this.drop('EAUTH', `no handshake within ${ms} ms`, false);
  }

  slotLost(): void {
    this.drop('EAGAIN', `no handshake yet and all ${this.host.limits.maxUnauthenticated} handshake slots are taken (the oldest connection makes room)`, false);
  }

  refused(): void {
    this.drop('EAGAIN', `all ${this.host.limits.maxUnauthenticated} handshake slots are taken by connections that just arrived; try again`, false);
  }

  /** A peer that reads nothing would never take a goodbye: dropped at once. */
  stalled(ms: number): void {
    this.drop('ENOBUFS', `its replies have not been read for ${Math.round(ms)} ms while the server's reply buffers are full`, true);
  }
}

/**
 * A listener that speaks two protocols decides which one a connection speaks from its first bytes
 * (server.ts): until then the pipe only collects them.
 */
export interface Sniffer {
  /** Bytes needed to decide. */
  readonly need: number;
  /** The layout and endpoint for a connection whose first bytes are `head` (at least `need` of them). */
  decide(head: Buffer): { layout: FrameLayout; endpoint: PipeEndpoint };
}

export class ConnectionPipe implements BudgetMember, SlotMember {
  #assembler: FrameAssembler | undefined;
  #sniffer: Sniffer | undefined;
  #sniffed: Buffer[] = [];
  #sniffedBytes = 0;
  #endpoint: PipeEndpoint | undefined;
  #queued = 0;
  lastProgress = performance.now();
  proven = false;
  #out: Writer | undefined;
  #blocked: '' | 'self' | 'budget' = '';
  #pumping = false;
  #wakeQueued = false;
  #held = false;
  #authenticated = false;
  #dead = false;
  #timer: NodeJS.Timeout | undefined;
  #flushWaiters: (() => void)[] = [];

  /** `layout` undefined: the protocol is decided by a Sniffer given to start(). */
  constructor(
    readonly socket: Socket,
    layout: FrameLayout | undefined,
    readonly ctx: PipeContext,
  ) {
    if (layout) this.#assembler = this.#newAssembler(layout);
  }

  #newAssembler(layout: FrameLayout): FrameAssembler {
    return new FrameAssembler(layout, this.ctx.limits.preauthMaxFrame, ' before the handshake');
  }

  /** The frame reassembler (once the protocol is known). */
  get assembler(): FrameAssembler {
    if (!this.#assembler) throw new Error('ConnectionPipe: the protocol is not decided yet');
    return this.#assembler;
  }

  /**
   * Start reading: frames go to `endpoint`. With `sniffer`, `endpoint` serves only until the first
   * bytes have decided the protocol (its timeouts and evictions apply meanwhile); then the sniffer's
   * endpoint takes over.
   */
  start(endpoint: PipeEndpoint, sniffer?: Sniffer): void {
    this.#endpoint = endpoint;
    this.#sniffer = sniffer;
    const s = this.socket;
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('error', () => undefined); // 'close' follows; the reason is of no use to anyone
    s.on('close', () => this.#teardown(true));
    if (!this.ctx.slots.admit(this)) {
      endpoint.refused();
      return;
    }
    const ms = this.ctx.limits.handshakeTimeoutMs;
    this.#timer = setTimeout(() => this.#endpoint?.handshakeTimeout(ms), ms);
    this.#timer.unref();
  }

  get dead(): boolean {
    return this.#dead;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** Reply bytes waiting: handed to the socket and not yet flushed (the batch being built is apart). */
  get queued(): number {
    return this.#queued;
  }

  /**
   * The peer has authenticated: the full frame-size limit applies and the handshake slot becomes a
   * connection slot. False when every connection slot is taken (the caller refuses the peer).
   */
  authenticate(): boolean {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.ctx.slots.promote(this)) return false;
    this.#authenticated = true;
    this.assembler.maxFrame = this.ctx.limits.maxFrame;
    this.assembler.limitName = '';
    return true;
  }

  /**
   * The batch replies are written into; it goes out when the pump stops or it grows big. `need`:
   * the size of the reply about to be written — a big one gets a buffer of its own, of that size,
   * so it pins (and is charged) what it holds rather than a doubled buffer.
   */
  writer(need = 0): Writer {
    if (need >= FLUSH_AT) {
      if (this.#out && this.#out.pos + need > this.#out.buf.length) this.flush();
      this.#out ??= new Writer(need);
      return this.#out;
    }
    return (this.#out ??= new Writer(1024));
  }

  /** Send the batch now. */
  flush(): void {
    const w = this.#out;
    this.#out = undefined;
    if (!w || w.pos === 0 || this.#dead) return;
    this.#write(w.buf.subarray(0, w.pos), w.buf.length);
  }

  /**
   * Send the batch, then `data` as it is, without a copy (the two go out in one writev). `data` must
   * not change until it has been sent: the buffer of a read's result, owned by the reply.
   */
  sendBulk(data: Uint8Array): void {
    if (this.#dead) return;
    this.socket.cork();
    this.flush();
    this.#write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), data.buffer.byteLength);
    this.socket.uncork();
  }

  /** Stop taking requests until release() (the endpoint waits for something asynchronous). */
  hold(): void {
    this.#held = true;
    this.socket.pause();
  }

  release(): void {
    this.#held = false;
    this.#schedule();
  }

  /** Hand bytes to the socket; `cost` is the memory they pin (the batch's whole buffer). */
  #write(buf: Buffer, cost: number): void {
    this.#queued += cost;
    this.ctx.budget.charge(this, cost);
    this.socket.write(buf, () => {
      if (this.#dead) return;
      this.#queued -= cost;
      this.lastProgress = performance.now();
      this.ctx.budget.release(this, cost);
      if (this.#queued === 0) {
        this.proven = true;
        this.#settle();
      }
      if (this.#blocked === 'self' && this.#own() < this.ctx.limits.connReplyBytes) this.#schedule();
    });
  }

  /** Resolves once every byte handed to the socket has been flushed, or the connection is gone. */
  flushed(): Promise<void> {
    if (this.#queued === 0 || this.#dead) return Promise.resolve();
    return new Promise((r) => this.#flushWaiters.push(r));
  }

  #settle(): void {
    const w = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const r of w) r();
  }

  #own(): number {
    return this.#queued + (this.#out ? this.#out.buf.length : 0);
  }

  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    if (this.#sniffer) {
      this.#sniffed.push(chunk);
      this.#sniffedBytes += chunk.length;
      if (this.#sniffedBytes < this.#sniffer.need) return;
      chunk = Buffer.concat(this.#sniffed);
      this.#sniffed = [];
      const { layout, endpoint } = this.#sniffer.decide(chunk);
      this.#sniffer = undefined;
      this.#assembler = this.#newAssembler(layout);
      this.#endpoint = endpoint;
    }
    try {
      this.assembler.push(chunk);
    } catch (e) {
      this.#endpoint?.violation(e);
      return;
    }
    this.#pump();
  }

  #schedule(): void {
    if (this.#wakeQueued || this.#dead) return;
    this.#wakeQueued = true;
    setImmediate(() => {
      this.#wakeQueued = false;
      this.#pump();
    });
  }

  /** The budget has room again. */
  wake(): void {
    if (this.#blocked === 'budget') this.#blocked = '';
    this.#pump();
  }

  /** Take and run frames while the bounds allow; stop reading the socket when they do not. */
  #pump(): void {
    if (this.#pumping || this.#dead || this.#held || this.#blocked === 'budget') return;
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#dead || this.#held) return;
        const own = this.#own();
        if (own >= this.ctx.limits.connReplyBytes) {
          this.#block('self');
          return;
        }
        if (!this.ctx.budget.admits(own)) {
          this.flush();
          this.#block('budget');
          this.ctx.budget.wait(this);
          return;
        }
        let f: Buffer | undefined;
        if (!this.#assembler) {
          if (this.socket.isPaused()) this.socket.resume();
          return;
        }
        try {
          f = this.#assembler.next();
        } catch (e) {
          this.#endpoint?.violation(e);
          return;
        }
        if (!f) {
          // Everything whole has been run: read on.
          this.#blocked = '';
          if (this.socket.isPaused()) this.socket.resume();
          return;
        }
        this.#endpoint?.frame(f);
        if (this.#out && this.#out.pos >= FLUSH_AT) this.flush();
      }
    } finally {
      this.#pumping = false;
      this.flush();
    }
  }

  #block(why: 'self' | 'budget'): void {
    this.#blocked = why;
    this.socket.pause();
  }

  evictUnauthenticated(): void {
    this.#endpoint?.slotLost();
  }

  evict(stalledMs: number): void {
    this.#endpoint?.stalled(stalledMs);
  }

  /**
   * Close: flush what is batched, send `last` (a goodbye frame) and end the socket, destroyed once
   * that is out. A peer that does not take it within a second is dropped; with `now`, at once.
   */
  close(last?: Buffer, now = false): void {
    if (this.#dead) return;
    if (now) {
      this.#out = undefined;
      this.socket.destroy();
    } else {
      this.flush();
      // Gone as soon as the last words are out (no waiting for the peer's FIN), or after the grace.
      const done = (): void => void this.socket.destroy();
      if (last) this.socket.end(last, done);
      else this.socket.end(done);
      const t = setTimeout(done, CLOSE_GRACE_MS);
      t.unref();
      this.socket.once('close', () => clearTimeout(t));
    }
    this.#teardown(false);
  }

  /** Release everything this connection held, once. */
  #teardown(byPeer: boolean): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#timer);
    const partial = this.#assembler ? this.#assembler.pending : this.#sniffedBytes;
    this.#assembler?.clear();
    this.#sniffed = [];
    this.#out = undefined;
    const q = this.#queued;
    this.#queued = 0;
    if (q > 0) this.ctx.budget.release(this, q);
    this.ctx.budget.leave(this);
    this.ctx.slots.leave(this);
    this.#settle();
    this.#endpoint?.gone(byPeer, partial);
  }
}
