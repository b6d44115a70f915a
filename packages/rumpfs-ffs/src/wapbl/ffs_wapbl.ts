/**
 * FFS and its log (ffs_wapbl.c, the facts only): on a read-write MNT_LOG mount find the log the
 * superblock names or make one where NetBSD would — after the file system on the partition if the
 * room there is at least the desired size (fs bytes / 1024, clamped to [1 MiB, 64 MiB]), else as a
 * contiguous in-filesystem log file (a regular inode with SF_LOG, mode 0, nlink 1, no name; its
 * indirect blocks first, then the data) — set FS_DOWAPBL and route metadata through the log. A clean
 * stop commits, checkpoints, empties the log and clears FS_DOWAPBL.
 */
import { S_IFREG, errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { ffs_alloc, ffs_blkfree, ffs_deferred_free, ffs_valloc } from '../alloc.js';
import { setIndirPtr } from '../balloc.js';
import { Inode, ffs_iget, ffs_update } from '../inode.js';
import { emptyDinode } from '../ondisk/dinode.js';
import { FS_DOWAPBL, FS_FLAGS_UPDATED } from '../ondisk/fs.js';
import { UFS_NDADDR, UFS_ROOTINO, blkstofrags, cgbase, fsbtob } from '../ondisk/geometry.js';
import { isblock } from '../cgmap.js';
import type { Ufsmount } from '../ufsmount.js';
import { Wapbl, type WapblFsHooks, type WapblLogExtent } from './wapbl.js';
import {
  SF_LOG, UFS_WAPBL_JOURNALLOC_END_PARTITION, UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM, UFS_WAPBL_VERSION, currentHeader, decodeHeader, decodeJournalLoc,
  encodeJournalLoc, journalExtent,
} from './wapbl_log.js';

export const UFS_WAPBL_MIN_JOURNAL_SIZE = 1024 * 1024;
export const UFS_WAPBL_MAX_JOURNAL_SIZE = 64 * 1024 * 1024;
export const UFS_WAPBL_JOURNAL_SCALE = 1024;
export { SF_LOG };

function desiredLogSize(bytes: number): number {
  return Math.min(Math.max(Math.floor(bytes / UFS_WAPBL_JOURNAL_SCALE), UFS_WAPBL_MIN_JOURNAL_SIZE), UFS_WAPBL_MAX_JOURNAL_SIZE);
}

/** The generation after the newest valid header of an existing log (0 for a fresh one). */
function nextGeneration(dev: BlockDevice, ext: WapblLogExtent): number {
  try {
    const b0 = new Uint8Array(ext.blksize);
    const b1 = new Uint8Array(ext.blksize);
    dev.read(b0, ext.offset);
    dev.read(b1, ext.offset + ext.blksize);
    const h = currentHeader(decodeHeader(b0), decodeHeader(b1), ext.length);
    return (h.generation + 1) >>> 0;
  } catch {
    return 0;
  }
}

/** Blocks of indirection a contiguous file of `nblk` data blocks needs (NetBSD puts them first). */
function indirBlocks(nblk: number, nindir: number): { single: number; double: number; under: number } {
  if (nblk <= UFS_NDADDR) return { single: 0, double: 0, under: 0 };
  if (nblk <= UFS_NDADDR + nindir) return { single: 1, double: 0, under: 0 };
  const rest = nblk - UFS_NDADDR - nindir;
  if (rest > nindir * nindir) throw errno('EFBIG', 'wapbl: log file would need triple indirect blocks');
  return { single: 1, double: 1, under: Math.ceil(rest / nindir) };
}

/**
 * wapbl_find_log_start: from the middle cylinder group outwards, the first run of `want` free
 * blocks, else the longest one seen. Returns [first fragment, blocks].
 */
function findExtent(ump: Ufsmount, want: number): [number, number] {
  const fs = ump.fs;
  const bpcg = fs.fpg / fs.frag;
  let best: [number, number] = [0, 0];
  for (let cg = Math.floor(fs.ncg / 2), s = 0, n = 1; best[1] < want && cg >= 0 && cg < fs.ncg; s++, n = -n, cg += n * s) {
    const h = ump.cgget(cg);
    try {
      const freeoff = h.cgp.get('freeoff');
      const nblk = Math.floor(h.cgp.get('ndblk') / fs.frag);
      for (let b = 0; b < Math.min(bpcg, nblk); ) {
        if (!isblock(fs, h.cgp, freeoff, b)) {
          b++;
          continue;
        }
        const start = b;
        while (b < nblk && isblock(fs, h.cgp, freeoff, b)) b++;
        if (b - start > best[1]) best = [cgbase(fs, cg) + blkstofrags(fs, start), b - start];
        if (best[1] >= want) break;
      }
    } finally {
      ump.cgput(h, false);
    }
  }
  return best;
}

/** Where a new in-filesystem log goes: its first fragment, data blocks and indirect blocks. */
interface InfsPlan {
  start: number;
  nblk: number;
  ind: { single: number; double: number; under: number };
  total: number;
}

/** wapbl_create_infs_log's choice of place and size, without writing anything (ENOSPC if none fits). */
function planInfsLog(ump: Ufsmount): InfsPlan {
  const fs = ump.fs;
  if (fs.cs_nifree <= 0) throw errno('ENOSPC', 'wapbl: no free inode for the log file');
  let nblk = Math.floor(desiredLogSize(fs.dsize * fs.fsize) / fs.bsize);
  let ind = indirBlocks(nblk, fs.nindir);
  let total = nblk + ind.single + ind.double + ind.under;
  const [start, got] = findExtent(ump, total);
  if (got < total) {
    // As NetBSD: a smaller log when space is tight, down to a quarter of the desired size.
    const min = Math.floor(total / 4);
    if (got < Math.max(min, 8)) throw errno('ENOSPC', `wapbl: no contiguous free space for the log (largest run ${got} blocks, need ${min})`);
    nblk = got;
    do {
      nblk--;
      ind = indirBlocks(nblk, fs.nindir);
      total = nblk + ind.single + ind.double + ind.under;
    } while (total > got);
  }
  return { start, nblk, ind, total };
}

/**
 * wapbl_create_infs_log: a log file inode with contiguous blocks (as planned), written home before
 * logging starts. Returns the extent of its data and its inode number.
 */
function createInfsLog(ump: Ufsmount, plan: InfsPlan): { ext: WapblLogExtent; ino: number } {
  const fs = ump.fs;
  const ss = ump.dev.secsize;
  const { start, nblk, ind, total } = plan;
  const root = ffs_iget(ump, UFS_ROOTINO);
  const ino = ffs_valloc(root, false);
  const din = emptyDinode(ump.ufs2);
  const now = Date.now();
  const ts = { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 };
  din.mode = S_IFREG;
  din.nlink = 1;
  din.flags = SF_LOG;
  din.atime = { ...ts };
  din.mtime = { ...ts };
  din.ctime = { ...ts };
  din.birthtime = ump.ufs2 ? { ...ts } : { sec: 0, nsec: 0 };
  din.gen = ump.nextgen = (ump.nextgen + 1) & 0x7fffffff || 1;
  const ip = new Inode(ump, ino, din);
  ip.dirty = true;
  ip.fresh = true;
  // Take exactly the blocks of the run, in order; anything else means the run was not free.
  const addrs: number[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const want = start + i * fs.frag;
      const a = ffs_alloc(ip, want, fs.bsize);
      addrs.push(a);
      if (a !== want) throw errno('ENOSPC', `wapbl: log block ${i} landed at ${a}, not ${want}`);
    }
  } catch (e) {
    for (const a of addrs) ffs_blkfree(ump, a, fs.bsize);
    din.mode = 0;
    din.nlink = 0;
    throw e;
  }
  const nind = ind.single + ind.double + ind.under;
  const data = addrs.slice(nind);
  const indir = (addr: number, ptrs: number[]): void => {
    const bp = ump.bio.getblk(fsbtob(fs, addr), fs.bsize);
    bp.data.fill(0);
    const dv = new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength);
    ptrs.forEach((p, i) => setIndirPtr(ip, dv, i, p));
    ump.bio.bdwrite(bp);
  };
  for (let i = 0; i < Math.min(UFS_NDADDR, nblk); i++) din.db[i] = data[i] ?? 0;
  if (ind.single) {
    din.ib[0] = addrs[0] ?? 0;
    indir(din.ib[0], data.slice(UFS_NDADDR, UFS_NDADDR + fs.nindir));
  }
  if (ind.double) {
    din.ib[1] = addrs[1] ?? 0;
    const under = addrs.slice(2, 2 + ind.under);
    indir(din.ib[1], under);
    under.forEach((a, k) => {
      const from = UFS_NDADDR + fs.nindir + k * fs.nindir;
      indir(a, data.slice(from, from + fs.nindir));
    });
  }
  din.size = nblk * fs.bsize;
  ffs_update(ip);
  const first = data[0] ?? 0;
  return { ext: { offset: fsbtob(fs, first), length: nblk * fs.bsize, blksize: ss }, ino };
}

/** Where the log of a mount will be (ffs_wapbl_plan): the one the superblock names, or a new one. */
export type LogPlan =
  | { kind: 'existing'; ext: WapblLogExtent; generation: number }
  | { kind: 'end'; ext: WapblLogExtent }
  | { kind: 'infs'; infs: InfsPlan };

/**
 * ffs_wapbl_start's decisions, without writing anything, so a mount can refuse before it changes
 * the image: EINVAL for a UFS1 superblock in the old layout, EFTYPE for a log the superblock names
 * that does not fit the device, ENOSPC when an in-filesystem log has no room.
 */
export function ffs_wapbl_plan(ump: Ufsmount): LogPlan {
  const fs = ump.fs;
  const dev = ump.dev;
  if (fs.ufsVersion === 1 && (fs.old_flags & FS_FLAGS_UPDATED) === 0) throw errno('EINVAL', 'ffs: fs superblock in old format, not journaling');
  const j = decodeJournalLoc(ump.sbraw);
  if (j.version === UFS_WAPBL_VERSION && (j.location === UFS_WAPBL_JOURNALLOC_END_PARTITION || j.location === UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM)) {
    const ext = journalExtent(j, dev.size);
    return { kind: 'existing', ext, generation: nextGeneration(dev, ext) };
  }
  const fsbytes = fs.size * fs.fsize;
  const ss = dev.secsize;
  const logstart = Math.ceil(fsbytes / ss) * ss;
  if (dev.size - logstart >= desiredLogSize(fsbytes)) {
    return { kind: 'end', ext: { offset: logstart, length: Math.floor((dev.size - logstart) / ss) * ss, blksize: ss } };
  }
  return { kind: 'infs', infs: planInfsLog(ump) };
}

/**
 * ffs_wapbl_start for a read-write mount with MNT_LOG. EINVAL (the caller clears MNT_LOG) for a UFS1
 * superblock in the old layout. `hooks` brings in-core changes into a commit and lists unlinked
 * inodes in use; `plan` is ffs_wapbl_plan's answer (made here if not given).
 */
export function ffs_wapbl_start(ump: Ufsmount, hooks: WapblFsHooks, printf: (line: string) => void, plan?: LogPlan): Wapbl {
  const fs = ump.fs;
  const dev = ump.dev;
  if (ump.wapbl) return ump.wapbl;
  if (fs.ufsVersion === 1 && (fs.old_flags & FS_FLAGS_UPDATED) === 0) {
    printf('ffs: fs superblock in old format, not journaling');
    throw errno('EINVAL', 'ffs: fs superblock in old format, not journaling');
  }
  const p = plan ?? ffs_wapbl_plan(ump);
  let ext: WapblLogExtent;
  let generation = 0;
  if (p.kind === 'existing') {
    ext = p.ext;
    generation = p.generation;
  } else {
    const j = decodeJournalLoc(ump.sbraw);
    const ss = dev.secsize;
    if (p.kind === 'end') {
      ext = p.ext;
      j.location = UFS_WAPBL_JOURNALLOC_END_PARTITION;
      j.locs = [ext.offset / ss, ext.length / ss, ss, 0];
    } else {
      const made = createInfsLog(ump, p.infs);
      ext = made.ext;
      j.location = UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM;
      j.locs = [ext.offset / ss, ext.length / ss, ss, made.ino];
    }
    j.version = UFS_WAPBL_VERSION;
    j.flags = 0;
    encodeJournalLoc(ump.sbraw, j);
    fs.journal_version = j.version;
    fs.journal_location = j.location;
  }
  // Everything so far (a new log file, the summaries) goes home before the log takes over.
  ump.bio.flush();
  const fsid: [number, number] = [fs.id0, new DataView(ump.sbraw.buffer, ump.sbraw.byteOffset).getInt32(148, fs.le)];
  // Frees deferred during the transaction are carried out first, inside the commit (ffs_wapbl_sync_metadata).
  const logHooks: WapblFsHooks = {
    syncMetadata: () => {
      ffs_deferred_free(ump);
      hooks.syncMetadata();
    },
    unlinked: () => hooks.unlinked(),
  };
  const w = new Wapbl(dev, ump.bio.cache, ext, fsid, generation, logHooks, printf);
  w.init();
  fs.flags |= FS_DOWAPBL;
  ump.sbupdate();
  dev.flush();
  // From here on metadata goes through the log: drop the cache's buffers of the bare device.
  ump.bio.cache.invalidate(dev, { save: true });
  ump.bio.dev = w.dev;
  ump.bio.log = w;
  ump.wapbl = w;
  return w;
}

/** ffs_wapbl_stop: commit and checkpoint everything, leave an empty log, clear FS_DOWAPBL (superblock written). */
export function ffs_wapbl_stop(ump: Ufsmount): void {
  const w = ump.wapbl;
  if (!w) return;
  w.stop();
  ump.bio.cache.invalidate(w.dev, { save: false });
  ump.bio.dev = ump.dev;
  ump.bio.log = null;
  ump.wapbl = null;
  ump.dirtyInodes.clear();
  ump.fs.flags &= ~FS_DOWAPBL;
  ump.sbupdate();
  ump.dev.flush();
}
