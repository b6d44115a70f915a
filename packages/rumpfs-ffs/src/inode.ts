/**
 * In-core inodes (struct inode): loading a dinode from its inode block and the checks that keep
 * the rest of the read path safe on a corrupt image (size, type).
 */
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, errno } from '@rumpts/librump';
import { bread } from './bio.js';
import { type Dinode, decodeDinode1, decodeDinode2 } from './ondisk/dinode.js';
import { UFS_NDADDR, dinodeSize, fsbtob, indirectSpans, ino_to_cg, ino_to_fsba, ino_to_fsbo, maxino } from './ondisk/geometry.js';
import type { Ufsmount } from './ufsmount.js';

const KNOWN_TYPES = new Set([0, S_IFIFO, S_IFCHR, S_IFDIR, S_IFBLK, S_IFREG, S_IFLNK, S_IFSOCK]);

export class Inode {
  /** One cached indirect block per level (bmap walks the same ones for sequential reads). */
  readonly indirAddr: number[] = [-1, -1, -1];
  readonly indirBuf: (DataView | null)[] = [null, null, null];
  /** Name → inode number of a directory, built on the first lookup (a read-only dirhash). */
  dirhash: Map<string, number> | null = null;

  constructor(
    readonly ump: Ufsmount,
    readonly ino: number,
    readonly din: Dinode,
  ) {}

  get mode(): number {
    return this.din.mode;
  }
  get size(): number {
    return this.din.size;
  }
  get ifmt(): number {
    return this.din.mode & S_IFMT;
  }
}

/** The largest file size the block pointers of this fs can map. */
export function maxMappedSize(ump: Ufsmount): number {
  const [a, b, c] = indirectSpans(ump.fs);
  return (UFS_NDADDR + a + b + c) * ump.fs.bsize;
}

/** Is `ino` a possible inode number of this fs? */
export function inoInRange(ump: Ufsmount, ino: number): boolean {
  return Number.isInteger(ino) && ino >= 1 && ino < maxino(ump.fs);
}

/** Read the dinode of `ino`. UFS2 inodes past cg_initediblk were never written: they read as zero. */
export function readDinode(ump: Ufsmount, ino: number): Dinode {
  const fs = ump.fs;
  if (!inoInRange(ump, ino)) throw errno('EIO', `ffs: inode ${ino} out of range (1..${maxino(fs) - 1})`);
  const cg = ump.cg(ino_to_cg(fs, ino));
  const size = dinodeSize(fs);
  let b: Uint8Array;
  if (ump.ufs2 && ino % fs.ipg >= cg.initediblk) {
    b = new Uint8Array(size);
  } else {
    b = bread(ump.dev, fsbtob(fs, ino_to_fsba(fs, ino)) + ino_to_fsbo(fs, ino) * size, size);
  }
  return ump.ufs2 ? decodeDinode2(b, ump.le) : decodeDinode1(b, ump.le, ump.oldids);
}

/**
 * ffs_loadvnode's read: the inode `ino`, checked. A free inode (mode 0) is ENOENT; an unknown file
 * type or an impossible size is EIO.
 */
export function ffs_iget(ump: Ufsmount, ino: number): Inode {
  const din = readDinode(ump, ino);
  if (din.mode === 0) throw errno('ENOENT', `ffs: inode ${ino} is not allocated`);
  if (!KNOWN_TYPES.has(din.mode & S_IFMT)) throw errno('EIO', `ffs: inode ${ino}: unknown file type in di_mode 0${din.mode.toString(8)}`);
  if (!Number.isSafeInteger(din.size) || din.size > maxMappedSize(ump)) {
    throw errno('EIO', `ffs: inode ${ino}: di_size ${din.size} exceeds what the block pointers can map`);
  }
  return new Inode(ump, ino, din);
}
