/**
 * Recorded sysproxy sessions (fixtures/sysproxy/*.jsonl.gz): NetBSD's librumpclient and
 * librumphijack talking to NetBSD's own rump_server, captured by a proxy one recv() chunk per line
 * (fixtures/sysproxy/README.md). Decoded here into one timeline of connection events and whole frames.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSpFrame, RUMPSP_COPYIN, RUMPSP_COPYINSTR, RUMPSP_REQ, RUMPSP_RESP, SP_HEADER, type SpFrame } from '@rumpts/rumpclient/protocol';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sysproxy');

export type Event =
  | { kind: 'open'; conn: number }
  | { kind: 'banner'; conn: number; text: string }
  | { kind: 'frame'; conn: number; dir: 'c2s' | 's2c'; f: SpFrame; at: number }
  | { kind: 'eof'; conn: number; side: 'client' | 'server' };

interface Line {
  conn?: number;
  ev?: string;
  dir?: 'c2s' | 's2c';
  hex?: string;
  side?: 'client' | 'server';
}

/** Decode one transcript into its timeline. */
export function loadTranscript(name: string): Event[] {
  const text = gunzipSync(readFileSync(join(FIXTURES, `${name}.jsonl.gz`))).toString('utf8');
  const out: Event[] = [];
  const pending = new Map<string, Buffer>();
  const bannerSeen = new Set<number>();
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const l = JSON.parse(raw) as Line;
    if (l.conn === undefined) continue;
    if (l.ev === 'open') out.push({ kind: 'open', conn: l.conn });
    else if (l.ev === 'eof') out.push({ kind: 'eof', conn: l.conn, side: l.side ?? 'client' });
    if (l.dir === undefined || l.hex === undefined) continue;
    const key = `${l.conn}/${l.dir}`;
    let buf = Buffer.concat([pending.get(key) ?? Buffer.alloc(0), Buffer.from(l.hex, 'hex')]);
    if (l.dir === 's2c' && !bannerSeen.has(l.conn)) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        pending.set(key, buf);
        continue;
      }
      bannerSeen.add(l.conn);
      out.push({ kind: 'banner', conn: l.conn, text: buf.toString('latin1', 0, nl + 1) });
      buf = buf.subarray(nl + 1);
    }
    while (buf.length >= 8) {
      const len = Number(buf.readBigUInt64LE(0));
      if (buf.length < len) break;
      out.push({ kind: 'frame', conn: l.conn, dir: l.dir, f: parseSpFrame(Buffer.from(buf.subarray(0, len))), at: out.length });
      buf = buf.subarray(len);
    }
    pending.set(key, buf);
  }
  return out;
}

/** A recorded syscall or handshake: the client's request and, where it came, the server's reply. */
export interface RecordedCall {
  conn: number;
  req: SpFrame;
  at: number;
  reply?: SpFrame;
  replyAt?: number;
  /** What the client's memory held for the server to copy in, as the recording shows: [addr, bytes]. */
  memory: [number, Buffer][];
  /** The server's one-way requests (COPYOUT, RAISE) while the call ran, in order. */
  oneway: SpFrame[];
  /** The client had closed before the reply was sent: it never reached the client. */
  lost?: boolean;
}

/**
 * Pair requests with their replies and give each call the memory the client answered copy
 * requests from and the one-way requests it received while it ran.
 */
export function recordedCalls(events: Event[]): RecordedCall[] {
  const calls: RecordedCall[] = [];
  const open = new Map<string, RecordedCall>();
  const copyReq = new Map<string, SpFrame>();
  const key = (conn: number, f: SpFrame): string => `${conn}/${f.buf.subarray(8, 16).toString('hex')}`;
  const running = (conn: number): RecordedCall[] => calls.filter((c) => c.conn === conn && c.reply === undefined);
  const clientGone = new Set<number>();
  for (const e of events) {
    if (e.kind === 'eof' && e.side === 'client') clientGone.add(e.conn);
    if (e.kind !== 'frame') continue;
    const { f, conn } = e;
    if (e.dir === 'c2s') {
      if (f.cls === RUMPSP_RESP) {
        // an answer to a server copy request: memory of every call running then
        const q = copyReq.get(key(conn, f));
        if (q) {
          const addr = Number(q.buf.readBigUInt64LE(SP_HEADER + 8));
          for (const c of running(conn)) c.memory.push([addr, Buffer.from(f.buf.subarray(SP_HEADER))]);
        }
        continue;
      }
      const c: RecordedCall = { conn, req: f, at: e.at, memory: [], oneway: [] };
      calls.push(c);
      open.set(key(conn, f), c);
      continue;
    }
    if (f.cls === RUMPSP_REQ) {
      if (f.type === RUMPSP_COPYIN || f.type === RUMPSP_COPYINSTR) copyReq.set(key(conn, f), f);
      else for (const c of running(conn)) c.oneway.push(f);
      continue;
    }
    const c = open.get(key(conn, f));
    if (c) {
      c.reply = f;
      c.replyAt = e.at;
      if (clientGone.has(conn)) c.lost = true;
      open.delete(key(conn, f));
    }
  }
  return calls;
}
