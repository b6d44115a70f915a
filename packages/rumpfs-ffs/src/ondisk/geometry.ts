/**
 * Derived FFS geometry (the fs.h macros) as pure functions of a validated superblock. File system
 * block numbers are fragment addresses; byte offsets can pass 2^32, so everything here multiplies
 * rather than shifts.
 */
import type { Fs } from './fs.js';

/** UFS_NDADDR: direct block pointers in a dinode (di_db). */
export const UFS_NDADDR = 12;
/** UFS_NIADDR: indirect block pointers in a dinode (di_ib: single, double, triple). */
export const UFS_NIADDR = 3;
/** UFS_ROOTINO: the root directory's inode (0 is never used, 1 is UFS_WINO). */
export const UFS_ROOTINO = 2;
/** UFS_WINO: the inode number whiteout entries point at; never allocated. */
export const UFS_WINO = 1;
/** DEV_BSIZE: di_blocks and fsbtodb count in these. */
export const DEV_BSIZE = 512;
/** DIRBLKSIZ: directory entries never cross a chunk of this size. */
export const DIRBLKSIZ = 512;
/** FFS_MAXNAMLEN: the longest name a directory entry holds, in bytes. */
export const FFS_MAXNAMLEN = 255;
/** MAXFRAG: at most 8 fragments to a block. */
export const MAXFRAG = 8;
/** MINBSIZE: the smallest block size a superblock may declare. */
export const MINBSIZE = 4096;
/** MAXBSIZE: the largest block size a superblock may declare. */
export const MAXBSIZE = 65536;

/** Byte offset of fragment address `frag` (fsbtob). */
export function fsbtob(fs: Fs, frag: number): number {
  return frag * fs.fsize;
}
/** FFS_FSBTODB: fragment address → DEV_BSIZE sector. */
export function fsbtodb(fs: Fs, frag: number): number {
  return frag * 2 ** fs.fsbtodb;
}
/** ffs_fragstoblks: whole blocks in a count of fragments (rounded down). */
export function fragstoblks(fs: Fs, frags: number): number {
  return Math.floor(frags / fs.frag);
}
/** ffs_blkstofrags: fragments in a count of blocks. */
export function blkstofrags(fs: Fs, blks: number): number {
  return blks * fs.frag;
}
/** ffs_lblkno: logical block holding byte `off`. */
export function lblkno(fs: Fs, off: number): number {
  return Math.floor(off / fs.bsize);
}
/** ffs_lblktosize: byte offset of logical block `lbn`. */
export function lblktosize(fs: Fs, lbn: number): number {
  return lbn * fs.bsize;
}
/** ffs_blkoff: offset of byte `off` within its block. */
export function blkoff(fs: Fs, off: number): number {
  return off % fs.bsize;
}
/** ffs_fragroundup: round a byte count up to whole fragments. */
export function fragroundup(fs: Fs, n: number): number {
  return Math.ceil(n / fs.fsize) * fs.fsize;
}
/** ffs_numfrags: fragments in a byte count (rounded down). */
export function numfrags(fs: Fs, n: number): number {
  return Math.floor(n / fs.fsize);
}
/**
 * ffs_blksize: the size of logical block `lbn` of a file of `size` bytes. Only the last block of a
 * file that ends inside the direct blocks can be a run of fragments.
 */
export function blksize(fs: Fs, size: number, lbn: number): number {
  if (lbn >= UFS_NDADDR || size >= (lbn + 1) * fs.bsize) return fs.bsize;
  return fragroundup(fs, blkoff(fs, size));
}
/** ffs_cgbase: first fragment of cylinder group `c`. */
export function cgbase(fs: Fs, c: number): number {
  return fs.fpg * c;
}
/** ffs_cgstart: UFS1 adds the historic per-cg rotation (old_cgoffset, old_cgmask). */
export function cgstart(fs: Fs, c: number): number {
  if (fs.ufsVersion === 2) return cgbase(fs, c);
  return cgbase(fs, c) + fs.old_cgoffset * (c & ~fs.old_cgmask);
}
/** cgsblock: the backup superblock of cg `c`. */
export function cgsblock(fs: Fs, c: number): number {
  return cgstart(fs, c) + fs.sblkno;
}
/** cgtod: the cylinder group header block of cg `c`. */
export function cgtod(fs: Fs, c: number): number {
  return cgstart(fs, c) + fs.cblkno;
}
/** cgimin: the first inode block of cg `c`. */
export function cgimin(fs: Fs, c: number): number {
  return cgstart(fs, c) + fs.iblkno;
}
/** cgdmin: the first data fragment of cg `c`. */
export function cgdmin(fs: Fs, c: number): number {
  return cgstart(fs, c) + fs.dblkno;
}
/** ino_to_cg: the cylinder group holding inode `ino`. */
export function ino_to_cg(fs: Fs, ino: number): number {
  return Math.floor(ino / fs.ipg);
}
/** ino_to_fsba: the fragment address of the block holding inode `ino`. */
export function ino_to_fsba(fs: Fs, ino: number): number {
  return cgimin(fs, ino_to_cg(fs, ino)) + blkstofrags(fs, Math.floor((ino % fs.ipg) / fs.inopb));
}
/** ino_to_fsbo: the index of inode `ino` within its block. */
export function ino_to_fsbo(fs: Fs, ino: number): number {
  return ino % fs.inopb;
}
/** dtog: the cylinder group a fragment address lies in. */
export function dtog(fs: Fs, frag: number): number {
  return Math.floor(frag / fs.fpg);
}
/** The on-disk dinode size: 128 bytes (UFS1) or 256 (UFS2). */
export function dinodeSize(fs: Fs): 128 | 256 {
  return fs.ufsVersion === 1 ? 128 : 256;
}
/** Total inodes (ncg × ipg). */
export function maxino(fs: Fs): number {
  return fs.ncg * fs.ipg;
}
/**
 * Logical blocks reachable through each indirect level: [NINDIR, NINDIR², NINDIR³]; the largest
 * logical block number is NDADDR + the sum, minus one.
 */
export function indirectSpans(fs: Fs): [number, number, number] {
  const n = fs.nindir;
  return [n, n * n, n * n * n];
}
/** DIRSIZ: the minimum record length of a directory entry with a name of `namlen` bytes. */
export function dirsiz(namlen: number): number {
  return 8 + ((namlen + 1 + 3) & ~3);
}
