/**
 * In-core inodes (struct inode): loading a dinode from its inode block and the checks that keep
 * the rest of the read path safe on a corrupt image (size, type).
 */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, errno } from '@rumpts/librump';
import { type Dinode, decodeDinode1At, decodeDinode2, decodeDinode2At, encodeDinode1At, encodeDinode2At } from './ondisk/dinode.js';
import type { Dirhash } from './dirhash.js';
import { UFS_NDADDR, dinodeSize, fsbtob, ino_to_cg, ino_to_fsba, ino_to_fsbo, maxino } from './ondisk/geometry.js';
import type { Ufsmount } from './ufsmount.js';

const KNOWN_TYPES = new Set([0, S_IFIFO, S_IFCHR, S_IFDIR, S_IFBLK, S_IFREG, S_IFLNK, S_IFSOCK]);

/** An indirect block as bmap keeps it: a view of its bytes, and its 32-bit words when in the host's byte order. */
export interface IndirBlock {
  readonly dv: DataView;
  /** The block as 32-bit words, when the volume's byte order is the host's (else null). */
  readonly words: Int32Array | null;
}

/** bmap's copies of the indirect blocks last walked, by level (single, double, triple). */
export interface IndirCache {
  readonly addr: number[];
  readonly buf: (IndirBlock | null)[];
}

/**
 * The in-core inode (struct inode): the dinode of inode number `ino` on mount `ump`, with the caches the read
 * and write paths keep on it. Made by ffs_iget.
 */
export class Inode {
  /**
   * One cached indirect block per level (bmap walks the same ones for sequential reads); made on
   * first use, as most inodes have no indirect blocks.
   */
  indir: IndirCache | null = null;
  /** The directory's name index, built on first use and kept current by the entry ops. */
  dirhash: Dirhash | null = null;
  #dirty = false;
  /**
   * Only the access time changed (IN_ACCESS on a logged mount, written lazily as MNT_LAZYACCESS
   * would: with the next other change of the inode, at fsync, sync, reclaim or unmount), so a
   * read-only walk adds nothing to the log's transactions.
   */
  lazyAccess = false;
  /** A newly allocated (or freed) inode: its on-disk slot is zeroed before the next write. */
  fresh = false;

  constructor(
    /** The mount the inode belongs to (i_ump). */
    readonly ump: Ufsmount,
    /** The inode number (i_number). */
    readonly ino: number,
    /** The in-core copy of the on-disk inode (i_din), changed in place and written back by ffs_update. */
    readonly din: Dinode,
  ) {}

  /** The in-core dinode differs from the disk (IN_MODIFIED/IN_CHANGE/IN_UPDATE/IN_ACCESS). */
  get dirty(): boolean {
    return this.#dirty;
  }
  /** Mark the inode changed (or clean after ffs_update); while logging, the end of the operation writes it. */
  set dirty(v: boolean) {
    // While logging, the end of the operation writes it into its block (Ufsmount.dirtyInodes).
    if (v && !this.#dirty && this.ump.wapbl) this.ump.dirtyInodes.add(this);
    this.#dirty = v;
  }

  /** di_mode: the file type (IFMT) and permission bits. */
  get mode(): number {
    return this.din.mode;
  }
  /** di_size: the file size in bytes. */
  get size(): number {
    return this.din.size;
  }
  /** The file-type bits of di_mode (di_mode & IFMT). */
  get ifmt(): number {
    return this.din.mode & S_IFMT;
  }
  /** Forget the cached indirect blocks (after balloc or truncate changed one). */
  invalIndir(): void {
    this.indir = null;
  }
  /** Does a symlink of this length keep its target in the inode? */
  isShortLink(): boolean {
    const ump = this.ump;
    return (this.din.mode & S_IFMT) === S_IFLNK && (this.din.size < ump.maxsymlinklen || (ump.maxsymlinklen === 0 && this.din.blocks === 0));
  }
}

/** The largest file size the block pointers of this fs can map. */
export function maxMappedSize(ump: Ufsmount): number {
  // nindir + nindir² + nindir³ blocks past the direct ones (indirectSpans, without the array).
  const n = ump.fs.nindir;
  return (UFS_NDADDR + n + n * n + n * n * n) * ump.fs.bsize;
}

/** Is `ino` a possible inode number of this fs? */
export function inoInRange(ump: Ufsmount, ino: number): boolean {
  return Number.isInteger(ino) && ino >= 1 && ino < maxino(ump.fs);
}

/** Read the dinode of `ino`. UFS2 inodes past cg_initediblk were never written: they read as zero. */
export function readDinode(ump: Ufsmount, ino: number): Dinode {
  const fs = ump.fs;
  if (!inoInRange(ump, ino)) throw ump.corrupt(`inode ${ino} out of range (1..${maxino(fs) - 1})`);
  const size = dinodeSize(fs);
  // The cg header is checked (magic, cgx) before any inode of it is trusted.
  const inited = ump.initediblk(ino_to_cg(fs, ino));
  if (ump.ufs2 && ino % fs.ipg >= inited) return decodeDinode2(new Uint8Array(size), ump.le);
  const bp = ump.bio.bread(fsbtob(fs, ino_to_fsba(fs, ino)), fs.bsize);
  const o = ino_to_fsbo(fs, ino) * size;
  try {
    return ump.ufs2 ? decodeDinode2At(bp.data, bp.view(), o, ump.le) : decodeDinode1At(bp.data, bp.view(), o, ump.le, ump.oldids);
  } finally {
    ump.bio.brelse(bp);
  }
}

/**
 * ffs_update: write the in-core dinode into its inode block — a delayed write, or with `wait` a
 * write to the device now (UPDATE_WAIT: what must be on disk before blocks it no longer points to
 * are freed and reused, as ffs_truncate needs on a mount without the log).
 */
export function ffs_update(ip: Inode, wait = false): void {
  if (!ip.dirty && !ip.lazyAccess && !wait) return;
  const ump = ip.ump;
  const fs = ump.fs;
  const size = dinodeSize(fs);
  const bp = ump.bio.bread(fsbtob(fs, ino_to_fsba(fs, ip.ino)), fs.bsize);
  const o = ino_to_fsbo(fs, ip.ino) * size;
  if (ip.fresh) {
    bp.data.fill(0, o, o + size);
    ip.fresh = false;
  }
  const inline = ip.isShortLink();
  if (ump.ufs2) encodeDinode2At(ip.din, bp.data, bp.view(), o, ump.le, inline);
  else encodeDinode1At(ip.din, bp.data, bp.view(), o, ump.le, ump.oldids, inline);
  if (wait) ump.bio.bwrite(bp);
  else ump.bio.bdwrite(bp);
  ip.dirty = false;
  ip.lazyAccess = false;
}

/**
 * ffs_loadvnode's read: the inode `ino`, checked. A free inode (mode 0) is ENOENT; an unknown file
 * type or an impossible size is EIO.
 */
export function ffs_iget(ump: Ufsmount, ino: number): Inode {
  const din = readDinode(ump, ino);
  if (din.mode === 0) throw errno('ENOENT', `ffs: inode ${ino} is not allocated`);
  if (!KNOWN_TYPES.has(din.mode & S_IFMT)) throw ump.corrupt(`inode ${ino}: unknown file type in di_mode 0${din.mode.toString(8)}`);
  if (!Number.isSafeInteger(din.size) || din.size > maxMappedSize(ump)) {
    throw ump.corrupt(`inode ${ino}: di_size ${din.size} exceeds what the block pointers can map`);
  }
  // di_blocks is counted up and down as blocks come and go: it must be an exact number.
  if (!Number.isSafeInteger(din.blocks) || din.blocks < 0) throw ump.corrupt(`inode ${ino}: di_blocks is out of range`);
  return new Inode(ump, ino, din);
}
