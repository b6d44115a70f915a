/**
 * makefs -t msdos (usr.sbin/makefs/msdos.c): a FAT file system holding a host directory tree, laid
 * out in one pass as NetBSD's makefs does for its file systems — newfs_msdos, then every directory's
 * entries encoded in memory (short names by unix2dosfn with `~N` generations, long-name slots, times
 * from the host), each file given one contiguous run of clusters in tree order, file data streamed
 * into the image in large sequential writes, the FAT built in memory and written to every copy, and
 * FSInfo filled in. What FAT cannot hold (symbolic links, devices, fifos, sockets) is skipped with a
 * warning; two names equal but for case are an error (FAT compares names case-insensitively).
 */
import { closeSync, constants, openSync, readSync, readdirSync } from 'node:fs';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, decodeName, errno, isRumpError, nameText, type ErrnoCode } from '@rumpts/librump';
import { ST_ATIME, ST_FIELDS, ST_MODE, ST_SIZE, hostErrorMessage, hostLstat, hostNameText, hostPathOf, joinHostName, undecodableNames } from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { decodeBootSector, encodeFsInfo, decodeFsInfo } from '../ondisk/bootsector.js';
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READONLY, DIRENT_SIZE, type DirEntry, WIN_CHARS, WIN_LAST, WIN_MAXLEN, encodeDirEntry, encodeWinEntry,
} from '../ondisk/direntry.js';
import { unix2dostime } from '../ondisk/dostime.js';
import { CLUST_FIRST, FAT_CONSTS, cntosec, fatEntryOffset, fatGeometry } from '../ondisk/geometry.js';
import { DosConv, dosKey, foldName, unix2dosfn, winChksum, winEntryChars, winName } from '../conv.js';
import { MAX_DIR_SLOTS } from '../dir.js';
import { newfs_msdos, type NewfsMsdosOptions, type NewfsMsdosResult } from './newfs_msdos.js';

/** Progress of makefs_msdos, passed to MakefsMsdosOptions.progress as files are written. */
export interface MakefsMsdosProgress {
  /** Files written so far. */
  files: number;
  /** File bytes written so far. */
  bytes: number;
  /** File bytes in the tree. */
  totalBytes: number;
}

/**
 * Options of makefs(8) -t msdos: the newfs_msdos options of the image, plus warnings, progress and a reusable
 * plan.
 */
export interface MakefsMsdosOptions extends NewfsMsdosOptions {
  /** Called for what is left out (symbolic links, devices …). */
  onWarning?: (message: string) => void;
  /** Called as files are written (the fsu CLI draws a bar on a TTY). */
  progress?: (p: MakefsMsdosProgress) => void;
  /** The result of makefsMsdosPlan for the same directory: its walk of the tree is reused. */
  plan?: MakefsMsdosPlan;
}

/** A walk of a source tree and the image size it needs (makefsMsdosPlan). */
export interface MakefsMsdosPlan {
  /** The directory walked. */
  readonly srcDir: string;
  /** Device size in bytes that holds the tree (see makefsMsdosPlan). */
  readonly size: number;
  /** Regular files in the tree. */
  readonly files: number;
  /** Directories in the tree, the root excluded. */
  readonly directories: number;
  /** File bytes in the tree. */
  readonly bytes: number;
}

/** What makefs_msdos built: the newfs_msdos layout and what was written into it. */
export interface MakefsMsdosResult {
  /** The layout newfs_msdos made. */
  newfs: NewfsMsdosResult;
  /** Regular files written. */
  files: number;
  /** Directories made, the root excluded. */
  directories: number;
  /** File bytes written. */
  bytes: number;
  /** Host paths left out, relative to the source directory. */
  skipped: string[];
}

/**
 * One host entry of the tree. Paths are not kept per entry (a file's host path is made when it is
 * opened, its relative path only for a message): ten thousand long-lived strings cost the scan more
 * in garbage collection than making them again.
 */
interface Node {
  name: string;
  /** The directory holding it (null: the root). */
  parent: Node | null;
  /** Host path of a directory ('' for a file: see hostOf). */
  host: string;
  dir: boolean;
  size: number;
  mtimeMs: number;
  atimeMs: number;
  writable: boolean;
  children: Node[];
  /** Filled by the layout. */
  start: number;
  clusters: number;
  dn: Uint8Array;
  /** Long-name slots before the short entry. */
  nwin: number;
}

function hostError(e: unknown, what: string): Error {
  const code = (e as { code?: unknown }).code;
  return errno(typeof code === 'string' && /^E[A-Z]+$/.test(code) ? (code as ErrnoCode) : 'EIO', `${what}: ${hostErrorMessage(e)}`, { cause: e });
}

/**
 * lstat `path` into the one row `st` (hostLstat: no Stats object and no four Dates per entry, which
 * for ten thousand entries cost a cold process more than the system calls); its file type.
 */
function lstat(path: string | Buffer, st: Float64Array): number {
  try {
    // A path holding escaped bytes (a source directory whose name is not UTF-8) is looked up as those bytes.
    hostLstat(typeof path === 'string' ? hostPathOf(path) : path, st);
  } catch (e) {
    throw hostError(e, `stat ${typeof path === 'string' ? nameText(path) : hostNameText(path)}`);
  }
  return st[ST_MODE]! & S_IFMT;
}

const NO_NAME = new Uint8Array(11);

/** Milliseconds of the time at `at` (seconds, nanoseconds) of a stat row, as Stats' *Ms fields. */
const msOf = (st: Float64Array, at: number): number => st[at]! * 1000 + st[at + 1]! / 1e6;

function node(name: string, parent: Node | null, host: string, st: Float64Array): Node {
  const type = st[ST_MODE]! & S_IFMT;
  return {
    name, parent, host, dir: type === S_IFDIR, size: type === S_IFREG ? st[ST_SIZE]! : 0, mtimeMs: msOf(st, ST_ATIME + 2), atimeMs: msOf(st, ST_ATIME),
    writable: (st[ST_MODE]! & 0o200) !== 0, children: [], start: 0, clusters: 0, dn: NO_NAME, nwin: 0,
  };
}

/** The host path of `n` (a directory keeps its own). */
function hostOf(n: Node): string {
  return n.parent === null || n.dir ? n.host : `${n.parent.host}/${n.name}`;
}

/** The path of `n` relative to the source directory ('' for the root), for messages. */
function relOf(n: Node): string {
  let rel = n.name;
  for (let p = n.parent; p !== null && p.parent !== null; p = p.parent) rel = `${p.name}/${rel}`;
  return rel;
}

/** The walks of plans, kept with them (a plan is handed back by the caller that got it). */
const walks = new WeakMap<MakefsMsdosPlan, { t: Scanned; skipped: string[]; warnings: string[] }>();
type Scanned = ReturnType<typeof scan>;

/** The tree under `dir`: directories and regular files, names sorted; the rest reported and left out. */
function scan(dir: string, skipped: string[], warn: (m: string) => void): { root: Node; files: number; dirs: number; bytes: number } {
  // Names are appended with '/': the root's trailing slashes go first (join's normalizing cost more than the copy).
  let top = dir;
  while (top.length > 1 && top.endsWith('/')) top = top.slice(0, -1);
  const st = new Float64Array(ST_FIELDS);
  lstat(dir, st);
  const root = node('', null, top, st);
  if (!root.dir) throw errno('ENOTDIR', `makefs: ${nameText(dir)} is not a directory`);
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  const walk = (n: Node, depth: number): void => {
    if (depth > 256) throw errno('ELOOP', `makefs: ${relOf(n)} is nested more than 256 levels deep`);
    let names: string[];
    try {
      names = readdirSync(hostPathOf(n.host)).sort();
    } catch (e) {
      throw hostError(e, `read directory ${nameText(n.host)}`);
    }
    const base = n.host === '/' ? '' : n.host;
    // Names that are not UTF-8, by their decoding (read once per directory that shows U+FFFD).
    let bad: Map<string, Buffer[]> | undefined;
    for (const name of names) {
      if (name.includes('\uFFFD')) {
        bad ??= undecodable(n);
        // Each such name in turn; a real U+FFFD name (valid UTF-8) decodes alike and comes when they are used up.
        const b = bad.get(name)?.shift();
        if (b !== undefined) {
          oddName(n, b, st, skipped, warn);
          continue;
        }
      }
      const host = `${base}/${name}`;
      const type = lstat(host, st);
      if (type === S_IFDIR) {
        const c = node(name, n, host, st);
        n.children.push(c);
        dirs++;
        walk(c, depth + 1);
      } else if (type === S_IFREG) {
        n.children.push(node(name, n, '', st));
        files++;
        bytes += st[ST_SIZE]!;
      } else {
        const rel = relOf(n) ? `${relOf(n)}/${name}` : name;
        skipped.push(rel);
        warn(`${rel}: ${type === S_IFLNK ? 'a symbolic link' : 'not a regular file or directory'}; FAT cannot hold it, skipped`);
      }
    }
  };
  walk(root, 0);
  return { root, files, dirs, bytes };
}

/**
 * The names of directory `n` that are not valid UTF-8, keyed by what readdirSync made of them
 * (U+FFFD for each bad byte). The directory is read again as bytes only for this, when a decoded
 * name holds U+FFFD: a real U+FFFD (valid UTF-8) is not among them.
 */
function undecodable(n: Node): Map<string, Buffer[]> {
  try {
    return undecodableNames(hostPathOf(n.host));
  } catch (e) {
    throw hostError(e, `read directory ${nameText(n.host)}`);
  }
}

/**
 * An entry of directory `n` whose name `b` is not valid UTF-8: FAT long names are UTF-16, so a file
 * or directory with it has nothing to be written under (EILSEQ); anything else is skipped with a
 * warning, as it is under any name.
 */
function oddName(n: Node, b: Buffer, st: Float64Array, skipped: string[], warn: (m: string) => void): void {
  const type = lstat(joinHostName(hostPathOf(n.host), b), st);
  const rel = relOf(n);
  const shown = `${rel ? `${rel}/` : ''}${hostNameText(b)}`;
  if (type === S_IFDIR || type === S_IFREG) throw errno('EILSEQ', `makefs: ${shown}: the name is not valid UTF-8; a FAT long name cannot hold it`);
  skipped.push(rel ? `${rel}/${decodeName(b)}` : decodeName(b));
  warn(`${shown}: ${type === S_IFLNK ? 'a symbolic link' : 'not a regular file or directory'}; FAT cannot hold it, skipped`);
}

function sizeFor(t: Scanned, opts: NewfsMsdosOptions): number {
  let estimate = 0;
  const walk = (n: Node): void => {
    estimate += Math.ceil(((n.children.length + 2) * 3 * 32) / 4096) * 4096;
    for (const c of n.children) {
      if (c.dir) walk(c);
      else estimate += Math.ceil(c.size / 4096) * 4096;
    }
  };
  walk(t.root);
  let size = Math.ceil((estimate * 1.1 + (1 << 20)) / 65536) * 65536;
  const bps = opts.bytesPerSector ?? 512;
  if (opts.fatType === 32) size = Math.max(size, (65525 + 2048) * bps * (opts.sectorsPerCluster ?? 1) + (1 << 20));
  if (opts.fatType === 16) size = Math.max(size, (4085 + 64) * bps * (opts.sectorsPerCluster ?? 1) + (1 << 20));
  return size;
}

/**
 * Walk `srcDir` once and give the device size that holds it with the given options: its data and
 * directories in 4 KiB clusters, a tenth more and 1 MiB of slack, at least what the FAT type asks
 * (FAT32: 65525 clusters). Pass the plan to makefs_msdos to reuse the walk.
 */
export function makefsMsdosPlan(srcDir: string, opts: NewfsMsdosOptions = {}): MakefsMsdosPlan {
  const skipped: string[] = [];
  const warnings: string[] = [];
  const t = scan(srcDir, skipped, (m) => warnings.push(m));
  const plan: MakefsMsdosPlan = { srcDir, size: sizeFor(t, opts), files: t.files, directories: t.dirs, bytes: t.bytes };
  walks.set(plan, { t, skipped, warnings });
  return plan;
}

/** The size makefsMsdosPlan computes, alone. */
export function makefsMsdosSize(srcDir: string, opts: NewfsMsdosOptions = {}): number {
  return makefsMsdosPlan(srcDir, opts).size;
}

/** Short names and long-name slot counts for a directory's children (createde's rules). */
function nameDirectory(d: Node, isRoot: boolean, reserved: number): number {
  const shorts = new Set<string>();
  const longs = new Set<string>();
  const genHint = new Map<string, number>();
  // A subdirectory begins with '.' and '..'; the root may begin with the volume label.
  let slots = isRoot ? reserved : 2;
  for (const c of d.children) {
    const stored = winName(c.name);
    const first = unix2dosfn(c.name, 1);
    if (first.conv === DosConv.NONE) throw errno('EINVAL', `makefs: ${relOf(c)}: the name has no DOS form (only dots and blanks)`);
    if (stored.length > WIN_MAXLEN) throw errno('ENAMETOOLONG', `makefs: ${relOf(c)}: longer than ${WIN_MAXLEN} characters`);
    const folded = foldName(stored);
    const firstKey = dosKey(first.dn);
    if (longs.has(folded) || (first.conv !== DosConv.GEN && shorts.has(firstKey))) {
      throw errno('EEXIST', `makefs: ${relOf(c)}: another name in its directory differs from it only in case`);
    }
    longs.add(folded);
    let dn = first.dn;
    let dnKey = firstKey;
    if (first.conv === DosConv.GEN) {
      for (let gen = genHint.get(firstKey) ?? 1; ; gen++) {
        const r = unix2dosfn(c.name, gen);
        if (r.conv === DosConv.NONE) throw errno('EEXIST', `makefs: ${relOf(c)}: every short name for it is taken`);
        const k = dosKey(r.dn);
        if (!shorts.has(k)) {
          dn = r.dn;
          dnKey = k;
          genHint.set(firstKey, gen + 1);
          break;
        }
      }
    }
    shorts.add(dnKey);
    c.dn = dn;
    // winSlotCnt of a name no longer than WIN_MAXLEN (checked above).
    c.nwin = first.conv === DosConv.SAME ? 0 : Math.ceil(stored.length / WIN_CHARS);
    slots += c.nwin + 1;
  }
  if (slots > MAX_DIR_SLOTS) throw errno('ENOSPC', `makefs: ${relOf(d) || '/'}: more than ${MAX_DIR_SLOTS} directory entries`);
  return slots;
}

/**
 * The access date (a date only) of host time `sec`, remembered for the last day: unix2dostime keeps
 * the last second it converted, and asked for modification and access times in turn it converted
 * every one anew.
 */
let accessDay = Number.NaN;
let accessDate = 0;
function accessDateOf(sec: number, gmtoff: number): number {
  const day = Math.floor((sec + gmtoff) / 86400);
  if (day !== accessDay) {
    accessDate = unix2dostime({ sec, nsec: 0 }, gmtoff).date;
    accessDay = day;
  }
  return accessDate;
}

function entryOf(n: Node, gmtoff: number): DirEntry {
  const m = unix2dostime({ sec: Math.floor(n.mtimeMs / 1000), nsec: 0 }, gmtoff);
  const a = { date: accessDateOf(Math.floor(n.atimeMs / 1000), gmtoff) };
  return {
    name: n.dn,
    attributes: n.dir ? ATTR_DIRECTORY : ATTR_ARCHIVE | (n.writable ? 0 : ATTR_READONLY),
    lowerCase: 0,
    cHundredth: m.hundredths,
    cTime: m.time,
    cDate: m.date,
    aDate: a.date,
    startCluster: n.start,
    mTime: m.time,
    mDate: m.date,
    fileSize: n.dir ? 0 : n.size,
  };
}

/** Sequential writes to the device, gathered into large requests. */
class Writer {
  #buf: Uint8Array;
  #at = -1;
  #len = 0;

  constructor(private readonly dev: BlockDevice, size = 4 << 20) {
    this.#buf = new Uint8Array(size);
  }

  /**
   * Room for `n` bytes at device byte `at`, to fill in before the next reserve: zeroed from byte
   * `zeroFrom` on, the caller writing every byte before it (a file's data: only the rest of its last
   * cluster needs zeros, and zeroing forty megabytes only to overwrite them cost a tenth of the copy).
   */
  reserve(at: number, n: number, zeroFrom = 0): Uint8Array {
    if (this.#at < 0 || at !== this.#at + this.#len || this.#len + n > this.#buf.length) {
      this.flush();
      if (n > this.#buf.length) this.#buf = new Uint8Array(n);
      this.#at = at;
    }
    const r = this.#buf.subarray(this.#len, this.#len + n);
    if (zeroFrom < n) r.fill(0, zeroFrom);
    this.#len += n;
    return r;
  }

  flush(): void {
    if (this.#len > 0) this.dev.write(this.#buf.subarray(0, this.#len), this.#at);
    this.#at = -1;
    this.#len = 0;
  }
}

/**
 * Read exactly `size` bytes of host file `path` into `into` (synchronous reads: thousands of small
 * files go faster this way than through the thread pool, measured).
 */
function readInto(n: Node, into: Uint8Array, size: number): void {
  const path = hostOf(n);
  let fd = -1;
  try {
    // No link or fifo put there since the scan is followed or waited on.
    fd = openSync(hostPathOf(path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, into, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== size) throw errno('EIO', `makefs: ${relOf(n)}: the file changed size while being copied (${size} bytes, read ${got})`);
  } catch (e) {
    if (isRumpError(e)) throw e;
    throw hostError(e, `read ${nameText(path)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * makefs: newfs_msdos on `dev`, then `srcDir` laid out and written. ENOSPC (the tree does not fit),
 * EEXIST (two names equal but for case) and EINVAL (a name with no DOS form) name the host path.
 * Every byte is written to `dev` before it resolves, but `dev` is not flushed (synced): as with
 * NetBSD's makefs, the caller flushes it if it must.
 */
export function makefs_msdos(dev: BlockDevice, srcDir: string, opts: MakefsMsdosOptions = {}): Promise<MakefsMsdosResult> {
  try {
    return Promise.resolve(build(dev, srcDir, opts));
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function build(dev: BlockDevice, srcDir: string, opts: MakefsMsdosOptions): MakefsMsdosResult {
  const planned = opts.plan && opts.plan.srcDir === srcDir ? walks.get(opts.plan) : undefined;
  let skipped: string[];
  let t: Scanned;
  if (planned) {
    ({ t, skipped } = planned);
    // A plan is walked once; a second build from it gets a fresh walk of its own.
    walks.delete(opts.plan!);
    for (const w of planned.warnings) opts.onWarning?.(w);
  } else {
    skipped = [];
    t = scan(srcDir, skipped, (m) => opts.onWarning?.(m));
  }
  const newfs = newfs_msdos(dev, opts);
  const head = new Uint8Array(Math.max(512, dev.secsize));
  dev.read(head, 0);
  const g = fatGeometry(decodeBootSector(head), dev.size, dev.secsize);
  const bpc = g.bpc;
  const fat32 = g.fatType === 32;
  const gmtoff = 0;

  // Layout: each directory's clusters, then its files' runs, in tree order (directories first).
  let next = CLUST_FIRST;
  const take = (n: number, who: Node): number => {
    if (n === 0) return 0;
    if (next + n - 1 > g.maxcluster) throw errno('ENOSPC', `makefs: ${relOf(who) || '/'}: the file system is full (give a larger size)`);
    const s = next;
    next += n;
    return s;
  };
  const dirs: Node[] = [];
  // newfs put the volume label (if any) in the root's first slot: it stays there.
  const rootHead = new Uint8Array(g.bps);
  dev.read(rootHead, (fat32 ? cntosec(g, g.rootCluster) : g.rootStart) * g.bps);
  const labelSlots = opts.label !== undefined ? 1 : 0;
  const rootSlots = nameDirectory(t.root, true, labelSlots);
  if (fat32) {
    t.root.clusters = Math.max(1, Math.ceil((rootSlots * DIRENT_SIZE) / bpc));
    // The root keeps the cluster newfs gave it (2) and grows after it.
    next = CLUST_FIRST;
    t.root.start = take(t.root.clusters, t.root);
  } else if (rootSlots > g.rootDirEnts) {
    throw errno('ENOSPC', `makefs: the root directory holds ${g.rootDirEnts} entries and the tree needs ${rootSlots} (FAT12/16 roots have a fixed size)`);
  }
  const layout = (d: Node): void => {
    dirs.push(d);
    for (const c of d.children) if (!c.dir) {
      c.clusters = Math.ceil(c.size / bpc);
      c.start = take(c.clusters, c);
    }
    for (const c of d.children) if (c.dir) {
      const slots = nameDirectory(c, false, 0);
      c.clusters = Math.max(1, Math.ceil((slots * DIRENT_SIZE) / bpc));
      c.start = take(c.clusters, c);
      layout(c);
    }
  };
  layout(t.root);

  // Directories: entries encoded into their clusters (or the fixed root region).
  const w = new Writer(dev);
  const clusterByte = (cn: number): number => cntosec(g, cn) * g.bps;
  const encodeDir = (d: Node, into: Uint8Array): void => {
    let off = 0;
    const isRoot = d === t.root;
    if (isRoot && labelSlots > 0) {
      into.set(rootHead.subarray(0, DIRENT_SIZE), 0);
      off = DIRENT_SIZE;
    }
    if (!isRoot) {
      const self = entryOf(d, gmtoff);
      const dot = { ...self, name: new Uint8Array(11).fill(0x20), startCluster: d.start };
      dot.name[0] = 0x2e;
      encodeDirEntry(dot, into, 0, fat32);
      const parent = d.parent;
      const dotdot = { ...self, name: new Uint8Array(11).fill(0x20), startCluster: parent === null || parent === t.root ? 0 : parent.start };
      dotdot.name[0] = 0x2e;
      dotdot.name[1] = 0x2e;
      encodeDirEntry(dotdot, into, DIRENT_SIZE, fat32);
      off = 2 * DIRENT_SIZE;
    }
    for (const c of d.children) {
      if (c.nwin > 0) {
        const stored = winName(c.name);
        const chk = winChksum(c.dn);
        for (let k = 0; k < c.nwin; k++) {
          const cnt = c.nwin - k;
          encodeWinEntry({ cnt: cnt | (k === 0 ? WIN_LAST : 0), chksum: chk, chars: winEntryChars(stored, cnt) }, into, off);
          off += DIRENT_SIZE;
        }
      }
      encodeDirEntry(entryOf(c, gmtoff), into, off, fat32);
      off += DIRENT_SIZE;
    }
  };

  // FAT: every run chained, end-of-chain at its last cluster.
  const fc = FAT_CONSTS[g.fatType];
  const fat = new Uint32Array(g.maxcluster + 1);
  const chain = (n: Node): void => {
    for (let i = 0; i < n.clusters; i++) fat[n.start + i] = i + 1 < n.clusters ? n.start + i + 1 : fc.eofWrite;
  };

  // Write in cluster order: directories and file data interleave as laid out.
  let done = 0;
  let bytesDone = 0;
  const rootRegion = fat32 ? null : new Uint8Array(g.rootDirSecs * g.bps);
  for (const d of dirs) {
    if (d === t.root && rootRegion) encodeDir(d, rootRegion);
    else {
      chain(d);
      encodeDir(d, w.reserve(clusterByte(d.start), d.clusters * bpc));
    }
    for (const c of d.children) {
      if (c.dir || c.clusters === 0) {
        if (!c.dir) done++;
        continue;
      }
      chain(c);
      // readInto fills the first c.size bytes or throws (the file changed: the build stops).
      readInto(c, w.reserve(clusterByte(c.start), c.clusters * bpc, c.size), c.size);
      done++;
      bytesDone += c.size;
      opts.progress?.({ files: done, bytes: bytesDone, totalBytes: t.bytes });
    }
  }
  w.flush();
  if (rootRegion) dev.write(rootRegion, g.rootStart * g.bps);

  // Every FAT copy: the reserved entries as newfs wrote them (the clean bit set), then the chains.
  const fatBytes = new Uint8Array(g.fatUsedBytes);
  dev.read(fatBytes, g.resSectors * g.bps);
  const v = new DataView(fatBytes.buffer);
  for (let cn = CLUST_FIRST; cn <= g.maxcluster; cn++) {
    const x = fat[cn]!;
    if (x === 0) continue;
    const o = fatEntryOffset(g, cn);
    if (g.fatType === 32) v.setUint32(o, x, true);
    else if (g.fatType === 16) v.setUint16(o, x, true);
    else {
      const word = v.getUint16(o, true);
      v.setUint16(o, (cn & 1) !== 0 ? (word & 0x000f) | (x << 4) : (word & 0xf000) | x, true);
    }
  }
  for (let copy = 0; copy < g.nfats; copy++) dev.write(fatBytes, (g.resSectors + copy * g.fatSecs) * g.bps);
  if (fat32 && g.fsInfoSec !== 0) {
    const s = new Uint8Array(g.bps);
    dev.read(s, g.fsInfoSec * g.bps);
    if (decodeFsInfo(s).valid) {
      const used = next - CLUST_FIRST;
      encodeFsInfo({ freeCount: g.nclusters - used, nextFree: next <= g.maxcluster ? next : CLUST_FIRST }, s);
      dev.write(s, g.fsInfoSec * g.bps);
    }
  }
  // Like NetBSD's makefs (and makefs -t ffs here), the image is not synced to stable storage: an
  // fsync of a fresh 40 MB image cost a tenth of the build. The caller flushes the device if it must.
  return { newfs, files: t.files, directories: t.dirs, bytes: t.bytes, skipped };
}
