/**
 * fsck_msdos's directory pass (sbin/fsck_msdos/dir.c handleDirTree): every directory from the
 * root down — long-name slots that belong to no entry, bad short names, duplicate names, '.' and
 * '..', start clusters, chains (claimed cluster by cluster: a link to nowhere, a free or bad
 * cluster, a loop, or a cluster another chain holds ends the chain there), and file sizes against
 * chain lengths. Changes are made in memory (ctx.fat, directory bytes) and written by the driver.
 */
import {
  ATTR_DIRECTORY, ATTR_VOLUME, ATTR_WIN95, DIRENT_SIZE, type DirEntry, SLOT_DELETED, SLOT_EMPTY, WIN_LAST, decodeDirEntry, encodeDirEntry,
} from '../../ondisk/direntry.js';
import { cntosec } from '../../ondisk/geometry.js';
import { dos2unixfn } from '../../conv.js';
import { LfnAssembler, isDotName } from '../../dir.js';
import { type FsckContext, UNOWNED } from './context.js';

/** A directory to scan: its chain (or the fixed root), its path for messages, its parent's cluster. */
interface DirJob {
  path: string;
  /** First cluster (0: the fixed FAT12/16 root). */
  cluster: number;
  clusters: number[];
  parentCluster: number;
  isRoot: boolean;
}

/** Directory bytes with the device offset of each cluster (or of the fixed root). */
interface DirBytes {
  data: Uint8Array;
  /** Device byte offset of each `unit`-sized piece of data. */
  pieces: number[];
  unit: number;
  touched: Set<number>;
}

const BAD_CHARS = new Set('*?<>|"\\/:.'.split('').map((c) => c.charCodeAt(0)));

/** dosfstools' bad_name: characters no DOS name may hold, a blank first character, blanks inside a part. */
export function badShortName(name: Uint8Array): string | null {
  for (let i = 0; i < 11; i++) {
    const c = name[i]!;
    if ((c < 0x20 && !(i === 0 && c === 0x05)) || c === 0x7f) return `control character 0x${c.toString(16)}`;
    if (BAD_CHARS.has(c)) return `character '${String.fromCharCode(c)}'`;
  }
  if (name[0] === 0x20) return 'a blank first character';
  return null;
}

function readDir(ctx: FsckContext, job: DirJob): DirBytes {
  const g = ctx.g;
  if (job.cluster === 0) {
    const bytes = g.rootDirSecs * g.bps;
    return { data: ctx.read(bytes, g.rootStart * g.bps), pieces: [g.rootStart * g.bps], unit: bytes, touched: new Set() };
  }
  const data = new Uint8Array(job.clusters.length * g.bpc);
  const pieces: number[] = [];
  job.clusters.forEach((cn, i) => {
    const at = cntosec(g, cn) * g.bps;
    pieces.push(at);
    data.set(ctx.read(g.bpc, at), i * g.bpc);
  });
  return { data, pieces, unit: g.bpc, touched: new Set() };
}

function touch(d: DirBytes, off: number): void {
  d.touched.add(Math.floor(off / d.unit));
}

function flushDir(ctx: FsckContext, d: DirBytes): void {
  for (const i of d.touched) ctx.dirty.set(d.pieces[i]!, d.data.subarray(i * d.unit, (i + 1) * d.unit));
}

/**
 * Claim the chain from `start` for `owner`, cluster by cluster. Returns the clusters kept; the
 * chain is cut (in the FAT, when repairing) before the first cluster that cannot be its.
 */
export function claimChain(ctx: FsckContext, start: number, owner: number, what: string): { clusters: number[]; startBad: boolean } {
  const clusters: number[] = [];
  const fc = ctx.fc;
  let c = start;
  for (;;) {
    let why: string | null = null;
    let kind: 'fat-chain' | 'cross-link' = 'fat-chain';
    if (!ctx.validCluster(c)) why = `cluster ${c} is outside 2..${ctx.g.maxcluster}`;
    else if (ctx.owner[c] !== UNOWNED) {
      why = ctx.owner[c] === owner ? `the chain loops at cluster ${c}` : `cluster ${c} is cross-linked with another file`;
      if (ctx.owner[c] !== owner) kind = 'cross-link';
    } else if (ctx.fat[c] === 0) why = `cluster ${c} is marked free`;
    else if (ctx.fat[c] === fc.bad) why = `cluster ${c} is marked bad`;
    if (why !== null) {
      const prev = clusters[clusters.length - 1];
      if (prev === undefined) {
        ctx.problem(kind, `${what}: start ${why}`);
        return { clusters, startBad: true };
      }
      if (ctx.problem(kind, `${what}: ${why}; chain cut after cluster ${prev}`)) ctx.setFat(prev, fc.eofWrite);
      return { clusters, startBad: false };
    }
    ctx.owner[c] = owner;
    clusters.push(c);
    const v = ctx.fat[c]!;
    if (ctx.isEof(v)) return { clusters, startBad: false };
    if (v >= fc.rsrvd || v < 2 || v > ctx.g.maxcluster) {
      if (ctx.problem('fat-chain', `${what}: cluster ${c} links to invalid value ${v}; chain ends there`)) ctx.setFat(c, fc.eofWrite);
      return { clusters, startBad: false };
    }
    c = v;
  }
}

/** Give back the clusters of a chain claimed for an entry that is being dropped or shortened. */
function unclaim(ctx: FsckContext, clusters: number[]): void {
  for (const c of clusters) ctx.owner[c] = UNOWNED;
}

function entryName(d: Uint8Array, off: number): Uint8Array {
  return d.subarray(off, off + 11);
}

/** A short name not yet used in this directory: FSCK0000REN, FSCK0001REN… */
function freshName(used: Set<string>): Uint8Array {
  for (let i = 0; i < 10000; i++) {
    const s = `FSCK${String(i).padStart(4, '0')}REN`;
    if (!used.has(s)) {
      used.add(s);
      return new Uint8Array([...s].map((ch) => ch.charCodeAt(0)));
    }
  }
  throw new Error('fsck_msdos: no free FSCKnnnn name');
}

/** Walk the tree from the root; returns false if something could not be repaired. */
export function checkTree(ctx: FsckContext): boolean {
  const g = ctx.g;
  const fat32 = g.fatType === 32;
  let ok = true;
  const rootOwner = ctx.newOwner();
  const root: DirJob = { path: '/', cluster: 0, clusters: [], parentCluster: 0, isRoot: true };
  if (fat32) {
    const r = claimChain(ctx, g.rootCluster, rootOwner, 'root directory');
    if (r.startBad) {
      ctx.problem('fat-chain', 'the root directory has no usable cluster');
      return false;
    }
    root.cluster = g.rootCluster;
    root.clusters = r.clusters;
  }
  const queue: DirJob[] = [root];
  for (let q = 0; q < queue.length; q++) {
    const job = queue[q]!;
    if (!checkDir(ctx, job, queue)) ok = false;
  }
  return ok;
}

function checkDir(ctx: FsckContext, job: DirJob, queue: DirJob[]): boolean {
  const g = ctx.g;
  const fat32 = g.fatType === 32;
  const d = readDir(ctx, job);
  const data = d.data;
  let ok = true;
  const lfn = new LfnAssembler();
  let pending: number[] = [];
  const shortSeen = new Map<string, number>();
  const longSeen = new Set<string>();
  const dropSlots = (slots: number[], why: string): void => {
    if (slots.length === 0) return;
    if (ctx.problem('long-name', `${job.path}: ${why} (${slots.length} long-name slot${slots.length > 1 ? 's' : ''} at offset ${slots[0]! * DIRENT_SIZE})`)) {
      for (const s of slots) {
        data[s * DIRENT_SIZE] = SLOT_DELETED;
        touch(d, s * DIRENT_SIZE);
      }
    }
  };
  const dropEntry = (off: number, why: string): void => {
    if (ctx.problem('dir-entry', `${job.path}: ${why}; entry removed`)) {
      data[off] = SLOT_DELETED;
      touch(d, off);
      for (const s of pending) {
        data[s * DIRENT_SIZE] = SLOT_DELETED;
        touch(d, s * DIRENT_SIZE);
      }
    }
  };
  const write = (off: number, e: DirEntry): void => {
    encodeDirEntry(e, data, off, fat32);
    touch(d, off);
  };
  const slots = data.length / DIRENT_SIZE;
  // A subdirectory must begin with '.' and '..'.
  if (!job.isRoot) {
    const want: [number, string, number][] = [[0, '.', job.cluster], [1, '..', job.parentCluster]];
    for (const [slot, name, cluster] of want) {
      const off = slot * DIRENT_SIZE;
      const e = decodeDirEntry(data, off, fat32);
      const dot = isDotName(e.name);
      if (dot === slot + 1 && (e.attributes & ATTR_DIRECTORY) !== 0) {
        const okCluster = e.startCluster === cluster || (slot === 1 && fat32 && cluster === 0 && e.startCluster === g.rootCluster);
        if (!okCluster && ctx.problem('dot-entries', `${job.path}: '${name}' names cluster ${e.startCluster}, should be ${cluster}`)) write(off, { ...e, startCluster: cluster });
      } else if (data[off] === SLOT_EMPTY || data[off] === SLOT_DELETED) {
        if (ctx.problem('dot-entries', `${job.path}: no '${name}' entry`)) {
          const nm = new Uint8Array(11).fill(0x20);
          nm.fill(0x2e, 0, slot + 1);
          write(off, { ...e, name: nm, attributes: ATTR_DIRECTORY, lowerCase: 0, startCluster: cluster, fileSize: 0 });
        } else ok = false;
      } else {
        ctx.problem('dot-entries', `${job.path}: slot ${slot} holds something other than '${name}'`);
        ok = false;
      }
    }
  }
  for (let s = job.isRoot ? 0 : 2; s < slots; s++) {
    const off = s * DIRENT_SIZE;
    const n0 = data[off]!;
    if (n0 === SLOT_EMPTY) {
      dropSlots(pending, 'long name not followed by its entry');
      pending = [];
      break;
    }
    if (n0 === SLOT_DELETED) {
      dropSlots(pending, 'long name not followed by its entry');
      pending = [];
      lfn.reset();
      continue;
    }
    const attr = data[off + 11]!;
    if (attr === ATTR_WIN95) {
      if ((n0 & WIN_LAST) !== 0 && pending.length > 0) {
        dropSlots(pending, 'long name interrupted by another');
        pending = [];
      }
      lfn.feed(data, off);
      pending.push(s);
      continue;
    }
    const name = entryName(data, off);
    if ((attr & ATTR_VOLUME) !== 0) {
      dropSlots(pending, 'long name before a volume label');
      pending = [];
      lfn.reset();
      continue;
    }
    const long = lfn.finish(name);
    if (long === null) {
      dropSlots(pending, 'long name that does not match its entry (checksum or sequence)');
      pending = [];
    }
    let pendingLong = long;
    const e = decodeDirEntry(data, off, fat32);
    const shown = long ?? dos2unixfn(e.name, e.lowerCase);
    const path = `${job.path}${job.path.endsWith('/') ? '' : '/'}${shown}`;
    if (isDotName(e.name) !== 0) {
      dropEntry(off, `a stray '${dos2unixfn(e.name, 0)}' entry at offset ${off}`);
      pending = [];
      continue;
    }
    const badWhy = badShortName(e.name);
    const key = String.fromCharCode(...e.name);
    if (badWhy !== null || shortSeen.has(key)) {
      const why = badWhy !== null ? `bad short name (${badWhy})` : 'duplicate short name';
      if (ctx.problem('dir-entry', `${path}: ${why}; renamed`)) {
        const used = new Set([...shortSeen.keys()]);
        e.name = freshName(used);
        write(off, e);
        // The long name's checksum named the old short name: it goes too.
        for (const p of pending) {
          data[p * DIRENT_SIZE] = SLOT_DELETED;
          touch(d, p * DIRENT_SIZE);
        }
        pendingLong = null;
      }
    }
    shortSeen.set(String.fromCharCode(...e.name), off);
    if (pendingLong !== null) {
      const lk = pendingLong.toLowerCase();
      if (longSeen.has(lk) && ctx.problem('long-name', `${path}: duplicate long name; the long name is dropped`)) {
        for (const p of pending) {
          data[p * DIRENT_SIZE] = SLOT_DELETED;
          touch(d, p * DIRENT_SIZE);
        }
      }
      longSeen.add(lk);
    }
    if ((e.attributes & ATTR_DIRECTORY) !== 0) checkSubdir(ctx, job, queue, e, off, path, write, dropEntry);
    else checkFile(ctx, e, off, path, write);
    pending = [];
  }
  flushDir(ctx, d);
  return ok;
}

function checkSubdir(
  ctx: FsckContext, job: DirJob, queue: DirJob[], e: DirEntry, off: number, path: string,
  write: (off: number, e: DirEntry) => void, dropEntry: (off: number, why: string) => void,
): void {
  const g = ctx.g;
  const sc = e.startCluster;
  if (!ctx.validCluster(sc) || (g.fatType === 32 && sc === g.rootCluster)) {
    dropEntry(off, `directory '${path}' has no valid start cluster (${sc})`);
    return;
  }
  if (ctx.owner[sc] !== UNOWNED) {
    dropEntry(off, `directory '${path}' starts in cluster ${sc}, which another file or directory holds`);
    return;
  }
  const owner = ctx.newOwner();
  const r = claimChain(ctx, sc, owner, path);
  if (r.startBad) {
    dropEntry(off, `directory '${path}' cannot be read`);
    return;
  }
  if (e.fileSize !== 0 && ctx.problem('size', `${path}: a directory with size ${e.fileSize} (must be 0)`)) write(off, { ...e, fileSize: 0 });
  queue.push({ path, cluster: sc, clusters: r.clusters, parentCluster: job.isRoot ? 0 : job.cluster, isRoot: false });
}

function checkFile(ctx: FsckContext, e: DirEntry, off: number, path: string, write: (off: number, e: DirEntry) => void): void {
  const bpc = ctx.g.bpc;
  const sc = e.startCluster;
  if (sc === 0) {
    if (e.fileSize !== 0 && ctx.problem('size', `${path}: size ${e.fileSize} but no clusters; size set to 0`)) write(off, { ...e, fileSize: 0 });
    return;
  }
  const owner = ctx.newOwner();
  const r = claimChain(ctx, sc, owner, path);
  if (r.startBad) {
    if (ctx.repair) write(off, { ...e, startCluster: 0, fileSize: 0 });
    return;
  }
  const have = r.clusters.length;
  const need = Math.ceil(e.fileSize / bpc);
  if (need > have) {
    if (ctx.problem('size', `${path}: size ${e.fileSize} is more than its ${have} cluster${have > 1 ? 's' : ''} hold; size set to ${have * bpc}`)) {
      write(off, { ...e, fileSize: have * bpc });
    }
  } else if (need < have) {
    if (ctx.problem('size', `${path}: ${have} clusters for size ${e.fileSize}; the chain is cut to ${need}`)) {
      unclaim(ctx, r.clusters.slice(need));
      if (need === 0) write(off, { ...e, startCluster: 0 });
      else ctx.setFat(r.clusters[need - 1]!, ctx.fc.eofWrite);
    }
  }
}
