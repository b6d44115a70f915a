/**
 * makefs(8) -t ffs: build a UFS1/UFS2 image holding exactly a host directory tree. The image size is
 * given or computed as NetBSD's makefs does (the tree's blocks and inodes, plus requested free
 * space, minfree and the file system's own overhead). The file system is laid out by our newfs and
 * filled through the same allocator and write code as a mounted file system — with no kernel in
 * between and metadata written once at the end — so the summaries are exact and the placement is
 * NetBSD's. As NetBSD's makefs does, a directory's entries get their inodes first and its bytes
 * are then written whole; file bytes are read from the host straight into the staged image.
 */
import { closeSync, constants, openSync, readSync, readlinkSync } from 'node:fs';
import { type Timespec, errno, isRumpError, nameText } from '@rumpts/librump';
import { isUtf8 } from 'node:buffer';
import {
  BufCache, type HostName, ST_ATIME, ST_FIELDS, ST_GID, ST_MODE, ST_NLINK, ST_RDEV, ST_SIZE, ST_UID, hostDirNames, hostErrorMessage, hostLinkKey, hostLstat, hostNameText, hostPathOf,
  joinHostName,
} from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { ffs_valloc, ffs_vfree } from '../alloc.js';
import { ffs_dirremove, nameLen } from '../dirops.js';
import { Inode, ffs_iget, ffs_update } from '../inode.js';
import { type Dinode, emptyDinode } from '../ondisk/dinode.js';
import { encodeDirect, encodeDirectName } from '../ondisk/direct.js';
import { DIRBLKSIZ, UFS_NDADDR, UFS_ROOTINO, dirsiz } from '../ondisk/geometry.js';
import { ffs_truncate } from '../truncate.js';
import { Ufsmount } from '../ufsmount.js';
import { ffs_place, ffs_write } from '../write.js';
import { type NewfsResult, newfs, newfsGeometry } from './newfs.js';
import { IO_THREAD_MIN_FILES, MakefsIo, isHostBacked } from './iothread.js';
import { CHUNK, StagingDevice } from './stage.js';

/** Image bytes staged at once when makefs does its own I/O. */
const STAGED_BYTES = 8 * CHUNK;

/** Options of makefs(8) -t ffs, named after its -o and size flags. */
export interface MakefsOptions {
  /** 1 or 2 (makefs -o version). Default 2. */
  version?: 1 | 2;
  /** Byte order (makefs -B). Default little-endian. */
  endian?: 'le' | 'be';
  /** Image size in bytes (makefs -s); default: computed by makefsSize (and the device must hold it). */
  size?: number;
  /** Block size (-o bsize). Default 8192, as NetBSD's makefs. */
  bsize?: number;
  /** Fragment size (-o fsize). Default 1024 (bsize/8). */
  fsize?: number;
  /** Bytes per inode (-o density). Default: computed so the tree's inodes (plus -f) fit. */
  density?: number;
  /** Reserved space percentage (-o minfree). Default 5. */
  minfree?: number;
  /** Extra free space for a computed size: percent of the tree's blocks (makefs -b N%). */
  freeBlocksPercent?: number;
  /** Extra free space for a computed size, in bytes (makefs -b N). */
  freeBlocks?: number;
  /** Extra inodes for a computed size: percent of the tree's (makefs -f N%). */
  freeFilesPercent?: number;
  /** Extra inodes for a computed size (makefs -f N). */
  freeFiles?: number;
  /** Volume name (-o label). */
  volname?: string;
  /** Creation time in seconds (default now). */
  time?: number;
  /** The result of makefsSize for the same srcDir: its scan of the tree is reused (one walk, not two). */
  plan?: MakefsSize;
  /**
   * Do host I/O — reading the tree's files, writing a host-file image — on a worker thread while
   * the image is laid out (used for trees of a few hundred files or more). Default false: measured as
   * whole processes on a 2-core machine, the thread's start-up and hand-offs cost more CPU than the
   * overlap saves (10,000 small files: about 15% more CPU time and 14 MiB more memory; 600 MiB in
   * 600 files: no faster), so all I/O stays on the calling thread unless asked.
   */
  ioThread?: boolean;
  /**
   * The device reads zeros wherever makefs does not write (a new image file, truncated to its
   * size). Default false. makefs then writes the gaps between the blocks it stages as zeros, in a
   * few large writes instead of one per run of blocks (on a device that held data the gaps are
   * left alone).
   */
  zeroed?: boolean;
  /** Called as entries are written (the fsu CLI draws a bar on a TTY). */
  progress?: (p: MakefsProgress) => void;
}

/** Progress of a makefs run, passed to MakefsOptions.progress. */
export interface MakefsProgress {
  /** Entries (files, directories, links…) written so far / in the tree. */
  entries: number;
  /** Entries in the tree. */
  totalEntries: number;
  /** File bytes written so far / in the tree. */
  bytes: number;
  /** File bytes in the tree. */
  totalBytes: number;
}

/** The image geometry makefsSize computed for a tree (NetBSD makefs's ffs_validate sizing). */
export interface MakefsSize {
  /** Image size in bytes (a multiple of bsize). */
  size: number;
  /** Bytes per inode that gives the tree its inodes. */
  density: number;
  /** Inodes the tree needs (with the requested extra). */
  inodes: number;
  /** Bytes of blocks the tree's files, directories and indirect blocks take. */
  treeBytes: number;
  /** Block size the size was computed for. */
  bsize: number;
  /** Fragment size the size was computed for. */
  fsize: number;
}

/** What makefs built: the newfs geometry plus what was written into it. */
export interface MakefsResult extends NewfsResult {
  /** Entries written (every name but the root), and file bytes. */
  entries: number;
  /** File bytes written. */
  bytes: number;
  /** I/O jobs (file reads into the image, image writes) that ran on the I/O thread; 0 without one. */
  threadJobs: number;
}

/**
 * One host entry, stat'ed once. Only the fields makefs uses are kept — as small numbers here and
 * owners, device number and times in the tree's StatTable (see hoststat.ts: the lstat itself makes
 * no objects) — since ten thousand stat objects kept alive would cost the garbage collector more
 * than the build itself.
 */
interface Node {
  /**
   * The entry's name and host path: strings, or bytes where a name is not valid UTF-8 (copied
   * byte-exact, as NetBSD's makefs does: FFS directory entries are bytes).
   */
  name: HostName;
  path: HostName;
  mode: number;
  nlink: number;
  size: number;
  /** For a file with several names (written once), what its names share; else null. */
  link: LinkGroup | null;
  /** Row of this entry in the StatTable. */
  row: number;
  children: Node[] | null;
  /** A symbolic link's target (bytes where it is not valid UTF-8). */
  target: HostName | null;
  /** Number of this file among those whose bytes are copied (see dataFiles), or -1. */
  data: number;
}

/**
 * The names in the tree of one host file with several links (one `dev:ino`), shared by their
 * Nodes: the walks over the tree mark it instead of keeping a set of `dev:ino` strings each.
 */
interface LinkGroup {
  /** The last walk (see nextWalk) that met the file. */
  walk: number;
  /** The inode made for the file by the build `by`. */
  ip: Inode | null;
  by: object | null;
}

/** Numbers the walks that mark LinkGroups (sizing, numbering the data files). */
let walks = 0;

/** Whether walk `w` meets the file of `link` for the first time (and mark it met). */
function firstMeeting(link: LinkGroup, w: number): boolean {
  if (link.walk === w) return false;
  link.walk = w;
  return true;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const utf8 = new TextEncoder();
const { O_RDONLY } = constants;

/** Owners, device number and times of every entry: a row of STAT_COLS numbers each. */
const T_UID = 0;
const T_GID = 1;
const T_RDEV = 2;
/** Seconds and nanoseconds of atime, mtime, ctime, birthtime from here on. */
const T_TIMES = 3;
const STAT_COLS = 11;

class StatTable {
  f = new Float64Array(STAT_COLS * 1024);
  rows = 0;

  /** Add the entry whose lstat is `st` (a HostStat row). */
  add(st: Float64Array): number {
    const row = this.rows++;
    if (this.rows * STAT_COLS > this.f.length) {
      const g = new Float64Array(this.f.length * 2);
      g.set(this.f);
      this.f = g;
    }
    const f = this.f;
    const o = row * STAT_COLS;
    f[o + T_UID] = st[ST_UID]!;
    f[o + T_GID] = st[ST_GID]!;
    f[o + T_RDEV] = st[ST_RDEV]!;
    for (let i = 0; i < 8; i++) f[o + T_TIMES + i] = st[ST_ATIME + i]!;
    return row;
  }
}

interface ScanCount {
  entries: number;
  bytes: number;
  /** The LinkGroup of every `dev:ino` with several names met so far. */
  seen: Map<string, LinkGroup>;
  stats: StatTable;
  /** The lstat of the entry being scanned (reused: no object per entry). */
  st: Float64Array;
}

/** Read the tree under `dir` (lstat; symlinks are not followed). */
function scan(path: HostName, name: HostName, count: ScanCount): Node {
  const st = count.st;
  let link: LinkGroup | null = null;
  let firstName = true;
  try {
    hostLstat(path, st);
    // The identity of a file with several names, exact (inode numbers can exceed 2^53).
    if (st[ST_NLINK]! > 1 && (st[ST_MODE]! & S_IFMT) !== S_IFDIR) {
      const key = hostLinkKey(path, st);
      link = count.seen.get(key) ?? null;
      firstName = link === null;
      if (link === null) count.seen.set(key, (link = { walk: 0, ip: null, by: null }));
    }
  } catch (e) {
    throw errno('ENOENT', `makefs: ${hostNameText(path)}: ${hostErrorMessage(e)}`);
  }
  const mode = st[ST_MODE]!;
  const node: Node = {
    name, path, mode, nlink: st[ST_NLINK]!, size: st[ST_SIZE]!, link, row: count.stats.add(st), children: null, target: null, data: -1,
  };
  if ((mode & S_IFMT) === S_IFDIR) {
    const names = hostDirNames(path);
    const children: Node[] = (node.children = []);
    const prefix = typeof path !== 'string' ? null : path.endsWith('/') ? path : `${path}/`;
    // Indexed loops on the per-entry paths: a for-of makes an iterator result per step until the
    // code is optimised, garbage a cold process pays for in scavenges.
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      // A name that is not UTF-8 (bytes), or one in a directory whose path is not, makes a byte path.
      const child = prefix !== null && typeof n === 'string' ? prefix + n : joinHostName(path, n);
      // Only a name of more than 85 UTF-16 units can exceed 255 UTF-8 bytes.
      if (n.length > 85 && Buffer.byteLength(n) > 255) throw errno('ENAMETOOLONG', `makefs: ${hostNameText(child)}: name longer than 255 bytes`);
      children.push(scan(child, n, count));
      count.entries++;
    }
  } else if ((mode & S_IFMT) === S_IFLNK) {
    node.target = readTarget(path);
  } else if ((mode & S_IFMT) === S_IFREG) {
    // A file with several names is written once.
    if (firstName) count.bytes += node.size;
  }
  return node;
}

/** A symbolic link's target, as bytes where it is not valid UTF-8 (re-read only when the decoding shows U+FFFD). */
function readTarget(path: HostName): HostName {
  if (typeof path === 'string') {
    const t = readlinkSync(path);
    if (!t.includes('\uFFFD')) return t;
  }
  const b = readlinkSync(path, { encoding: 'buffer' });
  return isUtf8(b) ? b.toString() : b;
}

interface Tree {
  root: Node;
  entries: number;
  bytes: number;
  stats: StatTable;
}

function scanTree(srcDir: string): Tree {
  const count: ScanCount = { entries: 0, bytes: 0, seen: new Map<string, LinkGroup>(), stats: new StatTable(), st: new Float64Array(ST_FIELDS) };
  // The root too may hold escaped bytes (a name that is not UTF-8, given as librump names it).
  const root = scan(hostPathOf(srcDir), '', count);
  if (!root.children) throw errno('ENOTDIR', `makefs: ${nameText(srcDir)} is not a directory`);
  return { root, entries: count.entries, bytes: count.bytes, stats: count.stats };
}

/** Bytes of blocks a file of `size` bytes takes, indirect blocks included (makefs ADDSIZE). */
function fileBytes(size: number, bsize: number, fsize: number, nindir: number): number {
  if (size === 0) return 0;
  const nblk = Math.ceil(size / bsize);
  if (nblk <= UFS_NDADDR) return (nblk - 1) * bsize + Math.ceil((size - (nblk - 1) * bsize) / fsize) * fsize;
  let ind = 0;
  let left = nblk - UFS_NDADDR;
  // Single, double, triple indirect: each level holds nindir pointers per block.
  for (let span = 1, level = 0; level < 3 && left > 0; level++, span *= nindir) {
    const here = Math.min(left, span * nindir);
    let n = Math.ceil(here / nindir);
    for (let l = level; l > 0; l--) {
      n += Math.ceil(n / nindir);
    }
    ind += n;
    left -= here;
  }
  return (nblk + ind) * bsize;
}

/** Directory size: entries packed into 512-byte chunks as ufs_direnter appends them. */
function dirBytes(children: readonly Node[]): number {
  let chunks = 1;
  let used = dirsiz(1) + dirsiz(2);
  for (let i = 0; i < children.length; i++) {
    const need = dirsiz(Buffer.byteLength(children[i]!.name));
    if (used + need > DIRBLKSIZ) {
      chunks++;
      used = 0;
    }
    used += need;
  }
  return chunks * DIRBLKSIZ;
}

/**
 * Fragment tails packed the way ffs_alloccg packs them: a tail of k fragments takes the smallest
 * free run of at least k (cg_frsum), else breaks a new block whose remainder becomes a run. The
 * blocks broken is what the tails really cost — more than their fragments when their sizes do not
 * pack (seven-fragment tails leave a fragment per block that only a one-fragment tail can use).
 */
class TailPacker {
  readonly #frsum: number[];
  blocks = 0;

  constructor(readonly frag: number) {
    this.#frsum = new Array<number>(frag).fill(0);
  }

  add(k: number): void {
    const f = this.#frsum;
    for (let j = k; j < this.frag; j++) {
      if (f[j]! > 0) {
        f[j]!--;
        if (j > k) f[j - k]!++;
        return;
      }
    }
    this.blocks++;
    if (this.frag > k) f[this.frag - k]!++;
  }
}

function treeUsage(node: Node, bsize: number, fsize: number, nindir: number, maxsymlinklen: number): { bytes: number; inodes: number } {
  const w = ++walks;
  let bytes = 0;
  let inodes = 0;
  const frag = bsize / fsize;
  const tails = new TailPacker(frag);
  /** A file's blocks: whole ones counted here, a fragment tail (direct blocks only) packed. */
  const add = (size: number): void => {
    const nblk = Math.ceil(size / bsize);
    const k = Math.ceil((size - (nblk - 1) * bsize) / fsize);
    if (size === 0 || nblk > UFS_NDADDR || k === frag) {
      bytes += fileBytes(size, bsize, fsize, nindir);
      return;
    }
    bytes += (nblk - 1) * bsize;
    tails.add(k);
  };
  const visit = (n: Node): void => {
    const mode = n.mode & S_IFMT;
    if (n.children) {
      inodes++;
      add(dirBytes(n.children));
      for (let i = 0; i < n.children.length; i++) visit(n.children[i]!);
      return;
    }
    if (n.link !== null && !firstMeeting(n.link, w)) return;
    inodes++;
    if (mode === S_IFREG) add(n.size);
    else if (mode === S_IFLNK) {
      const len = Buffer.byteLength(n.target ?? '');
      if (len >= maxsymlinklen) add(len);
    }
  };
  visit(node);
  return { bytes: bytes + tails.blocks * bsize, inodes };
}

function geometry(o: MakefsOptions): { version: 1 | 2; bsize: number; fsize: number; isz: number; nindir: number; maxsymlinklen: number } {
  const version = o.version ?? 2;
  const bsize = o.bsize ?? 8192;
  const fsize = o.fsize ?? (o.bsize ? Math.max(512, o.bsize / 8) : 1024);
  const isz = version === 1 ? 128 : 256;
  return { version, bsize, fsize, isz, nindir: bsize / (version === 1 ? 4 : 8), maxsymlinklen: version === 1 ? 60 : 120 };
}

function sizeOf(tree: { root: Node }, o: MakefsOptions): MakefsSize {
  const g = geometry(o);
  const use = treeUsage(tree.root, g.bsize, g.fsize, g.nindir, g.maxsymlinklen);
  let inodes = use.inodes + UFS_ROOTINO + (o.freeFiles ?? 0);
  if (o.freeFilesPercent) inodes = Math.ceil((inodes * (100 + o.freeFilesPercent)) / 100);
  let data = use.bytes + (o.freeBlocks ?? 0);
  if (o.freeBlocksPercent) data = Math.ceil((data * (100 + o.freeBlocksPercent)) / 100);
  data = Math.ceil((data * (100 + (o.minfree ?? 5))) / 100);
  // Fragments lost to partly used blocks at cg ends and allocation slack: one block per 64.
  data += Math.ceil(data / 64) + 4 * g.bsize;
  // Fixed point: the cg count depends on the size, the overhead on the cg count. A cg holds at
  // most bsize*8 fragments less what its inode map takes; count on half of that.
  let size = data + inodes * g.isz;
  for (let i = 0; i < 8; i++) {
    const ncg = Math.max(1, Math.ceil(size / ((g.bsize * 8 * g.fsize) / 2)));
    const perCg = 8192 + 2 * g.bsize + g.bsize /* inode rounding */ + 2 * g.bsize /* alignment */;
    size = 65536 + 8192 + data + inodes * g.isz + ncg * perCg + Math.ceil((ncg * 16) / g.fsize) * g.fsize;
  }
  size = Math.ceil(size / g.bsize) * g.bsize;
  // newfs gives each group ceil(group bytes / density) inodes: this density gives at least `inodes`.
  let density = o.density ?? Math.max(512, Math.floor(size / inodes));
  if (density * inodes > size && o.density === undefined) size = Math.ceil((density * inodes) / g.bsize) * g.bsize;
  ({ size, density } = fitLayout(g, size, inodes, density, { growSize: true, fixedDensity: o.density !== undefined }));
  return { size, density, inodes, treeBytes: use.bytes, bsize: g.bsize, fsize: g.fsize };
}

/**
 * Check a size and density against newfs's own layout, which can give fewer inodes or bytes than
 * planned: groups shrink until their maps fit a block, and a last group too short for its inodes
 * is dropped. Lower the density until the inodes fit (unless it was given), and — when the size
 * is ours to choose — grow it so that no group is dropped.
 */
function fitLayout(
  g: ReturnType<typeof geometry>, size: number, inodes: number, density: number, o: { growSize: boolean; fixedDensity: boolean },
): { size: number; density: number } {
  for (let i = 0; i < 32; i++) {
    let ng: ReturnType<typeof newfsGeometry>;
    try {
      ng = newfsGeometry(g.version, size, g.bsize, g.fsize, density);
    } catch {
      break; // newfs itself will say what is wrong
    }
    if (o.growSize && ng.size * g.fsize < size - g.bsize) {
      size = Math.ceil((size + (ng.dblkno + 2 * (g.bsize / g.fsize)) * g.fsize) / g.bsize) * g.bsize;
      continue;
    }
    if (ng.ncg * ng.ipg < inodes && !o.fixedDensity && density > 512) {
      density = Math.max(512, Math.floor((density * ng.ncg * ng.ipg) / inodes) - 64);
      continue;
    }
    break;
  }
  return { size, density };
}

/** Scans kept for makefs by the sizes computed from them. */
const scans = new WeakMap<MakefsSize, { srcDir: string; tree: Tree; io: MakefsIo | null; freeFiles: [number, number] }>();

/** An I/O thread left unused by a makefsSize() whose makefs() never came is stopped after this. */
const IDLE_IO_MS = 60_000;

/** Start an I/O thread now (before the scan, so its start-up overlaps it) if makefs may use one. */
function startIo(opts: MakefsOptions): MakefsIo | null {
  return (opts.ioThread ?? false) ? new MakefsIo() : null;
}

/** Keep `io` only for a tree with enough files to be worth it. */
function keepIo(io: MakefsIo | null, tree: Tree): MakefsIo | null {
  if (io && dataFiles(tree.root).length < IO_THREAD_MIN_FILES) {
    io.close();
    return null;
  }
  return io;
}

/** The image size (and inode density) makefs would use for `srcDir` with `opts` (NetBSD makefs's ffs_validate). */
export function makefsSize(srcDir: string, opts: MakefsOptions = {}): MakefsSize {
  let io = startIo(opts);
  let tree: Tree;
  try {
    tree = scanTree(srcDir);
  } catch (e) {
    io?.close();
    throw e;
  }
  io = keepIo(io, tree);
  const s = sizeOf(tree, opts);
  scans.set(s, { srcDir, tree, io, freeFiles: [opts.freeFiles ?? 0, opts.freeFilesPercent ?? 0] });
  if (io) {
    const idle = io;
    setTimeout(() => {
      if (!idle.begun) idle.close();
    }, IDLE_IO_MS).unref();
  }
  return s;
}

interface Build {
  ump: Ufsmount;
  time: number;
  progress: MakefsProgress;
  report: ((p: MakefsProgress) => void) | undefined;
  lastReport: number;
  stage: StagingDevice;
  reader: HostReader;
  stats: StatTable;
}

/** Number the files whose bytes makefs copies (a regular file with bytes, at its first name) and list their paths. */
function dataFiles(root: Node): HostName[] {
  const out: HostName[] = [];
  const w = ++walks;
  const visit = (n: Node): void => {
    const children = n.children ?? [];
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (c.children) {
        visit(c);
        continue;
      }
      if ((c.mode & S_IFMT) !== S_IFREG || c.size === 0) continue;
      if (c.link !== null && !firstMeeting(c.link, w)) continue;
      c.data = out.length;
      out.push(c.path);
    }
  };
  visit(root);
  return out;
}

/** Host times and owners onto a dinode (into its own time records: no objects made). */
function setAttrs(b: Build, din: Dinode, n: Node): void {
  const f = b.stats.f;
  const o = n.row * STAT_COLS;
  din.uid = f[o + T_UID]! >>> 0;
  din.gid = f[o + T_GID]! >>> 0;
  const t = o + T_TIMES;
  setTime(din.atime, f[t]!, f[t + 1]!);
  setTime(din.mtime, f[t + 2]!, f[t + 3]!);
  setTime(din.ctime, f[t + 4]!, f[t + 5]!);
  if (b.ump.ufs2) setTime(din.birthtime, f[t + 6]!, f[t + 7]!);
  else setTime(din.birthtime, 0, 0);
}

function setTime(ts: Timespec, sec: number, nsec: number): void {
  ts.sec = sec;
  ts.nsec = nsec;
}

function newInode(b: Build, parent: Inode, mode: number, nlink: number): Inode {
  const ump = b.ump;
  const ino = ffs_valloc(parent, (mode & S_IFMT) === S_IFDIR);
  const din = emptyDinode(ump.ufs2);
  din.mode = mode;
  din.nlink = nlink;
  din.gen = ump.nextgen = (ump.nextgen + 1) & 0x7fffffff || 1;
  const ip = new Inode(ump, ino, din);
  ip.dirty = true;
  ip.fresh = true;
  return ip;
}

/**
 * Reads host files into their staged runs. One per build, its two functions made once: copying a
 * file makes no closures (ten thousand files would make thirty thousand, garbage a cold process
 * pays for in scavenges).
 */
class HostReader {
  fd = -1;
  path: HostName = '';
  /** File offset of the run being staged. */
  runOff = 0;

  constructor(readonly stage: StagingDevice) {}

  /** ffs_place's report of a run: stage it, its bytes read from the host file straight into place. */
  readonly put = (fileOff: number, devOff: number, len: number, padded: number): void => {
    this.runOff = fileOff;
    this.stage.stageFill(devOff, len, padded, this.fill);
  };

  /** stageFill's fill: the run's bytes `done`.. into dst[at..]. */
  readonly fill = (dst: Uint8Array, at: number, done: number, n: number): void => {
    readFull(this.fd, dst, at, n, this.runOff + done, this.path);
  };
}

/** Copy a host file into `ip`, a buffer at a time. */
function copyData(b: Build, ip: Inode, n: Node): void {
  const size = n.size;
  if (size === 0) return;
  const stage = b.stage;
  if (stage.stagesHost && n.data >= 0) {
    // The I/O thread reads the file straight into its place in the image.
    ffs_place(ip, size, (fileOff, devOff, len, padded) => stage.stageHost(n.data, fileOff, devOff, len, padded));
    b.progress.bytes += size;
    return;
  }
  const r = b.reader;
  try {
    r.fd = openSync(n.path, O_RDONLY);
  } catch (e) {
    throw errno('EIO', `makefs: ${hostNameText(n.path)}: ${(e as Error).message}`);
  }
  try {
    // The blocks are placed as ffs_write would place them, and each run of them is read from the
    // host file straight into its staged chunk (no copy through a buffer).
    r.path = n.path;
    ffs_place(ip, size, r.put);
    b.progress.bytes += size;
  } finally {
    closeSync(r.fd);
    r.fd = -1;
  }
}

/** Read exactly `len` bytes at `pos` of host file `fd` into dst[at..]; a file that shrank is EIO. */
function readFull(fd: number, dst: Uint8Array, at: number, len: number, pos: number, path: HostName): void {
  let got = 0;
  while (got < len) {
    const r = readSync(fd, dst, at + got, len - got, pos + got);
    if (r <= 0) throw errno('EIO', `makefs: ${hostNameText(path)}: file shrank while being read`);
    got += r;
  }
}

function tick(b: Build): void {
  b.progress.entries++;
  if (!b.report) return;
  const now = Date.now();
  if (now - b.lastReport >= 100 || b.progress.entries === b.progress.totalEntries) {
    b.lastReport = now;
    b.report({ ...b.progress });
  }
}

/**
 * The bytes of a directory holding `.` (`self`), `..` (`parent`) and `names` → `inos` (d_type
 * `types`), packed into DIRBLKSIZ chunks in order as ufs_direnter appends them to a directory that
 * only grows: each entry takes DIRSIZ bytes, the last of a chunk stretches to its end.
 */
function dirData(ump: Ufsmount, self: number, parent: number, names: readonly HostName[], inos: readonly number[], types: readonly number[]): Uint8Array {
  // A name given as bytes is written as they are (the scan kept it to 255).
  const lens = names.map((name) => (typeof name === 'string' ? nameLen(name) : name.length));
  let chunks = 1;
  let used = dirsiz(1) + dirsiz(2);
  for (let i = 0; i < lens.length; i++) {
    const need = dirsiz(lens[i]!);
    if (used + need > DIRBLKSIZ) {
      chunks++;
      used = 0;
    }
    used += need;
  }
  const out = new Uint8Array(chunks * DIRBLKSIZ);
  const dv = new DataView(out.buffer);
  const le = ump.le;
  const newfmt = ump.dtype;
  const dtDir = newfmt ? S_IFDIR >>> 12 : 0;
  // The entry written last is rewritten with its final d_reclen once the next one is placed.
  let prev = -1;
  let prevName: HostName = '';
  let prevLen = 0;
  let prevIno = 0;
  let prevType = 0;
  let off = 0;
  const encode = (at: number, ino: number, reclen: number, type: number, name: HostName, len: number): void => {
    if (typeof name === 'string') encodeDirectName(out, dv, at, le, newfmt, ino, reclen, type, name, len);
    else encodeDirect(out, dv, at, le, newfmt, ino, reclen, type, name);
  };
  const put = (name: HostName, len: number, ino: number, type: number): void => {
    const need = dirsiz(len);
    const chunkEnd = Math.floor(off / DIRBLKSIZ) * DIRBLKSIZ + DIRBLKSIZ;
    if (off + need > chunkEnd) {
      encode(prev, prevIno, chunkEnd - prev, prevType, prevName, prevLen);
      off = chunkEnd;
    }
    encode(off, ino, need, type, name, len);
    prev = off;
    prevName = name;
    prevLen = len;
    prevIno = ino;
    prevType = type;
    off += need;
  };
  put('.', 1, self, dtDir);
  put('..', 2, parent, dtDir);
  for (let i = 0; i < names.length; i++) put(names[i]!, lens[i]!, inos[i]!, newfmt ? types[i]! : 0);
  encode(prev, prevIno, out.length - prev, prevType, prevName, prevLen);
  return out;
}

/** Add `c.path` to an error met while making entry `c`. */
function withPath(e: unknown, c: Node): unknown {
  const shown = hostNameText(c.path);
  if (isRumpError(e) && !e.message.includes(shown)) return errno(e.code, `makefs: ${shown}: ${e.message}`, { cause: e });
  return e;
}

/**
 * Make the entries of directory `n` in the in-core directory `dp` (whose parent is `parent`), as
 * NetBSD's makefs populates a directory: an inode for every entry first, then the directory's
 * bytes written whole (no per-name insert, lookup or hash), then each entry's contents in order.
 */
function fillDir(b: Build, dp: Inode, n: Node, parent: number): void {
  const ump = b.ump;
  const children = n.children ?? [];
  // Each entry's inode; null for a further name of a file made before.
  const made: (Inode | null)[] = [];
  const names: HostName[] = [];
  const inos: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    const mode = c.mode;
    const fmt = mode & S_IFMT;
    try {
      const link = c.link;
      const prior = link !== null && link.by === b ? link.ip : null;
      let ip: Inode | null;
      if (c.children) {
        ip = newInode(b, dp, S_IFDIR | (mode & 0o7777), 2);
        dp.din.nlink++;
      } else if (prior) {
        prior.din.nlink++;
        prior.dirty = true;
        ffs_update(prior);
        ip = null;
      } else {
        ip = newInode(b, dp, mode & 0o177777, 1);
        if (link !== null) {
          link.ip = ip;
          link.by = b;
        }
      }
      made.push(ip);
      names.push(c.name);
      inos.push(ip ? ip.ino : prior!.ino);
      types.push(fmt >>> 12);
    } catch (e) {
      throw withPath(e, c);
    }
  }
  // A directory that grows by whole chunks needs no zeroing past its size: ffs_write writes it all.
  ffs_write(dp, dirData(ump, dp.ino, parent, names, inos, types), 0);
  dp.dirhash = null;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    const ip = made[i]!;
    if (ip === null) {
      tick(b);
      continue;
    }
    const fmt = c.mode & S_IFMT;
    try {
      if (c.children) {
        setAttrs(b, ip.din, c);
        tick(b);
        fillDir(b, ip, c, dp.ino);
        setAttrs(b, ip.din, c);
        ip.dirty = true;
        ffs_update(ip);
        continue;
      }
      if (fmt === S_IFREG) {
        copyData(b, ip, c);
      } else if (fmt === S_IFLNK) {
        const t = typeof c.target === 'string' || c.target === null ? utf8.encode(c.target ?? '') : c.target;
        if (t.length < ump.maxsymlinklen) {
          ip.din.shortlink.set(t);
          ip.din.size = t.length;
        } else {
          ffs_write(ip, t, 0);
        }
      } else if (fmt === 0o020000 || fmt === 0o060000) {
        // di_rdev = di_db[0], NetBSD's dev_t (major << 8 | minor, wider parts above).
        const rdev = b.stats.f[c.row * STAT_COLS + T_RDEV]!;
        const maj = Math.floor(rdev / 256) & 0xfff;
        const min = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
        ip.din.db[0] = (((maj << 8) & 0xfff00) | ((min << 12) & 0xfff00000) | (min & 0xff)) >>> 0;
      }
      setAttrs(b, ip.din, c);
      ffs_update(ip);
      tick(b);
    } catch (e) {
      throw withPath(e, c);
    }
  }
}

/**
 * Build an FFS image of `srcDir` on `dev`: newfs, then every entry of the tree (files, directories,
 * symlinks, hard links, devices, fifos) with the host's modes, owners and times.
 */
export function makefs(dev: BlockDevice, srcDir: string, opts: MakefsOptions = {}): MakefsResult {
  const found = opts.plan ? scans.get(opts.plan) : undefined;
  const planned = found && found.srcDir === srcDir ? found : undefined;
  let io: MakefsIo | null;
  let tree: Tree;
  if (planned) {
    tree = planned.tree;
    // The plan's I/O thread serves one build (another build with the plan starts its own below).
    io = planned.io && !planned.io.begun ? planned.io : null;
    planned.io = null;
  } else {
    io = startIo(opts);
    try {
      tree = scanTree(srcDir);
    } catch (e) {
      io?.close();
      throw e;
    }
  }
  try {
    // Host files are read, and the image written, on the I/O thread while the file system is
    // built; a few files, or an image that is not a host file, are not worth it.
    // (Only a build that may use the thread numbers the files: dataFiles walks the whole tree.)
    const mayThread = io !== null || (opts.ioThread ?? false);
    const files = mayThread ? dataFiles(tree.root) : [];
    const worth = mayThread && files.length >= IO_THREAD_MIN_FILES && isHostBacked(dev) && !dev.readonly && dev.secsize >= 512 && CHUNK % dev.secsize === 0;
    if (io && !worth) {
      io.close();
      io = null;
    } else if (!io && worth && planned) {
      io = startIo(opts);
    }
    if (io && isHostBacked(dev)) io.begin(files, dev);
    // The plan counted the tree's inodes (with the same extra): no second walk to count them again.
    const sameExtra = planned !== undefined && planned.freeFiles[0] === (opts.freeFiles ?? 0) && planned.freeFiles[1] === (opts.freeFilesPercent ?? 0);
    return build(dev, srcDir, tree, opts, io, sameExtra ? opts.plan?.inodes : undefined);
  } finally {
    io?.close();
  }
}


function build(dev: BlockDevice, srcDir: string, tree: Tree, opts: MakefsOptions, io: MakefsIo | null, plannedInodes: number | undefined): MakefsResult {
  const g = geometry(opts);
  let size = opts.size;
  let density = opts.density;
  if (size === undefined) {
    const s = sizeOf(tree, opts);
    size = s.size;
    density = s.density;
    if (size > dev.size) throw errno('ENOSPC', `makefs: ${srcDir} needs an image of ${size} bytes; the device has ${dev.size}`);
  } else if (density === undefined) {
    const inodes = Math.max(1, plannedInodes ?? sizeOf(tree, opts).inodes);
    density = fitLayout(g, size, inodes, Math.max(512, Math.floor(size / inodes)), { growSize: false, fixedDensity: false }).density;
  }
  const time = opts.time ?? Math.floor(Date.now() / 1000);
  // Everything, newfs's metadata included, is gathered into large device writes. Like NetBSD's
  // makefs, the image is not synced to stable storage: the caller flushes the device if it must.
  // Without the thread, 8 chunks staged at once (the tree is written directory by directory, so
  // few chunks are live at a time): memory stays small. With fewer, one-fragment tails that the
  // allocator packs into the holes of chunks already sent cost a host write each (10,000 small
  // files: some 2,000 writes with 4 chunks, 400 with 8).
  const wdev = new StagingDevice(dev, { hostSync: false, zeroed: opts.zeroed ?? false, ...(io ? { store: io } : { maxBytes: STAGED_BYTES }) });
  const nf = newfs(wdev, {
    version: g.version, endian: opts.endian ?? 'le', size, bsize: g.bsize, fsize: g.fsize, density, minfree: opts.minfree ?? 5,
    volname: opts.volname ?? '', time,
  });
  const cache = new BufCache({ maxbytes: 256 * 1024 * 1024 });
  const ump = Ufsmount.open(wdev, cache);
  ump.loadCs();
  ump.ronly = false;
  ump.async = true; // a fresh image: no crash ordering (NetBSD's makefs writes without it too)
  const root = ffs_iget(ump, UFS_ROOTINO);
  // makefs puts exactly the tree on the image: newfs's lost+found goes.
  const lf = ffs_iget(ump, 3);
  ffs_dirremove(root, 'lost+found');
  root.din.nlink--;
  ffs_truncate(lf, 0);
  Object.assign(lf.din, emptyDinode(ump.ufs2));
  lf.dirty = true;
  lf.fresh = true;
  ffs_update(lf);
  ffs_vfree(ump, 3, true);
  const b: Build = {
    ump, time, lastReport: 0, report: opts.progress, stage: wdev, reader: new HostReader(wdev), stats: tree.stats,
    progress: { entries: 0, totalEntries: tree.entries, bytes: 0, totalBytes: tree.bytes },
  };
  fillDir(b, root, tree.root, UFS_ROOTINO);
  setAttrs(b, root.din, tree.root);
  root.din.mode = S_IFDIR | (tree.root.mode & 0o7777);
  root.dirty = true;
  ffs_update(root);
  ump.fs.time = time;
  ump.sbupdate();
  cache.flush(wdev);
  cache.invalidate(wdev);
  wdev.drain();
  if (b.report && b.progress.entries === 0) b.report({ ...b.progress });
  return { ...nf, entries: b.progress.entries, bytes: b.progress.bytes, threadJobs: io?.threadJobs ?? 0 };
}
