#!/usr/bin/env node
// Crash harness for FFS with and without the WAPBL log (issues 10 and 22).
//
//   node tools/crash/run.mjs [--points 200] [--jobs 2] [--seed N] [--nolog] [--place mixed|end|infs]
//                            [--workload all|mixed|fill|walk] [--version 1|2] [--endian le|be]
//                            [--walk-files 5000] [--json] [--only POINT] [--keep]
// --keep leaves every image (as killed: pN.img.crashed; checked: pN.img) and the child's lines
// (pN.img.lines) in the temporary directory it names at the end.
//
// For each crash point a child process mounts a copy of a fresh image (MNT_LOG unless --nolog) and runs
// a workload; the parent kills it with SIGKILL at a random moment, then checks the image. Workloads
// (--workload all rotates them: three mixed points, then a fill point, then a walk point):
//   mixed  random metadata-heavy operations: create, mkdir, rename (also onto a file and of whole
//          directories), unlink, rmdir, write + fsync, rewrite (O_TRUNC) + fsync, appends that move
//          fragment tails (ffs_realloccg), truncates shorter and longer, files unlinked while open
//          and written through their descriptor.
//   fill   a small file system (8 MiB, seven eighths full on the template) filled with files of
//          8 KiB–264 KiB until ENOSPC, then files removed and the filling goes on (appends,
//          rewrites and unlink-while-open too), so most kills land near a full file system.
//   walk   thousands of small files (--walk-files, made once on the template) read again and again
//          (access times on every inode) with an occasional write + fsync: the log's transactions
//          must stay bounded (no "written without the log").
// The child tells the parent over its stdout pipe (synchronous writes) every file's inode, every content
// it gives a file, every rename and removal (announced before the operation), every fsync and every
// kernel message. Checks:
//   logged:   fsck -n first (it replays the log in memory: nothing but the files the log lists as
//             unlinked-while-open may be reported); then either a read-write mount replays the log,
//             or (every third point) fsck -y replays it to disk and repairs; the tree walks; every
//             fsynced file not removed since is there under a name it had since, holding its fsynced
//             content or a later one (or, if changed since, their bytes mixed: data goes in place,
//             outside the log); no file holds bytes some write gave another file; after
//             unmount fsck -n is clean; no kernel message says a transaction went without the log.
//             --place: the log at the end of the partition, in the file system (an SF_LOG inode), or
//             alternating (mixed, the default).
//   --nolog:  fsck -n (counts the images that need repair, and the duplicate blocks it finds);
//             fsck -y; fsck -n is clean; the tree walks; every file fsynced and not changed since
//             reads back intact, and one changed since is still there with one of its contents; no
//             file holds another file's bytes.
// The summary counts fsynced files lost and files holding foreign bytes on their own.
// Needs the packages built (pnpm build). Exit status 0 when every point passed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNT_LOG, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFBLK, S_IFMT, S_IFDIR, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as ffs from '@rumpts/rumpfs-ffs';

const MiB = 1 << 20;
const WORKLOADS = ['mixed', 'fill', 'walk'];

function parseArgs(argv) {
  const o = {
    points: 200, jobs: 2, seed: Date.now() % 1_000_000, log: true, place: 'mixed', workload: 'all', version: 2, endian: 'le', json: false,
    child: null, maxDelay: null, walkFiles: 5000, only: null, keep: false, store: null,
  };
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
    } else if (a === '--workload') {
      o.workload = next();
      if (o.workload !== 'all' && !WORKLOADS.includes(o.workload)) throw new Error(`--workload ${o.workload}: all, ${WORKLOADS.join(', ')}`);
    } else if (a === '--version') o.version = Number(next());
    else if (a === '--endian') o.endian = next();
    else if (a === '--json') o.json = true;
    else if (a === '--max-delay') o.maxDelay = Number(next());
    else if (a === '--walk-files') o.walkFiles = Number(next());
    else if (a === '--only') o.only = Number(next());
    else if (a === '--store') o.store = next();
    else if (a === '--keep') o.keep = true;
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

async function boot(image, logger) {
  const k = await rump_init({ libraries: [rumpvfs, ffs], logger });
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

/** ffs_truncate zeroes the rest of the new last block (8 KiB here). */
const BSIZE = 8192;

/**
 * Every content a file is given is kept in a content-addressed store (one file per sha256, written
 * before the content is announced), so the parent can judge a crashed file byte by byte: without
 * the log it may mix its own contents (and zeros), never another file's bytes.
 */
let STORE = null;

/** A content as the parent learns it ("<sha> <length>"), kept in the store first. */
function stateOf(b) {
  const h = sha(b);
  if (STORE) {
    const f = join(STORE, h);
    if (!existsSync(f)) writeFileSync(f, b);
  }
  return `${h} ${b.length}`;
}

// ---------------------------------------------------------------- child: a workload until killed
//
// What the child tells the parent, one line each, written synchronously so a kill never loses a line
// about an operation that already ran. Announcements come BEFORE the operation (it may or may not
// have happened when the kill comes); facts about what happened come after it:
//   W <id|-> <sha>        about to give file <id> (or a file about to be made) this content
//   C <id> <ino> <path>   file <id> was made: inode <ino> at <path> (its content announced by "W -")
//   N <id> <path>         about to move file <id> to <path> (also when a directory above it moves)
//   U <id>                about to remove file <id> (unlink, or replaced by a rename onto it)
//   F <id> <sha> <path>   file <id> was fsynced holding <sha>
//   E                     an operation failed with ENOSPC
//   P <line>              a kernel message

function childSay() {
  // The parent reads the pipe as it can; a full pipe (EAGAIN on a non-blocking stdout) is waited out.
  return (line) => {
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
}

/** The files a child keeps: names, contents, open-but-unlinked ones, and the operations on them. */
function childState(p, r, say) {
  const st = {
    dirs: ['/mnt'],
    /** path → file id */
    files: new Map(),
    /** id → current content */
    data: new Map(),
    /** files unlinked while open: { id, fd } */
    orphans: [],
    n: 0,
    nextId: 0,
  };
  st.fresh = (kind) => `${r.pick(st.dirs)}/${kind}${st.n++}`;
  st.paths = () => [...st.files.keys()];
  st.removed = (path) => {
    say(`U ${st.files.get(path)}`);
    st.files.delete(path);
  };
  /** A new file at `path` with `data`; returns its open descriptor. */
  st.create = (path, data) => {
    say(`W - ${stateOf(data)}`);
    const fd = p.open(path, O_CREAT | O_RDWR | O_TRUNC, 0o644);
    const id = st.nextId++;
    st.files.set(path, id);
    st.data.set(id, Buffer.alloc(0));
    say(`C ${id} ${p.fstat(fd).ino} ${path}`);
    try {
      p.pwrite(fd, data, 0);
    } catch (e) {
      p.close(fd);
      throw e;
    }
    st.data.set(id, data);
    return fd;
  };
  /** Rewrite the existing file at `path` (O_TRUNC); returns its open descriptor. */
  st.rewrite = (path, data) => {
    const id = st.files.get(path);
    // O_TRUNC first: the file may be seen empty, or with the new bytes.
    say(`W ${id} ${stateOf(Buffer.alloc(0))}`);
    say(`W ${id} ${stateOf(data)}`);
    const fd = p.open(path, O_WRONLY | O_TRUNC, 0o644);
    st.data.set(id, Buffer.alloc(0));
    try {
      p.pwrite(fd, data, 0);
    } catch (e) {
      p.close(fd);
      throw e;
    }
    st.data.set(id, data);
    return fd;
  };
  /** Append `more` to file `id` through `fd` (a failed write leaves the file as it was: IO_UNIT). */
  st.append = (id, fd, more) => {
    const old = st.data.get(id);
    const next = Buffer.concat([old, more]);
    say(`W ${id} ${stateOf(next)}`);
    p.pwrite(fd, more, old.length);
    st.data.set(id, next);
  };
  /** Truncate file `id` (open as `fd`) to `len` bytes. */
  st.truncate = (id, fd, len) => {
    const old = st.data.get(id);
    const next = len <= old.length ? old.subarray(0, len) : Buffer.concat([old, Buffer.alloc(len - old.length)]);
    if (len < old.length && len % BSIZE !== 0) {
      // ffs_truncate zeroes the rest of the new last block before the inode is written: a crash
      // in between shows the old length with those bytes zero.
      const mid = Buffer.from(old);
      mid.fill(0, len, Math.min(old.length, Math.ceil(len / BSIZE) * BSIZE));
      say(`W ${id} ${stateOf(mid)}`);
    }
    say(`W ${id} ${stateOf(next)}`);
    p.ftruncate(fd, len);
    st.data.set(id, next);
  };
  st.fsynced = (id, fd, path) => {
    p.fsync(fd);
    say(`F ${id} ${sha(st.data.get(id))} ${path}`);
  };
  /** Unlink a file but keep it open (its inode lives on until the close). */
  st.orphan = (path) => {
    const id = st.files.get(path);
    const fd = p.open(path, O_RDWR);
    st.removed(path);
    try {
      p.unlink(path);
    } catch (e) {
      p.close(fd);
      throw e;
    }
    st.orphans.push({ id, fd });
  };
  st.closeOrphan = () => {
    const o = st.orphans.shift();
    if (o) p.close(o.fd);
  };
  /** Out of space: some files go (and unlinked-but-open ones are closed), then the work goes on. */
  st.makeRoom = (count) => {
    say('E');
    while (st.orphans.length > 0) st.closeOrphan();
    for (const f of st.paths().slice(0, count)) {
      st.removed(f);
      p.unlink(f);
    }
  };
  return st;
}

/** Random metadata-heavy operations, appends and truncates included. */
function mixedWorkload(p, r, say) {
  const st = childState(p, r, say);
  const { files, dirs } = st;
  for (;;) {
    const op = r.int(100);
    try {
      if (op < 22 || files.size < 5) {
        p.close(st.create(st.fresh('f'), content(r, r.int(3000))));
      } else if (op < 30) {
        const path = st.fresh('d');
        p.mkdir(path, 0o755);
        dirs.push(path);
      } else if (op < 40) {
        const from = r.pick(st.paths());
        const id = files.get(from);
        if (r.next() < 0.3 && files.size > 1) {
          // onto an existing file
          const victim = r.pick(st.paths().filter((f) => f !== from));
          st.removed(victim);
          say(`N ${id} ${victim}`);
          p.rename(from, victim);
          files.delete(from);
          files.set(victim, id);
        } else {
          const to = st.fresh('m');
          say(`N ${id} ${to}`);
          p.rename(from, to);
          files.delete(from);
          files.set(to, id);
        }
      } else if (op < 47) {
        const f = r.pick(st.paths());
        st.removed(f);
        p.unlink(f);
      } else if (op < 51 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        const target = `${r.pick(dirs.filter((x) => x !== d && !x.startsWith(`${d}/`)))}/dm${st.n++}`;
        const moved = (x) => (x === d || x.startsWith(`${d}/`) ? target + x.slice(d.length) : x);
        const next = new Map([...files].map(([f, id]) => [moved(f), id]));
        for (const [f, id] of files) if (moved(f) !== f) say(`N ${id} ${moved(f)}`);
        p.rename(d, target);
        for (let i = 0; i < dirs.length; i++) dirs[i] = moved(dirs[i]);
        files.clear();
        for (const [f, id] of next) files.set(f, id);
      } else if (op < 53 && dirs.length > 1) {
        const d = r.pick(dirs.slice(1));
        if (!st.paths().some((f) => f.startsWith(`${d}/`)) && !dirs.some((x) => x.startsWith(`${d}/`))) {
          p.rmdir(d);
          dirs.splice(dirs.indexOf(d), 1);
        }
      } else if (op < 68) {
        // appends: small ones move fragment tails (ffs_realloccg) or grow them in place
        const path = r.pick(st.paths());
        const id = files.get(path);
        const fd = p.open(path, O_WRONLY);
        try {
          for (let i = 1 + r.int(3); i > 0; i--) st.append(id, fd, content(r, 1 + r.int(r.next() < 0.7 ? 2500 : 12000)));
          if (r.next() < 0.5) st.fsynced(id, fd, path);
        } finally {
          p.close(fd);
        }
      } else if (op < 75) {
        // truncates, shorter (freeing fragments) or longer (a hole)
        const path = r.pick(st.paths());
        const id = files.get(path);
        const len = st.data.get(id).length;
        const fd = p.open(path, O_WRONLY);
        try {
          st.truncate(id, fd, r.next() < 0.7 ? r.int(len + 1) : len + r.int(20000));
          if (r.next() < 0.3) st.fsynced(id, fd, path);
        } finally {
          p.close(fd);
        }
      } else if (op < 79) {
        if (st.orphans.length < 4 && r.next() < 0.6) st.orphan(r.pick(st.paths()));
        else if (st.orphans.length > 0) {
          const o = r.pick(st.orphans);
          st.append(o.id, o.fd, content(r, 1 + r.int(9000)));
          if (r.next() < 0.3) p.fsync(o.fd);
          if (r.next() < 0.4) st.closeOrphan();
        }
      } else {
        // write + fsync, a new file or an existing one rewritten
        const data = content(r, r.int(40000));
        const path = r.next() < 0.6 ? st.fresh('s') : r.pick(st.paths());
        const fd = files.has(path) ? st.rewrite(path, data) : st.create(path, data);
        try {
          st.fsynced(files.get(path), fd, path);
        } finally {
          p.close(fd);
        }
      }
    } catch (e) {
      if (e?.code === 'ENOSPC') {
        st.makeRoom(20);
        continue;
      }
      throw e;
    }
  }
}

/**
 * The fill template: four directories of files of 8–264 KiB up to about seven eighths of the
 * space, so a point reaches ENOSPC soon after it starts.
 */
function populateFill(p, o) {
  const r = rng(o.seed ^ 0x3c3c3c3c);
  const made = [];
  for (let i = 0; i < 4; i++) p.mkdir(`/mnt/d${i}`, 0o755);
  for (let i = 0; ; i++) {
    const sv = p.statvfs('/mnt');
    if (sv.bfree < sv.blocks / 8) break;
    const path = `/mnt/d${i % 4}/p${i}`;
    const data = content(r, 8192 + r.int(256 * 1024));
    const fd = p.open(path, O_CREAT | O_WRONLY, 0o644);
    p.pwrite(fd, data, 0);
    made.push({ ino: p.fstat(fd).ino, path, state: stateOf(data) });
    p.close(fd);
  }
  return made;
}

/** Fill the (small, mostly full) file system to ENOSPC again and again. */
function fillWorkload(p, r, say) {
  const st = childState(p, r, say);
  const { files } = st;
  adoptTemplate(p, st);
  for (;;) {
    const op = r.int(100);
    try {
      if (op < 65 || files.size < 3) {
        const path = st.fresh('f');
        const fd = st.create(path, content(r, 8192 + r.int(256 * 1024)));
        try {
          if (r.next() < 0.25) st.fsynced(files.get(path), fd, path);
        } finally {
          p.close(fd);
        }
      } else if (op < 80) {
        const path = r.pick(st.paths());
        const id = files.get(path);
        const fd = p.open(path, O_WRONLY);
        try {
          st.append(id, fd, content(r, 1 + r.int(40000)));
          if (r.next() < 0.4) st.fsynced(id, fd, path);
        } finally {
          p.close(fd);
        }
      } else if (op < 88) {
        const path = r.pick(st.paths());
        const fd = st.rewrite(path, content(r, r.int(64 * 1024)));
        try {
          if (r.next() < 0.5) st.fsynced(files.get(path), fd, path);
        } finally {
          p.close(fd);
        }
      } else if (op < 95) {
        const f = r.pick(st.paths());
        st.removed(f);
        p.unlink(f);
      } else if (st.orphans.length < 3) {
        st.orphan(r.pick(st.paths()));
      } else {
        st.closeOrphan();
      }
    } catch (e) {
      if (e?.code === 'ENOSPC') {
        st.makeRoom(2 + r.int(4));
        continue;
      }
      throw e;
    }
  }
}

/**
 * The walk template's files (made once by the parent, written clean): they are on disk before the
 * child starts, so each counts as fsynced with the content the child first reads.
 */
function populateWalk(p, o) {
  const r = rng(o.seed ^ 0x5a5a5a5a);
  const made = [];
  for (let i = 0; i < 16; i++) p.mkdir(`/mnt/w${i}`, 0o755);
  for (let i = 0; i < o.walkFiles; i++) {
    const path = `/mnt/w${i % 16}/f${i}`;
    const data = content(r, r.int(600));
    const fd = p.open(path, O_CREAT | O_WRONLY, 0o644);
    p.pwrite(fd, data, 0);
    made.push({ ino: p.fstat(fd).ino, path, state: stateOf(data) });
    p.close(fd);
  }
  return made;
}

/**
 * Take over the files the template holds (the parent made them, written clean before the mount, and
 * knows them): one level of directories under /mnt, each file with its content.
 */
function adoptTemplate(p, st) {
  const buf = new Uint8Array(65536);
  const rootfd = p.open('/mnt', O_RDONLY);
  const top = p.getdents(rootfd, 65536);
  p.close(rootfd);
  for (const dn of top) {
    if (dn.name === '.' || dn.name === '..' || dn.name === 'lost+found') continue;
    const d = `/mnt/${dn.name}`;
    st.dirs.push(d);
    const dfd = p.open(d, O_RDONLY);
    for (let ents; (ents = p.getdents(dfd, 65536)).length > 0; ) {
      for (const e of ents) {
        if (e.name === '.' || e.name === '..') continue;
        const path = `${d}/${e.name}`;
        const fd = p.open(path, O_RDONLY);
        const parts = [];
        for (let n; (n = p.read(fd, buf)) > 0; ) parts.push(Buffer.from(buf.subarray(0, n)));
        p.close(fd);
        // The parent's model knows these files as -ino.
        const id = -p.stat(path).ino;
        st.files.set(path, id);
        st.data.set(id, Buffer.concat(parts));
      }
    }
    p.close(dfd);
  }
}

/** Read every file of the walk template over and over (access times), with the odd write + fsync. */
function walkWorkload(p, r, say) {
  const st = childState(p, r, say);
  const { files } = st;
  const buf = new Uint8Array(4096);
  const readAllOf = (path) => {
    const fd = p.open(path, O_RDONLY);
    const parts = [];
    for (let n; (n = p.read(fd, buf)) > 0; ) parts.push(Buffer.from(buf.subarray(0, n)));
    p.close(fd);
    return Buffer.concat(parts);
  };
  adoptTemplate(p, st);
  for (;;) {
    let i = 0;
    for (const path of st.paths()) {
      readAllOf(path);
      if (++i % 500 === 0) {
        const s = st.fresh('s');
        const fd2 = st.create(s, content(r, r.int(5000)));
        try {
          st.fsynced(files.get(s), fd2, s);
        } finally {
          p.close(fd2);
        }
      }
    }
  }
}

async function child(o) {
  STORE = o.store;
  const say = childSay();
  const { k } = await boot(o.child, (line) => say(`P ${line}`));
  const p = k.proc;
  p.mount('ffs', '/mnt', o.log ? MNT_LOG : 0, { fspec: '/dev/ffs0' });
  const r = rng(o.seed);
  say('R');
  if (o.workload === 'fill') fillWorkload(p, r, say);
  else if (o.workload === 'walk') walkWorkload(p, r, say);
  else mixedWorkload(p, r, say);
}

// ---------------------------------------------------------------- parent: kill, then check

/**
 * A fresh image of `fsBytes`. `room`: bytes after the fs, where NetBSD puts the log (end of the
 * partition) when there is room for one (1 MiB here); without it a logged mount makes an
 * in-filesystem log file (an unnamed SF_LOG inode).
 * `populate(proc)`: files made on it (then unmounted clean) before any point;
 * it returns them ({ ino, path, state }), and every point's model starts with them as fsynced.
 */
async function makeTemplate(dir, o, fsBytes, room, name, populate) {
  const img = join(dir, name);
  const devBytes = fsBytes + room;
  const fd = openSync(img, 'w');
  ftruncateSync(fd, devBytes);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  ffs.newfs(dev, { version: o.version, endian: o.endian, size: fsBytes, bsize: 8192, fsize: 1024, density: 4096 });
  dev.close();
  let made = [];
  if (populate) {
    const { k, dev: d2 } = await boot(img);
    // With the log: made on an empty fs first (an in-filesystem log needs a contiguous run).
    k.proc.mount('ffs', '/mnt', o.log ? MNT_LOG : 0, { fspec: '/dev/ffs0' });
    made = populate(k.proc);
    k.halt();
    d2.close();
  }
  return { img, made };
}

const EMPTY = sha(Buffer.alloc(0));

/**
 * What the parent learns from the child's lines: every file (by id) with its inode, every content it
 * may hold (states: hash and length; the bytes are in the store), the content and names it may have since its last
 * fsync, whether it may be gone, and the child's kernel messages.
 */
function newModel(made) {
  const m = { ids: new Map(), states: new Map(), inoHashes: new Map(), pending: new Set(), lastPending: null, kernel: [], enospc: 0 };
  addInoHash(m, -1, EMPTY_STATE);
  // Files already on the template: ids -ino, so they never meet the child's.
  for (const f of made) {
    const hash = addState(m, f.state);
    m.ids.set(-f.ino, { ino: f.ino, fsynced: hash, sinceF: new Set([hash]), paths: new Set([f.path]), gone: false });
    addInoHash(m, f.ino, hash);
  }
  return m;
}

const EMPTY_STATE = `${EMPTY} 0`;

/** Record a state ("<sha> <len>"); returns its hash. */
function addState(m, state) {
  const [hash, len] = state.split(' ');
  if (!m.states.has(hash)) m.states.set(hash, { hash, len: Number(len) });
  return hash;
}

function addInoHash(m, ino, hash) {
  if (hash.includes(' ')) hash = addState(m, hash);
  let s = m.inoHashes.get(ino);
  if (!s) m.inoHashes.set(ino, (s = new Set()));
  s.add(hash);
}

function applyLine(m, line) {
  const sp = line.indexOf(' ');
  const t = sp < 0 ? line : line.slice(0, sp);
  if (t === 'P') {
    m.kernel.push(line.slice(2));
    return;
  }
  if (t === 'E') {
    m.enospc++;
    return;
  }
  const w = line.split(' ');
  const [, a, b, c] = w;
  if (t === 'W' && a === '-') {
    const hash = addState(m, w.slice(2).join(' '));
    m.pending.add(hash);
    m.lastPending = hash;
  } else if (t === 'W') {
    const f = m.ids.get(Number(a));
    const hash = addState(m, w.slice(2).join(' '));
    f.sinceF.add(hash);
    addInoHash(m, f.ino, hash);
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

function runChild(img, o, pt, made) {
  return new Promise((resolve, reject) => {
    const args = [
      import.meta.filename, '--child', img, '--seed', String(pt.seed), '--workload', pt.workload, '--walk-files', String(o.walkFiles), '--store', o.store,
      ...(o.log ? [] : ['--nolog']),
    ];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const model = newModel(made);
    const trace = o.keep ? [] : null;
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
        trace?.push(line);
        if (line === 'R' && !ready) {
          ready = true;
          setTimeout(() => c.kill('SIGKILL'), pt.delay);
        } else {
          applyLine(model, line);
        }
      }
    });
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      if (trace) writeFileSync(`${img}.lines`, `${trace.join('\n')}\n`);
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
      else {
        const data = readAll(p, path);
        out.files.set(st.ino, { paths: [path], hash: sha(data), len: data.length, data });
      }
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
 * Could `got` be what a crash leaves of a file whose contents were `states`? Its length is one of
 * theirs, and every byte is the byte one of them has at that place — file data goes straight to
 * its blocks, outside any log, so the size of one state may come back over the bytes of a later one
 * (a truncate, then an append in the same block) — or, without the log only, zero (a block not
 * written yet). Bytes another file wrote never pass (the contents are random); with the log,
 * neither do stale zeros.
 */
function mixOf(got, states, store, zeros) {
  if (got.len !== 0 && !states.some((s) => s.len === got.len)) return false;
  const bodies = [];
  for (const s of states) {
    const f = join(store, s.hash);
    if (s.len > 0 && existsSync(f)) bodies.push(readFileSync(f));
  }
  const d = got.data;
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    if (x === 0 && zeros) continue;
    if (!bodies.some((b) => i < b.length && b[i] === x)) return false;
  }
  return true;
}

/**
 * The file checks on the walked tree.
 *   Every fsynced file not removed since must be there under a name it had since. One unchanged since
 *   its fsync holds exactly its fsynced content; one changed since holds its fsynced content or a
 *   later one, or is made of them byte by byte (data is written in place, outside the log), and
 *   without the log must still be there unless renamed.
 *   Every regular file holds content some write gave that inode, byte by byte (without the log,
 *   zeros too): never another file's bytes.
 */
function checkFiles(model, found, o, fail, res, store) {
  const statesOf = (hashes) => [...hashes].map((h) => model.states.get(h)).filter(Boolean);
  const pendingStates = statesOf(model.pending);
  for (const [id, f] of model.ids) {
    if (f.fsynced === null || f.gone) continue;
    const changed = f.sinceF.size > 1 || f.paths.size > 1;
    if (changed) res.changed++;
    res.fsynced++;
    const got = found.get(f.ino);
    const names = [...f.paths].join(' or ');
    if (!got) {
      // Without the log a rename since the fsync may be half done (fsck decides).
      if (o.log || f.paths.size === 1) {
        res.lost++;
        fail(`fsynced file ${id} (inode ${f.ino}, ${names}) is missing`);
      }
      continue;
    }
    const exact = f.sinceF.has(got.hash);
    const intact = exact || (changed && mixOf(got, statesOf(f.sinceF), store, !o.log));
    if (!intact) {
      res.lost++;
      fail(`fsynced file ${id} (inode ${f.ino}, ${got.paths[0]}): content ${got.hash.slice(0, 12)} (${got.len} bytes) is neither its fsynced one (${f.fsynced.slice(0, 12)}) nor a later one`);
    } else if (!got.paths.some((x) => f.paths.has(x)) && (o.log || f.paths.size === 1)) {
      res.lost++;
      fail(`fsynced file ${id} (inode ${f.ino}) found as ${got.paths.join(', ')}, not as ${names}`);
    }
  }
  for (const [ino, got] of found) {
    const mine = model.inoHashes.get(ino) ?? new Set();
    if (got.hash === EMPTY || model.pending.has(got.hash) || mine.has(got.hash)) continue;
    if (mixOf(got, [...statesOf(mine), ...pendingStates], store, !o.log)) {
      res.mixed++;
      continue;
    }
    res.foreign++;
    fail(`${got.paths[0]} (inode ${ino}) holds bytes no write to that file gave it (${got.hash.slice(0, 12)}, ${got.len} bytes)`);
  }
}

async function check(img, o, model, pt) {
  const res = { ok: true, fsynced: 0, changed: 0, lost: 0, foreign: 0, mixed: 0, dups: 0, unprotected: 0, entries: 0, neededRepair: false, replayedBy: null, problems: [] };
  const fail = (m) => {
    res.ok = false;
    res.problems.push(m);
  };
  res.unprotected = model.kernel.filter((l) => /without the log/.test(l)).length;
  if (res.unprotected) fail(`${res.unprotected} transaction(s) written without the log: ${model.kernel.find((l) => /without the log/.test(l))}`);
  res.enospc = model.enospc;
  const before = fsckImage(img, false);
  res.dups = before.problems.filter((x) => x.kind === 'dup-block').length;
  if (before.exitStatus === ffs.FSCK_EXIT_CHECK_FAILED) fail(`fsck -n failed: ${before.problems.map((x) => x.message).join('; ')}`);
  if (o.log) {
    // fsck replays the log in memory first: the result is consistent but for files unlinked while
    // open, which the log lists and a mount frees.
    const other = before.problems.filter((x) => !(x.kind === 'unref-file' && before.journal?.inodes.includes(x.ino)));
    if (other.length) fail(`fsck -n before the replay: ${other.map((x) => x.message).join('; ')}`);
    if (pt.i % 3 === 2) {
      res.replayedBy = 'fsck';
      const fix = fsckImage(img, true);
      if (fix.exitStatus !== ffs.FSCK_EXIT_OK) fail(`fsck -y (replaying the log) left: ${fix.problems.filter((x) => !x.repaired).map((x) => x.message).join('; ')}`);
    } else {
      res.replayedBy = 'mount';
    }
  } else {
    res.neededRepair = !before.clean;
    res.structural = before.problems.some((x) => x.kind !== 'clean-flag');
    const fix = fsckImage(img, true);
    if (fix.exitStatus !== ffs.FSCK_EXIT_OK) fail(`fsck -y left: ${fix.problems.filter((x) => !x.repaired).map((x) => x.message).join('; ')}`);
  }
  if (res.dups) fail(`fsck -n found ${res.dups} duplicate block(s)`);
  const messages = [];
  const { k, dev } = await boot(img, (line) => messages.push(line));
  try {
    k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' }); // replays a pending log
    const out = { n: 0, files: new Map() };
    walk(k.proc, '/mnt', 0, out);
    res.entries = out.n;
    checkFiles(model, out.files, o, fail, res, o.store);
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
  const unable = messages.filter((l) => /unable to cleanup/.test(l));
  if (unable.length) fail(`replay: ${unable.join('; ')}`);
  const after = fsckImage(img, false);
  if (!after.clean) fail(`fsck -n after: ${after.problems.map((x) => x.message).join('; ')}`);
  return res;
}

/** The workload of point i: `--workload all` rotates mixed, mixed, mixed, fill, walk. */
function workloadOf(o, i) {
  if (o.workload !== 'all') return o.workload;
  return ['mixed', 'mixed', 'mixed', 'fill', 'walk'][i % 5];
}

/** How long after the start a point's child may be killed (ms): long enough to reach the interesting part. */
function maxDelayOf(o, workload) {
  if (o.maxDelay !== null) return o.maxDelay;
  return workload === 'walk' ? Math.max(1500, o.walkFiles * 0.6) : workload === 'fill' ? 1500 : 500;
}

async function parent(o) {
  const dir = mkdtempSync(join(tmpdir(), 'rumpts-crash-'));
  const started = Date.now();
  o.store = join(dir, 'states');
  mkdirSync(o.store);
  STORE = o.store;
  try {
    // Logged points alternate between an end-of-partition log and an in-filesystem one (--place).
    const templates = {};
    const templateFor = async (workload, place) => {
      const fsBytes = workload === 'fill' ? 8 * MiB : 24 * MiB;
      const key = `${workload === 'mixed' ? fsBytes : workload}-${place}`;
      // The walk has a 1 MiB log (the smallest NetBSD makes) wherever it is; the others 2 MiB at the end.
      const room = place === 'infs' ? 0 : workload === 'walk' ? MiB : 2 * MiB;
      const populate = workload === 'walk' ? (p) => populateWalk(p, o) : workload === 'fill' ? (p) => populateFill(p, o) : null;
      templates[key] ??= makeTemplate(dir, o, fsBytes, room, `template-${key}.img`, populate);
      return templates[key];
    };
    const placeOf = (i) => (!o.log ? 'none' : o.place === 'mixed' ? (Math.floor(i / 5) % 2 === 0 ? 'end' : 'infs') : o.place);
    const r = rng(o.seed);
    const points = Array.from({ length: o.points }, (_, i) => {
      const workload = workloadOf(o, i);
      return { i, workload, seed: (r.next() * 0x7fffffff) | 1, delay: Math.floor(r.next() * maxDelayOf(o, workload)), place: placeOf(i) };
    });
    if (o.only !== null) points.splice(0, points.length, ...points.filter((pt) => pt.i === o.only));
    const results = [];
    let next = 0;
    const worker = async () => {
      while (next < points.length) {
        const pt = points[next++];
        const img = join(dir, `p${pt.i}.img`);
        const tpl = await templateFor(pt.workload, pt.place);
        copyFileSync(tpl.img, img);
        let res;
        try {
          const model = await runChild(img, o, pt, tpl.made);
          if (o.keep) copyFileSync(img, `${img}.crashed`);
          res = await check(img, o, model, pt);
        } catch (e) {
          res = { ok: false, problems: [String(e?.message ?? e)] };
        }
        results.push({ point: pt.i, seed: pt.seed, delay: pt.delay, place: pt.place, workload: pt.workload, ...res });
        if (!o.json) {
          const extra = [res.neededRepair ? 'needed fsck' : '', res.enospc ? `${res.enospc} ENOSPC` : '', res.replayedBy === 'fsck' ? 'replayed by fsck' : ''].filter(Boolean).join(', ');
          const shown = res.problems.slice(0, 5).join(' | ') + (res.problems.length > 5 ? ` | … ${res.problems.length - 5} more` : '');
          console.log(`point ${pt.i} ${pt.workload} seed ${pt.seed} delay ${pt.delay}ms ${pt.place}: ${res.ok ? 'ok' : 'FAIL'} (${res.entries ?? 0} entries, ${res.fsynced ?? 0} fsynced, ${res.changed ?? 0} changed since${extra ? `, ${extra}` : ''})${res.ok ? '' : ` ${shown}`}`);
        }
        if (res.ok && !o.keep) rmSync(img, { force: true });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
    results.sort((a, b) => a.point - b.point);
    const sum = (k) => results.reduce((s, x) => s + (x[k] ?? 0), 0);
    const summary = {
      log: o.log,
      version: o.version,
      endian: o.endian,
      seed: o.seed,
      points: results.length,
      passed: results.filter((x) => x.ok).length,
      workloads: Object.fromEntries(WORKLOADS.map((w) => [w, results.filter((x) => x.workload === w).length])),
      neededRepair: results.filter((x) => x.neededRepair).length,
      structural: results.filter((x) => x.structural).length,
      fsyncedChecked: sum('fsynced'),
      changedAfterFsync: sum('changed'),
      fsyncedLost: sum('lost'),
      foreignFiles: sum('foreign'),
      mixedFiles: sum('mixed'),
      dupBlocks: sum('dups'),
      unprotectedCommits: sum('unprotected'),
      enospcPoints: results.filter((x) => x.enospc > 0).length,
      replayedByFsck: results.filter((x) => x.replayedBy === 'fsck').length,
      inFilesystemLog: results.filter((x) => x.place === 'infs').length,
      seconds: (Date.now() - started) / 1000,
      failures: results.filter((x) => !x.ok).map((x) => ({ point: x.point, seed: x.seed, delay: x.delay, workload: x.workload, place: x.place, problems: x.problems.slice(0, 10) })),
      kept: results.some((x) => !x.ok) ? dir : null,
    };
    if (o.json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `${summary.passed}/${summary.points} crash points passed (${o.log ? `MNT_LOG, ${summary.inFilesystemLog} with an in-filesystem log, ${summary.replayedByFsck} replayed by fsck` : 'no log'}; ` +
          `${Object.entries(summary.workloads).map(([w, n]) => `${n} ${w}`).join(', ')}; ${summary.enospcPoints} reached ENOSPC; ` +
          `${summary.neededRepair} needed fsck, ${summary.structural} beyond the clean flag) in ${summary.seconds}s`,
      );
      console.log(
        `${summary.fsyncedChecked} fsynced files checked (${summary.changedAfterFsync} changed after their fsync): ${summary.fsyncedLost} lost; ` +
          `${summary.foreignFiles} files with foreign bytes (${summary.mixedFiles} made of their own contents mixed); ${summary.dupBlocks} duplicate blocks; ` +
          `${summary.unprotectedCommits} transactions without the log`,
      );
    }
    return summary.passed === summary.points;
  } finally {
    // Failing images stay for inspection.
    if (!readdirSync(dir).some((f) => /^p\d/.test(f))) rmSync(dir, { recursive: true, force: true });
  }
}

const o = parseArgs(process.argv.slice(2));
if (o.child) {
  await child(o);
} else {
  process.exit((await parent(o)) ? 0 : 1);
}
