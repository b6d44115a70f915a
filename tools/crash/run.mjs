#!/usr/bin/env node
// Crash harness for FFS with and without the WAPBL log (issue 10).
//
//   node tools/crash/run.mjs [--points 100] [--jobs 4] [--seed N] [--nolog] [--version 1|2] [--endian le|be] [--json]
//
// For each crash point a child process mounts a copy of a fresh image (MNT_LOG unless --nolog) and runs
// random metadata-heavy operations (create, mkdir, rename, unlink, rmdir, write + fsync). After each
// fsync it reports "F <path> <sha256>" to the parent over its stdout pipe (a synchronous write), and
// "D <path>" before it changes, moves or removes a reported file. The parent kills it with SIGKILL at a
// random moment, then checks the image:
//   logged:   fsck -n sees the pending journal; a read-write mount replays it; the tree walks without an
//             error; every reported file reads back with its hash; after unmount fsck -n is clean.
//   --nolog:  fsck -n (counts the images that need repair); fsck -y; fsck -n is clean; the tree walks.
// Needs the packages built (pnpm build). Exit status 0 when every point passed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNT_LOG, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_IFBLK, S_IFMT, S_IFDIR, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as ffs from '@rumpts/rumpfs-ffs';

const MiB = 1 << 20;

function parseArgs(argv) {
  const o = { points: 100, jobs: 4, seed: Date.now() % 1_000_000, log: true, version: 2, endian: 'le', json: false, child: null, maxDelay: 250 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--points') o.points = Number(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--nolog') o.log = false;
    else if (a === '--version') o.version = Number(next());
    else if (a === '--endian') o.endian = next();
    else if (a === '--json') o.json = true;
    else if (a === '--max-delay') o.maxDelay = Number(next());
    else if (a === '--child') o.child = next();
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** xorshift32: reproducible choices from a seed. */
function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)] };
}

async function boot(image) {
  const k = await rump_init({ libraries: [rumpvfs, ffs] });
  const dev = new HostFileBlockDevice(image);
  const sw = rumpvfs.devswOf(k);
  const maj = sw.freeMajor();
  sw.attach(maj, { name: 'crash', open: () => dev }, null, null);
  k.proc.mknod('/dev/ffs0', S_IFBLK | 0o600, rumpvfs.makedev(maj, 0));
  k.proc.mkdir('/mnt', 0o755);
  return { k, dev };
}

function content(r, size) {
  const b = Buffer.alloc(size + 4);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((r.next() * 0x100000000) >>> 0, i);
  return b.subarray(0, size);
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------- child: random operations until killed

async function child(o) {
  const { k } = await boot(o.child);
  const p = k.proc;
  p.mount('ffs', '/mnt', o.log ? MNT_LOG : 0, { fspec: '/dev/ffs0' });
  const r = rng(o.seed);
  const say = (line) => writeSync(1, `${line}\n`);
  const dirs = ['/mnt'];
  const files = new Set();
  const reported = new Set();
  let n = 0;
  const fresh = (kind) => `${r.pick(dirs)}/${kind}${n++}`;
  const forget = (path) => {
    for (const f of reported) {
      if (f === path || f.startsWith(`${path}/`)) {
        say(`D ${f}`);
        reported.delete(f);
      }
    }
  };
  const write = (path, data, flags) => {
    const fd = p.open(path, O_CREAT | O_WRONLY | flags, 0o644);
    p.pwrite(fd, data, 0);
    return fd;
  };
  say('R');
  for (;;) {
    const op = r.int(100);
    try {
      if (op < 30 || files.size < 5) {
        const path = fresh('f');
        p.close(write(path, content(r, r.int(3000)), 0));
        files.add(path);
      } else if (op < 42) {
        const path = fresh('d');
        p.mkdir(path, 0o755);
        dirs.push(path);
      } else if (op < 57) {
        const from = r.pick([...files]);
        const to = fresh('m');
        forget(from);
        if (r.next() < 0.3 && files.size > 1) {
          // onto an existing file
          const victim = r.pick([...files].filter((f) => f !== from));
          forget(victim);
          p.rename(from, victim);
          files.delete(from);
        } else {
          p.rename(from, to);
          files.delete(from);
          files.add(to);
        }
      } else if (op < 67) {
        const f = r.pick([...files]);
        forget(f);
        p.unlink(f);
        files.delete(f);
      } else if (op < 72 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        const target = `${r.pick(dirs.filter((x) => x !== d && !x.startsWith(`${d}/`)))}/dm${n++}`;
        forget(d);
        p.rename(d, target);
        const moved = (x) => (x === d || x.startsWith(`${d}/`) ? target + x.slice(d.length) : x);
        for (let i = 0; i < dirs.length; i++) dirs[i] = moved(dirs[i]);
        for (const f of [...files]) {
          files.delete(f);
          files.add(moved(f));
        }
      } else if (op < 75 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        if (![...files].some((f) => f.startsWith(`${d}/`)) && !dirs.some((x) => x.startsWith(`${d}/`))) {
          p.rmdir(d);
          dirs.splice(dirs.indexOf(d), 1);
        }
      } else {
        // write + fsync, a new file or an existing one rewritten
        const path = r.next() < 0.6 ? fresh('s') : r.pick([...files]);
        forget(path);
        const data = content(r, r.int(40000));
        const fd = write(path, data, O_TRUNC);
        p.fsync(fd);
        p.close(fd);
        files.add(path);
        reported.add(path);
        say(`F ${path} ${sha(data)}`);
      }
    } catch (e) {
      if (e?.code === 'ENOSPC') {
        for (const f of [...files].slice(0, 20)) {
          forget(f);
          p.unlink(f);
          files.delete(f);
        }
        continue;
      }
      throw e;
    }
  }
}

// ---------------------------------------------------------------- parent: kill, then check

function makeTemplate(dir, o) {
  const img = join(dir, 'template.img');
  const fsBytes = 24 * MiB;
  // A logged image gets 2 MiB after the fs: NetBSD puts the log at the end of the partition.
  const devBytes = fsBytes + (o.log ? 2 * MiB : 0);
  const fd = openSync(img, 'w');
  ftruncateSync(fd, devBytes);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  ffs.newfs(dev, { version: o.version, endian: o.endian, size: fsBytes, bsize: 8192, fsize: 1024, density: 4096 });
  dev.close();
  return img;
}

function runChild(img, o, seed, delay) {
  return new Promise((resolve, reject) => {
    const args = [import.meta.filename, '--child', img, '--seed', String(seed), ...(o.log ? [] : ['--nolog'])];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const expect = new Map();
    let buf = '';
    let err = '';
    let ready = false;
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'R' && !ready) {
          ready = true;
          setTimeout(() => c.kill('SIGKILL'), delay);
        } else if (line.startsWith('F ')) {
          const [, path, hash] = line.split(' ');
          expect.set(path, hash);
        } else if (line.startsWith('D ')) {
          expect.delete(line.slice(2));
        }
      }
    });
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(expect);
      else reject(new Error(`child exited on its own (code ${code}): ${err.slice(0, 2000)}`));
    });
  });
}

function fsckImage(img, repair) {
  const dev = new HostFileBlockDevice(img, { readonly: !repair });
  try {
    return ffs.fsck(dev, { repair });
  } finally {
    dev.close();
  }
}

/** Walk the mounted tree through system calls; every entry must stat and every file read. */
function walk(p, path, depth, out) {
  if (depth > 100) throw new Error(`tree deeper than 100 at ${path}`);
  const st = p.lstat(path);
  out.n++;
  if ((st.mode & S_IFMT) !== S_IFDIR) {
    if ((st.mode & S_IFMT) === 0o100000) {
      const fd = p.open(path, O_RDONLY);
      const b = new Uint8Array(65536);
      while (p.read(fd, b) > 0);
      p.close(fd);
    }
    return;
  }
  const fd = p.open(path, O_RDONLY);
  const names = [];
  for (let e; (e = p.getdents(fd, 8192)).length > 0; ) for (const d of e) if (d.name !== '.' && d.name !== '..') names.push(d.name);
  p.close(fd);
  for (const nm of names) walk(p, `${path}/${nm}`, depth + 1, out);
}

function readAll(p, path) {
  const fd = p.open(path, O_RDONLY);
  const parts = [];
  const b = new Uint8Array(65536);
  for (let n; (n = p.read(fd, b)) > 0; ) parts.push(Buffer.from(b.subarray(0, n)));
  p.close(fd);
  return Buffer.concat(parts);
}

async function check(img, o, expect) {
  const res = { ok: true, fsynced: expect.size, entries: 0, neededRepair: false, problems: [] };
  const fail = (m) => {
    res.ok = false;
    res.problems.push(m);
  };
  if (!o.log) {
    const before = fsckImage(img, false);
    res.neededRepair = !before.clean;
    res.structural = before.problems.some((x) => x.kind !== 'clean-flag');
    if (before.exitStatus === ffs.FSCK_EXIT_CHECK_FAILED) fail(`fsck -n failed: ${before.problems.map((x) => x.message).join('; ')}`);
    const fix = fsckImage(img, true);
    if (fix.exitStatus !== ffs.FSCK_EXIT_OK) fail(`fsck -y left: ${fix.problems.filter((x) => !x.repaired).map((x) => x.message).join('; ')}`);
  }
  const { k, dev } = await boot(img);
  try {
    k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' }); // replays a pending log
    const out = { n: 0 };
    walk(k.proc, '/mnt', 0, out);
    res.entries = out.n;
    for (const [path, hash] of expect) {
      let got;
      try {
        got = sha(readAll(k.proc, path));
      } catch (e) {
        got = `error ${e?.code ?? e}`;
      }
      if (got !== hash) fail(`fsynced ${path}: ${got === hash ? '' : `content ${got.slice(0, 12)} ≠ ${hash.slice(0, 12)}`}`);
    }
  } catch (e) {
    fail(`mount/walk: ${e?.message ?? e}`);
  } finally {
    try {
      k.halt();
    } catch (e) {
      fail(`unmount: ${e?.message ?? e}`);
    }
    dev.close();
  }
  const after = fsckImage(img, false);
  if (!after.clean) fail(`fsck -n after: ${after.problems.map((x) => x.message).join('; ')}`);
  return res;
}

async function parent(o) {
  const dir = mkdtempSync(join(tmpdir(), 'rumpts-crash-'));
  const started = Date.now();
  try {
    const template = makeTemplate(dir, o);
    const r = rng(o.seed);
    const points = Array.from({ length: o.points }, (_, i) => ({ i, seed: (r.next() * 0x7fffffff) | 1, delay: Math.floor(r.next() * o.maxDelay) }));
    const results = [];
    let next = 0;
    const worker = async () => {
      while (next < points.length) {
        const pt = points[next++];
        const img = join(dir, `p${pt.i}.img`);
        copyFileSync(template, img);
        let res;
        try {
          const expect = await runChild(img, o, pt.seed, pt.delay);
          res = await check(img, o, expect);
        } catch (e) {
          res = { ok: false, problems: [String(e?.message ?? e)] };
        }
        results.push({ point: pt.i, seed: pt.seed, delay: pt.delay, ...res });
        if (!o.json) console.log(`point ${pt.i} seed ${pt.seed} delay ${pt.delay}ms: ${res.ok ? 'ok' : 'FAIL'} (${res.entries ?? 0} entries, ${res.fsynced ?? 0} fsynced${res.neededRepair ? ', needed fsck' : ''})${res.ok ? '' : ` ${res.problems.join(' | ')}`}`);
        if (res.ok) rmSync(img, { force: true });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
    results.sort((a, b) => a.point - b.point);
    const summary = {
      log: o.log,
      version: o.version,
      endian: o.endian,
      seed: o.seed,
      points: results.length,
      passed: results.filter((x) => x.ok).length,
      neededRepair: results.filter((x) => x.neededRepair).length,
      structural: results.filter((x) => x.structural).length,
      fsyncedChecked: results.reduce((s, x) => s + (x.fsynced ?? 0), 0),
      seconds: (Date.now() - started) / 1000,
      failures: results.filter((x) => !x.ok),
      kept: results.some((x) => !x.ok) ? dir : null,
    };
    if (o.json) console.log(JSON.stringify(summary));
    else console.log(`${summary.passed}/${summary.points} crash points passed (${o.log ? 'MNT_LOG' : 'no log'}; ${summary.neededRepair} needed fsck, ${summary.structural} beyond the clean flag; ${summary.fsyncedChecked} fsynced files checked) in ${summary.seconds}s`);
    return summary.passed === summary.points;
  } finally {
    // Failing images stay for inspection.
    const { readdirSync } = await import('node:fs');
    if (!readdirSync(dir).some((f) => f.startsWith('p'))) rmSync(dir, { recursive: true, force: true });
  }
}

const o = parseArgs(process.argv.slice(2));
if (o.child) {
  await child(o);
} else {
  process.exit((await parent(o)) ? 0 : 1);
}
