/**
 * Pass 1 — blocks and sizes (fsck_ffs pass1.c): read every inode, check its type and size, claim
 * every fragment its pointers map in the block map (duplicates noted for pass 1b; pointers outside
 * the data area are bad and mark the inode for clearing), and check di_blocks against what the
 * pointers hold. The areas no inode may own — boot block, superblocks, cg headers, inode blocks,
 * the summary array — are claimed first.
 */
import { MAXPATHLEN } from '@rumpts/librump';
import { cgInvalid } from '../../cgcheck.js';
import { CgView } from '../../ondisk/cg.js';
import { FS_KNOWN_FLAGS } from '../../ondisk/fs.js';
import { type Dinode, UFS1_SHORTLINK, UFS2_SHORTLINK } from '../../ondisk/dinode.js';
import {
  DEV_BSIZE, DIRBLKSIZ, UFS_NDADDR, UFS_ROOTINO, cgbase, cgdmin, cgimin, cgsblock, cgtod, dinodeSize, fragroundup, fsbtob, indirectSpans,
} from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, FCLEAR, FSTATE, type FsckContext } from './context.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const KNOWN = new Set([0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000]);
/**
 * MAXBAD: after this many bad pointers an inode's bad blocks are no longer reported one by one. The
 * walk itself goes on: every pointer in range is claimed, since clearing the inode later gives back
 * exactly the pointers in range (pass 4's clri), and a block given back that was never claimed would
 * be another file's block marked free.
 */
const MAXBAD = 10;

/** Claim the file system's own areas (pass1.c "reserved blocks") so no inode may own them. */
function claimReserved(ctx: FsckContext): void {
  const fs = ctx.fs;
  for (let c = 0; c < fs.ncg; c++) {
    const from = c === 0 ? cgbase(fs, 0) : cgsblock(fs, c);
    const to = Math.min(cgdmin(fs, c), fs.size);
    for (let f = from; f < to; f++) ctx.bmap[f] = 1;
  }
  const cs = Math.ceil(fs.cssize / fs.fsize);
  for (let f = fs.csaddr; f < fs.csaddr + cs && f < fs.size; f++) ctx.bmap[f] = (ctx.bmap[f] ?? 0) + 1;
}

/** The largest file size the pointers can map. */
function maxMapped(ctx: FsckContext): number {
  const [a, b, c] = indirectSpans(ctx.fs);
  return (UFS_NDADDR + a + b + c) * ctx.fs.bsize;
}

/**
 * cg_initediblk of every group (UFS2); a group whose header fails the kernel's checks (cgcheck.ts)
 * is not trusted for it and read whole (the header is pass 5's to rebuild).
 */
function readInited(ctx: FsckContext): void {
  const fs = ctx.fs;
  for (let c = 0; c < fs.ncg; c++) {
    let n = fs.ipg;
    if (ctx.ufs2) {
      const size = fragroundup(fs, fs.cgsize);
      const cgp = new CgView(ctx.read(fsbtob(fs, cgtod(fs, c)), size), ctx.le);
      if (cgInvalid(fs, cgp, c, size) === null) n = cgp.get('initediblk');
    }
    ctx.inited.push(n);
  }
}

/** Is an unallocated inode not all clear (NetBSD's "PARTIALLY ALLOCATED INODE")? */
function partlyAllocated(din: Dinode): boolean {
  return din.size !== 0 || din.db.some((a) => a !== 0) || din.ib.some((a) => a !== 0);
}

/**
 * Zero the pointers inside `din`'s indirect blocks that map past di_size (iblock's "PARTIALLY
 * TRUNCATED INODE" fix); what they held is not claimed, so pass 5 frees it. Bounded by the three
 * levels of fs_nindir pointers; blocks outside the data area are not read.
 */
function zeroPastEnd(ctx: FsckContext, din: Dinode): void {
  const fs = ctx.fs;
  const spans = indirectSpans(fs);
  const visit = (addr: number, level: number, first: number): void => {
    if (ctx.badRange(addr, fs.frag)) return;
    const off = fsbtob(fs, addr);
    const b = ctx.read(off, fs.bsize);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const span = level === 0 ? 1 : spans[level - 1]!;
    let changed = false;
    for (let i = 0; i < fs.nindir; i++) {
      const p = ctx.indirPtr(dv, i);
      if (p === 0) continue;
      const lbn = first + i * span;
      if (lbn * fs.bsize >= din.size) {
        ctx.setIndirPtr(dv, i, 0);
        changed = true;
      } else if (level > 0) {
        visit(p, level - 1, lbn);
      }
    }
    if (changed) ctx.write(b, off);
  };
  let first = UFS_NDADDR;
  for (let level = 0; level < 3; level++) {
    const a = din.ib[level] ?? 0;
    if (a !== 0 && first * fs.bsize < din.size) visit(a, level, first);
    first += spans[level]!;
  }
}

function checkInode(ctx: FsckContext, ino: number, din: Dinode): void {
  const fs = ctx.fs;
  if (din.mode === 0) {
    if (partlyAllocated(din)) {
      if (ctx.problem(1, 'bad-inode', `PARTIALLY ALLOCATED INODE I=${ino}: CLEAR`, ino)) ctx.clearDinode(ino);
    }
    return;
  }
  const fmt = din.mode & S_IFMT;
  const isdir = fmt === S_IFDIR;
  if (!KNOWN.has(fmt)) {
    if (ctx.problem(1, 'bad-inode', `UNKNOWN FILE TYPE I=${ino} (mode 0${din.mode.toString(8)}): CLEAR`, ino)) ctx.clearDinode(ino);
    return;
  }
  ctx.nlink[ino] = din.nlink;
  ctx.ftype[ino] = fmt >>> 12;
  ctx.state[ino] = isdir ? DSTATE : FSTATE;
  if (!Number.isSafeInteger(din.size) || din.size > maxMapped(ctx)) {
    ctx.problem(1, 'size', `BAD SIZE I=${ino} (di_size ${din.size}): CLEAR`, ino);
    ctx.state[ino] = isdir ? DCLEAR : FCLEAR;
    return;
  }
  // A symlink the kernel would refuse to read: a target of MAXPATHLEN bytes or more, or one kept in
  // the inode that is longer than the inode's pointer area.
  const inline = (fs.ufsVersion === 2 ? UFS2_SHORTLINK : UFS1_SHORTLINK).len;
  if (fmt === S_IFLNK && (din.size >= MAXPATHLEN || (ctx.noBlocks(din) && din.size > inline))) {
    ctx.problem(1, 'size', `BAD SYMLINK SIZE I=${ino} (di_size ${din.size}): CLEAR`, ino);
    ctx.state[ino] = FCLEAR;
    return;
  }
  if (isdir && din.size === 0) {
    ctx.problem(1, 'size', `ZERO LENGTH DIRECTORY I=${ino}: CLEAR`, ino);
    ctx.state[ino] = DCLEAR;
    return;
  }
  let frags = 0;
  let bad = 0;
  let beyond = 0;
  let truncated = 0;
  const [n1, n2] = indirectSpans(fs);
  /** The first logical block each top-level indirect pointer (ib[0..2]) maps. */
  const ibFirst = [UFS_NDADDR, UFS_NDADDR + n1, UFS_NDADDR + n1 + n2];
  const nblk = isdir ? Math.ceil(din.size / fs.bsize) : 0;
  // Sparse: filled from the pointers, so a corrupt di_size costs nothing here.
  const blocks: number[] = [];
  let dirData = 0;
  if (!ctx.noBlocks(din)) {
    ctx.claimed[ino] = 1;
    ctx.walkBlocks(din, (addr, n, lbn, level) => {
      if (lbn * fs.bsize >= din.size) {
        // In the inode itself (db[], ib[]) a pointer past the end clears the inode, as fsck_ffs's
        // "bad direct addr"; inside an indirect block it is a partly done truncate or extension
        // (an indirect block written before its inode): the pointer goes, the file stays.
        const inInode = level === -1 ? lbn < UFS_NDADDR : lbn === ibFirst[level];
        if (!inInode) {
          truncated++;
          return false;
        }
        beyond++;
      }
      if (ctx.badRange(addr, n)) {
        if (++bad <= MAXBAD) ctx.problem(1, 'bad-block', `BAD BLOCK ${addr} I=${ino}${bad === MAXBAD ? ' (EXCESSIVE BAD BLOCKS: NO MORE REPORTED)' : ''}`, ino);
        return false;
      }
      if (ctx.claim(addr, n) > 0) ctx.problem(1, 'dup-block', `DUP BLOCK ${addr} I=${ino}`, ino);
      frags += n;
      if (isdir && level === -1 && lbn < nblk) {
        blocks[lbn] = addr;
        dirData++;
      }
      return true;
    });
  }
  if (isdir && bad === 0 && dirData < nblk) {
    ctx.problem(1, 'size', `DIRECTORY I=${ino}: di_size ${din.size} NEEDS ${nblk} BLOCKS, HAS ${dirData}: CLEAR`, ino);
    ctx.state[ino] = DCLEAR;
  }
  if (bad > 0 || beyond > 0) {
    if (beyond > 0) ctx.problem(1, 'size', `I=${ino}: ${beyond} BLOCK(S) PAST END OF FILE (di_size ${din.size}): CLEAR`, ino);
    ctx.state[ino] = isdir ? DCLEAR : FCLEAR;
  } else if (truncated > 0) {
    if (ctx.problem(1, 'size', `PARTIALLY TRUNCATED INODE I=${ino} (${truncated} pointer(s) past di_size ${din.size}): SALVAGE`, ino)) {
      zeroPastEnd(ctx, din);
    }
  }
  const want = (frags * fs.fsize) / DEV_BSIZE;
  if (din.blocks !== want) {
    if (ctx.problem(1, 'block-count', `INCORRECT BLOCK COUNT I=${ino} (${din.blocks} should be ${want}): CORRECT`, ino)) {
      din.blocks = want;
      ctx.writeDinode(ino, din);
    }
  }
  if (isdir && ctx.state[ino] === DSTATE) {
    if (din.size % DIRBLKSIZ !== 0) {
      if (ctx.problem(1, 'dir-size', `DIRECTORY I=${ino}: LENGTH ${din.size} NOT MULTIPLE OF ${DIRBLKSIZ}: FIX`, ino)) {
        din.size = Math.ceil(din.size / DIRBLKSIZ) * DIRBLKSIZ;
        ctx.writeDinode(ino, din);
      } else {
        din.size -= din.size % DIRBLKSIZ;
      }
    }
    ctx.dirs.set(ino, { ino, din, blocks, parent: ino === UFS_ROOTINO ? UFS_ROOTINO : 0, dotdot: 0, subdirs: [] });
  }
}

/**
 * fs_flags bits the kernel does not know make it refuse the mount (ffs_mountfs): clear them, as
 * fsck_ffs's setup does ("UNKNOWN FLAGS … IN SUPERBLOCK: CLEAR").
 */
function checkFlags(ctx: FsckContext): void {
  const unknown = ctx.fs.flags & ~FS_KNOWN_FLAGS;
  if (unknown === 0) return;
  if (ctx.problem(1, 'superblock', `UNKNOWN FLAGS=0x${(unknown >>> 0).toString(16)} IN SUPERBLOCK: CLEAR`)) {
    ctx.fs.flags &= FS_KNOWN_FLAGS;
    ctx.sbdirty = true;
  }
}

export function pass1(ctx: FsckContext): void {
  const fs = ctx.fs;
  ctx.log('** Phase 1 - Check Blocks and Sizes');
  checkFlags(ctx);
  claimReserved(ctx);
  readInited(ctx);
  const isz = dinodeSize(fs);
  // Read each group's initialised inodes a block-sized batch at a time.
  const batch = Math.max(1, Math.floor((64 * 1024) / fs.bsize)) * fs.inopb;
  for (let c = 0; c < fs.ncg; c++) {
    const n = ctx.inited[c] ?? 0;
    const base = fsbtob(fs, cgimin(fs, c));
    for (let first = 0; first < n; first += batch) {
      const cnt = Math.min(batch, n - first);
      const raw = ctx.read(base + first * isz, Math.ceil((cnt * isz) / 512) * 512);
      for (let i = 0; i < cnt; i++) {
        const ino = c * fs.ipg + first + i;
        if (ino < UFS_ROOTINO) continue;
        checkInode(ctx, ino, ctx.decode(raw.subarray(i * isz, (i + 1) * isz)));
      }
    }
  }
}
