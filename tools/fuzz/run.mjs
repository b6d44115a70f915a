#!/usr/bin/env node
// Fuzz harness for the file systems on hostile images (issue 16): FFS (UFS1/UFS2, both byte orders,
// with and without a pending WAPBL log, and NetBSD's own logged image) and ISO 9660 (xorriso).
//
//   node tools/fuzz/run.mjs [--cases 10000] [--seed N] [--jobs 2] [--kinds ufs1-le,cd9660,…]
//                           [--timeout 20] [--json] [--keep DIR]
//   node tools/fuzz/run.mjs --repro KIND:SEED      one case in this process, every step printed
//   pnpm fuzz --cases 10000                         (builds first)
//
// Each case mutates a copy of a base image (see mutate.mjs: biased to superblocks, cylinder groups,
// inodes, directory and indirect blocks and the log), then mounts it read-only and walks and reads
// everything, mounts it read-write and changes it, unmounts, and runs fsck -n, fsck -y, fsck -n
// (case.mjs). Cases run in child processes; a watchdog kills a child whose case runs past --timeout
// seconds and records a hang. Findings: anything thrown that is not a RumpError, a hang, a crashed
// child, a leaked vnode reference (unmount EBUSY), a directory entry name the kernel should never hand
// out, fsck throwing, failing after the superblock was accepted or leaving work for a second run, a
// clean-checked image that then fails to walk, and any I/O outside the device. Exit status 0 when
// there were none. Needs the packages built (pnpm build), makefs and xorriso.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KINDS, buildImages } from './images.mjs';

function parseArgs(argv) {
  const o = { cases: 1000, seed: Date.now() % 1_000_000, jobs: 2, kinds: KINDS, timeout: 20, json: false, keep: null, repro: null, child: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--cases') o.cases = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(next()));
    else if (a === '--kinds') o.kinds = next().split(',');
    else if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = next();
    else if (a === '--repro') o.repro = next();
    else if (a === '--child') o.child = next();
    else throw new Error(`unknown argument ${a}`);
  }
  for (const k of o.kinds) if (!KINDS.includes(k)) throw new Error(`unknown kind ${k} (${KINDS.join(', ')})`);
  if (!Number.isInteger(o.cases) || o.cases < 0) throw new Error('--cases: a count');
  return o;
}

/** The seed of case `i` of a run: reproducible on its own (--repro KIND:SEED). */
function caseSeed(seed, i) {
  let x = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  return x >>> 0 || 1;
}

/** Base images (as loaded by a child): kind → { bytes, devsize, fstype, regions, kind }. */
function loadBases(manifest) {
  const out = {};
  for (const [kind, b] of Object.entries(manifest)) out[kind] = { ...b, kind, bytes: new Uint8Array(readFileSync(b.file)) };
  return out;
}

// ---------------------------------------------------------------- child: run the cases it is sent

async function child(manifestFile) {
  const { runCase } = await import('./case.mjs');
  const bases = loadBases(JSON.parse(readFileSync(manifestFile, 'utf8')));
  process.on('message', async (m) => {
    if (m.type !== 'case') return;
    let res;
    try {
      res = await runCase(bases[m.kind], m.seed);
    } catch (e) {
      res = { codes: {}, fsck: [], mutations: [], failures: [{ step: 'harness', kind: 'exception', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }] };
    }
    process.send({ type: 'done', index: m.index, ...res });
  });
  process.send({ type: 'ready' });
}

// ---------------------------------------------------------------- parent: schedule, watch, sum up

async function parent(o) {
  const dir = mkdtempSync(join(tmpdir(), 'rumpts-fuzz-'));
  const t0 = performance.now();
  try {
    const manifest = await buildImages(dir, o.kinds);
    const manifestFile = join(dir, 'manifest.json');
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const summary = {
      seed: o.seed,
      cases: o.cases,
      kinds: o.kinds,
      ok: 0,
      rumpErrors: 0,
      codes: {},
      byKind: {},
      fsck: { runs: 0, exit: {} },
      hangs: 0,
      crashes: 0,
      leaks: 0,
      findings: {},
      notes: {},
      failures: [],
      seconds: 0,
    };
    for (const k of o.kinds) summary.byKind[k] = 0;
    let nextIndex = 0;
    let finished = 0;
    const record = (index, kind, seed, res) => {
      finished++;
      summary.byKind[kind]++;
      const codes = Object.values(res.codes);
      if (codes.length === 0) summary.ok++;
      else summary.rumpErrors++;
      for (const [step, code] of Object.entries(res.codes)) {
        const key = `${step.split('.')[0]} ${code}`;
        summary.codes[key] = (summary.codes[key] ?? 0) + 1;
      }
      for (const n of res.notes ?? []) summary.notes[n] = (summary.notes[n] ?? 0) + 1;
      for (const s of res.fsck) {
        summary.fsck.runs++;
        summary.fsck.exit[s] = (summary.fsck.exit[s] ?? 0) + 1;
      }
      for (const f of res.failures) {
        summary.findings[f.kind] = (summary.findings[f.kind] ?? 0) + 1;
        if (f.kind === 'leak') summary.leaks++;
        if (f.kind === 'hang') summary.hangs++;
        if (f.kind === 'crash') summary.crashes++;
      }
      if (res.failures.length > 0) {
        summary.failures.push({ case: index, repro: `${kind}:${seed}`, mutations: res.mutations, failures: res.failures.map((f) => ({ ...f, message: f.message.slice(0, 2000) })) });
        if (o.keep) {
          mkdirSync(o.keep, { recursive: true });
          writeFileSync(join(o.keep, `${kind}-${seed}.json`), JSON.stringify({ repro: `${kind}:${seed}`, ...res }, null, 1));
        }
      }
      if (!o.json && finished % 500 === 0) process.stderr.write(`fuzz: ${finished}/${o.cases} cases, ${summary.failures.length} with findings\n`);
    };
    const worker = () =>
      new Promise((resolveWorker) => {
        let cur = null;
        let timer = null;
        let c = null;
        const start = () => {
          c = fork(import.meta.filename, ['--child', manifestFile], { execArgv: ['--max-old-space-size=2048'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
          let stderr = '';
          c.stderr.on('data', (d) => {
            stderr = (stderr + d).slice(-4000);
          });
          c.on('message', (m) => {
            if (m.type === 'done' && cur && m.index === cur.index) {
              clearTimeout(timer);
              const done = cur;
              cur = null;
              record(done.index, done.kind, done.seed, m);
            }
            if (m.type === 'ready' || m.type === 'done') send();
          });
          c.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (cur) {
              const lost = cur;
              cur = null;
              const kind = lost.hung ? 'hang' : 'crash';
              const message = lost.hung ? `no result after ${o.timeout} s` : `child exited (${signal ?? code}): ${stderr.slice(-1500)}`;
              record(lost.index, lost.kind, lost.seed, { codes: {}, fsck: [], mutations: [], failures: [{ step: 'case', kind, message }] });
            }
            if (nextIndex < o.cases) start();
            else resolveWorker();
          });
        };
        const send = () => {
          if (nextIndex >= o.cases) {
            c.disconnect();
            return;
          }
          const index = nextIndex++;
          const kind = o.kinds[index % o.kinds.length];
          cur = { index, kind, seed: caseSeed(o.seed, index), hung: false };
          timer = setTimeout(() => {
            if (!cur) return;
            cur.hung = true;
            c.kill('SIGKILL');
          }, o.timeout * 1000);
          c.send({ type: 'case', index, kind, seed: cur.seed });
        };
        start();
      });
    await Promise.all(Array.from({ length: Math.min(o.jobs, Math.max(o.cases, 1)) }, worker));
    summary.seconds = Math.round((performance.now() - t0) / 100) / 10;
    summary.failures.sort((a, b) => a.case - b.case);
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function repro(spec) {
  const [kind, seedText] = spec.split(':');
  const dir = mkdtempSync(join(tmpdir(), 'rumpts-fuzz-'));
  try {
    const bases = loadBases(await buildImages(dir, [kind]));
    const { runCase } = await import('./case.mjs');
    const res = await runCase(bases[kind], Number(seedText), true);
    console.log(JSON.stringify(res, null, 1));
    return res.failures.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const o = parseArgs(process.argv.slice(2));
if (o.child) {
  await child(o.child);
} else if (o.repro) {
  process.exitCode = await repro(o.repro);
} else {
  const s = await parent(o);
  if (o.json) {
    console.log(JSON.stringify(s));
  } else {
    const findings = Object.entries(s.findings).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(`fuzz: ${s.cases} cases (seed ${s.seed}) in ${s.seconds} s: ${s.ok} without error, ${s.rumpErrors} ended in RumpErrors; fsck runs ${s.fsck.runs} (exit ${JSON.stringify(s.fsck.exit)})`);
    console.log(`fuzz: findings: ${findings}; hangs ${s.hangs}, crashes ${s.crashes}, leaked references ${s.leaks}`);
    if (Object.keys(s.notes).length > 0) console.log(`fuzz: notes: ${Object.entries(s.notes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const f of s.failures.slice(0, 20)) {
      console.log(`  case ${f.case} --repro ${f.repro}: ${f.failures.map((x) => `${x.step} ${x.kind}: ${x.message.split('\n').slice(0, 3).join(' / ')}`).join('; ')}`);
    }
  }
  process.exitCode = s.failures.length === 0 ? 0 : 1;
}
