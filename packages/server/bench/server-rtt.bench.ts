/**
 * server-rtt: remote stat(2) operations per second against a real rump_allserver process over a unix
 * socket, with 1, 8 and 64 clients (each keeping `depth` requests in flight), next to the floor: a
 * bare request/response echo of same-sized frames over the same kind of socket, to a separate Node
 * process, measured in the same run with the same client pattern.
 * Targets: ≥ 25,000 ops/s for one client (NetBSD's C rump_server measured 11–12k here) and
 * ≥ 100,000 ops/s across 8 clients.
 *
 * The same for NetBSD's sysproxy protocol (our sysproxy client, same server, same socket): a stat
 * there is two round trips (SYSCALL, the server's COPYINSTR of the path, its answer, then COPYOUT and
 * the reply), so its floor is two echo round trips per operation. With RUMP_NETBSD_DEST set to a
 * buildrump.sh destination (bin/rump_server, lib/), NetBSD's own rump_server is measured too, with
 * the same client, as the reference.
 *
 * Shaped for tools/bench/run.ts (default export { name, description, run }); run it alone with
 * `pnpm exec tsx packages/server/bench/server-rtt.bench.ts` (SERVER_RTT_MS sets the time per case).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { O_CREAT, O_WRONLY } from '@rumpts/librump';
import { connect, type RumpClient, type SysproxyClient } from '@rumpts/rumpclient';

interface Figure {
  value: number;
  unit: string;
  label: string;
}
interface BenchResult {
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MS = Number(process.env['SERVER_RTT_MS'] ?? 1500);

/** The floor: echo every whole frame (u32 length first) back, one write per read batch. */
const ECHO_SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => {
  let pend = Buffer.alloc(0);
  s.on('data', (c) => {
    pend = pend.length ? Buffer.concat([pend, c]) : c;
    let pos = 0;
    while (pend.length - pos >= 4) {
      const len = pend.readUInt32LE(pos);
      if (pend.length - pos < len) break;
      pos += len;
    }
    if (pos > 0) s.write(pend.subarray(0, pos));
    pend = pend.subarray(pos);
  });
  s.on('error', () => {});
});
srv.listen(process.argv[1], () => process.stderr.write('listening on echo\\n'));
`;

/** A client of the echo server with the same request/reply pattern as RumpClient. */
class EchoClient {
  #waiters = new Map<number, () => void>();
  #id = 1;
  #pend: Buffer = Buffer.alloc(0);
  #corked = false;

  constructor(readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on('data', (c: Buffer) => {
      this.#pend = this.#pend.length ? Buffer.concat([this.#pend, c]) : c;
      let pos = 0;
      while (this.#pend.length - pos >= 12) {
        const len = this.#pend.readUInt32LE(pos);
        if (this.#pend.length - pos < len) break;
        const id = this.#pend.readUInt32LE(pos + 4);
        const w = this.#waiters.get(id);
        this.#waiters.delete(id);
        w?.();
        pos += len;
      }
      this.#pend = this.#pend.subarray(pos);
    });
  }

  static open(path: string): Promise<EchoClient> {
    return new Promise((res, rej) => {
      const s = createConnection(path);
      s.once('connect', () => res(new EchoClient(s)));
      s.once('error', rej);
    });
  }

  /** A frame as large as a stat request (header + ['/tmp/f'] encoded). */
  call(): Promise<void> {
    const id = this.#id++;
    const b = Buffer.alloc(28);
    b.writeUInt32LE(28, 0);
    b.writeUInt32LE(id, 4);
    const p = new Promise<void>((r) => this.#waiters.set(id, r));
    if (!this.#corked) {
      this.#corked = true;
      this.sock.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.sock.uncork();
      });
    }
    this.sock.write(b);
    return p;
  }
}

function startProcess(args: string[], cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((res, rej) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) res(child);
    });
    child.on('exit', () => rej(new Error(`process exited: ${err}`)));
  });
}

/** NetBSD's rump_server in the foreground (-s) on `sock`; resolves once the socket exists. */
async function startNetbsd(dest: string, sock: string, cwd: string): Promise<ChildProcess> {
  const child = spawn(join(dest, 'bin/rump_server'), ['-s', '-lrumpvfs', `unix://${sock}`], {
    cwd, stdio: 'ignore', env: { ...process.env, LD_LIBRARY_PATH: join(dest, 'lib') },
  });
  const { existsSync } = await import('node:fs');
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(sock)) throw new Error('NetBSD rump_server did not start');
  return child;
}

/** Run `n` clients × `depth` loops of `op` for MS milliseconds; returns ops/s. */
/** Ops per second over `ms` with `depth` loops per client. */
async function rate<C>(clients: C[], depth: number, op: (c: C) => Promise<void>, ms: number): Promise<number> {
  let count = 0;
  let stop = false;
  const loop = async (c: C): Promise<void> => {
    while (!stop) {
      await op(c);
      count++;
    }
  };
  const t0 = performance.now();
  const all = clients.flatMap((c) => Array.from({ length: depth }, () => loop(c)));
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  await Promise.all(all);
  return count / ((performance.now() - t0) / 1000);
}

/**
 * The median of three rounds of MS/3 each, after a warm-up round of MS/5 (both processes' JIT, and
 * the first wake-ups of a process that was idle): on a shared machine one round can be an outlier.
 */
async function measure<C>(clients: C[], depth: number, op: (c: C) => Promise<void>): Promise<number> {
  await rate(clients, depth, op, MS / 5);
  const r: number[] = [];
  for (let i = 0; i < 3; i++) r.push(await rate(clients, depth, op, MS / 3));
  return r.sort((a, b) => a - b)[1] as number;
}

const bench = {
  name: 'server-rtt',
  description: 'remote stat ops/s over a unix socket (1, 8, 64 clients) vs a bare echo of the same frames',
  async run(): Promise<BenchResult> {
    const dir = mkdtempSync(join(tmpdir(), 'rtt-'));
    const procs: ChildProcess[] = [];
    const rumps: RumpClient[] = [];
    const sps: SysproxyClient[] = [];
    const echoes: EchoClient[] = [];
    try {
      procs.push(await startProcess([join(PKG, 'dist/cli/rump_allserver.js'), '-s', 'unix://rump.sock'], dir));
      procs.push(await startProcess(['-e', ECHO_SERVER, join(dir, 'echo.sock')], dir));
      const url = `unix://${join(dir, 'rump.sock')}`;
      const setup = await connect(url);
      await setup.close(await setup.open('/tmp/f', O_CREAT | O_WRONLY, 0o644));
      setup.destroy();
      const rows: BenchResult['rows'] = [];
      const cases: [number, number, string][] = [
        [1, 1, '≥ 25,000 ops/s (NetBSD C rump_server: 11–12k)'],
        [8, 1, ''],
        [8, 16, '≥ 100,000 ops/s across 8 clients'],
        [64, 1, ''],
      ];
      for (const [n, depth, target] of cases) {
        while (rumps.length < n) rumps.push(await connect(url));
        while (echoes.length < n) echoes.push(await EchoClient.open(join(dir, 'echo.sock')));
        const ours = await measure(rumps.slice(0, n), depth, async (c) => {
          await c.stat('/tmp/f');
        });
        const floor = await measure(echoes.slice(0, n), depth, (c) => c.call());
        rows.push({
          case: `stat, ${n} client${n > 1 ? 's' : ''} × ${depth} in flight`,
          ours: { value: ours, unit: 'ops/s', label: 'remote stat' },
          reference: { value: floor, unit: 'ops/s', label: 'bare echo' },
          ...(target ? { target } : {}),
        });
      }
      // NetBSD's protocol on the same server: 1 and 8 clients, one stat each in flight
      for (const n of [1, 8]) {
        while (sps.length < n) sps.push(await connect(url, { protocol: 'sysproxy' }));
        const ours = await measure(sps.slice(0, n), 1, async (c) => {
          await c.stat('/tmp/f');
        });
        const floor = await measure(echoes.slice(0, n), 1, async (c) => {
          await c.call();
          await c.call();
        });
        rows.push({
          case: `sysproxy stat, ${n} client${n > 1 ? 's' : ''} × 1`,
          ours: { value: ours, unit: 'ops/s', label: 'remote stat (sysproxy)' },
          reference: { value: floor, unit: 'ops/s', label: 'bare echo, 2 round trips' },
        });
      }
      const dest = process.env['RUMP_NETBSD_DEST'];
      if (dest) {
        const nbSock = join(dir, 'nb.sock');
        procs.push(await startNetbsd(dest, nbSock, dir));
        const nbs: SysproxyClient[] = [];
        try {
          for (let i = 0; i < 8; i++) nbs.push(await connect(`unix://${nbSock}`, { protocol: 'sysproxy' }));
          await (nbs[0] as SysproxyClient).close(await (nbs[0] as SysproxyClient).open('/f', O_CREAT | O_WRONLY, 0o644));
          for (const n of [1, 8]) {
            const ours = await measure(sps.slice(0, n), 1, async (c) => {
              await c.stat('/tmp/f');
            });
            const theirs = await measure(nbs.slice(0, n), 1, async (c) => {
              await c.stat('/f');
            });
            rows.push({
              case: `sysproxy stat, ${n} client${n > 1 ? 's' : ''} × 1`,
              ours: { value: ours, unit: 'ops/s', label: 'rumpts rump_allserver' },
              reference: { value: theirs, unit: 'ops/s', label: "NetBSD's rump_server (C)" },
            });
          }
        } finally {
          for (const c of nbs) c.destroy();
        }
      }
      return { rows };
    } finally {
      for (const c of rumps) c.destroy();
      for (const c of sps) c.destroy();
      for (const e of echoes) e.sock.destroy();
      for (const p of procs) p.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await bench.run();
  for (const row of r.rows) {
    const ratio = row.reference ? (row.ours.value / row.reference.value).toFixed(2) : '-';
    console.log(`${row.case.padEnd(32)} ${row.ours.value.toFixed(0).padStart(8)} ops/s (${row.ours.label})   ${row.reference?.value.toFixed(0).padStart(8)} ops/s (${row.reference?.label})   ratio ${ratio}   ${row.target ?? ''}`);
  }
}
