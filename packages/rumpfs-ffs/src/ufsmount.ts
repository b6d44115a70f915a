/**
 * The per-mount state (struct ufsmount): the device and its I/O paths, the decoded superblock and
 * what follows from it once — byte order, inode format, directory format — plus, while writable,
 * the in-core cylinder group summary array (fs_csp) and the superblock write-back (ffs_sbupdate).
 */
import { type RumpError, errno } from '@rumpts/librump';
import { BufCache, type Buf } from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { FfsBio, bread, bwriteDirect } from './bio.js';
import { cgClampRotors, cgInvalid } from './cgcheck.js';
import { CgView } from './ondisk/cg.js';
import { FS_44INODEFMT, SBLOCKSIZE, type Fs, encodeFs } from './ondisk/fs.js';
import { DEV_BSIZE, cgtod, fragroundup, fsbtob } from './ondisk/geometry.js';
import { ffs_sbread } from './sbread.js';
import type { Inode } from './inode.js';
import type { Wapbl } from './wapbl/wapbl.js';
import { ReadAhead } from './readahead.js';

/** A cylinder group held for reading or editing; give it back with Ufsmount.cgput. */
export interface HeldCg {
  bp: Buf;
  cgp: CgView;
  c: number;
}

/**
 * The per-mount state of an FFS (struct ufsmount): the device, the superblock and its derived flags, the buffer
 * I/O, the cylinder-group summary, and the WAPBL log when logging. Usable without a kernel: Ufsmount.open reads
 * a device directly.
 */
export class Ufsmount {
  /** Volume byte order (decided from the superblock magic; every codec gets this). */
  readonly le: boolean;
  /** UFS2 (256-byte inodes, 64-bit block pointers)? */
  readonly ufs2: boolean;
  /** Directory entries carry d_type (fs_maxsymlinklen > 0, IMNT_DTYPE). */
  readonly dtype: boolean;
  /** FS_42INODEFMT: owners in the 16-bit oldids. */
  readonly oldids: boolean;
  /** Symlinks shorter than this live in the inode (um_maxsymlinklen). */
  readonly maxsymlinklen: number;
  /** Byte offset the superblock was found at. */
  readonly sbloc: number;
  /** Metadata through the buffer cache, file data direct. */
  readonly bio: FfsBio;
  /** The superblock area as read (SBLOCKSIZE bytes, volume order); fields are re-encoded over it. */
  readonly sbraw: Uint8Array;
  /** Read-only (no allocation, no write-back). */
  ronly = true;
  /**
   * MNT_ASYNC (and makefs/newfs building a fresh image): no ordering writes. Otherwise a writable
   * mount without the log orders its metadata writes so that a crash leaves nothing fsck must
   * guess about: see `ordered`.
   */
  async = false;
  /** fs_csp: per-cg {ndir, nbfree, nifree, nffree}, loaded for read-write mounts. */
  cs: Int32Array | null = null;
  /** fs_fmod: the superblock or summary changed since the last write-back. */
  fmod = false;
  /** Next generation number for a fresh inode. */
  nextgen = 1;
  /** Read-ahead windows of regular file data (readahead.ts). */
  readonly readahead = new ReadAhead();
  /** The WAPBL log while logging (MNT_LOG); metadata then goes through it (bio.dev is its device). */
  wapbl: Wapbl | null = null;
  /**
   * Frees waiting for the commit of the transaction that made them (NetBSD's wapbl dealloc list),
   * kept by alloc.ts while logging: block (its first fragment) → mask of its fragments being freed,
   * and inode → whether it was a directory. Until then they stay allocated in the maps.
   */
  readonly deferred = {
    /** Block (the fragment address of its first fragment) → mask of its fragments being freed. */
    blocks: new Map<number, number>(),
    /** Inode number → whether it was a directory (for the cg_cs.cs_ndir count). */
    inodes: new Map<number, boolean>(),
  };
  /** Kernel printf while mounted, prefixed with the mount (corrupt metadata is reported there as well as by EIO). */
  printf: ((line: string) => void) | null = null;
  readonly #reported = new Set<string>();
  /** Cylinder group buffers whose header passed cgInvalid since they were read. */
  /** Views of the cg buffers checked so far (a buffer is checked once; its view is reused). */
  readonly #cgViews = new WeakMap<Buf, CgView>();

  /**
   * While logging: inodes changed since the end of the last operation, written into their inode
   * blocks when the operation ends so that the log's size trigger sees them (Inode.dirty adds).
   */
  readonly dirtyInodes = new Set<Inode>();

  /**
   * Writes are ordered for crash safety (a writable mount without the log, not async), as FFS
   * without soft dependencies does it: a freed block is given out again only after every on-disk
   * pointer to it is gone (the inode or indirect block written first), and a new metadata block
   * (directory, indirect, symlink) reaches the disk before anything on disk points to it.
   */
  get ordered(): boolean {
    return !this.ronly && !this.async && this.wapbl === null;
  }

  constructor(
    /** The block device the file system lives on (um_devvp). */
    readonly dev: BlockDevice,
    /** The in-core superblock (um_fs), changed in place and written back by sbupdate. */
    readonly fs: Fs,
    sbloc: number,
    cache: BufCache = new BufCache(),
    sbraw?: Uint8Array,
  ) {
    this.le = fs.le;
    this.ufs2 = fs.ufsVersion === 2;
    this.maxsymlinklen = fs.maxsymlinklen;
    this.dtype = fs.maxsymlinklen > 0;
    this.oldids = fs.ufsVersion === 1 && fs.old_inodefmt < FS_44INODEFMT;
    this.sbloc = sbloc;
    this.bio = new FfsBio(dev, cache);
    this.sbraw = sbraw ?? new Uint8Array(SBLOCKSIZE);
    this.nextgen = (Date.now() & 0x7fffffff) | 1;
  }

  /** Read the superblock of `dev` and set up the mount state (a private buffer cache unless given). */
  static open(dev: BlockDevice, cache?: BufCache): Ufsmount {
    const { fs, loc } = ffs_sbread(dev);
    const raw = bread(dev, loc, SBLOCKSIZE);
    return new Ufsmount(dev, fs, loc, cache, raw);
  }

  /** Size of the cylinder group block as read and written. */
  get cgbufsize(): number {
    return fragroundup(this.fs, this.fs.cgsize);
  }

  /**
   * Hold cylinder group `c`, its header checked before any field is used (cgcheck.ts: magic,
   * cg_cgx, cg_ndblk, every map inside the block, counts in range): a bad one is EIO with a kernel
   * message. Out-of-range rotors are read as 0.
   */
  cgget(c: number): HeldCg {
    if (!(Number.isInteger(c) && c >= 0 && c < this.fs.ncg)) throw errno('EIO', `ffs: cylinder group ${c} out of range (fs_ncg ${this.fs.ncg})`);
    const bp = this.bio.bread(fsbtob(this.fs, cgtod(this.fs, c)), this.cgbufsize);
    // A buffer is checked once, when it comes from the disk: the allocator keeps every offset it
    // was checked for and every count in range as long as the maps agree with the counts.
    let cgp = this.#cgViews.get(bp);
    if (cgp === undefined) {
      cgp = new CgView(bp.data, this.le);
      const bad = cgInvalid(this.fs, cgp, c, bp.data.length);
      if (bad) {
        this.bio.brelse(bp);
        throw this.corrupt(`cylinder group ${c}: ${bad}`);
      }
      cgClampRotors(this.fs, cgp, c);
      this.#cgViews.set(bp, cgp);
    }
    return { bp, cgp, c };
  }

  /**
   * Corrupt metadata met: the kernel message (once per distinct text, so a walk over a damaged
   * group does not flood the log) and the EIO to throw.
   */
  corrupt(what: string): RumpError {
    this.warn(what);
    return errno('EIO', `ffs: ${what}`);
  }

  /** A kernel message about the metadata (once per distinct text, at most 64 per mount). */
  warn(what: string): void {
    if (this.printf && !this.#reported.has(what) && this.#reported.size < 64) {
      this.#reported.add(what);
      this.printf(what);
    }
  }

  /** Give a held cg back: a delayed write if it was changed. */
  cgput(h: HeldCg, dirty: boolean): void {
    if (dirty) this.bio.bdwrite(h.bp);
    else this.bio.brelse(h.bp);
  }

  /** cg_initediblk of cg `c` (UFS2: inodes at or past it read as zero). */
  initediblk(c: number): number {
    const h = this.cgget(c);
    try {
      return h.cgp.get('initediblk');
    } finally {
      this.cgput(h, false);
    }
  }

  /** The on-disk byte range of the cs array (fs_csaddr, fs_cssize rounded to fragments). */
  #csRange(): [number, number] {
    return [fsbtob(this.fs, this.fs.csaddr), fragroundup(this.fs, this.fs.cssize)];
  }

  /** Load the summary array (for a read-write mount). */
  loadCs(): void {
    const [off, len] = this.#csRange();
    const raw = bread(this.dev, off, len);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const cs = new Int32Array(this.fs.ncg * 4);
    for (let i = 0; i < cs.length; i++) cs[i] = dv.getInt32(i * 4, this.le);
    this.cs = cs;
  }

  /**
   * ffs_sbupdate: write the summary array and the superblock (fs_time set by the caller) — through
   * the log while logging (NetBSD logs them too), so they never run ahead of the cylinder groups.
   */
  sbupdate(): void {
    const cs = this.cs;
    const dev = this.bio.dev;
    if (cs) {
      const [off, len] = this.#csRange();
      const raw = bread(dev, off, len);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < cs.length; i++) dv.setInt32(i * 4, cs[i] ?? 0, this.le);
      bwriteDirect(dev, raw, off);
    }
    encodeFs(this.fs, this.sbraw);
    const n = Math.ceil(this.fs.sbsize / DEV_BSIZE) * DEV_BSIZE;
    bwriteDirect(dev, this.sbraw.subarray(0, Math.min(n, SBLOCKSIZE)), this.sbloc);
    this.fmod = false;
  }

  /** Adjust the summaries of cg `c` everywhere they are kept: cg_cs, fs_csp[c] and fs_cstotal. */
  csAdjust(cgp: CgView, c: number, ndir: number, nbfree: number, nifree: number, nffree: number): void {
    const cs = this.cs;
    if (!cs) throw errno('EROFS', 'ffs: summaries are not loaded (read-only mount)');
    const fs = this.fs;
    cgp.addCs(ndir, nbfree, nifree, nffree);
    if (ndir) {
      cs[c * 4] = (cs[c * 4] ?? 0) + ndir;
      fs.cs_ndir += ndir;
    }
    if (nbfree) {
      cs[c * 4 + 1] = (cs[c * 4 + 1] ?? 0) + nbfree;
      fs.cs_nbfree += nbfree;
    }
    if (nifree) {
      cs[c * 4 + 2] = (cs[c * 4 + 2] ?? 0) + nifree;
      fs.cs_nifree += nifree;
    }
    if (nffree) {
      cs[c * 4 + 3] = (cs[c * 4 + 3] ?? 0) + nffree;
      fs.cs_nffree += nffree;
    }
    this.fmod = true;
  }

  /** fs_csp[c] field i (0 ndir, 1 nbfree, 2 nifree, 3 nffree). */
  csGet(c: number, i: number): number {
    return this.cs?.[c * 4 + i] ?? 0;
  }
}
