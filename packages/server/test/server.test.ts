import { createConnection, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRumpError, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, RB_NOSYNC, type RumpError, SEEK_SET } from '@rumpts/librump';
import { connect, PROTO_MAJOR, type RumpClient, type RumpClientOptions } from '@rumpts/rumpclient';
import { beginFrame, endFrame, K_CALL, K_HELLO, Writer } from '@rumpts/rumpclient/protocol';
import { type InProcess, startInProcess } from './helpers.js';

let srv: InProcess;
const clients: RumpClient[] = [];
async function client(opts: RumpClientOptions = {}): Promise<RumpClient> {
  const c = await connect(srv.url, opts);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  srv = await startInProcess();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await srv.stop();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'OK';
}
function localCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

/** A raw socket: send bytes, collect what comes back until the server closes. */
function raw(url: string, bytes: Buffer[]): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = createConnection(url.slice('unix://'.length));
    const got: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(got), closed: false });
    }, 3000);
    s.on('data', (c) => got.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data: Buffer.concat(got), closed: true });
    });
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
  });
}

function helloFrame(major = PROTO_MAJOR, info: Record<string, string> = { comm: 'raw' }): Buffer {
  const w = new Writer();
  const at = beginFrame(w, 0, K_HELLO);
  w.u16(major);
  w.u16(0);
  w.value(info);
  endFrame(w, at);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

describe('remote calls', () => {
  it('does file I/O and metadata like a local process', async () => {
    const c = await client();
    await c.mkdir('/tmp/d', 0o755);
    const fd = await c.open('/tmp/d/f', O_CREAT | O_RDWR, 0o644);
    const data = new TextEncoder().encode('hello, rump kernel');
    expect(await c.write(fd, data)).toBe(data.length);
    expect(await c.lseek(fd, 0, SEEK_SET)).toBe(0);
    const back = new Uint8Array(64);
    const n = await c.read(fd, back);
    expect(new TextDecoder().decode(back.subarray(0, n))).toBe('hello, rump kernel');
    await c.close(fd);
    const remote = await c.stat('/tmp/d/f');
    const local = srv.kernel.proc.stat('/tmp/d/f');
    expect(remote).toEqual(local);
    await c.symlink('f', '/tmp/d/l');
    expect(await c.readlink('/tmp/d/l')).toBe('f');
    await c.rename('/tmp/d/f', '/tmp/d/g');
    const dfd = await c.open('/tmp/d', O_RDONLY);
    const names = (await c.getdents(dfd)).map((d) => d.name).sort();
    expect(names).toEqual(srv.kernel.proc.getdents(srv.kernel.proc.open('/tmp/d', O_RDONLY)).map((d) => d.name).sort());
    expect(await c.statvfs('/tmp')).toEqual(srv.kernel.proc.statvfs('/tmp'));
    expect(await c.sysctl('hw.ncpu')).toBe(2);
  });

  it('splits I/O larger than one frame and gets every byte back', async () => {
    const c = await client();
    const big = new Uint8Array(3 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const fd = await c.open('/tmp/big', O_CREAT | O_RDWR, 0o644);
    expect(await c.pwrite(fd, big, 7)).toBe(big.length);
    const back = new Uint8Array(big.length);
    expect(await c.pread(fd, back, 7)).toBe(big.length);
    expect(Buffer.compare(back, big)).toBe(0);
    expect((await c.fstat(fd)).size).toBe(big.length + 7);
  });

  it('throws the same RumpError codes as a local process', async () => {
    const c = await client();
    const p = srv.kernel.newproc();
    const cases: [() => Promise<unknown>, () => unknown][] = [
      [() => c.stat('/nonexistent'), () => p.stat('/nonexistent')],
      [() => c.open('/tmp', O_WRONLY), () => p.open('/tmp', O_WRONLY)],
      [() => c.close(99), () => p.close(99)],
      [() => c.mkdir('/tmp'), () => p.mkdir('/tmp')],
      [() => c.rmdir('/'), () => p.rmdir('/')],
      [() => c.readlink('/tmp'), () => p.readlink('/tmp')],
      [() => c.lseek(0, -1, 99), () => p.lseek(0, -1, 99)],
      [() => c.sysctl('no.such.node'), () => srv.kernel.sysctl('no.such.node')],
      [() => c.sysctl('hw.ncpu', 4), () => srv.kernel.sysctl('hw.ncpu', 4)],
    ];
    for (const [remote, local] of cases) {
      const want = localCode(local);
      expect(want).not.toBe('OK');
      expect(await codeOf(remote())).toBe(want);
    }
    const e = (await c.stat('/nonexistent').catch((x: unknown) => x)) as RumpError;
    expect(e).toMatchObject({ name: 'RumpError', code: 'ENOENT', errno: 2, syscall: 'stat', path: '/nonexistent' });
  });

  it('gives each connection its own process: descriptors and cwd', async () => {
    const a = await client();
    const b = await client();
    expect(a.info.pid).not.toBe(b.info.pid);
    expect(await a.getpid()).toBe(a.info.pid);
    const fa = await a.open('/tmp/x', O_CREAT | O_RDWR, 0o644);
    const fb = await b.open('/tmp/x', O_RDONLY);
    expect(fa).toBe(fb); // both lowest free in their own tables
    await a.close(fa);
    expect(await codeOf(a.close(fa))).toBe('EBADF');
    await b.close(fb); // still open in b
    await a.chdir('/tmp');
    expect(await a.getcwd()).toBe('/tmp');
    expect(await b.getcwd()).toBe('/');
  });

  it('closes everything a client held when it disconnects', async () => {
    const before = srv.kernel.sysctl('kern.rump.nprocs') as number;
    const c = await client();
    await c.open('/tmp/held', O_CREAT | O_RDWR, 0o644);
    expect(srv.kernel.sysctl('kern.rump.nprocs')).toBe(before + 1);
    const pid = c.info.pid;
    await c.disconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.kernel.sysctl('kern.rump.nprocs')).toBe(before);
    expect(() => srv.kernel.pfind(pid)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(c.ping()).rejects.toMatchObject({ code: 'ENOTCONN' });
  });

  it('answers many pipelined requests, matched by id', async () => {
    const c = await client();
    const paths = Array.from({ length: 200 }, (_, i) => `/tmp/p${i}`);
    await Promise.all(paths.map((p, i) => c.open(p, O_CREAT | O_WRONLY, 0o600 | (i % 2 ? 0o40 : 0))));
    const stats = await Promise.all(paths.map((p) => c.stat(p)));
    stats.forEach((s, i) => expect(s).toEqual(srv.kernel.proc.stat(paths[i] as string)));
    expect(c.inFlight).toBe(0);
  });
});

describe('bad input closes only that connection', () => {
  it('garbage bytes: logged, closed; other clients go on', async () => {
    const good = await client();
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff));
    const r = await raw(srv.url, [junk]);
    expect(r.closed).toBe(true);
    expect(srv.logs.some((l) => /closing it/.test(l))).toBe(true);
    expect((await good.stat('/tmp')).mode & 0o170000).toBe(0o040000);
  });

  it('a call before the handshake, an unknown call, an oversized frame, a bad version', async () => {
    const call = (op: number): Buffer => {
      const w = new Writer();
      const at = beginFrame(w, 1, K_CALL, op);
      w.value([]);
      endFrame(w, at);
      return Buffer.from(w.buf.subarray(0, w.pos));
    };
    expect((await raw(srv.url, [call(0)])).closed).toBe(true);
    expect(srv.logs.pop()).toMatch(/before the handshake/);
    expect((await raw(srv.url, [helloFrame(), call(9999)])).closed).toBe(true);
    expect(srv.logs.pop()).toMatch(/unknown call 9999/);
    const huge = Buffer.alloc(12);
    huge.writeUInt32LE(srv.server.maxFrame + 1);
    expect((await raw(srv.url, [helloFrame(), huge])).closed).toBe(true);
    expect(srv.logs.pop()).toMatch(/exceeds the limit/);
    // arguments of the wrong kind
    const w = new Writer();
    const at = beginFrame(w, 1, K_CALL, 8);
    w.value([42]);
    endFrame(w, at);
    expect((await raw(srv.url, [helloFrame(), Buffer.from(w.buf.subarray(0, w.pos))])).closed).toBe(true);
    expect(srv.logs.pop()).toMatch(/stat: argument 1 is not of kind 's'/);
    expect((await raw(srv.url, [helloFrame(PROTO_MAJOR + 1)])).closed).toBe(true);
    expect(srv.logs.pop()).toMatch(/protocol 2\.0 requested/);
    const c = await client();
    await c.ping();
    expect(srv.server.connections).toBe(1);
  });

  it('a client vanishing mid-request: logged, its process exits', async () => {
    const before = srv.kernel.sysctl('kern.rump.nprocs') as number;
    const w = new Writer();
    const at = beginFrame(w, 1, K_CALL, 4);
    w.value([0, new Uint8Array(100_000)]);
    endFrame(w, at);
    const s = createConnection(srv.url.slice('unix://'.length));
    await new Promise((r) => s.on('connect', r));
    s.write(helloFrame());
    s.write(w.buf.subarray(0, 5000));
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.kernel.sysctl('kern.rump.nprocs')).toBe(before + 1);
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.logs.some((l) => /vanished mid-request/.test(l))).toBe(true);
    expect(srv.kernel.sysctl('kern.rump.nprocs')).toBe(before);
  });
});

describe('shared secret', () => {
  it('closes a connection with the wrong token before any call', async () => {
    await srv.stop();
    srv = await startInProcess({ token: 's3cret' });
    const before = srv.kernel.sysctl('kern.rump.nprocs');
    await expect(connect(srv.url, { token: 'nope' })).rejects.toMatchObject({ code: 'EAUTH' });
    await expect(connect(srv.url, { token: '' })).rejects.toMatchObject({ code: 'EAUTH' });
    expect(srv.kernel.sysctl('kern.rump.nprocs')).toBe(before);
    const ok = await client({ token: 's3cret' });
    expect(await ok.getcwd()).toBe('/');
  });
});

describe('32 concurrent clients × 500 mixed operations', () => {
  it('every result checked against a model', async () => {
    const N = 32;
    const OPS = 500;
    const run = async (k: number): Promise<void> => {
      const c = await client();
      let seed = k * 7919 + 1;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const dir = `/tmp/c${k}`;
      await c.mkdir(dir, 0o755);
      const model = new Map<string, Uint8Array>();
      for (let i = 0; i < OPS; i++) {
        const name = `${dir}/f${rnd(12)}`;
        const op = rnd(5);
        if (op === 0) {
          const data = new Uint8Array(1 + rnd(3000)).fill(rnd(256));
          const fd = await c.open(name, O_CREAT | O_WRONLY | 0x400 /* O_TRUNC */, 0o644);
          expect(await c.write(fd, data)).toBe(data.length);
          await c.close(fd);
          model.set(name, data);
        } else if (op === 1) {
          const want = model.get(name);
          const got = await codeOf(c.stat(name));
          if (!want) expect(got).toBe('ENOENT');
          else expect((await c.stat(name)).size).toBe(want.length);
        } else if (op === 2) {
          const want = model.get(name);
          if (!want) {
            expect(await codeOf(c.open(name, O_RDONLY))).toBe('ENOENT');
          } else {
            const fd = await c.open(name, O_RDONLY);
            const buf = new Uint8Array(want.length + 10);
            expect(await c.read(fd, buf)).toBe(want.length);
            expect(Buffer.compare(buf.subarray(0, want.length), want)).toBe(0);
            await c.close(fd);
          }
        } else if (op === 3) {
          const to = `${dir}/f${rnd(12)}`;
          const code = await codeOf(c.rename(name, to));
          const src = model.get(name);
          if (!src) expect(code).toBe('ENOENT');
          else {
            expect(code).toBe('OK');
            model.delete(name);
            model.set(to, src);
          }
        } else {
          const code = await codeOf(c.unlink(name));
          expect(code).toBe(model.delete(name) ? 'OK' : 'ENOENT');
        }
      }
      const dfd = await c.open(dir, O_RDONLY);
      const names: string[] = [];
      for (let ents = await c.getdents(dfd); ents.length; ents = await c.getdents(dfd)) names.push(...ents.map((d) => d.name));
      expect(names.filter((n) => n !== '.' && n !== '..').sort()).toEqual([...model.keys()].map((p) => p.slice(dir.length + 1)).sort());
      await c.disconnect();
    };
    await Promise.all(Array.from({ length: N }, (_, k) => run(k)));
  }, 60_000);
});

describe('reboot (rump.halt)', () => {
  it('answers, halts the kernel and closes the socket', async () => {
    const c = await client();
    const other = await client();
    await c.reboot(RB_NOSYNC);
    const { howto } = await srv.server.exited;
    expect(howto).toBe(RB_NOSYNC);
    expect(srv.kernel.halted).toBe(true);
    await other.closed;
    await expect(connect(srv.url)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
