/**
 * newfs(8): make an empty UFS1 or UFS2 file system on a BlockDevice, as NetBSD's newfs/mkfs.c lays
 * it out — superblock at 8192 (UFS1) or 65536 (UFS2), cylinder groups whose header and maps fit
 * one block, a backup superblock in every group, the summary array at the start of group 0's data,
 * the root directory (inode 2) and lost+found (inode 3). The root and lost+found are made through
 * the same allocator and directory code as a mounted file system, so the summaries are exact.
 */
import { errno } from '@rumpts/librump';
import { BufCache } from '@rumpts/rumpdev-disk';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { ffs_valloc } from '../alloc.js';
import { ffs_balloc } from '../balloc.js';
import { bwriteDirect } from '../bio.js';
import { fragacct, setblock } from '../cgmap.js';
import { dirTemplate, ffs_direnter } from '../dirops.js';
import { Inode, ffs_update } from '../inode.js';
import { DiskView } from '../ondisk/bswap.js';
import { CG_MAGIC, CgView, SIZEOF_CG } from '../ondisk/cg.js';
import { emptyDinode } from '../ondisk/dinode.js';
import {
  FS_44INODEFMT, FS_FIELDS, FS_FLAGS_UPDATED, FS_ISCLEAN, FS_MAXCONTIG, FS_UFS1_MAGIC, FS_UFS2_MAGIC, type Fs, SBLOCKSIZE, SBLOCK_UFS1, SBLOCK_UFS2,
  SIZEOF_FS, encodeFs,
} from '../ondisk/fs.js';
import { DIRBLKSIZ, UFS_NDADDR, UFS_ROOTINO, cgbase, cgsblock, cgtod, fragroundup, fsbtob } from '../ondisk/geometry.js';
import { Ufsmount } from '../ufsmount.js';

/** Options of newfs(8), named after its flags. */
export interface NewfsOptions {
  /** 1 or 2 (newfs -O). Default 2. */
  version?: 1 | 2;
  /** Byte order (newfs -B). Default little-endian. */
  endian?: 'le' | 'be';
  /** File system size in bytes (newfs -s); default: the whole device. */
  size?: number;
  /** Block size (newfs -b): a power of two in [4096, 65536]. Default by size as NetBSD's newfs. */
  bsize?: number;
  /** Fragment size (newfs -f): bsize/1, /2, /4 or /8. */
  fsize?: number;
  /** Bytes of data space per inode (newfs -i). Default 4 × fsize. */
  density?: number;
  /** Reserved space percentage (newfs -m). Default 5. */
  minfree?: number;
  /** Volume name (newfs -V… / fs_volname), up to 31 bytes. */
  volname?: string;
  /** Creation time in seconds (default now; tests pin it). */
  time?: number;
}

/** The geometry newfs laid down (what newfs(8) prints as it runs). */
export interface NewfsResult {
  /** UFS1 or UFS2. */
  version: 1 | 2;
  /** fs_bsize: block size in bytes. */
  bsize: number;
  /** fs_fsize: fragment size in bytes. */
  fsize: number;
  /** fs_ncg: cylinder groups. */
  ncg: number;
  /** fs_fpg: fragments per cylinder group. */
  fpg: number;
  /** fs_ipg: inodes per cylinder group. */
  ipg: number;
  /** Size in fragments. */
  size: number;
  /** Byte offset of the primary superblock. */
  sblockloc: number;
  /** Fragment addresses of the backup superblocks, one per cylinder group. */
  backups: number[];
}

const log2 = (n: number): number => Math.round(Math.log2(n));
const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
const howmany = (a: number, b: number): number => Math.ceil(a / b);
const roundup = (a: number, b: number): number => howmany(a, b) * b;
const MAXPHYS = 65536;

/** The cg map offsets NetBSD's mkfs (and fsck's pass 5) compute; returns the byte size of the cg. */
function cgLayout(version: 1 | 2, fpg: number, ipg: number, frag: number, contig: number): { iusedoff: number; freeoff: number; clustersumoff: number; clusteroff: number; nextfreeoff: number; btotoff: number; boff: number } {
  const start = SIZEOF_CG - 8; // &cg_space[0]: 168
  let btotoff = 0;
  let boff = 0;
  let iusedoff = start;
  if (version === 1) {
    // FS_DYNAMICPOSTBLFMT with old_cpg = 1, old_nrpos = 1: one int32 and one int16 of rotational tables.
    btotoff = start;
    boff = btotoff + 4;
    iusedoff = boff + 2;
  }
  const freeoff = iusedoff + howmany(ipg, 8);
  let nextfreeoff = freeoff + howmany(fpg, 8);
  let clustersumoff = 0;
  let clusteroff = 0;
  if (contig > 0) {
    clustersumoff = roundup(nextfreeoff, 4) - 4;
    clusteroff = clustersumoff + (contig + 1) * 4;
    nextfreeoff = clusteroff + howmany(fpg / frag, 8);
  }
  return { iusedoff, freeoff, clustersumoff, clusteroff, nextfreeoff, btotoff, boff };
}

/** The layout newfs gives `bytes` bytes: group size, inodes per group, groups (a short last one dropped). */
export interface NewfsGeometry {
  nindir: number;
  sblockloc: number;
  sblkno: number;
  cblkno: number;
  iblkno: number;
  maxcontig: number;
  contig: number;
  /** File-system size in fragments (after a too-short last group is dropped). */
  size: number;
  fpg: number;
  ipg: number;
  cgsize: number;
  dblkno: number;
  ncg: number;
}

/** newfs's geometry for the given sizes (no I/O): what makefs sizes an image against. */
export function newfsGeometry(version: 1 | 2, bytes: number, bsize: number, fsize: number, density: number): NewfsGeometry {
  const frag = bsize / fsize;
  const inopb = bsize / (version === 1 ? 128 : 256);
  const nindir = bsize / (version === 1 ? 4 : 8);
  const sblockloc = version === 1 ? SBLOCK_UFS1 : SBLOCK_UFS2;
  const sblkno = roundup(howmany(sblockloc + SBLOCKSIZE, fsize), frag);
  const cblkno = sblkno + roundup(howmany(SBLOCKSIZE, fsize), frag);
  const iblkno = cblkno + frag;
  const maxcontig = Math.max(1, Math.floor(MAXPHYS / bsize));
  const contig = Math.min(maxcontig, FS_MAXCONTIG);
  let size = Math.floor(bytes / fsize);
  // Largest cg (a multiple of 8 blocks) whose header and maps fit one block.
  let fpg = Math.min(roundup(size, frag), bsize * 8);
  fpg -= fpg % frag;
  let ipg = 0;
  let cgsize = 0;
  for (; fpg > iblkno; fpg -= frag) {
    ipg = Math.max(inopb, roundup(Math.ceil((fpg * fsize) / density), inopb));
    const l = cgLayout(version, fpg, ipg, frag, contig);
    cgsize = l.nextfreeoff;
    if (cgsize <= bsize && iblkno + (ipg / inopb) * frag + frag <= fpg) break;
  }
  if (fpg <= iblkno) throw errno('EINVAL', `newfs: ${bytes} bytes is too small for a file system with ${bsize}-byte blocks`);
  const dblkno = iblkno + (ipg / inopb) * frag;
  let ncg = howmany(size, fpg);
  // The last group needs room for its header, inodes and one block of data; else drop it.
  if (size - (ncg - 1) * fpg < dblkno + frag) {
    ncg--;
    size = ncg * fpg;
  }
  if (ncg < 1) throw errno('EINVAL', `newfs: ${bytes} bytes is too small`);
  return { nindir, sblockloc, sblkno, cblkno, iblkno, maxcontig, contig, size, fpg, ipg, cgsize, dblkno, ncg };
}

/** newfs: make the file system. Returns its geometry. */
export function newfs(dev: BlockDevice, o: NewfsOptions = {}): NewfsResult {
  const version = o.version ?? 2;
  if (version !== 1 && version !== 2) throw errno('EINVAL', `newfs: version must be 1 or 2, not ${String(version)}`);
  const le = (o.endian ?? 'le') === 'le';
  const bytes = o.size ?? dev.size;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > dev.size) throw errno('EINVAL', `newfs: size ${bytes} does not fit the device (${dev.size} bytes)`);
  const mib = bytes / (1024 * 1024);
  const fsize = o.fsize ?? (o.bsize ? o.bsize / 8 : mib < 20 ? 512 : mib < 1000 ? 1024 : 2048);
  const bsize = o.bsize ?? (mib < 20 ? 4096 : mib < 1000 ? 8192 : 16384);
  if (!isPow2(bsize) || bsize < 4096 || bsize > 65536) throw errno('EINVAL', `newfs: block size ${bsize} is not a power of 2 in [4096, 65536]`);
  if (!isPow2(fsize) || fsize < 512 || fsize > bsize || bsize / fsize > 8) throw errno('EINVAL', `newfs: fragment size ${fsize} must be a power of 2, ≥ 512, bsize/8 … bsize`);
  if (fsize < dev.secsize) throw errno('EINVAL', `newfs: fragment size ${fsize} is smaller than the sector size ${dev.secsize}`);
  const frag = bsize / fsize;
  const density = o.density ?? 4 * fsize;
  if (!(density >= 512)) throw errno('EINVAL', `newfs: density ${density} is too small`);
  const volname = o.volname ?? '';
  if (new TextEncoder().encode(volname).length > 31) throw errno('EINVAL', 'newfs: volume name longer than 31 bytes');
  const dinode = version === 1 ? 128 : 256;
  const inopb = bsize / dinode;
  const { nindir, sblockloc, sblkno, cblkno, iblkno, maxcontig, contig, size, fpg, ipg, cgsize, dblkno, ncg } = newfsGeometry(version, bytes, bsize, fsize, density);
  if (ncg * ipg > 0xfffffffe) throw errno('EINVAL', 'newfs: too many inodes; raise the density');
  const cssize = fragroundup({ fsize } as Fs, ncg * 16);
  const csfrags = cssize / fsize;
  if (dblkno + csfrags + frag > Math.min(fpg, size)) throw errno('EINVAL', 'newfs: no room for the summary information in cylinder group 0');
  const time = o.time ?? Math.floor(Date.now() / 1000);
  let maxfilesize = bsize * UFS_NDADDR - 1;
  let span = bsize;
  for (let i = 0; i < 3; i++) {
    span *= nindir;
    maxfilesize += span;
  }
  if (version === 1) maxfilesize = Math.min(maxfilesize, 2 ** 31 * fsize - 1);
  maxfilesize = Math.min(maxfilesize, Number.MAX_SAFE_INTEGER);

  // The superblock, every field set (fields outside FS_FIELDS by offset below).
  const fs = {} as Record<string, number | string | boolean>;
  for (const k of Object.keys(FS_FIELDS)) fs[k] = 0;
  const F: Fs = fs as unknown as Fs;
  Object.assign(F, {
    ufsVersion: version, le, fsmnt: '', volname,
    sblkno, cblkno, iblkno, dblkno, old_cgoffset: 0, old_cgmask: -1, ncg, bsize, fsize, frag, minfree: o.minfree ?? 5,
    bmask: ~(bsize - 1), fmask: ~(fsize - 1), bshift: log2(bsize), fshift: log2(fsize), maxcontig, maxbpg: nindir,
    fragshift: log2(frag), fsbtodb: log2(fsize / 512), sbsize: fragroundup({ fsize } as Fs, SIZEOF_FS), nindir, inopb, optim: 0,
    id0: time, id1: (Math.random() * 0x7fffffff) | 0, cssize, cgsize: fragroundup({ fsize } as Fs, cgsize), ipg, fpg, clean: FS_ISCLEAN,
    old_flags: FS_FLAGS_UPDATED, maxbsize: bsize, sblockloc, time, size, csaddr: dblkno,
    dsize: size - sblkno - ncg * (dblkno - sblkno) - csfrags, flags: 0, contigsumsize: contig,
    maxsymlinklen: version === 1 ? 60 : 120, old_inodefmt: FS_44INODEFMT, maxfilesize, qbmask: bsize - 1, qfmask: fsize - 1,
    magic: version === 1 ? FS_UFS1_MAGIC : FS_UFS2_MAGIC,
  });
  if (version === 1) Object.assign(F, { old_time: time, old_size: size, old_dsize: F.dsize, old_csaddr: dblkno });
  const sbraw = new Uint8Array(SBLOCKSIZE);
  encodeFs(F, sbraw);
  const sv = new DiskView(sbraw, le);
  sv.setI32(1196, 16384); // fs_avgfilesize
  sv.setI32(1200, 64); // fs_avgfpdir
  if (version === 1) {
    // The historic geometry fields NetBSD's mkfs still fills for UFS1.
    const nspf = fsize / 512;
    sv.setI32(68, 60); // old_rps
    sv.setI32(124, nspf); // old_nspf
    sv.setI32(132, fpg * nspf); // old_npsect
    sv.setI32(136, 1); // old_interleave
    sv.setI32(168, fpg * nspf); // old_nsect
    sv.setI32(172, fpg * nspf); // old_spc
    sv.setI32(176, ncg); // old_ncyl
    sv.setI32(180, 1); // old_cpg
    sv.setI32(1356, 1); // old_postblformat FS_DYNAMICPOSTBLFMT
    sv.setI32(1360, 1); // old_nrpos
  }

  // Cylinder groups: header, maps, zeroed inode blocks.
  const cgbytes = F.cgsize;
  const initblks = version === 2 ? Math.min(ipg, 2 * inopb) / inopb : ipg / inopb;
  const zeroBlock = new Uint8Array(bsize);
  const cs: number[][] = [];
  const backups: number[] = [];
  for (let c = 0; c < ncg; c++) {
    const b = new Uint8Array(cgbytes);
    const cgp = new CgView(b, le);
    const l = cgLayout(version, fpg, ipg, frag, contig);
    const ndblk = Math.min(fpg, size - cgbase(F, c));
    cgp.set('magic', CG_MAGIC);
    cgp.set('cgx', c);
    cgp.set('old_time', time);
    cgp.set('time', version === 2 ? time : 0);
    cgp.set('ndblk', ndblk);
    if (version === 1) {
      cgp.set('old_ncyl', 1);
      cgp.set('old_niblk', ipg);
      cgp.set('old_btotoff', l.btotoff);
      cgp.set('old_boff', l.boff);
    } else {
      cgp.set('niblk', ipg);
      cgp.set('initediblk', initblks * inopb);
    }
    cgp.set('iusedoff', l.iusedoff);
    cgp.set('freeoff', l.freeoff);
    cgp.set('nextfreeoff', l.nextfreeoff);
    if (contig > 0) {
      cgp.set('clustersumoff', l.clustersumoff);
      cgp.set('clusteroff', l.clusteroff);
      cgp.set('nclusterblks', Math.floor(ndblk / frag));
    }
    let nifree = ipg;
    if (c === 0) {
      // Inodes 0 and 1 (UFS_WINO) are never handed out.
      cgp.setBit(l.iusedoff, 0);
      cgp.setBit(l.iusedoff, 1);
      nifree -= 2;
    }
    const first = c === 0 ? dblkno + csfrags : dblkno;
    let nbfree = 0;
    let nffree = 0;
    // Past cg 0, the space before the backup superblock (boot block area in cg 0) is free data.
    if (c > 0) {
      for (let blk = 0; blk < sblkno / frag; blk++) {
        setblock(F, cgp, l.freeoff, blk, true);
        if (contig > 0) cgp.setBit(l.clusteroff, blk);
        nbfree++;
      }
    }
    for (let f = first; f < ndblk; ) {
      if (f % frag === 0 && f + frag <= ndblk) {
        setblock(F, cgp, l.freeoff, f / frag, true);
        if (contig > 0) cgp.setBit(l.clusteroff, f / frag);
        nbfree++;
        f += frag;
      } else {
        cgp.setBit(l.freeoff, f);
        nffree++;
        f++;
      }
    }
    // frsum for the partial blocks; cluster sums by run length.
    for (let blk = 0; blk * frag < ndblk; blk++) {
      const base = blk * frag;
      let all = base + frag <= ndblk;
      for (let i = 0; all && i < frag; i++) all = cgp.bit(l.freeoff, base + i);
      if (!all) fragacct(F, cgp, l.freeoff, base, 1);
    }
    if (contig > 0) {
      let run = 0;
      const nclb = Math.floor(ndblk / frag);
      for (let i = 0; i <= nclb; i++) {
        if (i < nclb && cgp.bit(l.clusteroff, i)) run++;
        else if (run > 0) {
          cgp.addClusterSum(Math.min(run, contig), 1);
          run = 0;
        }
      }
    }
    cgp.set('cs_nbfree', nbfree);
    cgp.set('cs_nffree', nffree);
    cgp.set('cs_nifree', nifree);
    cs.push([0, nbfree, nifree, nffree]);
    bwriteDirect(dev, b, fsbtob(F, cgtod(F, c)));
    for (let i = 0; i < initblks; i++) bwriteDirect(dev, zeroBlock, fsbtob(F, cgbase(F, c) + iblkno + i * frag));
    backups.push(cgsblock(F, c));
  }
  F.cs_ndir = 0;
  F.cs_nbfree = cs.reduce((a, x) => a + x[1]!, 0);
  F.cs_nifree = cs.reduce((a, x) => a + x[2]!, 0);
  F.cs_nffree = cs.reduce((a, x) => a + x[3]!, 0);
  const csraw = new Uint8Array(cssize);
  const csv = new DataView(csraw.buffer);
  cs.forEach((x, c) => x.forEach((v, i) => csv.setInt32(c * 16 + i * 4, v, le)));
  bwriteDirect(dev, csraw, fsbtob(F, dblkno));
  encodeFs(F, sbraw);
  bwriteDirect(dev, sbraw.subarray(0, roundup(F.sbsize, 512)), sblockloc);

  // Root and lost+found through the file system's own code.
  const cache = new BufCache();
  const ump = Ufsmount.open(dev, cache);
  ump.loadCs();
  ump.ronly = false;
  ump.async = true; // a fresh image, not yet anyone's file system
  const root = mkdirAt(ump, null, UFS_ROOTINO, 0o755, time);
  const lf = mkdirAt(ump, root, 3, 0o700, time);
  ffs_direnter(root, 'lost+found', lf.ino, 4);
  root.din.nlink++;
  root.dirty = true;
  ffs_update(root);
  ffs_update(lf);
  ump.sbupdate();
  cache.flush(dev);
  cache.invalidate(dev);
  // Backup superblocks carry the final summary.
  for (const f of backups) bwriteDirect(dev, ump.sbraw.subarray(0, roundup(F.sbsize, 512)), fsbtob(F, f));
  dev.flush();
  return { version, bsize, fsize, ncg, fpg, ipg, size, sblockloc, backups };
}

/** A directory inode `want` with `.` and `..` (its parent, or itself for the root). */
function mkdirAt(ump: Ufsmount, parent: Inode | null, want: number, perm: number, time: number): Inode {
  const fs = ump.fs;
  const fake = parent ?? new Inode(ump, UFS_ROOTINO, emptyDinode(ump.ufs2));
  const ino = ffs_valloc(fake, true, want);
  if (ino !== want) throw errno('EIO', `newfs: expected inode ${want}, got ${ino}`);
  const din = emptyDinode(ump.ufs2);
  din.mode = 0o040000 | perm;
  din.nlink = 2;
  const t = { sec: time, nsec: 0 };
  din.atime = { ...t };
  din.mtime = { ...t };
  din.ctime = { ...t };
  din.birthtime = ump.ufs2 ? { ...t } : { sec: 0, nsec: 0 };
  din.gen = (Math.random() * 0x7fffffff) | 0;
  const ip = new Inode(ump, ino, din);
  ip.dirty = true;
  ip.fresh = true;
  const r = ffs_balloc(ip, 0, DIRBLKSIZ);
  const bp = ump.bio.getblk(fsbtob(fs, r.addr), fragroundup(fs, DIRBLKSIZ));
  bp.data.fill(0);
  dirTemplate(ip, bp.data, new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength), 0, ino, parent ? parent.ino : ino, 4);
  ump.bio.bdwrite(bp);
  din.size = DIRBLKSIZ;
  ffs_update(ip);
  return ip;
}
