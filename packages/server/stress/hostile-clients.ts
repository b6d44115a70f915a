/**
 * Stress: a real rump_allserver on tcp (token generated) under 1,000 abusive connections at once,
 * while a client with the token works throughout. On demand, not in CI:
 *
 *   pnpm build && pnpm exec tsx packages/server/stress/hostile-clients.ts [options]
 *
 *   --seconds N    how long the attack lasts (default 30)
 *   --bound MiB    the server's peak RSS must stay under this (default 256)
 *   --idle N       sockets that connect and say nothing (default 400)
 *   --slow N       sockets that send a HELLO one byte every 200 ms (default 100)
 *   --partial N    sockets that announce a 4 MiB frame and send 64 KiB of it (default 200)
 *   --badtoken N   sockets that send HELLO with a wrong token, over and over (default 150)
 *   --amplify N    clients WITH the token that pipeline 2,000 pread(1 MiB) and never read (default 150);
 *                  they cannot see the server close them (they never read), so each one hangs up
 *                  and starts again every --churn ms (default 3000)
 *   --json         print the figures as JSON
 *
 * Every other abusive socket reconnects 20 ms after the server closes it, so the pressure never lets up.
 * The server's peak RSS is its VmHWM from /proc (Linux). The good client, in its own process, loops
 * stat + pread(64 KiB) + write-and-read-back of a small file and reports its latencies. Exit status 0
 * when the peak stayed under the bound and the good client had no error and was never stalled for
 * longer than the server's stall timeout plus a second.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { O_CREAT, O_RDONLY, O_RDWR } from '@rumpts/librump';
import { connect, DEFAULT_LIMITS, MAX_IO, PROTO_MAJOR } from '../src/index.js';
import { CALLS } from '../src/protocol/calls.js';
import { Writer } from '../src/protocol/codec.js';
import { beginFrame, endFrame, K_CALL, K_HELLO } from '../src/protocol/frame.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}
const SECONDS = arg('seconds', 30);
const BOUND_MIB = arg('bound', 256);
const COUNTS = { idle: arg('idle', 400), slow: arg('slow', 100), partial: arg('partial', 200), badtoken: arg('badtoken', 150), amplify: arg('amplify', 150) };
const CHURN_MS = arg('churn', 3000);
const JSON_OUT = process.argv.includes('--json');

function hello(token: string): Buffer {
  const w = new Writer();
  const at = beginFrame(w, 0, K_HELLO);
  w.u16(PROTO_MAJOR);
  w.u16(0);
  w.value({ comm: 'stress', token });
  endFrame(w, at);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

function amplifier(token: string, n: number): Buffer {
  const w = new Writer();
  let at = beginFrame(w, 1, K_CALL, CALLS.open[0]);
  w.value(['/mnt/big', O_RDONLY, 0]);
  endFrame(w, at);
  for (let i = 0; i < n; i++) {
    at = beginFrame(w, 2 + i, K_CALL, CALLS.pread[0]);
    w.value([0, MAX_IO, 0]);
    endFrame(w, at);
  }
  return Buffer.concat([hello(token), w.buf.subarray(0, w.pos)]);
}

function vm(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- the server ---
const runtime = mkdtempSync(join(tmpdir(), 'rump-stress-'));
const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime };
delete env['RUMP_SERVER_TOKEN'];
const server: ChildProcess = spawn(process.execPath, [join(PKG, 'dist/cli/rump_allserver.js'), '-s', '--mount', 'tmpfs:tmpfs:/mnt', 'tcp://127.0.0.1:0/'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
let serverErr = '';
const url = await new Promise<string>((res, rej) => {
  server.stderr?.on('data', (c: Buffer) => {
    serverErr += c.toString();
    const m = /listening on (\S+)/.exec(serverErr);
    if (m?.[1]) res(m[1]);
  });
  server.on('exit', (code) => rej(new Error(`server exited ${code}: ${serverErr}`)));
});
const tokenFile = /token in (\S+) /.exec(serverErr)?.[1] as string;
const token = readFileSync(tokenFile, 'utf8').trim();
const port = Number(/:(\d+)\/$/.exec(url)?.[1]);
const pid = server.pid as number;

// the file the amplifiers and the good client read
{
  const c = await connect(url, { token });
  const fd = await c.open('/mnt/big', O_CREAT | O_RDWR, 0o644);
  await c.pwrite(fd, new Uint8Array(MiB).fill(0x5a), 0);
  await c.close(fd);
  await c.disconnect();
}
await sleep(300);
const before = vm(pid);

// --- the good client, in its own process ---
const GOOD = `
import { connect } from ${JSON.stringify(join(PKG, 'dist/index.js'))};
const lat = []; let errors = 0; let firstError = '';
let c;
try {
  c = await connect(${JSON.stringify(url)}, { token: ${JSON.stringify(token)}, timeoutMs: 30000 });
} catch (e) {
  process.stdout.write(JSON.stringify({ rounds: 0, errors: 1, firstError: 'connect: ' + e.message, p50: 0, p99: 0, max: 0 }));
  process.exit(1);
}
const buf = new Uint8Array(65536);
const fd = await c.open('/mnt/big', 0);
const end = Date.now() + ${SECONDS * 1000};
let i = 0;
while (Date.now() < end) {
  const t0 = performance.now();
  try {
    await c.stat('/mnt/big');
    if (await c.pread(fd, buf, (i * 4096) % (1048576 - 65536)) !== 65536) throw new Error('short pread');
    const w = await c.open('/mnt/good' + (i % 16), 0x602, 0o644);
    const data = new TextEncoder().encode('round ' + i);
    await c.write(w, data);
    await c.close(w);
    const st = await c.stat('/mnt/good' + (i % 16));
    if (st.size !== data.length) throw new Error('size ' + st.size);
  } catch (e) {
    errors++;
    firstError ||= String(e && e.message || e);
    if (e && e.code === 'ENOTCONN') break; // the server closed this client: nothing more to measure
  }
  lat.push(performance.now() - t0);
  i++;
}
await c.disconnect();
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
process.stdout.write(JSON.stringify({ rounds: lat.length, errors, firstError, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] }));
`;
const good = spawn(process.execPath, ['--input-type=module', '-e', GOOD], { cwd: PKG, stdio: ['ignore', 'pipe', 'inherit'] });
let goodOut = '';
good.stdout.on('data', (c: Buffer) => (goodOut += c.toString()));
const goodDone = new Promise<void>((r) => good.on('exit', () => r()));

// --- the attackers ---
type Kind = keyof typeof COUNTS;
const stats: Record<Kind, { connects: number; closedByServer: number }> = {
  idle: { connects: 0, closedByServer: 0 },
  slow: { connects: 0, closedByServer: 0 },
  partial: { connects: 0, closedByServer: 0 },
  badtoken: { connects: 0, closedByServer: 0 },
  amplify: { connects: 0, closedByServer: 0 },
};
const live = new Set<Socket>();
/** Amplifiers that hung up themselves (they never see the server close them: they never read). */
let churned = 0;
let stopping = false;
const bad = hello('not-the-token');
const amp = amplifier(token, 2000);
const big = Buffer.alloc(64 * 1024);
big.writeUInt32LE(4 * MiB);

function attack(kind: Kind): void {
  if (stopping) return;
  const s = netConnect({ host: '127.0.0.1', port });
  live.add(s);
  stats[kind].connects++;
  let timer: NodeJS.Timeout | undefined;
  s.on('error', () => undefined);
  s.on('close', () => {
    live.delete(s);
    clearInterval(timer);
    clearTimeout(timer);
    if (!stopping) {
      if (kind !== 'amplify') stats[kind].closedByServer++;
      setTimeout(() => attack(kind), 20);
    }
  });
  s.on('connect', () => {
    switch (kind) {
      case 'idle':
        break;
      case 'slow': {
        let at = 0;
        const h = hello(token);
        timer = setInterval(() => {
          if (at < h.length) s.write(h.subarray(at, ++at));
        }, 200);
        break;
      }
      case 'partial':
        s.write(big);
        break;
      case 'badtoken':
        s.write(bad);
        break;
      case 'amplify':
        s.pause(); // never read
        s.write(amp);
        timer = setTimeout(() => {
          churned++;
          s.destroy();
        }, CHURN_MS);
        break;
    }
  });
  if (kind === 'amplify') s.pause();
  else s.resume(); // take (and drop) whatever the server says
}

const t0 = Date.now();
for (const kind of Object.keys(COUNTS) as Kind[]) {
  for (let i = 0; i < COUNTS[kind]; i++) {
    attack(kind);
    if (i % 50 === 49) await sleep(5);
  }
}
let peakSampled = 0;
let maxLive = 0;
while (Date.now() - t0 < SECONDS * 1000) {
  await sleep(100);
  peakSampled = Math.max(peakSampled, vm(pid).rss);
  maxLive = Math.max(maxLive, live.size);
}
stopping = true;
await goodDone;
for (const s of live) s.destroy();
await sleep(2000);
const after = vm(pid);
const goodStats = JSON.parse(goodOut || '{"rounds":0,"errors":1,"firstError":"no report","p50":0,"p99":0,"max":0}') as { rounds: number; errors: number; firstError: string; p50: number; p99: number; max: number };

const halt = await connect(url, { token });
await halt.reboot(0);
await new Promise((r) => server.on('exit', r));
rmSync(runtime, { recursive: true, force: true });

const result = {
  seconds: SECONDS,
  abusiveConnectionsAtOnce: Object.values(COUNTS).reduce((a, b) => a + b, 0),
  maxClientSocketsOpen: maxLive,
  perKind: stats,
  amplifiersHungUp: churned,
  serverRssBeforeMiB: +(before.rss / MiB).toFixed(1),
  serverPeakRssMiB: +(after.hwm / MiB).toFixed(1),
  serverRssAfterMiB: +(after.rss / MiB).toFixed(1),
  boundMiB: BOUND_MIB,
  good: goodStats,
  serverLogLines: serverErr.split('\n').length,
};
const stallLimit = DEFAULT_LIMITS.stallTimeoutMs + 1000;
const ok = result.serverPeakRssMiB < BOUND_MIB && goodStats.errors === 0 && goodStats.rounds > 0 && goodStats.max < stallLimit;
if (JSON_OUT) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`hostile-clients: ${result.abusiveConnectionsAtOnce} abusive connections at once for ${SECONDS} s (${Object.entries(COUNTS).map(([k, v]) => `${v} ${k}`).join(', ')})`);
  for (const [k, v] of Object.entries(stats)) {
    const closed = k === 'amplify' ? `${String(churned).padStart(7)} hung up after ${CHURN_MS} ms (they cannot see the server close them)` : `${String(v.closedByServer).padStart(7)} closed by the server`;
    console.log(`  ${k.padEnd(9)} ${String(v.connects).padStart(7)} connects, ${closed}`);
  }
  console.log(`server RSS: ${result.serverRssBeforeMiB} MiB before, peak ${result.serverPeakRssMiB} MiB (bound ${BOUND_MIB} MiB), ${result.serverRssAfterMiB} MiB after the attack`);
  console.log(`good client: ${goodStats.rounds} rounds (stat, pread 64 KiB, create+write+close, stat), ${goodStats.errors} errors${goodStats.firstError ? ` (${goodStats.firstError})` : ''}, latency p50 ${goodStats.p50.toFixed(1)} ms, p99 ${goodStats.p99.toFixed(1)} ms, max ${goodStats.max.toFixed(1)} ms`);
  console.log(`server log: ${result.serverLogLines} lines`);
  console.log(ok ? 'PASS' : `FAIL (bound ${BOUND_MIB} MiB, no errors, no round slower than ${stallLimit} ms)`);
}
process.exit(ok ? 0 : 1);
