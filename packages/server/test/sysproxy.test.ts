/**
 * Our server speaking NetBSD's sysproxy, beyond the recordings: @rumpts/rumpclient's sysproxy client
 * against it, many calls outstanding and answered out of order, COPYIN of big writes in pipelined
 * pieces, fork and exec, disconnect cleanup, and the limits the listener applies to sysproxy peers
 * as to ours. Raw sockets speak the wire where a client library would hide what is tested.
 */
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { F_GETFD, O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR, S_IFIFO } from '@rumpts/librump';
import { connect, parseUrl, type SysproxyClient } from '@rumpts/rumpclient';
import {
  HANDSHAKE_FORK, HANDSHAKE_GUEST, parseSpFrame, RUMPSP_COPYIN, RUMPSP_ERR_AUTH, RUMPSP_ERR_TRYAGAIN, RUMPSP_ERROR, RUMPSP_HANDSHAKE, RUMPSP_REQ, RUMPSP_RESP, RUMPSP_SYSCALL, SP_HEADER,
  type SpFrame, spFrame, SYS_getpid, SYS_write, writePtr,
} from '@rumpts/rumpclient/protocol';
import { type InProcess, startInProcess } from './helpers.js';

const servers: InProcess[] = [];
const clients: SysproxyClient[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.stop();
});

async function server(opts: Parameters<typeof startInProcess>[0] = {}, url?: string): Promise<InProcess> {
  const s = await startInProcess(opts, url);
  servers.push(s);
  return s;
}

async function client(url: string, opts: { comm?: string; onRaise?: (s: number) => void } = {}): Promise<SysproxyClient> {
  const c = await connect(url, { protocol: 'sysproxy', ...opts });
  clients.push(c);
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(f: () => boolean, ms = 5000): Promise<void> {
  for (const t0 = Date.now(); !f(); await sleep(5)) if (Date.now() - t0 > ms) throw new Error(`condition not met in ${ms} ms`);
}

/** A raw sysproxy peer: the banner, then frames as they come. */
class Raw {
  banner = '';
  frames: SpFrame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  constructor(readonly sock: Socket) {
    sock.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      if (this.banner === '') {
        const nl = this.#buf.indexOf(0x0a);
        if (nl < 0) return;
        this.banner = this.#buf.toString('latin1', 0, nl + 1);
        this.#buf = this.#buf.subarray(nl + 1);
      }
      while (this.#buf.length >= SP_HEADER && this.#buf.length >= Number(this.#buf.readBigUInt64LE(0))) {
        const n = Number(this.#buf.readBigUInt64LE(0));
        this.frames.push(parseSpFrame(Buffer.from(this.#buf.subarray(0, n))));
        this.#buf = this.#buf.subarray(n);
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => undefined);
  }

  static async open(url: string): Promise<Raw> {
    const u = parseUrl(url, false);
    const sock = u.proto === 'unix' ? createConnection(u.path) : createConnection(u.port, u.host);
    sockets.push(sock);
    await new Promise<void>((r, j) => {
      sock.once('connect', () => r());
      sock.once('error', j);
    });
    return new Raw(sock);
  }

  async guest(): Promise<void> {
    this.sock.write(spFrame(1, RUMPSP_REQ, RUMPSP_HANDSHAKE, HANDSHAKE_GUEST, Buffer.from('raw\0')));
    await until(() => this.frames.some((f) => f.cls === RUMPSP_RESP && f.type === RUMPSP_HANDSHAKE));
  }

  syscall(reqno: number, sysnum: number, args: number[] = []): void {
    const b = Buffer.alloc(args.length * 8);
    args.forEach((a, i) => writePtr(b, i * 8, a));
    this.sock.write(spFrame(reqno, RUMPSP_REQ, RUMPSP_SYSCALL, sysnum, b));
  }

  reply(reqno: number): SpFrame | undefined {
    return this.frames.find((f) => f.cls !== RUMPSP_REQ && f.reqno === reqno && !(f.cls === RUMPSP_RESP && f.type === RUMPSP_HANDSHAKE));
  }
}

describe('sysproxy on our server, with our sysproxy client', () => {
  it('one socket serves both protocols; both see one kernel', async () => {
    const s = await server();
    const sp = await client(s.url);
    expect(sp.banner).toMatch(/^RUMPSP-0\.4-NetBSD-/);
    const ours = await connect(s.url);
    await sp.mkdir('/tmp/from-sysproxy', 0o750);
    expect((await ours.stat('/tmp/from-sysproxy')).mode & 0o7777).toBe(0o750);
    await ours.symlink('from-sysproxy', '/tmp/link');
    expect(await sp.readlink('/tmp/link')).toBe('from-sysproxy');
    ours.destroy();
  });

  it('the calls of a process, checked against the kernel itself', async () => {
    const s = await server();
    const c = await client(s.url);
    const k = s.kernel.proc;
    // a guest's first descriptor is 3: 0, 1 and 2 are the rump console
    const fd = await c.open('/tmp/f', O_CREAT | O_RDWR, 0o640);
    expect(fd).toBe(3);
    const data = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
    expect(await c.write(fd, data)).toBe(data.length);
    expect(await c.pwrite(fd, new Uint8Array([1, 2, 3]), 400_000)).toBe(3);
    expect(await c.lseek(fd, 0, 0)).toBe(0);
    const back = new Uint8Array(data.length);
    expect(await c.read(fd, back)).toBe(data.length);
    expect(back).toEqual(data);
    const ks = k.stat('/tmp/f');
    const cs = await c.fstat(fd);
    expect(cs).toEqual(ks);
    expect(cs.size).toBe(400_003);
    await c.ftruncate(fd, 10);
    expect(k.stat('/tmp/f').size).toBe(10);
    const iov = [new Uint8Array(4), new Uint8Array(6)];
    expect(await c.lseek(fd, 0, 0)).toBe(0);
    expect(await c.readv(fd, iov)).toBe(10);
    expect(Buffer.concat(iov)).toEqual(Buffer.from(data.subarray(0, 10)));
    await c.close(fd);
    await expect(c.close(fd)).rejects.toMatchObject({ code: 'EBADF', errno: 9 });
    await c.mkdir('/tmp/d', 0o755);
    for (const n of ['a', 'b', 'c']) await c.close(await c.open(`/tmp/d/${n}`, O_CREAT | O_RDWR, 0o600));
    const dfd = await c.open('/tmp/d', O_RDONLY);
    const names = (await c.getdents(dfd)).map((e) => e.name).sort();
    expect(names).toEqual(['.', '..', 'a', 'b', 'c']);
    expect(await c.getdents(dfd)).toEqual([]);
    await c.close(dfd);
    await c.utimes('/tmp/d/a', { sec: 1_000_000_000, nsec: 123_456_789 }, { sec: 1_200_000_000, nsec: 5 });
    expect(k.stat('/tmp/d/a')).toMatchObject({ atime: { sec: 1_000_000_000, nsec: 123_456_789 }, mtime: { sec: 1_200_000_000, nsec: 5 } });
    await c.chmod('/tmp/d/a', 0o604);
    await c.chown('/tmp/d/a', 1000, 100);
    expect(k.stat('/tmp/d/a')).toMatchObject({ mode: 0o100604, uid: 1000, gid: 100 });
    await c.rename('/tmp/d/a', '/tmp/d/z');
    await c.link('/tmp/d/z', '/tmp/d/y');
    expect(k.stat('/tmp/d/y').nlink).toBe(2);
    await c.mkfifo('/tmp/d/fifo', 0o600);
    expect(k.stat('/tmp/d/fifo').mode & 0o170000).toBe(S_IFIFO);
    await expect(c.rmdir('/tmp/d')).rejects.toMatchObject({ code: 'ENOTEMPTY', errno: 66, syscall: 'rmdir', path: '/tmp/d' });
    await expect(c.stat('/tmp/none')).rejects.toMatchObject({ code: 'ENOENT', errno: 2 });
    await c.chdir('/tmp/d');
    expect(await c.getcwd()).toBe('/tmp/d');
    expect(await c.statvfs('/tmp')).toEqual(k.statvfs('/tmp'));
    expect((await c.getvfsstat()).map((v) => v.mntonname)).toEqual(k.getvfsstat().map((v) => v.mntonname));
    expect(await c.getpid()).toBeGreaterThan(0);
    await c.mkdir('/tmp/t2');
    await c.mount('tmpfs', '/tmp/t2', 0, { size: 1 << 20 });
    expect(k.statvfs('/tmp/t2').fstypename).toBe('tmpfs');
    await c.unmount('/tmp/t2');
  });

  it('a write to a pipe with no reader is EPIPE and the client is told to raise SIGPIPE', async () => {
    const s = await server();
    const raised: number[] = [];
    const c = await client(s.url, { onRaise: (sig) => raised.push(sig) });
    const [r, w] = await c.pipe2(0);
    expect(await c.write(w, Buffer.from('hello'))).toBe(5);
    const got = new Uint8Array(16);
    expect(await c.read(r, got)).toBe(5);
    await c.close(r);
    await expect(c.write(w, Buffer.from('x'))).rejects.toMatchObject({ code: 'EPIPE' });
    expect(raised).toEqual([13]);
  });

  it('fork: the child shares open files and their offsets; exec closes close-on-exec descriptors', async () => {
    const s = await server();
    const k = s.kernel.proc;
    const fd0 = k.open('/tmp/n', O_CREAT | O_RDWR, 0o644);
    k.write(fd0, Buffer.from('0123456789'));
    k.close(fd0);
    const c = await client(s.url, { comm: 'parent' });
    const fd = await c.open('/tmp/n', O_RDONLY);
    const keep = await c.open('/tmp/n', O_RDONLY | O_CLOEXEC);
    const a = new Uint8Array(3);
    await c.read(fd, a);
    const child = await c.fork({ comm: 'child' });
    clients.push(child);
    expect(await child.getpid()).not.toBe(await c.getpid());
    await child.read(fd, a);
    expect(Buffer.from(a).toString()).toBe('345');
    await c.read(fd, a);
    expect(Buffer.from(a).toString()).toBe('678');
    await child.disconnect();
    expect(await c.fcntl(keep, F_GETFD)).toBe(1);
    await c.exec('after-exec');
    await expect(c.fstat(keep)).rejects.toMatchObject({ code: 'EBADF' });
    expect((await c.fstat(fd)).size).toBe(10);
  });

  it('many calls outstanding: 600 made at once, 64 on the wire at a time, each answered', async () => {
    const s = await server();
    const c = await client(s.url);
    const fd = await c.open('/tmp/m', O_CREAT | O_RDWR, 0o644);
    await c.write(fd, new Uint8Array(5000).map((_, i) => i & 0xff));
    const reads = Array.from({ length: 500 }, async (_, i) => {
      const b = new Uint8Array(10);
      await c.pread(fd, b, i * 10);
      return b[0];
    });
    const stats = Array.from({ length: 100 }, () => c.stat('/tmp/m'));
    expect(c.inFlight).toBe(64);
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 500 }, (_, i) => (i * 10) & 0xff));
    expect((await Promise.all(stats)).every((st) => st.size === 5000)).toBe(true);
  });

  it('answers come in the order calls finish: a call waiting for its COPYIN does not hold up the next', async () => {
    const s = await server();
    const raw = await Raw.open(s.url);
    await raw.guest();
    raw.syscall(10, SYS_write, [1, 0x5000, 64]); // write(1, 0x5000, 64): the server asks for the bytes…
    await until(() => raw.frames.some((f) => f.type === RUMPSP_COPYIN && f.cls === RUMPSP_REQ));
    raw.syscall(11, SYS_getpid);
    await until(() => raw.reply(11) !== undefined);
    expect(raw.reply(10)).toBeUndefined(); // …and getpid is answered while write still waits
    const ask = raw.frames.find((f) => f.type === RUMPSP_COPYIN) as SpFrame;
    raw.sock.write(spFrame(ask.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, Buffer.alloc(64, 0x41)));
    await until(() => raw.reply(10) !== undefined);
    const r = raw.reply(10) as SpFrame;
    expect([r.buf.readInt32LE(SP_HEADER), Number(r.buf.readBigInt64LE(SP_HEADER + 8))]).toEqual([0, 64]); // the console took it
  });

  it('a big write is fetched in pieces asked for together, not one round trip at a time', async () => {
    const s = await server();
    const raw = await Raw.open(s.url);
    await raw.guest();
    const fd = 3;
    raw.syscall(2, 5, [0x1000, O_CREAT | O_RDWR, 0o644]);
    await until(() => raw.frames.some((f) => f.type === 3));
    const q = raw.frames.find((f) => f.type === 3) as SpFrame;
    raw.sock.write(spFrame(q.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, Buffer.from('/tmp/big\0')));
    await until(() => raw.reply(2) !== undefined);
    const n = 1024 * 1024;
    raw.syscall(3, SYS_write, [fd, 0x100000, n]);
    await until(() => raw.frames.filter((f) => f.type === RUMPSP_COPYIN).length >= 16);
    const asks = raw.frames.filter((f) => f.type === RUMPSP_COPYIN);
    expect(asks).toHaveLength(16);
    const spans = asks.map((f) => [Number(f.buf.readBigUInt64LE(SP_HEADER + 8)) - 0x100000, Number(f.buf.readBigUInt64LE(SP_HEADER))]);
    expect(spans).toEqual(Array.from({ length: 16 }, (_, i) => [i * 65536, 65536]));
    for (const f of asks) raw.sock.write(spFrame(f.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, Buffer.alloc(65536, 0x61)));
    await until(() => raw.reply(3) !== undefined);
    expect(Number((raw.reply(3) as SpFrame).buf.readBigInt64LE(SP_HEADER + 8))).toBe(n);
    expect(s.kernel.proc.stat('/tmp/big').size).toBe(n);
  });

  it('a disconnect releases the process and its descriptors, also in the middle of a copy', async () => {
    const s = await server();
    const nprocs = s.kernel.sysctl('kern.rump.nprocs');
    const c = await client(s.url);
    await c.open('/tmp/held', O_CREAT | O_RDWR, 0o644);
    const raw = await Raw.open(s.url);
    await raw.guest();
    raw.syscall(5, SYS_write, [1, 0x5000, 64]);
    await until(() => raw.frames.some((f) => f.type === RUMPSP_COPYIN));
    expect(s.kernel.sysctl('kern.rump.nprocs')).toBe(Number(nprocs) + 3); // init and two guests
    raw.sock.destroy();
    await c.disconnect();
    await until(() => s.kernel.sysctl('kern.rump.nprocs') === Number(nprocs) + 1 && s.server.connections === 0);
    expect(s.logs.filter((l) => /internal error/.test(l))).toEqual([]);
    // the server goes on serving
    const d = await client(s.url);
    expect(await d.getcwd()).toBe('/');
  });
});

describe('sysproxy limits and defences', () => {
  it('more calls outstanding than a connection may run are refused with TRYAGAIN (EAGAIN), the connection stays', async () => {
    const s = await server();
    const raw = await Raw.open(s.url);
    await raw.guest();
    // 128 writes each waiting for its COPYIN, then one more call
    for (let i = 0; i < 128; i++) raw.syscall(100 + i, SYS_write, [1, 0x5000 + i * 64, 64]);
    await until(() => raw.frames.filter((f) => f.type === RUMPSP_COPYIN).length === 128);
    raw.syscall(999, SYS_getpid);
    await until(() => raw.reply(999) !== undefined);
    expect(raw.reply(999)).toMatchObject({ cls: RUMPSP_ERROR, u: RUMPSP_ERR_TRYAGAIN });
    for (const f of raw.frames.filter((x) => x.type === RUMPSP_COPYIN)) raw.sock.write(spFrame(f.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, Buffer.alloc(64)));
    await until(() => Array.from({ length: 128 }, (_, i) => raw.reply(100 + i)).every((r) => r?.cls === RUMPSP_RESP));
    raw.syscall(1000, SYS_getpid);
    await until(() => raw.reply(1000) !== undefined);
    expect(raw.reply(1000)?.cls).toBe(RUMPSP_RESP);
  });

  it('big writes gather their data within a bound: a client that leaves pieces unanswered pins at most maxFrame', async () => {
    const s = await server({ limits: { maxFrame: 2 * 1024 * 1024 } });
    const raw = await Raw.open(s.url);
    await raw.guest();
    // ten 1 MiB writes at once: only two of them may ask for their data; the rest wait
    for (let i = 0; i < 10; i++) raw.syscall(200 + i, SYS_write, [1, 0x100000 + i * 0x200000, 1024 * 1024]);
    await until(() => raw.frames.filter((f) => f.type === RUMPSP_COPYIN).length >= 32);
    await sleep(50);
    const asked = (): SpFrame[] => raw.frames.filter((f) => f.type === RUMPSP_COPYIN);
    expect(asked()).toHaveLength(32);
    // answer everything asked, as it comes, until all ten are done
    const answered = new Set<number>();
    await until(() => {
      for (const f of asked()) {
        if (answered.has(f.reqno)) continue;
        answered.add(f.reqno);
        raw.sock.write(spFrame(f.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_COPYIN, 0, Buffer.alloc(Number(f.buf.readBigUInt64LE(SP_HEADER)))));
      }
      return Array.from({ length: 10 }, (_, i) => raw.reply(200 + i)).every((r) => r !== undefined);
    });
    expect(answered.size).toBe(160);
    expect(Array.from({ length: 10 }, (_, i) => Number((raw.reply(200 + i) as SpFrame).buf.readBigInt64LE(SP_HEADER + 8)))).toEqual(Array(10).fill(1024 * 1024));
  });

  it('before the handshake: the small frame limit, checked at the length field', async () => {
    const s = await server();
    const raw = await Raw.open(s.url);
    const head = Buffer.alloc(24);
    head.writeBigUInt64LE(4n * 1024n * 1024n);
    raw.sock.write(head);
    await until(() => raw.closed);
    expect(s.logs.some((l) => /frame length 4194304 exceeds the limit of 16384 bytes before the handshake/.test(l))).toBe(true);
  });

  it('a peer that reads the banner and never shakes hands is closed after the handshake timeout', async () => {
    const s = await server({ handshakeTimeoutMs: 200 });
    const raw = await Raw.open(s.url);
    await until(() => raw.closed, 3000);
    expect(raw.banner).toMatch(/^RUMPSP-0\.4-/);
    expect(s.server.stats.unauthenticated).toBe(0);
  });

  it('on a listener of both protocols our client still hears EAGAIN while handshake slots are full, and gets in', async () => {
    const s = await server({ limits: { maxUnauthenticated: 4 } });
    for (let i = 0; i < 4; i++) await Raw.open(s.url);
    await until(() => s.server.stats.unauthenticated === 4);
    await expect(connect(s.url, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'EAGAIN' });
    const good = await connect(s.url, { timeoutMs: 5000 });
    expect(await good.getcwd()).toBe('/');
    good.destroy();
    const sp = await client(s.url);
    expect(await sp.getcwd()).toBe('/');
  });

  it('tcp with a token: a sysproxy client is refused at its handshake, at once and with no process; the token client works', async () => {
    // A handshake timeout far beyond the test's own: only the refusal can end these connections.
    const t = await server({ handshakeTimeoutMs: 60_000 }, 'tcp://127.0.0.1:0/');
    expect(t.server.spBanner).toBeUndefined();
    const nprocs = t.kernel.sysctl('kern.rump.nprocs');
    // our sysproxy client: EPERM (librumpclient's errno for ERROR AUTH), saying why
    await expect(connect(t.url, { protocol: 'sysproxy', timeoutMs: 30_000 })).rejects.toMatchObject({
      code: 'EPERM',
      detail: expect.stringMatching(/refused the sysproxy GUEST handshake with RUMPSP_ERR_AUTH \(2\): not authorised \(sysproxy cannot present a token, and this server requires one;/),
    });
    // what librumpclient does, byte for byte: read the banner, send GUEST, read the answer
    const raw = await Raw.open(t.url);
    await until(() => raw.banner !== '');
    expect(raw.banner).toMatch(/^RUMPSP-0\.4-NetBSD-[^/]+\/amd64\n$/);
    raw.sock.write(spFrame(0x1_0000_0007, RUMPSP_REQ, RUMPSP_HANDSHAKE, HANDSHAKE_GUEST, Buffer.from('spclient\0')));
    await until(() => raw.closed);
    expect(raw.frames).toHaveLength(1);
    expect(raw.frames[0]).toMatchObject({ len: SP_HEADER, reqno: 0x1_0000_0007, cls: RUMPSP_ERROR, type: 0, u: RUMPSP_ERR_AUTH });
    // a FORK handshake (a cookie guessed) and a syscall first are refused the same way
    for (const first of [spFrame(3, RUMPSP_REQ, RUMPSP_HANDSHAKE, HANDSHAKE_FORK, Buffer.alloc(20)), spFrame(4, RUMPSP_REQ, RUMPSP_SYSCALL, SYS_getpid)]) {
      const r = await Raw.open(t.url);
      r.sock.write(first);
      await until(() => r.closed);
      expect(r.frames.map((f) => [f.reqno, f.cls, f.u])).toEqual([[first.readUInt32LE(8), RUMPSP_ERROR, RUMPSP_ERR_AUTH]]);
    }
    // nothing of the kernel was touched, nothing is held, and the log says why (once per peer)
    expect(t.kernel.sysctl('kern.rump.nprocs')).toBe(nprocs);
    await until(() => t.server.stats.unauthenticated === 0 && t.server.connections === 0);
    expect(t.logs.filter((l) => /sysproxy handshake refused \(ERROR AUTH\): sysproxy has no authentication and this listener requires a token/.test(l))).toHaveLength(4);
    // our protocol, with the token (found in the token file), is served on the same listener
    const o = await connect(t.url);
    expect(await o.getcwd()).toBe('/');
    o.destroy();
  });

  it('tcp with a token: the refusal path keeps the limits before the handshake (frame size, timeout)', async () => {
    const t = await server({ handshakeTimeoutMs: 200 }, 'tcp://127.0.0.1:0/');
    // a first frame claiming 4 MiB is refused at its length field, unread
    const big = await Raw.open(t.url);
    const head = Buffer.alloc(SP_HEADER);
    head.writeBigUInt64LE(4n * 1024n * 1024n);
    big.sock.write(head);
    await until(() => big.closed);
    expect(big.frames).toHaveLength(0);
    expect(t.logs.some((l) => /frame length 4194304 exceeds the limit of 16384 bytes before the handshake/.test(l))).toBe(true);
    // a handshake that never ends is closed at the timeout, with nothing but the banner sent
    const slow = await Raw.open(t.url);
    const part = spFrame(1, RUMPSP_REQ, RUMPSP_HANDSHAKE, HANDSHAKE_GUEST, Buffer.alloc(1000));
    slow.sock.write(part.subarray(0, 100));
    await until(() => slow.closed, 3000);
    expect(slow.banner).toMatch(/^RUMPSP-0\.4-/);
    expect(slow.frames).toHaveLength(0);
    expect(t.logs.some((l) => /^sysproxy connection \d+: no handshake within 200 ms; closing it$/.test(l))).toBe(true);
    await until(() => t.server.stats.unauthenticated === 0 && t.server.connections === 0);
  });

  it('tcp --insecure (no token) serves both protocols; sysproxy: false greets no one', async () => {
    const i = await server({ insecure: true }, 'tcp://127.0.0.1:0/');
    const c = await connect(i.url, { protocol: 'sysproxy' });
    clients.push(c);
    expect(await c.getcwd()).toBe('/');
    const o = await connect(i.url);
    expect(await o.getcwd()).toBe('/');
    o.destroy();
    // sysproxy turned off: our protocol alone, no banner; a sysproxy client waits for one in vain
    const off = await server({ sysproxy: false, handshakeTimeoutMs: 200 });
    expect(off.server.spBanner).toBeUndefined();
    const raw = await Raw.open(off.url);
    await until(() => raw.closed, 3000);
    expect(raw.banner).toBe('');
    const p = await connect(off.url);
    expect(await p.getcwd()).toBe('/');
    p.destroy();
  });
});
