#!/usr/bin/env node
// Crash harness for FFS with and without the WAPBL log (issue 10).
//
//   node tools/crash/run.mjs [--points 100] [--jobs 4] [--seed N] [--nolog] [--place mixed|end|infs]
//                            [--version 1|2] [--endian le|be] [--json]
//
// For each crash point a child process mounts a copy of a fresh image (MNT_LOG unless --nolog) and runs
// random metadata-heavy operations (create, mkdir, rename, unlink, rmdir, write + fsync, rewrite +
// fsync). It tells the parent over its stdout pipe (synchronous writes) every file's inode, every
// content it writes, every rename and removal (announced before the operation) and every fsync. The
// parent kills it with SIGKILL at a random moment, then checks the image:
//   logged:   a read-write mount replays the log; the tree walks without an error; every fsynced file
//             not removed since is there under a name it had since its fsync, holding its fsynced
//             content or a later one; every file holds bytes some write gave that very file (never
//             another file's); after unmount fsck -n is clean. --place: the log at the end of the
//             partition, in the file system (an SF_LOG inode), or alternating (mixed, the default).
//   --nolog:  fsck -n (counts the images that need repair); fsck -y; fsck -n is clean; the tree walks;
//             every file fsynced and not changed since reads back intact; every file holds bytes some
//             write gave it (a block is freed only once no inode on disk points to it).
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
  const o = { points: 100, jobs: 4, seed: Date.now() % 1_000_000, log: true, place: 'mixed', version: 2, endian: 'le', json: false, child: null, maxDelay: 250 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--points') o.points = Number(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--nolog') o.log = false;
    else if (a === '--place') {
      o.place = next();
      if (!['end', 'infs', 'mixed'].includes(o.place)) throw new Error(`--place ${o.place}: end, infs or mixed`);
    }
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
//
// What the child tells the parent, one line each, written synchronously so a kill never loses a line
// about an operation that already ran. Announcements come BEFORE the operation (it may or may not
// have happened when the kill comes); facts about what happened come after it:
//   W <id|-> <sha>        about to give file <id> (or a file about to be made) this content
//   C <id> <ino> <path>   file <id> was made: inode <ino> at <path> (its content announced by "W -")
//   N <id> <path>         about to move file <id> to <path> (also when a directory above it moves)
//   U <id>                about to remove file <id> (unlink, or replaced by a rename onto it)
//   F <id> <sha>          file <id> was fsynced holding <sha>

async function child(o) {
  const { k } = await boot(o.child);
  const p = k.proc;
  p.mount('ffs', '/mnt', o.log ? MNT_LOG : 0, { fspec: '/dev/ffs0' });
  const r = rng(o.seed);
  // The parent reads the pipe as it can; a full pipe (EAGAIN on a non-blocking stdout) is waited out.
  const say = (line) => {
    const buf = Buffer.from(`${line}\n`);
    let off = 0;
    for (let tries = 0; off < buf.length; ) {
      try {
        off += writeSync(1, buf, off);
      } catch (e) {
        if (e.code !== 'EAGAIN' || ++tries > 100000) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  };
  const dirs = ['/mnt'];
  /** path → file id */
  const files = new Map();
  let n = 0;
  let nextId = 0;
  const fresh = (kind) => `${r.pick(dirs)}/${kind}${n++}`;
  const paths = () => [...files.keys()];
  const removed = (path) => {
    say(`U ${files.get(path)}`);
    files.delete(path);
  };
  /** A new file at `path` with `data`; returns its open descriptor. */
  const create = (path, data) => {
    say(`W - ${sha(data)}`);
    const fd = p.open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644);
    const id = nextId++;
    files.set(path, id);
    say(`C ${id} ${p.fstat(fd).ino} ${path}`);
    p.pwrite(fd, data, 0);
    return fd;
  };
  /** Rewrite the existing file at `path`; returns its open descriptor. */
  const rewrite = (path, data) => {
    say(`W ${files.get(path)} ${sha(data)}`);
    const fd = p.open(path, O_WRONLY | O_TRUNC, 0o644);
    p.pwrite(fd, data, 0);
    return fd;
  };
  say('R');
  for (;;) {
    const op = r.int(100);
    try {
      if (op < 30 || files.size < 5) {
        p.close(create(fresh('f'), content(r, r.int(3000))));
      } else if (op < 42) {
        const path = fresh('d');
        p.mkdir(path, 0o755);
        dirs.push(path);
      } else if (op < 57) {
        const from = r.pick(paths());
        const id = files.get(from);
        if (r.next() < 0.3 && files.size > 1) {
          // onto an existing file
          const victim = r.pick(paths().filter((f) => f !== from));
          removed(victim);
          say(`N ${id} ${victim}`);
          p.rename(from, victim);
          files.delete(from);
          files.set(victim, id);
        } else {
          const to = fresh('m');
          say(`N ${id} ${to}`);
          p.rename(from, to);
          files.delete(from);
          files.set(to, id);
        }
      } else if (op < 67) {
        const f = r.pick(paths());
        removed(f);
        p.unlink(f);
      } else if (op < 72 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        const target = `${r.pick(dirs.filter((x) => x !== d && !x.startsWith(`${d}/`)))}/dm${n++}`;
        const moved = (x) => (x === d || x.startsWith(`${d}/`) ? target + x.slice(d.length) : x);
        const next = new Map([...files].map(([f, id]) => [moved(f), id]));
        for (const [f, id] of files) if (moved(f) !== f) say(`N ${id} ${moved(f)}`);
        p.rename(d, target);
        for (let i = 0; i < dirs.length; i++) dirs[i] = moved(dirs[i]);
        files.clear();
        for (const [f, id] of next) files.set(f, id);
      } else if (op < 75 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        if (!paths().some((f) => f.startsWith(`${d}/`)) && !dirs.some((x) => x.startsWith(`${d}/`))) {
          p.rmdir(d);
          dirs.splice(dirs.indexOf(d), 1);
        }
      } else {
        // write + fsync, a new file or an existing one rewritten
        const data = content(r, r.int(40000));
        const path = r.next() < 0.6 ? fresh('s') : r.pick(paths());
        const fd = files.has(path) ? rewrite(path, data) : create(path, data);
        p.fsync(fd);
        p.close(fd);
        say(`F ${files.get(path)} ${sha(data)} ${path}`);
      }
    } catch (e) {
      if (e?.code === 'ENOSPC') {
        for (const f of paths().slice(0, 20)) {
          removed(f);
          p.unlink(f);
        }
        continue;
      }
      throw e;
    }
  }
}

// ---------------------------------------------------------------- parent: kill, then check

/**
 * A fresh image. `room`: 2 MiB after the fs, where NetBSD puts the log (end of the partition); without
 * it a logged mount makes an in-filesystem log file (an unnamed SF_LOG inode).
 */
function makeTemplate(dir, o, room, name) {
  const img = join(dir, name);
  const fsBytes = 24 * MiB;
  const devBytes = fsBytes + (room ? 2 * MiB : 0);
  const fd = openSync(img, 'w');
  ftruncateSync(fd, devBytes);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  ffs.newfs(dev, { version: o.version, endian: o.endian, size: fsBytes, bsize: 8192, fsize: 1024, density: 4096 });
  dev.close();
  return img;
}

const EMPTY = sha(Buffer.alloc(0));

/**
 * What the parent learns from the child's lines: every file (by id) with its inode, every content it
 * may hold, the content and names it may have since its last fsync, and whether it may be gone.
 */
function newModel() {
  return { ids: new Map(), inoHashes: new Map(), pending: new Set(), lastPending: null };
}

function addInoHash(m, ino, hash) {
  let s = m.inoHashes.get(ino);
  if (!s) m.inoHashes.set(ino, (s = new Set()));
  s.add(hash);
}

function applyLine(m, line) {
  const [t, a, b, c] = line.split(' ');
  if (t === 'W' && a === '-') {
    m.pending.add(b);
    m.lastPending = b;
  } else if (t === 'W') {
    const f = m.ids.get(Number(a));
    // O_TRUNC first: the file may be seen empty or with the new bytes.
    for (const h of [EMPTY, b]) {
      f.sinceF.add(h);
      addInoHash(m, f.ino, h);
    }
  } else if (t === 'C') {
    const ino = Number(b);
    const f = { ino, fsynced: null, sinceF: new Set([EMPTY, m.lastPending]), paths: new Set([c]), gone: false };
    m.ids.set(Number(a), f);
    addInoHash(m, ino, EMPTY);
    addInoHash(m, ino, m.lastPending);
    m.pending.delete(m.lastPending);
  } else if (t === 'N') {
    m.ids.get(Number(a)).paths.add(b);
  } else if (t === 'U') {
    m.ids.get(Number(a)).gone = true;
  } else if (t === 'F') {
    const f = m.ids.get(Number(a));
    f.fsynced = b;
    f.sinceF = new Set([b]);
    f.paths = new Set([c]);
    f.gone = false;
  }
}

function runChild(img, o, seed, delay) {
  return new Promise((resolve, reject) => {
    const args = [import.meta.filename, '--child', img, '--seed', String(seed), ...(o.log ? [] : ['--nolog'])];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const model = newModel();
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
        } else {
          applyLine(model, line);
        }
      }
    });
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(model);
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

/**
 * Walk the mounted tree through system calls; every entry must stat and every file read. Regular
 * files are collected by inode: { paths, hash }.
 */
function walk(p, path, depth, out) {
  if (depth > 100) throw new Error(`tree deeper than 100 at ${path}`);
  const st = p.lstat(path);
  out.n++;
  if ((st.mode & S_IFMT) !== S_IFDIR) {
    if ((st.mode & S_IFMT) === 0o100000) {
      const got = out.files.get(st.ino);
      if (got) got.paths.push(path);
      else out.files.set(st.ino, { paths: [path], hash: sha(readAll(p, path)) });
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

/**
 * The file checks on the walked tree.
 *   Every fsynced file not removed since must be there under a name it had since, holding its
 *   fsynced content or one written later (not fsynced). Without the log only files unchanged since
 *   their fsync are held to this (their later, unsynced changes may be half on disk).
 *   Every regular file must hold content some write gave that inode: never another file's bytes.
 *   With the log, blocks freed in a transaction are not reused before it commits; without it,
 *   ffs_truncate writes the inode (and trimmed indirect blocks) before it frees their blocks.
 */
function checkFiles(model, found, o, fail) {
  const counts = { fsynced: 0, changed: 0 };
  for (const [id, f] of model.ids) {
    if (f.fsynced === null) continue;
    const changed = f.gone || f.sinceF.size > 1 || f.paths.size > 1;
    if (changed) counts.changed++;
    if (f.gone || (changed && !o.log)) continue;
    counts.fsynced++;
    const got = found.get(f.ino);
    const names = [...f.paths].join(' or ');
    if (!got) fail(`fsynced file ${id} (inode ${f.ino}, ${names}) is missing`);
    else if (!f.sinceF.has(got.hash)) fail(`fsynced file ${id} (inode ${f.ino}, ${got.paths[0]}): content ${got.hash.slice(0, 12)} is neither its fsynced one (${f.fsynced.slice(0, 12)}) nor a later one`);
    else if (!got.paths.some((x) => f.paths.has(x))) fail(`fsynced file ${id} (inode ${f.ino}) found as ${got.paths.join(', ')}, not as ${names}`);
  }
  for (const [ino, got] of found) {
    if (got.hash === EMPTY || model.pending.has(got.hash) || model.inoHashes.get(ino)?.has(got.hash)) continue;
    fail(`${got.paths[0]} (inode ${ino}) holds bytes no write to that file gave it (${got.hash.slice(0, 12)})`);
  }
  return counts;
}

async function check(img, o, model) {
  const res = { ok: true, fsynced: 0, changed: 0, entries: 0, neededRepair: false, problems: [] };
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
    const out = { n: 0, files: new Map() };
    walk(k.proc, '/mnt', 0, out);
    res.entries = out.n;
    Object.assign(res, checkFiles(model, out.files, o, fail));
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
    // Logged points alternate between an end-of-partition log and an in-filesystem one (--place).
    const templates = {
      end: makeTemplate(dir, o, o.log, 'template-end.img'),
      infs: o.log ? makeTemplate(dir, o, false, 'template-infs.img') : null,
    };
    const placeOf = (i) => (!o.log ? 'none' : o.place === 'mixed' ? (i % 2 === 0 ? 'end' : 'infs') : o.place);
    const r = rng(o.seed);
    const points = Array.from({ length: o.points }, (_, i) => ({ i, seed: (r.next() * 0x7fffffff) | 1, delay: Math.floor(r.next() * o.maxDelay), place: placeOf(i) }));
    const results = [];
    let next = 0;
    const worker = async () => {
      while (next < points.length) {
        const pt = points[next++];
        const img = join(dir, `p${pt.i}.img`);
        copyFileSync(pt.place === 'infs' ? templates.infs : templates.end, img);
        let res;
        try {
          const model = await runChild(img, o, pt.seed, pt.delay);
          res = await check(img, o, model);
        } catch (e) {
          res = { ok: false, problems: [String(e?.message ?? e)] };
        }
        results.push({ point: pt.i, seed: pt.seed, delay: pt.delay, place: pt.place, ...res });
        if (!o.json) console.log(`point ${pt.i} seed ${pt.seed} delay ${pt.delay}ms ${pt.place}: ${res.ok ? 'ok' : 'FAIL'} (${res.entries ?? 0} entries, ${res.fsynced ?? 0} fsynced, ${res.changed ?? 0} changed since${res.neededRepair ? ', needed fsck' : ''})${res.ok ? '' : ` ${res.problems.join(' | ')}`}`);
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
      changedAfterFsync: results.reduce((s, x) => s + (x.changed ?? 0), 0),
      inFilesystemLog: results.filter((x) => x.place === 'infs').length,
      seconds: (Date.now() - started) / 1000,
      failures: results.filter((x) => !x.ok),
      kept: results.some((x) => !x.ok) ? dir : null,
    };
    if (o.json) console.log(JSON.stringify(summary));
    else console.log(`${summary.passed}/${summary.points} crash points passed (${o.log ? `MNT_LOG, ${summary.inFilesystemLog} with an in-filesystem log` : 'no log'}; ${summary.neededRepair} needed fsck, ${summary.structural} beyond the clean flag; ${summary.fsyncedChecked} fsynced files checked, ${summary.changedAfterFsync} changed after their fsync) in ${summary.seconds}s`);
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
