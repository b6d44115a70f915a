/**
 * fsck_ffs's shared state (fsck.h): the superblock, what pass 1 learned about every inode (state,
 * link count, references found), the map of claimed fragments, and the raw device I/O the passes
 * use. fsck reads the device directly — never through the kernel's read path, which refuses
 * corrupt metadata — and every write goes through `write`, which refuses when not repairing, so
 * `-n` never changes the image.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { bread, bwriteBytes } from '../../bio.js';
import { i64At, setI64At } from '../../ondisk/bswap.js';
import { type Dinode, decodeDinode1, decodeDinode2, encodeDinode1, encodeDinode2 } from '../../ondisk/dinode.js';
import { FS_44INODEFMT, type Fs } from '../../ondisk/fs.js';
import {
  UFS_NDADDR, UFS_NIADDR, UFS_ROOTINO, blksize, cgbase, cgdmin, cgimin, cgsblock, dinodeSize, dtog, fsbtob, indirectSpans, maxino, numfrags,
} from '../../ondisk/geometry.js';
import { SF_LOG, UFS_WAPBL_INFS_INO, UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM, UFS_WAPBL_VERSION, decodeJournalLoc } from '../../wapbl/wapbl_log.js';

/** Inode states (fsck.h): unallocated, file, directory, and the ones pass 1b/1 marked for clearing. */
export const USTATE = 0;
export const FSTATE = 1;
export const DSTATE = 2;
export const FCLEAR = 3;
export const DCLEAR = 4;

/**
 * The fsck_ffs pass a Problem was found in: 0 superblock and journal, 1 blocks and sizes, 1b duplicate blocks,
 * 2 path names, 3 connectivity, 4 reference counts, 5 cylinder groups.
 */
export type FsckPass = 0 | 1 | '1b' | 2 | 3 | 4 | 5;

/** One inconsistency found: where, what kind (stable names tests and tools can match), the message. */
export interface Problem {
  /** The pass that found it. */
  pass: FsckPass;
  /** What kind of inconsistency, as a stable name. */
  kind: ProblemKind;
  /** The inode concerned, if any. */
  ino?: number;
  /** fsck_ffs's wording of the finding (one line). */
  message: string;
  /** The fix was made (only with repair). */
  repaired: boolean;
}

/**
 * The kinds of inconsistency fsck reports, one per fsck_ffs message family (superblock, bad and duplicate
 * blocks, directory entries, link counts, cylinder-group maps and summaries, the clean flag...).
 */
export type ProblemKind =
  | 'superblock'
  | 'journal'
  | 'bad-inode'
  | 'bad-block'
  | 'dup-block'
  | 'block-count'
  | 'size'
  | 'dir-entry'
  | 'dir-size'
  | 'dir-dot'
  | 'dir-dotdot'
  | 'dir-type'
  | 'dir-extra-link'
  | 'dir-unallocated'
  | 'dir-clear'
  | 'unref-dir'
  | 'unref-file'
  | 'link-count'
  | 'lost+found'
  | 'cg-header'
  | 'inode-map'
  | 'block-map'
  | 'frsum'
  | 'cluster'
  | 'cg-summary'
  | 'cs-array'
  | 'cstotal'
  | 'clean-flag';

/** A directory as pass 1 saw it: its blocks (fragment addresses per logical block, 0 = hole). */
export interface DirInfo {
  ino: number;
  din: Dinode;
  /** Address of each logical block that maps the directory's size. */
  blocks: number[];
  /** Directory holding its name (pass 2), 0 while unknown. */
  parent: number;
  /** What its '..' says (pass 2), 0 if missing. */
  dotdot: number;
  /** Child directories named in it (pass 2), for the connectivity walk. */
  subdirs: number[];
  /** Its names (kept for the root only, where lost+found is looked up). */
  names?: Map<string, number>;
}

/** How fsck runs: fsck_ffs -y (repair) or -n (read only), and where its lines go. */
export interface FsckOptions {
  /** -y: repair everything found. Without it (-n) nothing is written. */
  repair: boolean;
  /** One line per finding and pass header, as fsck_ffs prints them. */
  log?: (line: string) => void;
}

export class FsckContext {
  readonly le: boolean;
  readonly ufs2: boolean;
  readonly oldids: boolean;
  readonly dtype: boolean;
  readonly maxino: number;
  /** Per inode: USTATE/FSTATE/DSTATE/FCLEAR/DCLEAR. */
  readonly state: Uint8Array;
  /** Per inode: di_nlink as read (or as fixed). */
  readonly nlink: Int32Array;
  /** Per inode: directory entries found that name it (pass 2 on). */
  readonly refs: Int32Array;
  /** Per inode: 1 if its d_type should be DT_DIR etc. — the file type bits (mode >> 12). */
  readonly ftype: Uint8Array;
  /** Per inode: pass 1 claimed its blocks (so clearing it gives them back). */
  readonly claimed: Uint8Array;
  /** Per fragment: how many inodes (or metadata) claim it, saturating at 255. */
  readonly bmap: Uint8Array;
  /** Fragments claimed twice or more (pass 1), for pass 1b. */
  readonly dups = new Set<number>();
  readonly dirs = new Map<number, DirInfo>();
  /** UFS2 cg_initediblk per cg (inodes past it read as zero); UFS1: ipg. */
  readonly inited: number[] = [];
  readonly problems: Problem[] = [];
  /** Some fix was written. */
  modified = false;
  /** An inconsistency stayed unfixed (-n, or no repair possible). */
  unresolved = false;
  /** The in-core superblock changed and must be written back. */
  sbdirty = false;
  /** lost+found's inode once found or made (pass 3/4). */
  lostfound = 0;
  /** The inode an in-filesystem WAPBL log names (fs_journallocs[3]), else 0. */
  readonly journalIno: number;

  constructor(
    readonly dev: BlockDevice,
    readonly fs: Fs,
    readonly sbloc: number,
    readonly sbraw: Uint8Array,
    readonly opts: FsckOptions,
  ) {
    this.le = fs.le;
    this.ufs2 = fs.ufsVersion === 2;
    this.oldids = fs.ufsVersion === 1 && fs.old_inodefmt < FS_44INODEFMT;
    this.dtype = fs.maxsymlinklen > 0;
    this.maxino = maxino(fs);
    this.state = new Uint8Array(this.maxino);
    this.nlink = new Int32Array(this.maxino);
    this.refs = new Int32Array(this.maxino);
    this.ftype = new Uint8Array(this.maxino);
    this.claimed = new Uint8Array(this.maxino);
    this.bmap = new Uint8Array(fs.size);
    const j = decodeJournalLoc(sbraw);
    const named = j.version === UFS_WAPBL_VERSION && j.location === UFS_WAPBL_JOURNALLOC_IN_FILESYSTEM ? j.locs[UFS_WAPBL_INFS_INO] : 0;
    this.journalIno = named >= UFS_ROOTINO && named < this.maxino ? named : 0;
  }

  /**
   * fsck_ffs's is_journal_inode: the in-filesystem log file — named by fs_journallocs[3] of a
   * version-1 IN_FILESYSTEM journal and flagged SF_LOG. It has one link and no name by design.
   */
  isJournalInode(ino: number): boolean {
    return ino !== 0 && ino === this.journalIno && (this.readDinode(ino).flags & SF_LOG) !== 0;
  }

  get repair(): boolean {
    return this.opts.repair;
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  /**
   * Record a finding. Returns true when the caller should fix it (repairing), as fsck's reply("FIX")
   * answering yes; with -n it answers no and the file system stays unresolved.
   */
  problem(pass: FsckPass, kind: ProblemKind, message: string, ino?: number): boolean {
    const p: Problem = { pass, kind, message, repaired: false };
    if (ino !== undefined) p.ino = ino;
    this.problems.push(p);
    this.log(`${message}${this.repair ? ' (FIXED)' : ' (NO WRITE)'}`);
    if (this.repair) {
      p.repaired = true;
      this.modified = true;
      return true;
    }
    this.unresolved = true;
    return false;
  }

  /** Mark the latest problem as not fixed after all (the repair was impossible). */
  unfixed(why: string): void {
    const p = this.problems[this.problems.length - 1];
    if (p) p.repaired = false;
    this.unresolved = true;
    this.log(`  cannot fix: ${why}`);
  }

  read(off: number, len: number): Uint8Array {
    return bread(this.dev, off, len);
  }

  write(src: Uint8Array, off: number): void {
    if (!this.repair) throw errno('EROFS', 'fsck: write attempted without repair (-n)');
    bwriteBytes(this.dev, src, off);
  }

  /** Is a run of `cnt` fragments at `blk` a legal data address (chkrange)? */
  badRange(blk: number, cnt: number): boolean {
    const fs = this.fs;
    if (!Number.isSafeInteger(blk) || cnt <= 0 || blk <= 0 || blk + cnt > fs.size) return true;
    if (cnt > fs.frag || (blk % fs.frag) + cnt > fs.frag) return true;
    const c = dtog(fs, blk);
    if (blk < cgdmin(fs, c)) return blk + cnt > cgsblock(fs, c);
    return blk + cnt > cgbase(fs, c + 1);
  }

  /** Claim fragments in the map; returns the fragments already claimed (duplicates). */
  claim(blk: number, cnt: number): number {
    let dup = 0;
    for (let i = 0; i < cnt; i++) {
      const f = blk + i;
      const n = this.bmap[f] ?? 0;
      if (n > 0) {
        dup++;
        this.dups.add(f);
      }
      if (n < 255) this.bmap[f] = n + 1;
    }
    return dup;
  }

  /** Give back a claim made with `claim` (an inode being cleared). */
  release(blk: number, cnt: number): void {
    for (let i = 0; i < cnt; i++) {
      const f = blk + i;
      const n = this.bmap[f] ?? 0;
      if (n > 0 && n < 255) this.bmap[f] = n - 1;
    }
  }

  /** Byte offset of inode `ino`'s dinode. */
  inodeOffset(ino: number): number {
    const fs = this.fs;
    const c = Math.floor(ino / fs.ipg);
    const rel = ino % fs.ipg;
    return fsbtob(fs, cgimin(fs, c)) + rel * dinodeSize(fs);
  }

  decode(b: Uint8Array): Dinode {
    return this.ufs2 ? decodeDinode2(b, this.le) : decodeDinode1(b, this.le, this.oldids);
  }

  /** The dinode of `ino` as on disk now (zero past a UFS2 cg's initediblk). */
  readDinode(ino: number): Dinode {
    const fs = this.fs;
    const c = Math.floor(ino / fs.ipg);
    if (ino % fs.ipg >= (this.inited[c] ?? fs.ipg)) return this.decode(new Uint8Array(dinodeSize(fs)));
    return this.decode(this.read(this.inodeOffset(ino), dinodeSize(fs)));
  }

  /** Write `din` over inode `ino` (fast symlinks keep their target bytes). */
  writeDinode(ino: number, din: Dinode): void {
    const size = dinodeSize(this.fs);
    const off = this.inodeOffset(ino);
    const b = this.read(off, size);
    const inline = (din.mode & 0o170000) === 0o120000 && din.blocks === 0 && din.size < this.fs.maxsymlinklen;
    if (this.ufs2) encodeDinode2(din, b, this.le, inline);
    else encodeDinode1(din, b, this.le, this.oldids, inline);
    this.write(b, off);
  }

  /** Zero inode `ino` on disk (clri). */
  clearDinode(ino: number): void {
    this.write(new Uint8Array(dinodeSize(this.fs)), this.inodeOffset(ino));
  }

  /** Pointer `i` of an indirect block's bytes. */
  indirPtr(dv: DataView, i: number): number {
    return this.ufs2 ? i64At(dv, i * 8, this.le) : dv.getInt32(i * 4, this.le);
  }

  setIndirPtr(dv: DataView, i: number, v: number): void {
    if (this.ufs2) setI64At(dv, i * 8, v, this.le);
    else dv.setInt32(i * 4, v, this.le);
  }

  /** Does this inode keep no block pointers (a fast symlink, a device, a fifo or socket)? */
  noBlocks(din: Dinode): boolean {
    const fmt = din.mode & 0o170000;
    if (fmt === 0o020000 || fmt === 0o060000 || fmt === 0o010000 || fmt === 0o140000) return true;
    if (fmt === 0o120000) return din.size < this.fs.maxsymlinklen || (this.fs.maxsymlinklen === 0 && din.blocks === 0);
    return false;
  }

  /**
   * Visit every block pointer of `din` (ckinode): `fn(addr, frags, lbn, level)` for data blocks
   * (level -1) and indirect blocks (level 0..2, lbn = the first logical block they map). Pointers
   * that `fn` refuses (returns false) are not descended into. Indirect blocks are read only when
   * their address is in range. Bounded: three levels of at most fs_nindir pointers.
   */
  walkBlocks(din: Dinode, fn: (addr: number, frags: number, lbn: number, level: number) => boolean): void {
    const fs = this.fs;
    const size = din.size;
    for (let lbn = 0; lbn < UFS_NDADDR; lbn++) {
      const a = din.db[lbn] ?? 0;
      if (a === 0) continue;
      const bytes = lbn * fs.bsize < size ? blksize(fs, size, lbn) : fs.bsize;
      fn(a, numfrags(fs, bytes), lbn, -1);
    }
    const spans = indirectSpans(fs);
    let first = UFS_NDADDR;
    for (let level = 0; level < UFS_NIADDR; level++) {
      const a = din.ib[level] ?? 0;
      if (a !== 0) this.#walkIndir(a, level, first, spans, fn);
      first += spans[level]!;
    }
  }

  #walkIndir(addr: number, level: number, first: number, spans: [number, number, number], fn: (addr: number, frags: number, lbn: number, level: number) => boolean): void {
    const fs = this.fs;
    if (!fn(addr, fs.frag, first, level)) return;
    if (this.badRange(addr, fs.frag)) return;
    const b = this.read(fsbtob(fs, addr), fs.bsize);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const span = level === 0 ? 1 : spans[level - 1]!;
    for (let i = 0; i < fs.nindir; i++) {
      const p = this.indirPtr(dv, i);
      if (p === 0) continue;
      if (level === 0) fn(p, fs.frag, first + i, -1);
      else this.#walkIndir(p, level - 1, first + i * span, spans, fn);
    }
  }
}
