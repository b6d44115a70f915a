/**
 * The server under hostile clients (issue 16 items 4 and 5), in process so its counters can be read:
 * peers that never read their replies, sockets that never say HELLO, oversized and unfinished frames
 * before the handshake. Each test states its bound and checks the server's own figures against it.
 */
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_RDWR } from '@rumpts/librump';
import { connect, MAX_IO, PROTO_MAJOR, type RumpClient, type ServerLimits } from '../src/index.js';
import { Writer } from '../src/protocol/codec.js';
import { beginFrame, endFrame, FrameReader, K_BYE, K_CALL, K_HELLO, K_OK } from '../src/protocol/frame.js';
import { CALLS } from '../src/protocol/calls.js';
import { type BudgetMember, ReplyBudget } from '../src/server/budget.js';
import { ConnectionSlots, SLOT_GRACE_MS, type SlotMember } from '../src/server/slots.js';
import { type InProcess, startInProcess } from './helpers.js';

const MiB = 1024 * 1024;
/** One pread(1 MiB) reply: the header, the bytes tag and length, the data. */
const REPLY = 12 + 5 + MAX_IO;
let srv: InProcess | undefined;
const sockets: Socket[] = [];
const clients: RumpClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  await srv?.stop();
  srv = undefined;
});

async function start(limits: Partial<ServerLimits> = {}): Promise<InProcess> {
  srv = await startInProcess({ limits });
  // a 1 MiB file for the pread requests
  const fd = srv.kernel.proc.open('/tmp/big', O_CREAT | O_RDWR, 0o644);
  srv.kernel.proc.pwrite(fd, new Uint8Array(MiB).fill(0x5a), 0);
  srv.kernel.proc.close(fd);
  return srv;
}

function hello(token?: string): Buffer {
  const w = new Writer();
  const at = beginFrame(w, 0, K_HELLO);
  w.u16(PROTO_MAJOR);
  w.u16(0);
  w.value({ comm: 'hostile', ...(token ? { token } : {}) });
  endFrame(w, at);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** HELLO, open /tmp/big (fd 0), then `n` pread(fd 0, 1 MiB, 0) requests (ids 2…n+1), in one write. */
function amplifier(n: number): Buffer {
  const w = new Writer();
  let at = beginFrame(w, 1, K_CALL, CALLS.open[0]);
  w.value(['/tmp/big', O_RDONLY, 0]);
  endFrame(w, at);
  for (let i = 0; i < n; i++) {
    at = beginFrame(w, 2 + i, K_CALL, CALLS.pread[0]);
    w.value([0, MAX_IO, 0]);
    endFrame(w, at);
  }
  return Buffer.concat([hello(), w.buf.subarray(0, w.pos)]);
}

/** A raw connection to the in-process server; reading is paused until asked for. */
async function rawSocket(url: string): Promise<Socket> {
  const s = createConnection(url.slice('unix://'.length));
  s.pause();
  s.on('error', () => undefined);
  sockets.push(s);
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `f()` holds (polling), at most `ms`. */
async function until(f: () => boolean, ms = 5000): Promise<void> {
  for (const t0 = Date.now(); !f(); await sleep(10)) if (Date.now() - t0 > ms) throw new Error(`condition not met in ${ms} ms`);
}

/** Wait until the server's waiting reply bytes stop changing for 200 ms. */
async function settled(s: InProcess): Promise<void> {
  let last = -1;
  for (let stable = 0; stable < 4; await sleep(50)) {
    const now = s.server.stats.replyBytes;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

/** Read frames from a raw socket until `n` OK replies (or the close): their ids and body sizes. */
function readReplies(s: Socket, n: number): Promise<{ ids: number[]; sizes: number[]; bye: boolean }> {
  const r = new FrameReader(64 * MiB);
  const ids: number[] = [];
  const sizes: number[] = [];
  return new Promise((resolve) => {
    const done = (bye: boolean): void => resolve({ ids, sizes, bye });
    s.on('data', (c: Buffer) => {
      for (const f of r.push(c)) {
        if (f.kind === K_BYE) return done(true);
        if (f.kind !== K_OK) continue;
        ids.push(f.id);
        sizes.push(f.buf.length);
        if (ids.length === n) done(false);
      }
    });
    s.on('close', () => done(false));
    s.resume();
  });
}

describe('reply backpressure (a peer that never reads)', () => {
  it('2,000 pread(1 MiB) requests: the server holds at most one connection bound, and runs them again once the peer reads', async () => {
    const s = await start();
    const L = s.server.limits;
    // The bound: connReplyBytes, plus the one reply that crossed it (a buffer of its own size).
    const bound = L.connReplyBytes + REPLY;
    const rss0 = process.memoryUsage().rss;
    const sock = await rawSocket(s.url);
    const N = 2000;
    sock.write(amplifier(N));
    await settled(s);
    expect(s.server.stats.replyBytes).toBeGreaterThan(0);
    expect(s.server.stats.peakReplyBytes).toBeLessThanOrEqual(bound);
    // 2,000 unread replies would be 2 GB; the whole test process grew by far less than one bound's worth of them
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * MiB);
    // the peer reads: the requests are run again, in order, and answered (the first 300 are enough)
    const got = await readReplies(sock, 301);
    expect(got.bye).toBe(false);
    expect(got.ids).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    expect(got.sizes.slice(1).every((n) => n > MiB && n < MiB + 64)).toBe(true);
    expect(s.server.stats.peakReplyBytes).toBeLessThanOrEqual(bound);
    sock.destroy();
    await until(() => s.server.stats.replyBytes === 0 && s.server.connections === 0);
  }, 60_000);

  it('everything is released when the peer goes without reading', async () => {
    const s = await start();
    const nprocs = s.kernel.sysctl('kern.rump.nprocs') as number;
    const socks = await Promise.all([1, 2, 3].map(() => rawSocket(s.url)));
    for (const sock of socks) sock.write(amplifier(2000));
    await settled(s);
    expect(s.server.stats.connections).toBe(3);
    expect(s.server.stats.replyBytes).toBeGreaterThan(0);
    expect(s.server.stats.peakReplyBytes).toBeLessThanOrEqual(3 * (s.server.limits.connReplyBytes + REPLY));
    for (const sock of socks) sock.destroy();
    await until(() => s.server.connections === 0);
    expect(s.server.stats).toMatchObject({ connections: 0, unauthenticated: 0, replyBytes: 0 });
    expect(s.kernel.sysctl('kern.rump.nprocs')).toBe(nprocs);
  }, 30_000);
});

describe('the server-wide reply budget', () => {
  it('a client that reads is served from the reserve while never-reading peers hold the budget', async () => {
    const s = await start({ serverReplyBytes: 4 * MiB, reserveReplyBytes: 32 * MiB, connReplyBytes: 2 * MiB, stallTimeoutMs: 60_000 });
    const L = s.server.limits;
    for (let i = 0; i < 6; i++) (await rawSocket(s.url)).write(amplifier(200));
    await settled(s);
    expect(s.server.stats.replyBytes).toBeGreaterThanOrEqual(L.serverReplyBytes);
    const good = await connect(s.url);
    clients.push(good);
    const fd = await good.open('/tmp/big', O_RDONLY);
    const buf = new Uint8Array(MiB);
    for (let i = 0; i < 20; i++) {
      buf.fill(0);
      expect(await good.pread(fd, buf, 0)).toBe(MiB);
      expect(buf.every((b) => b === 0x5a)).toBe(true);
    }
    expect(s.server.stats.stalledEvictions).toBe(0);
    expect(s.server.stats.peakReplyBytes).toBeLessThanOrEqual(L.serverReplyBytes + L.reserveReplyBytes + REPLY);
  }, 30_000);

  it('when budget and reserve are exhausted, peers stalled longest are closed and the reading client is served', async () => {
    const s = await start({ serverReplyBytes: 8 * MiB, reserveReplyBytes: 4 * MiB, connReplyBytes: 2 * MiB, stallTimeoutMs: 300 });
    const L = s.server.limits;
    const socks: Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const sock = await rawSocket(s.url);
      sock.write(amplifier(200));
      socks.push(sock);
    }
    await settled(s);
    const good = await connect(s.url);
    clients.push(good);
    const fd = await good.open('/tmp/big', O_RDONLY);
    const buf = new Uint8Array(MiB);
    expect(await good.pread(fd, buf, 0)).toBe(MiB);
    expect(buf.every((b) => b === 0x5a)).toBe(true);
    expect(s.server.stats.stalledEvictions).toBeGreaterThan(0);
    expect(s.logs.some((l) => /replies have not been read for \d+ ms while the server's reply buffers are full; closing it/.test(l))).toBe(true);
    expect(s.server.stats.peakReplyBytes).toBeLessThanOrEqual(L.serverReplyBytes + L.reserveReplyBytes + REPLY);
    await good.ping();
  }, 30_000);
});

describe('ConnectionSlots', () => {
  it('a newcomer takes the oldest handshake slot once its grace is over, and is refused before', () => {
    const evicted: string[] = [];
    const slots = new ConnectionSlots(2, 10);
    const m = (name: string): SlotMember => ({ evictUnauthenticated: () => evicted.push(name) });
    expect(slots.admit(m('a'), 0)).toBe(true);
    expect(slots.admit(m('b'), 100)).toBe(true);
    expect(slots.admit(m('c'), SLOT_GRACE_MS - 1)).toBe(false);
    expect(slots.refusals).toBe(1);
    expect(slots.admit(m('d'), SLOT_GRACE_MS)).toBe(true);
    expect(evicted).toEqual(['a']);
    expect(slots.admit(m('e'), SLOT_GRACE_MS + 100)).toBe(true);
    expect(evicted).toEqual(['a', 'b']);
    expect(slots.unauthenticated).toBe(2);
  });

  it('authenticated connections have their own limit', () => {
    const slots = new ConnectionSlots(2, 1);
    const a: SlotMember = { evictUnauthenticated: () => undefined };
    const b: SlotMember = { evictUnauthenticated: () => undefined };
    slots.admit(a, 0);
    slots.admit(b, 0);
    expect(slots.promote(a)).toBe(true);
    expect(slots.promote(b)).toBe(false);
    expect([slots.authenticated, slots.unauthenticated]).toEqual([1, 0]);
    slots.leave(a);
    expect(slots.authenticated).toBe(0);
  });
});

describe('ReplyBudget', () => {
  /** A member whose wake-ups are recorded. */
  function member(name: string, proven: boolean, woken: string[]): BudgetMember & { queued: number } {
    return { queued: 0, lastProgress: performance.now(), proven, wake: () => woken.push(name), evict: () => undefined };
  }

  it('admits below the limit, then only members with nothing waiting into the reserve', () => {
    const b = new ReplyBudget(100, 50, 60_000);
    const holder = member('h', true, []);
    expect(b.admits(0) && b.admits(99)).toBe(true);
    b.charge(holder, 120);
    expect(b.admits(1)).toBe(false);
    expect(b.admits(0)).toBe(true);
    b.charge(holder, 30);
    expect(b.admits(0)).toBe(false);
    expect(b.peak).toBe(150);
  });

  it('wakes members that have read their replies before new ones, then the rest oldest first', async () => {
    const woken: string[] = [];
    const b = new ReplyBudget(100, 0, 60_000);
    const holder = member('holder', true, woken);
    holder.queued = 100;
    b.charge(holder, 100);
    for (const [name, proven] of [['new1', false], ['reader', true], ['new2', false]] as const) b.wait(member(name, proven, woken));
    holder.queued = 0;
    b.release(holder, 100);
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual(['reader', 'new1', 'new2']);
    expect(b.used).toBe(0);
  });
});

describe('before the handshake', () => {
  it('an authenticated client is served while 1,000 idle sockets are open; handshake slots stay bounded', async () => {
    const s = await start();
    // in batches, each accepted before the next, so the listen backlog never overflows
    const seen = (): number => s.server.stats.unauthenticated + s.server.stats.handshakeEvictions + s.server.stats.handshakeRefusals;
    for (let i = 100; i <= 1000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => rawSocket(s.url)));
      await until(() => seen() >= i);
    }
    expect(sockets.filter((x) => !x.destroyed)).toHaveLength(1000);
    expect(s.server.stats.unauthenticated).toBeLessThanOrEqual(s.server.limits.maxUnauthenticated);
    // newcomers were refused while the slot holders were in their grace, or took the oldest slot after it
    expect(s.server.stats.handshakeEvictions + s.server.stats.handshakeRefusals).toBe(1000 - s.server.stats.unauthenticated);
    // the server keeps nothing of the connections it closed
    await until(() => s.server.connections === s.server.stats.unauthenticated);
    // the client is refused (EAGAIN) until the oldest holder's grace is over, then takes its slot
    const good = await connect(s.url, { timeoutMs: 5000 });
    clients.push(good);
    await good.mkdir('/tmp/served', 0o755);
    expect((await good.stat('/tmp/served')).mode & 0o777).toBe(0o755);
    // the lines about unauthenticated peers are rate-limited: 1,000 sockets do not give 1,000 lines
    expect(s.logs.length).toBeLessThan(100);
  }, 30_000);

  it('while every handshake slot is in its grace, newcomers are refused with EAGAIN; the client tries again', async () => {
    const s = await start({ maxUnauthenticated: 4 });
    for (let i = 0; i < 4; i++) await rawSocket(s.url);
    await until(() => s.server.stats.unauthenticated === 4);
    // less time than the grace: refused every time
    await expect(connect(s.url, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'EAGAIN', detail: expect.stringMatching(/handshake slots are taken by connections that just arrived; try again/) });
    expect(s.server.stats.handshakeRefusals).toBeGreaterThanOrEqual(1);
    // enough time: once the oldest holder's grace is over, its slot goes to the client
    const good = await connect(s.url, { timeoutMs: 5000 });
    clients.push(good);
    expect(await good.getcwd()).toBe('/');
    expect(s.server.stats.handshakeEvictions).toBeGreaterThanOrEqual(1);
  });

  it('sockets that never say HELLO are closed after the handshake timeout', async () => {
    const s = await start({ handshakeTimeoutMs: 200 });
    const sock = await rawSocket(s.url);
    sock.write(Buffer.from([40, 0])); // half a length field, then nothing
    const got = await readReplies(sock, 1);
    expect(got.bye).toBe(true);
    expect(s.logs.some((l) => /no handshake within 200 ms; closing it/.test(l))).toBe(true);
    await until(() => s.server.stats.unauthenticated === 0);
  });

  it('a frame longer than the pre-handshake limit is refused at its length field, before its body is read', async () => {
    const s = await start();
    const L = s.server.limits;
    expect(L.preauthMaxFrame).toBe(16 * 1024);
    // 200 connections, each announcing a 4 MiB frame and sending 64 KiB of it
    const socks = await Promise.all(Array.from({ length: 200 }, () => rawSocket(s.url)));
    const head = Buffer.alloc(64 * 1024);
    head.writeUInt32LE(4 * MiB);
    const results = await Promise.all(socks.map((sock) => {
      sock.write(head);
      return readReplies(sock, 1);
    }));
    expect(results.every((r) => r.bye)).toBe(true);
    expect(s.logs.some((l) => /frame length 4194304 exceeds the limit of 16384 bytes before the handshake; closing it/.test(l))).toBe(true);
    await until(() => s.server.stats.unauthenticated === 0);
    // a HELLO, then the full limit: a 1 MiB write in one frame is fine
    const good = await connect(s.url);
    clients.push(good);
    const fd = await good.open('/tmp/w', O_CREAT | O_RDWR, 0o644);
    expect(await good.write(fd, new Uint8Array(MiB).fill(1))).toBe(MiB);
  }, 30_000);

  it('a frame under the limit but never finished costs at most the limit, until the timeout', async () => {
    const s = await start({ handshakeTimeoutMs: 300 });
    const sock = await rawSocket(s.url);
    const part = Buffer.alloc(8000);
    part.writeUInt32LE(16000);
    sock.write(part);
    const got = await readReplies(sock, 1);
    expect(got.bye).toBe(true);
    expect(s.logs.some((l) => /no handshake within 300 ms/.test(l))).toBe(true);
  });
});
