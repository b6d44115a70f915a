/**
 * Replay the client side of recorded sysproxy sessions against a server and collect its answers:
 * every request the recorded clients sent goes out in the recorded order, each only once the server
 * has answered what the recorded client had seen answered before it; the server's copy requests are
 * answered from the memory the recording shows the client had, whatever their number and size (our
 * server may ask in other pieces than NetBSD's). What the client never had is not answered.
 */
import { createConnection, type Socket } from 'node:net';
import {
  HANDSHAKE_FORK, parseSpFrame, RSP_AUTHLEN, RUMPSP_COPYIN, RUMPSP_COPYINSTR, RUMPSP_ERROR, RUMPSP_HANDSHAKE, RUMPSP_PREFORK, RUMPSP_REQ, RUMPSP_RESP,
  SP_HEADER, type SpFrame, spFrame,
} from '@rumpts/rumpclient/protocol';
import { type Event, type RecordedCall, recordedCalls } from './transcript.js';

/** What our server did for one recorded call. */
export interface OurCall {
  rec: RecordedCall;
  sent: boolean;
  reply?: SpFrame;
  oneway: SpFrame[];
  /** Copy requests of ours that the recorded memory could not answer: [addr, len]. */
  unanswered: [number, number][];
}

export interface ReplayResult {
  calls: OurCall[];
  banners: string[];
  /** Recorded connections our server closed, and those it left open at the end. */
  closedByServer: Set<number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Conn {
  readonly frames: SpFrame[] = [];
  banner: string | undefined;
  closed = false;
  #buf = Buffer.alloc(0);
  constructor(
    readonly sock: Socket,
    readonly onFrame: (f: SpFrame) => void,
  ) {
    sock.on('data', (c: Buffer) => this.#data(c));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => undefined);
  }

  #data(c: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, c]);
    if (this.banner === undefined) {
      const nl = this.#buf.indexOf(0x0a);
      if (nl < 0) return;
      this.banner = this.#buf.toString('latin1', 0, nl + 1);
      this.#buf = this.#buf.subarray(nl + 1);
    }
    while (this.#buf.length >= SP_HEADER) {
      const len = Number(this.#buf.readBigUInt64LE(0));
      if (this.#buf.length < len) return;
      const f = parseSpFrame(Buffer.from(this.#buf.subarray(0, len)));
      this.#buf = this.#buf.subarray(len);
      this.frames.push(f);
      this.onFrame(f);
    }
  }
}

/** Bytes the recorded client had at [addr, addr+len), the latest recorded answer winning; for a string up to its NUL. */
export function recall(memory: readonly [number, Buffer][], addr: number, len: number, str: boolean): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    let byte: number | undefined;
    for (let m = memory.length - 1; m >= 0; m--) {
      const [a, b] = memory[m] as [number, Buffer];
      if (addr + i >= a && addr + i < a + b.length) {
        byte = b[addr + i - a];
        break;
      }
    }
    if (byte === undefined) return undefined;
    out.push(byte);
    if (str && byte === 0) break;
  }
  return Buffer.from(out);
}

/** Replay one transcript's timeline against the unix socket at `path`. */
export async function replay(events: Event[], path: string, timeoutMs = 10_000): Promise<ReplayResult> {
  const recCalls = recordedCalls(events);
  const ours = recCalls.map((rec): OurCall => ({ rec, sent: false, oneway: [], unanswered: [] }));
  const byAt = new Map(ours.map((c) => [c.rec.at, c]));
  const conns = new Map<number, Conn>();
  const cookies = new Map<string, Buffer>();
  const closedByServer = new Set<number>();
  const banners: string[] = [];
  const outstanding = (conn: number): OurCall[] => ours.filter((c) => c.rec.conn === conn && c.sent && c.reply === undefined);

  const onFrame = (conn: number, f: SpFrame): void => {
    const c = conns.get(conn) as Conn;
    if (f.cls === RUMPSP_REQ && (f.type === RUMPSP_COPYIN || f.type === RUMPSP_COPYINSTR)) {
      const len = Number(f.buf.readBigUInt64LE(SP_HEADER));
      const addr = Number(f.buf.readBigUInt64LE(SP_HEADER + 8));
      const running = outstanding(conn);
      const mem = running.flatMap((o) => o.rec.memory);
      const got = recall(mem, addr, len, f.type === RUMPSP_COPYINSTR);
      if (got === undefined) {
        for (const o of running) o.unanswered.push([addr, len]);
        return;
      }
      c.sock.write(spFrame(f.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, got));
      return;
    }
    if (f.cls === RUMPSP_REQ) {
      for (const o of outstanding(conn)) o.oneway.push(f);
      return;
    }
    // a reply: the oldest outstanding call with this reqno
    const rq = f.buf.subarray(8, 16);
    const o = outstanding(conn).find((x) => x.rec.req.buf.subarray(8, 16).equals(rq));
    if (!o) return;
    o.reply = f;
    if (f.cls === RUMPSP_RESP && f.type === RUMPSP_PREFORK && o.rec.reply) {
      cookies.set(o.rec.reply.buf.subarray(SP_HEADER, SP_HEADER + RSP_AUTHLEN).toString('hex'), Buffer.from(f.buf.subarray(SP_HEADER, SP_HEADER + RSP_AUTHLEN)));
    }
  };

  /** Everything the recorded clients had been answered before event `at` has been answered here too. */
  const caughtUp = async (at: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const need = ours.filter((o) => o.rec.replyAt !== undefined && o.rec.replyAt < at);
    while (need.some((o) => o.sent && o.reply === undefined && !(conns.get(o.rec.conn)?.closed ?? true))) {
      if (Date.now() > deadline) {
        const late = need.filter((o) => o.sent && o.reply === undefined).map((o) => `conn ${o.rec.conn} reqno ${o.rec.req.reqno} type ${o.rec.req.type} u ${o.rec.req.u}${o.unanswered.length ? ` (unanswered copies ${JSON.stringify(o.unanswered)})` : ''}`);
        throw new Error(`replay: no answer within ${timeoutMs} ms to ${late.join('; ')}`);
      }
      await sleep(2);
    }
  };

  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    if (e.kind === 'open') {
      const sock = createConnection(path);
      await new Promise<void>((res, rej) => {
        sock.once('connect', () => res());
        sock.once('error', rej);
      });
      const c = new Conn(sock, (f) => onFrame(e.conn, f));
      conns.set(e.conn, c);
      sock.on('close', () => closedByServer.add(e.conn));
      const t0 = Date.now();
      while (c.banner === undefined && !c.closed && Date.now() - t0 < timeoutMs) await sleep(1);
      banners.push(c.banner ?? '');
    } else if (e.kind === 'eof' && e.side === 'client') {
      await caughtUp(i);
      const c = conns.get(e.conn);
      if (c && !c.closed) {
        closedByServer.delete(e.conn);
        c.sock.removeAllListeners('close');
        c.sock.on('close', () => (c.closed = true));
        c.sock.end();
      }
    } else if (e.kind === 'frame' && e.dir === 'c2s') {
      const o = byAt.get(e.at);
      // A copy answer: ours are made from the memory above. A RESP nobody asked for goes out as it is.
      if (!o && answersRecorded(events, e)) continue;
      await caughtUp(i);
      const c = conns.get(e.conn);
      if (!c || c.closed) continue;
      let buf = e.f.buf;
      if (e.f.cls === RUMPSP_REQ && e.f.type === RUMPSP_HANDSHAKE && e.f.u === HANDSHAKE_FORK && buf.length >= SP_HEADER + RSP_AUTHLEN) {
        const mine = cookies.get(buf.subarray(SP_HEADER, SP_HEADER + RSP_AUTHLEN).toString('hex'));
        if (mine) {
          buf = Buffer.from(buf);
          mine.copy(buf, SP_HEADER);
        }
      }
      if (o) o.sent = true;
      c.sock.write(buf);
    }
  }
  // the last answers (or the server's closes)
  await caughtUp(events.length);
  for (const c of conns.values()) if (!c.closed) c.sock.destroy();
  return { calls: ours, banners, closedByServer };
}

/** Does this client RESP answer a copy request the recorded server made? (Otherwise it is stray, sent as is.) */
function answersRecorded(events: Event[], e: Extract<Event, { kind: 'frame' }>): boolean {
  const rq = e.f.buf.subarray(8, 16);
  return events.some((x) => x.kind === 'frame' && x.conn === e.conn && x.dir === 's2c' && x.at < e.at && x.f.cls === RUMPSP_REQ && x.f.buf.subarray(8, 16).equals(rq) && (x.f.type === RUMPSP_COPYIN || x.f.type === RUMPSP_COPYINSTR));
}

/** Was the recorded reply an ERROR (after which NetBSD may close)? */
export function isError(f: SpFrame | undefined): boolean {
  return f?.cls === RUMPSP_ERROR;
}
