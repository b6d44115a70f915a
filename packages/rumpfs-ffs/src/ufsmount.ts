/**
 * The per-mount state (struct ufsmount): the device, the decoded superblock, and what follows from
 * it once — byte order, inode format, directory format — plus the cylinder group headers read so far.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { bread } from './bio.js';
import { CG_MAGIC, type Cg, decodeCg } from './ondisk/cg.js';
import { FS_44INODEFMT, type Fs } from './ondisk/fs.js';
import { cgtod, fsbtob } from './ondisk/geometry.js';
import { ffs_sbread } from './sbread.js';

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
  readonly #cgs = new Map<number, Cg>();

  constructor(
    readonly dev: BlockDevice,
    readonly fs: Fs,
    sbloc: number,
  ) {
    this.le = fs.le;
    this.ufs2 = fs.ufsVersion === 2;
    this.maxsymlinklen = fs.maxsymlinklen;
    this.dtype = fs.maxsymlinklen > 0;
    this.oldids = fs.ufsVersion === 1 && fs.old_inodefmt < FS_44INODEFMT;
    this.sbloc = sbloc;
  }

  /** Read the superblock of `dev` and set up the mount state. */
  static open(dev: BlockDevice): Ufsmount {
    const { fs, loc } = ffs_sbread(dev);
    return new Ufsmount(dev, fs, loc);
  }

  /** The header of cylinder group `c`, read once and checked (magic, cg_cgx). */
  cg(c: number): Cg {
    let cg = this.#cgs.get(c);
    if (cg) return cg;
    if (!(c >= 0 && c < this.fs.ncg)) throw errno('EIO', `ffs: cylinder group ${c} out of range (fs_ncg ${this.fs.ncg})`);
    const b = bread(this.dev, fsbtob(this.fs, cgtod(this.fs, c)), this.fs.cgsize);
    cg = decodeCg(b, this.le);
    if (cg.magic !== CG_MAGIC) throw errno('EIO', `ffs: cylinder group ${c}: bad cg_magic 0x${(cg.magic >>> 0).toString(16)}`);
    if (cg.cgx !== c) throw errno('EIO', `ffs: cylinder group ${c}: cg_cgx is ${cg.cgx}`);
    this.#cgs.set(c, cg);
    return cg;
  }
}
