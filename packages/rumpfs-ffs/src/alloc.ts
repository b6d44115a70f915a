/**
 * Block, fragment and inode allocation (ffs_alloc.c): cylinder groups are chosen with NetBSD's
 * locality (inodes near their parent, directories spread over groups with free inodes, blocks near
 * their inode and after the previous block, big files moving to a new group every fs_maxbpg
 * blocks), found through the cg bitmaps, and every summary — cg_cs, cg_frsum, the cluster sums,
 * fs_csp and fs_cstotal — is adjusted in the same step, so a checker finds nothing to fix.
 *
 * While the mount is logging (MNT_LOG), frees are deferred as NetBSD's WAPBL does
 * (wapbl_register_deallocation, the dealloc list handed to ffs_wapbl_sync_metadata): the blocks and
 * inodes stay allocated in the maps until the transaction that freed them commits, and are freed as
 * part of that commit. File data is written straight to its blocks, outside the log, so a block
 * handed to another file before the free commits could, after a crash, be read back through the
 * old owner — which the replay restores — holding the new owner's bytes.
 */
import { errno } from '@rumpts/librump';
import { clusteracct, fragacct, isblock, mapsearch, setblock } from './cgmap.js';
import type { Inode } from './inode.js';
import { UFS_NDADDR, UFS_ROOTINO, cgbase, dinodeSize, dtog, fsbtob, ino_to_cg, maxino, numfrags } from './ondisk/geometry.js';
import type { HeldCg, Ufsmount } from './ufsmount.js';

/** fs_optim: FS_OPTSPACE asks for exactly the fragments needed when a tail grows. */
const FS_OPTSPACE = 1;

/**
 * ENOSPC. While logging, frees waiting for the commit of the open transaction may be what is
 * missing: the log is told (Wapbl.spaceWanted), and the vnode operation, once it has undone what it
 * did, commits them and runs again (wapbl_vnops.ts) — never a commit in the middle of an operation,
 * which could put its half-done state (a file pointing at blocks not yet written) in the log.
 */
function nospc(ump: Ufsmount, what: string, kind: 'blocks' | 'inodes'): never {
  if (ump.wapbl && ump.deferred[kind].size > 0) ump.wapbl.spaceWanted = true;
  throw errno('ENOSPC', `ffs: ${what}: file system full (${ump.fs.cs_nbfree} blocks, ${ump.fs.cs_nffree} fragments, ${ump.fs.cs_nifree} inodes free)`);
}

type CgAlloc = (ump: Ufsmount, c: number, pref: number, size: number) => number;

/**
 * ffs_hashalloc: try the preferred cg, then a quadratic rehash, then every cg in turn. Returns the
 * allocator's non-zero result or 0.
 */
function hashalloc(ump: Ufsmount, icg: number, pref: number, size: number, fn: CgAlloc): number {
  const ncg = ump.fs.ncg;
  let r = fn(ump, icg, pref, size);
  if (r) return r;
  let c = icg;
  for (let i = 1; i < ncg; i *= 2) {
    c += i;
    if (c >= ncg) c -= ncg;
    r = fn(ump, c, 0, size);
    if (r) return r;
  }
  c = (icg + 2) % ncg;
  for (let i = 2; i < ncg; i++) {
    r = fn(ump, c, 0, size);
    if (r) return r;
    c++;
    if (c === ncg) c = 0;
  }
  return 0;
}

/** ffs_alloccgblk: take a whole block from a held cg, at bpref if free, else after the rotor. */
function alloccgblk(ump: Ufsmount, h: HeldCg, bpref: number): number {
  const fs = ump.fs;
  const { cgp, c } = h;
  const base = cgbase(fs, c);
  const freeoff = cgp.freeoff();
  let rel = -1;
  if (bpref !== 0 && dtog(fs, bpref) === c) {
    const want = bpref - base - ((bpref - base) % fs.frag);
    if (want < cgp.ndblk() && isblock(fs, cgp, freeoff, want / fs.frag)) rel = want;
    else bpref = want;
  } else {
    bpref = cgp.rotor();
  }
  if (rel < 0) {
    rel = mapsearch(fs, cgp, bpref, fs.frag);
    if (rel < 0) throw errno('EIO', `ffs: cylinder group ${c}: cg_cs.cs_nbfree says a block is free but the map has none`);
    cgp.setRotor(rel);
  }
  const blk = rel / fs.frag;
  setblock(fs, cgp, freeoff, blk, false);
  clusteracct(fs, cgp, blk, -1);
  ump.csAdjust(cgp, c, 0, -1, 0, 0);
  return base + rel;
}

/** ffs_alloccg: `size` bytes (a block or a run of fragments) from cg `c`, or 0. */
function alloccg(ump: Ufsmount, c: number, bpref: number, size: number): number {
  const fs = ump.fs;
  if (size === fs.bsize && ump.csGet(c, 1) === 0) return 0;
  if (size < fs.bsize && ump.csGet(c, 1) === 0 && ump.csGet(c, 3) < numfrags(fs, size)) return 0;
  const h = ump.cgget(c);
  const { cgp } = h;
  let dirty = false;
  try {
    if (size === fs.bsize) {
      if (cgp.nbfree() === 0) return 0;
      dirty = true;
      return alloccgblk(ump, h, bpref);
    }
    const frags = numfrags(fs, size);
    let allocsiz = frags;
    while (allocsiz < fs.frag && cgp.frsum(allocsiz) === 0) allocsiz++;
    const freeoff = cgp.freeoff();
    if (allocsiz === fs.frag) {
      // No free run fits: split a whole block and leave the rest as free fragments.
      if (cgp.nbfree() === 0) return 0;
      dirty = true;
      const bno = alloccgblk(ump, h, bpref);
      const rel = bno - cgbase(fs, c);
      for (let i = frags; i < fs.frag; i++) cgp.setBit(freeoff, rel + i);
      const left = fs.frag - frags;
      ump.csAdjust(cgp, c, 0, 0, 0, left);
      cgp.addFrsum(left, 1);
      return bno;
    }
    const start = bpref !== 0 && dtog(fs, bpref) === c ? bpref - cgbase(fs, c) : cgp.frotor();
    const rel = mapsearch(fs, cgp, start, allocsiz);
    if (rel < 0) throw errno('EIO', `ffs: cylinder group ${c}: cg_frsum[${allocsiz}] says a run is free but the map has none`);
    dirty = true;
    for (let i = 0; i < frags; i++) cgp.clrBit(freeoff, rel + i);
    cgp.setFrotor(rel);
    ump.csAdjust(cgp, c, 0, 0, 0, -frags);
    cgp.addFrsum(allocsiz, -1);
    if (frags !== allocsiz) cgp.addFrsum(allocsiz - frags, 1);
    return cgbase(fs, c) + rel;
  } finally {
    ump.cgput(h, dirty);
  }
}

/** Bytes → DEV_BSIZE units for di_blocks. */
function btodb(n: number): number {
  return n / 512;
}

/**
 * ffs_alloc: a new block or fragment run of `size` bytes for logical block `lbn` of `ip`, near
 * `bpref`. Charges di_blocks. ENOSPC when nothing fits.
 */
export function ffs_alloc(ip: Inode, bpref: number, size: number): number {
  const ump = ip.ump;
  const fs = ump.fs;
  if (bpref >= fs.size || bpref < 0) bpref = 0;
  const c = bpref ? dtog(fs, bpref) : ino_to_cg(fs, ip.ino);
  const tryAlloc = (): number => {
    if (size === fs.bsize && fs.cs_nbfree === 0) return 0;
    if (fs.cs_nbfree * fs.frag + fs.cs_nffree < numfrags(fs, size)) return 0;
    return hashalloc(ump, c, bpref, size, alloccg);
  };
  const bno = tryAlloc();
  if (!bno) nospc(ump, 'block allocation', 'blocks');
  ip.din.blocks += btodb(size);
  ip.dirty = true;
  return bno;
}

/** ffs_fragextend: grow the fragment run at `bprev` in place from osize to nsize bytes, if free. */
function fragextend(ump: Ufsmount, c: number, bprev: number, osize: number, nsize: number): boolean {
  const fs = ump.fs;
  const ofrags = numfrags(fs, osize);
  const frags = numfrags(fs, nsize);
  if (ump.csGet(c, 3) < frags - ofrags) return false;
  const bbase = bprev % fs.frag;
  if (bbase + frags > fs.frag) return false;
  const h = ump.cgget(c);
  const { cgp } = h;
  const freeoff = cgp.freeoff();
  const rel = bprev - cgbase(fs, c);
  for (let i = ofrags; i < frags; i++) {
    if (!cgp.bit(freeoff, rel + i)) {
      ump.cgput(h, false);
      return false;
    }
  }
  // The free run that began after the old tail shrinks by what we take.
  let i = frags;
  while (i < fs.frag - bbase && cgp.bit(freeoff, rel + i)) i++;
  cgp.addFrsum(i - ofrags, -1);
  if (i !== frags) cgp.addFrsum(i - frags, 1);
  for (let j = ofrags; j < frags; j++) cgp.clrBit(freeoff, rel + j);
  ump.csAdjust(cgp, c, 0, 0, 0, -(frags - ofrags));
  ump.cgput(h, true);
  return true;
}

/**
 * ffs_realloccg: grow the fragment run at `bprev` from osize to nsize bytes — in place when the
 * fragments after it are free, else at a new place (a whole block when optimising for time, the
 * unused tail given back). Returns the address; when it differs from bprev the caller moves the
 * data and frees the old run with ffs_blkfree.
 */
export function ffs_realloccg(ip: Inode, bprev: number, bpref: number, osize: number, nsize: number): number {
  const ump = ip.ump;
  const fs = ump.fs;
  const c = dtog(fs, bprev);
  if (fragextend(ump, c, bprev, osize, nsize)) {
    ip.din.blocks += btodb(nsize - osize);
    ip.dirty = true;
    return bprev;
  }
  if (bpref >= fs.size || bpref < 0) bpref = 0;
  const request = fs.optim === FS_OPTSPACE ? nsize : fs.bsize;
  let got = request;
  const tryAlloc = (): number => {
    if (fs.cs_nbfree * fs.frag + fs.cs_nffree < numfrags(fs, nsize)) return 0;
    got = request;
    let b = hashalloc(ump, c, bpref, request, alloccg);
    if (!b && request !== nsize) {
      got = nsize;
      b = hashalloc(ump, c, bpref, nsize, alloccg);
    }
    return b;
  };
  const bno = tryAlloc();
  if (!bno) nospc(ump, 'fragment reallocation', 'blocks');
  // The unused tail was free as of the last commit too: it goes back at once.
  if (got > nsize) blkfreeNow(ump, bno + numfrags(fs, nsize), got - nsize);
  ip.din.blocks += btodb(nsize - osize);
  ip.dirty = true;
  return bno;
}

/**
 * ffs_blkfree: give back `size` bytes at fragment `bno` (a block or fragments of one block). A
 * run that is already free, or lies outside the data area, is EIO and changes nothing.
 */
export function ffs_blkfree(ump: Ufsmount, bno: number, size: number): void {
  if (ump.wapbl) deferBlkfree(ump, bno, size);
  else blkfreeNow(ump, bno, size);
}

function checkBlkfree(ump: Ufsmount, bno: number, size: number): number {
  const fs = ump.fs;
  const frags = numfrags(fs, size);
  if (!(bno > 0 && bno + frags <= fs.size) || size <= 0 || size > fs.bsize || size % fs.fsize !== 0 || (bno % fs.frag) + frags > fs.frag) {
    throw errno('EIO', `ffs: freeing bad block ${bno} (${size} bytes)`);
  }
  return frags;
}

/**
 * wapbl_register_deallocation: remember the free for the commit. The same checks as an immediate
 * free (in range, not free in the map, not already waiting), so a double free is EIO here and not
 * in the middle of a commit.
 */
function deferBlkfree(ump: Ufsmount, bno: number, size: number): void {
  const fs = ump.fs;
  const frags = checkBlkfree(ump, bno, size);
  const first = bno % fs.frag;
  const base = bno - first;
  const mask = ((1 << frags) - 1) << first;
  const waiting = ump.deferred.blocks.get(base) ?? 0;
  if ((waiting & mask) !== 0) throw errno('EIO', `ffs: freeing fragment run ${bno} (${size} bytes) twice in one transaction`);
  const c = dtog(fs, bno);
  const h = ump.cgget(c);
  try {
    const freeoff = h.cgp.freeoff();
    const rel = bno - cgbase(fs, c);
    for (let i = 0; i < frags; i++) {
      if (h.cgp.bit(freeoff, rel + i)) throw errno('EIO', `ffs: freeing free fragment ${bno + i} (cylinder group ${c})`);
    }
  } finally {
    ump.cgput(h, false);
  }
  ump.deferred.blocks.set(base, waiting | mask);
}

/**
 * ffs_wapbl_sync_metadata's part: carry out the deferred frees (called by the log at the start of
 * a commit, so the maps that free them are in the same transaction as the pointers that let go).
 */
export function ffs_deferred_free(ump: Ufsmount): void {
  const { blocks, inodes } = ump.deferred;
  if (blocks.size === 0 && inodes.size === 0) return;
  const fs = ump.fs;
  const full = (1 << fs.frag) - 1;
  const bl = [...blocks];
  const il = [...inodes];
  blocks.clear();
  inodes.clear();
  for (const [base, mask] of bl) {
    if (mask === full) {
      blkfreeNow(ump, base, fs.bsize);
      continue;
    }
    // Each run of adjacent fragments is one free (they never span blocks).
    for (let i = 0; i < fs.frag; ) {
      if ((mask & (1 << i)) === 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < fs.frag && (mask & (1 << j)) !== 0) j++;
      blkfreeNow(ump, base + i, (j - i) * fs.fsize);
      i = j;
    }
  }
  for (const [ino, isdir] of il) vfreeNow(ump, ino, isdir);
}

function blkfreeNow(ump: Ufsmount, bno: number, size: number): void {
  const fs = ump.fs;
  const frags = checkBlkfree(ump, bno, size);
  const c = dtog(fs, bno);
  const h = ump.cgget(c);
  const { cgp } = h;
  const freeoff = cgp.freeoff();
  const rel = bno - cgbase(fs, c);
  for (let i = 0; i < frags; i++) {
    if (cgp.bit(freeoff, rel + i)) {
      ump.cgput(h, false);
      throw errno('EIO', `ffs: freeing free fragment ${bno + i} (cylinder group ${c})`);
    }
  }
  if (size === fs.bsize) {
    const blk = rel / fs.frag;
    setblock(fs, cgp, freeoff, blk, true);
    clusteracct(fs, cgp, blk, 1);
    ump.csAdjust(cgp, c, 0, 1, 0, 0);
  } else {
    const bbase = rel - (rel % fs.frag);
    fragacct(fs, cgp, freeoff, bbase, -1);
    for (let i = 0; i < frags; i++) cgp.setBit(freeoff, rel + i);
    ump.csAdjust(cgp, c, 0, 0, 0, frags);
    fragacct(fs, cgp, freeoff, bbase, 1);
    // The whole block is free again: it counts as a block, not as fragments.
    const blk = bbase / fs.frag;
    if (isblock(fs, cgp, freeoff, blk)) {
      ump.csAdjust(cgp, c, 0, 1, 0, -fs.frag);
      clusteracct(fs, cgp, blk, 1);
    }
  }
  ump.cgput(h, true);
}

/**
 * ffs_blkpref: where logical block `lbn` should go. After the previous block when there is one
 * (`prev`, its address), except every fs_maxbpg blocks; the first blocks of a file go to its
 * inode's cg; past the first indirect block a file moves on to a cg with an average share of free
 * blocks.
 */
export function ffs_blkpref(ip: Inode, lbn: number, prev: number): number {
  const ump = ip.ump;
  const fs = ump.fs;
  if (prev !== 0 && lbn % fs.maxbpg !== 0) return prev + fs.frag;
  const icg = ino_to_cg(fs, ip.ino);
  if (lbn < UFS_NDADDR + fs.nindir) return cgbase(fs, icg) + fs.frag;
  const avgbfree = fs.cs_nbfree / fs.ncg;
  const start = (icg + Math.floor(lbn / fs.maxbpg)) % fs.ncg;
  for (let k = 0; k < fs.ncg; k++) {
    const c = (start + k) % fs.ncg;
    if (ump.csGet(c, 1) >= avgbfree) return cgbase(fs, c) + fs.frag;
  }
  return 0;
}

/**
 * ffs_dirpref: the cg for a new directory. Top-level directories spread over the groups with an
 * average share of free inodes and the fewest directories; deeper ones stay with their parent
 * while it has room.
 */
function dirpref(pip: Inode): number {
  const ump = pip.ump;
  const fs = ump.fs;
  const avgifree = fs.cs_nifree / fs.ncg;
  const avgbfree = fs.cs_nbfree / fs.ncg;
  const pcg = ino_to_cg(fs, pip.ino);
  if (pip.ino !== UFS_ROOTINO && ump.csGet(pcg, 2) >= avgifree && ump.csGet(pcg, 1) >= avgbfree) return pcg;
  let mincg = pcg;
  let minndir = Infinity;
  for (let c = 0; c < fs.ncg; c++) {
    if (ump.csGet(c, 2) >= avgifree && ump.csGet(c, 0) < minndir) {
      mincg = c;
      minndir = ump.csGet(c, 0);
    }
  }
  return mincg;
}

/** ffs_nodealloccg: an inode from cg `c` (near `ipref`), or 0. */
function nodealloccg(ump: Ufsmount, c: number, ipref: number, isdir: number): number {
  const fs = ump.fs;
  if (ump.csGet(c, 2) === 0) return 0;
  const h = ump.cgget(c);
  const { cgp } = h;
  if (cgp.nifree() === 0) {
    ump.cgput(h, false);
    return 0;
  }
  const iused = cgp.iusedoff();
  let rel = ipref % fs.ipg;
  if (cgp.bit(iused, rel)) {
    const rotor = Math.min(cgp.irotor(), fs.ipg - 1);
    rel = -1;
    for (let k = 0; k < fs.ipg; k++) {
      const i = (rotor + k) % fs.ipg;
      // Skip whole used bytes quickly.
      if ((i & 7) === 0 && cgp.b[iused + (i >>> 3)] === 0xff && i + 8 <= fs.ipg) {
        k += 7;
        continue;
      }
      if (!cgp.bit(iused, i)) {
        rel = i;
        break;
      }
    }
    if (rel < 0) {
      ump.cgput(h, false);
      throw errno('EIO', `ffs: cylinder group ${c}: cg_cs.cs_nifree says an inode is free but the map has none`);
    }
    cgp.setIrotor(rel);
  }
  if (ump.ufs2) initInodeBlocks(ump, h, rel);
  cgp.setBit(iused, rel);
  ump.csAdjust(cgp, c, isdir, 0, -1, 0);
  ump.cgput(h, true);
  return c * fs.ipg + rel;
}

/** UFS2: inodes past cg_initediblk were never written; zero their blocks before handing one out. */
function initInodeBlocks(ump: Ufsmount, h: HeldCg, rel: number): void {
  const fs = ump.fs;
  const { cgp, c } = h;
  let inited = cgp.initediblk();
  if (rel + fs.inopb <= inited) return;
  while (rel + fs.inopb > inited && inited < fs.ipg) {
    const frag = cgbase(fs, c) + fs.iblkno + (inited / fs.inopb) * fs.frag;
    const bp = ump.bio.getblk(fsbtob(fs, frag), fs.bsize);
    bp.data.fill(0);
    // Each fresh inode gets a generation number, as ffs_nodealloccg does.
    const dv = bp.view();
    const isize = dinodeSize(fs);
    for (let i = 0; i < fs.inopb; i++) dv.setInt32(i * isize + 80, (ump.nextgen = (ump.nextgen + 1) & 0x7fffffff), ump.le);
    ump.bio.bdwrite(bp);
    inited += fs.inopb;
  }
  cgp.setInitediblk(inited);
}

/** ffs_valloc: a free inode for a new file in directory `pip` (near `want` if given). ENOSPC when none. */
export function ffs_valloc(pip: Inode, isdir: boolean, want?: number): number {
  const ump = pip.ump;
  const fs = ump.fs;
  const tryAlloc = (): number => {
    if (fs.cs_nifree <= 0) return 0;
    let ipref = want ?? (isdir ? dirpref(pip) * fs.ipg : pip.ino);
    if (ipref >= maxino(fs)) ipref = 0;
    return hashalloc(ump, ino_to_cg(fs, ipref), ipref, isdir ? 1 : 0, nodealloccg);
  };
  const ino = tryAlloc();
  if (!ino) nospc(ump, 'inode allocation', 'inodes');
  return ino;
}

/** ffs_vfree: give inode `ino` back (while logging, when the transaction commits). */
export function ffs_vfree(ump: Ufsmount, ino: number, isdir: boolean): void {
  if (!ump.wapbl) {
    vfreeNow(ump, ino, isdir);
    return;
  }
  if (ump.deferred.inodes.has(ino)) throw errno('EIO', `ffs: freeing inode ${ino} twice in one transaction`);
  const h = holdUsedInode(ump, ino);
  ump.cgput(h, false);
  ump.deferred.inodes.set(ino, isdir);
}

/** Is inode `ino` marked in use in its cylinder group's map? */
export function ffs_inode_inuse(ump: Ufsmount, ino: number): boolean {
  const fs = ump.fs;
  const h = ump.cgget(ino_to_cg(fs, ino));
  try {
    return h.cgp.bit(h.cgp.iusedoff(), ino % fs.ipg);
  } finally {
    ump.cgput(h, false);
  }
}

/** The cg of inode `ino`, held, after checking the inode is in range and in use. */
function holdUsedInode(ump: Ufsmount, ino: number): HeldCg {
  const fs = ump.fs;
  if (!(ino >= UFS_ROOTINO && ino < maxino(fs))) throw errno('EIO', `ffs: freeing bad inode ${ino}`);
  const h = ump.cgget(ino_to_cg(fs, ino));
  if (!h.cgp.bit(h.cgp.iusedoff(), ino % fs.ipg)) {
    ump.cgput(h, false);
    throw errno('EIO', `ffs: freeing free inode ${ino}`);
  }
  return h;
}

function vfreeNow(ump: Ufsmount, ino: number, isdir: boolean): void {
  const fs = ump.fs;
  const h = holdUsedInode(ump, ino);
  const { cgp, c } = h;
  const rel = ino % fs.ipg;
  const iused = cgp.iusedoff();
  cgp.clrBit(iused, rel);
  if (rel < cgp.irotor()) cgp.setIrotor(rel);
  ump.csAdjust(cgp, c, isdir ? -1 : 0, 0, 1, 0);
  ump.cgput(h, true);
}
