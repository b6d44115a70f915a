/**
 * Superblock discovery (ffs_mountfs): probe the SBLOCKSEARCH locations in both byte orders, accept
 * a candidate only as NetBSD does (magic, location, sbsize, ffs_superblock_validate), then check
 * the further geometry the read path relies on. Nothing found → EINVAL naming why each candidate
 * was refused; an accepted superblock with inconsistent geometry → EFTYPE naming the field.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { bread } from './bio.js';
import {
  type Fs, FS_FLAGS_UPDATED, FS_MAXCONTIG, SBLOCKSEARCH, SBLOCKSIZE, SBLOCK_UFS2, SIZEOF_FS, decodeFs, probeMagic,
} from './ondisk/fs.js';
import { SIZEOF_CG } from './ondisk/cg.js';
import { cgStandardLayout } from './cgcheck.js';
import { DEV_BSIZE, MAXBSIZE, MAXFRAG, MINBSIZE, UFS_ROOTINO, cgbase, cgdmin, dinodeSize, dtog } from './ondisk/geometry.js';

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/**
 * ffs_superblock_validate: the checks NetBSD makes before trusting any field. Returns the first
 * failure as text naming the field, or null.
 */
export function superblockInvalid(fs: Fs): string | null {
  if (fs.sbsize > SBLOCKSIZE || fs.sbsize < SIZEOF_FS) return `fs_sbsize ${fs.sbsize} is not in [${SIZEOF_FS}, ${SBLOCKSIZE}]`;
  if (fs.bsize > MAXBSIZE || fs.bsize < MINBSIZE || !isPow2(fs.bsize)) return `fs_bsize ${fs.bsize} is not a power of 2 in [${MINBSIZE}, ${MAXBSIZE}]`;
  if (!isPow2(fs.fsize)) return `fs_fsize ${fs.fsize} is not a non-zero power of 2`;
  if (!(fs.size > 0)) return `fs_size ${fs.size} is not positive`;
  if (fs.cssize === 0) return 'fs_cssize is 0';
  if (fs.cgsize === 0) return 'fs_cgsize is 0';
  if (fs.ipg === 0) return 'fs_ipg is 0';
  if (fs.fpg === 0) return 'fs_fpg is 0';
  if (fs.ncg === 0) return 'fs_ncg is 0';
  if (fs.maxbpg === 0) return 'fs_maxbpg is 0';
  const inopb = fs.bsize / dinodeSize(fs);
  if (fs.inopb !== inopb) return `fs_inopb ${fs.inopb} is not fs_bsize/${dinodeSize(fs)} = ${inopb}`;
  if (fs.bsize < fs.fsize) return `fs_bsize ${fs.bsize} is smaller than fs_fsize ${fs.fsize}`;
  if (fs.bshift !== log2(fs.bsize)) return `fs_bshift ${fs.bshift} is not log2(fs_bsize) = ${log2(fs.bsize)}`;
  if (fs.fshift !== log2(fs.fsize)) return `fs_fshift ${fs.fshift} is not log2(fs_fsize) = ${log2(fs.fsize)}`;
  const frag = fs.bsize / fs.fsize;
  if (!isPow2(fs.frag) || fs.fragshift !== log2(fs.frag)) return `fs_fragshift ${fs.fragshift} is not log2(fs_frag ${fs.frag})`;
  if (fs.bmask !== ~(fs.bsize - 1)) return `fs_bmask ${fs.bmask} is not ~(fs_bsize - 1)`;
  if (fs.fmask !== ~(fs.fsize - 1)) return `fs_fmask ${fs.fmask} is not ~(fs_fsize - 1)`;
  if (frag > MAXFRAG) return `fs_bsize/fs_fsize = ${frag} exceeds MAXFRAG ${MAXFRAG}`;
  if (fs.frag !== frag) return `fs_frag ${fs.frag} is not fs_bsize/fs_fsize = ${frag}`;
  if (fs.cgsize < SIZEOF_CG || fs.cgsize > fs.bsize) return `fs_cgsize ${fs.cgsize} is not in [${SIZEOF_CG}, fs_bsize ${fs.bsize}]`;
  return null;
}

/**
 * Geometry the read path trusts beyond what NetBSD checks at mount: a failure here means a corrupt
 * superblock that NetBSD would trip over later, so refuse it up front.
 */
export function geometryInvalid(fs: Fs): string | null {
  const ptr = fs.ufsVersion === 1 ? 4 : 8;
  if (fs.nindir !== fs.bsize / ptr) return `fs_nindir ${fs.nindir} is not fs_bsize/${ptr} = ${fs.bsize / ptr}`;
  if (fs.fsbtodb !== log2(fs.fsize / DEV_BSIZE)) return `fs_fsbtodb ${fs.fsbtodb} is not log2(fs_fsize/${DEV_BSIZE})`;
  if (!Number.isSafeInteger(fs.size) || fs.size <= 0) return `fs_size ${fs.size} is out of range`;
  if (!Number.isSafeInteger(fs.dsize) || fs.dsize <= 0 || fs.dsize > fs.size) return `fs_dsize ${fs.dsize} is not in [1, fs_size ${fs.size}]`;
  if (fs.fpg % fs.frag !== 0 || fs.fpg < 0) return `fs_fpg ${fs.fpg} is not a positive multiple of fs_frag`;
  if (fs.ipg % fs.inopb !== 0) return `fs_ipg ${fs.ipg} is not a multiple of fs_inopb ${fs.inopb}`;
  if (fs.ncg * fs.ipg > 0xffffffff) return `fs_ncg × fs_ipg = ${fs.ncg * fs.ipg} exceeds 32-bit inode numbers`;
  if (fs.ipg * fs.ncg <= UFS_ROOTINO) return `fs_ipg ${fs.ipg} × fs_ncg ${fs.ncg} leaves no root inode`;
  if ((fs.ncg - 1) * fs.fpg >= fs.size) return `fs_ncg ${fs.ncg} cylinder groups of fs_fpg ${fs.fpg} exceed fs_size ${fs.size}`;
  if (fs.ncg * fs.fpg < fs.size) return `fs_ncg ${fs.ncg} × fs_fpg ${fs.fpg} does not cover fs_size ${fs.size}`;
  const iblocks = (fs.ipg / fs.inopb) * fs.frag;
  // Each area must also hold what it is for: the superblock copy before the cg header, the cg
  // block before the inodes (a cg written back over the inodes would destroy them).
  const sbfrags = Math.ceil(fs.sbsize / fs.fsize);
  const cgfrags = Math.ceil(fs.cgsize / fs.fsize);
  if (!(fs.sblkno >= 0 && fs.sblkno + sbfrags <= fs.cblkno && fs.cblkno + cgfrags <= fs.iblkno && fs.iblkno + iblocks <= fs.dblkno && fs.dblkno <= fs.fpg)) {
    return `cg layout fs_sblkno ${fs.sblkno} / fs_cblkno ${fs.cblkno} / fs_iblkno ${fs.iblkno} / fs_dblkno ${fs.dblkno} does not fit a superblock, a cg block of ${cgfrags} and ${iblocks} inode fragments in order within fs_fpg ${fs.fpg}`;
  }
  if (fs.ufsVersion === 1) {
    // cgstart adds old_cgoffset × (c & ~old_cgmask): the largest shift must leave the cg's data start inside it.
    const maxshift = Math.min((~fs.old_cgmask) >>> 0, fs.ncg - 1);
    if (fs.old_cgoffset < 0 || fs.old_cgoffset * maxshift + fs.dblkno > fs.fpg) {
      return `fs_old_cgoffset ${fs.old_cgoffset} / fs_old_cgmask ${fs.old_cgmask} push cylinder groups past fs_fpg`;
    }
  }
  if (!Number.isSafeInteger(fs.csaddr) || fs.csaddr < 0 || fs.csaddr * fs.fsize + fs.cssize > fs.size * fs.fsize) {
    return `fs_csaddr ${fs.csaddr} with fs_cssize ${fs.cssize} lies outside the file system`;
  }
  if (fs.cssize < fs.ncg * 16) return `fs_cssize ${fs.cssize} is smaller than fs_ncg × 16`;
  // The summary array lies in the data area of one group (newfs puts it at cgdmin of group 0): it
  // must not overlap a superblock copy, a cg header or inodes, which writing it back would destroy.
  const csc = dtog(fs, fs.csaddr);
  const csend = fs.csaddr + Math.ceil(fs.cssize / fs.fsize);
  if (fs.csaddr < cgdmin(fs, csc) || csend > Math.min(cgbase(fs, csc + 1), fs.size)) {
    return `fs_csaddr ${fs.csaddr} (${csend - fs.csaddr} fragments) is not inside the data area of cylinder group ${csc}`;
  }
  if (!(fs.contigsumsize >= 0 && fs.contigsumsize <= FS_MAXCONTIG)) return `fs_contigsumsize ${fs.contigsumsize} is not in [0, ${FS_MAXCONTIG}]`;
  if (fs.maxbpg <= 0) return `fs_maxbpg ${fs.maxbpg} is not positive`;
  // Every cylinder group block must hold the header and its maps (cgcheck.ts checks each header).
  const maps = cgStandardLayout(fs).nextfreeoff;
  const cgblock = Math.ceil(fs.cgsize / fs.fsize) * fs.fsize;
  if (maps > cgblock) return `fs_cgsize ${fs.cgsize} cannot hold the maps of fs_ipg ${fs.ipg} inodes and fs_fpg ${fs.fpg} fragments (${maps} bytes)`;
  if (fs.maxsymlinklen < 0 || fs.maxsymlinklen > (fs.ufsVersion === 1 ? 60 : 120)) return `fs_maxsymlinklen ${fs.maxsymlinklen} is out of range`;
  return null;
}

/** What ffs_sbread found: the decoded superblock, where, and its raw bytes. */
export interface FoundSuperblock {
  /** The decoded and validated superblock (UFS1 compat fields folded in). */
  fs: Fs;
  /** The byte offset the superblock was found at. */
  loc: number;
  /** The raw superblock bytes in volume order (fs_sbsize of them). */
  raw: Uint8Array;
}

/** Find, decode and validate the superblock of the FFS on `dev`. */
export function ffs_sbread(dev: BlockDevice): FoundSuperblock {
  const why: string[] = [];
  let sawMagic = false;
  for (const loc of SBLOCKSEARCH) {
    if (loc + SBLOCKSIZE > dev.size) {
      why.push(`${loc}: past the end of the device`);
      continue;
    }
    const raw = bread(dev, loc, SBLOCKSIZE);
    const m = probeMagic(raw);
    if (!m) {
      why.push(`${loc}: no FFS magic`);
      continue;
    }
    sawMagic = true;
    const fs = decodeFs(raw, m.le, m.ufsVersion, loc);
    if (m.ufsVersion === 1 && (fs.old_flags & FS_FLAGS_UPDATED) === 0) {
      // An old-layout UFS1 superblock at 65536 is an alternate of a 64k-block fs, not the primary.
      if (loc === SBLOCK_UFS2) {
        why.push(`${loc}: old-format UFS1 alternate superblock`);
        continue;
      }
    } else if (fs.sblockloc !== loc) {
      why.push(`${loc}: fs_sblockloc ${fs.sblockloc} does not match (an alternate superblock)`);
      continue;
    }
    const bad = superblockInvalid(fs);
    if (bad) {
      why.push(`${loc}: ${bad}`);
      continue;
    }
    const geo = geometryInvalid(fs);
    if (geo) throw errno('EFTYPE', `ffs: superblock at byte ${loc}: ${geo}`);
    return { fs, loc, raw: raw.subarray(0, fs.sbsize) };
  }
  // No magic anywhere: the device holds some other file system (or none); say so plainly, so a
  // caller probing several types can tell this from a damaged FFS.
  if (!sawMagic) throw errno('EINVAL', `ffs: not an FFS file system (no FFS magic at any superblock location: ${why.join('; ')})`);
  throw errno('EINVAL', `ffs: no valid superblock (${why.join('; ')})`);
}
