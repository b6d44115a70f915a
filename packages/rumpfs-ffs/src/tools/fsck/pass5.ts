/**
 * Pass 5 — cylinder groups (fsck_ffs pass5.c): rebuild each group's maps and counts from what
 * passes 1–4 found — the inode bitmap from the inode states, the free-fragment bitmap from the
 * block map, cg_frsum, the cluster map and its summary, cg_cs — compare them with the disk and
 * write the group back where they differ; then the summary array (fs_csaddr) and fs_cstotal.
 */
import { cgClampRotors, cgInvalid, cgMapsInvalid, cgNdblk, cgRotorsBad, cgStandardLayout } from '../../cgcheck.js';
import { CG_MAGIC, CgView } from '../../ondisk/cg.js';
import { UFS_ROOTINO, cgbase, cgtod, fragroundup, fsbtob } from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, type FsckContext, USTATE } from './context.js';

/** The standard map layout (NetBSD mkfs, as our newfs writes it) for a header beyond saving. */
function standardLayout(ctx: FsckContext, cgp: CgView): void {
  const l = cgStandardLayout(ctx.fs);
  if (!ctx.ufs2) {
    cgp.set('old_btotoff', l.btotoff);
    cgp.set('old_boff', l.boff);
  }
  cgp.set('iusedoff', l.iusedoff);
  cgp.set('freeoff', l.freeoff);
  if (ctx.fs.contigsumsize > 0) {
    cgp.set('clustersumoff', l.clustersumoff);
    cgp.set('clusteroff', l.clusteroff);
  }
  cgp.set('nextfreeoff', l.nextfreeoff);
}

interface Totals {
  ndir: number;
  nbfree: number;
  nifree: number;
  nffree: number;
}

function checkCg(ctx: FsckContext, c: number, tot: Totals, csNew: Int32Array): void {
  const fs = ctx.fs;
  const off = fsbtob(fs, cgtod(fs, c));
  const size = fragroundup(fs, fs.cgsize);
  const raw = ctx.read(off, size);
  const nb = raw.slice();
  const cgp = new CgView(nb, ctx.le);
  // Every count and length below comes from the geometry, never from the header being checked.
  const ndblk = cgNdblk(fs, c);
  const nclblks = fs.contigsumsize > 0 ? Math.floor(ndblk / fs.frag) : 0;
  let dirty = false;
  // Header: what the kernel checks before it uses a group (cgcheck.ts), and the rotors.
  const why = cgInvalid(fs, cgp, c, size);
  const sane = cgMapsInvalid(fs, cgp, c, size) === null;
  const rotors = cgRotorsBad(fs, cgp, c);
  if (why || rotors) {
    if (ctx.problem(5, 'cg-header', `CG ${c}: BAD HEADER (${why ?? rotors}): REBUILD`)) {
      cgp.set('magic', CG_MAGIC);
      cgp.set('cgx', c);
      cgp.set('ndblk', ndblk);
      if (ctx.ufs2) {
        cgp.set('niblk', fs.ipg);
        cgp.set('initediblk', ctx.inited[c] ?? 0);
      } else {
        cgp.set('old_niblk', fs.ipg);
        cgp.set('old_ncyl', 1);
      }
      if (fs.contigsumsize > 0) cgp.set('nclusterblks', nclblks);
      if (!sane) standardLayout(ctx, cgp);
      cgClampRotors(fs, cgp, c);
      dirty = true;
    } else if (!sane) {
      // Without a repair the maps cannot be read: nothing more to compare in this group.
      return;
    }
  }
  // UFS2: inodes fsck made (a new root, lost+found) past the group's initialised ones.
  if (ctx.ufs2 && cgp.get('initediblk') < (ctx.inited[c] ?? 0)) {
    if (ctx.problem(5, 'cg-header', `CG ${c}: cg_initediblk ${cgp.get('initediblk')} SHOULD BE ${ctx.inited[c] ?? 0}: FIX`)) {
      cgp.set('initediblk', ctx.inited[c] ?? 0);
      dirty = true;
    }
  }
  const iusedoff = cgp.get('iusedoff');
  const freeoff = cgp.get('freeoff');
  // Inode map.
  let nifree = 0;
  let ndir = 0;
  let imapBad = 0;
  for (let i = 0; i < fs.ipg; i++) {
    const ino = c * fs.ipg + i;
    const st = ctx.state[ino] ?? USTATE;
    const used = st !== USTATE || ino < UFS_ROOTINO;
    if (!used) nifree++;
    if (st === DSTATE || st === DCLEAR) ndir++;
    if (cgp.bit(iusedoff, i) !== used) {
      imapBad++;
      if (used) cgp.setBit(iusedoff, i);
      else cgp.clrBit(iusedoff, i);
    }
  }
  if (imapBad > 0 && ctx.problem(5, 'inode-map', `CG ${c}: ${imapBad} INODE(S) WRONG IN THE BIT MAP: FIX`)) dirty = true;
  // Fragment map, free counts and run sums.
  const base = cgbase(fs, c);
  let nbfree = 0;
  let nffree = 0;
  let usedMarkedFree = 0;
  let freeMarkedUsed = 0;
  const frsum = new Array<number>(fs.frag).fill(0);
  const blkFree: boolean[] = [];
  for (let blk = 0; blk * fs.frag < ndblk; blk++) {
    let run = 0;
    let nfree = 0;
    const inBlk = Math.min(fs.frag, ndblk - blk * fs.frag);
    for (let j = 0; j < fs.frag; j++) {
      const f = blk * fs.frag + j;
      const free = j < inBlk && (ctx.bmap[base + f] ?? 0) === 0;
      if (j < inBlk && cgp.bit(freeoff, f) !== free) {
        if (free) freeMarkedUsed++;
        else usedMarkedFree++;
        if (free) cgp.setBit(freeoff, f);
        else cgp.clrBit(freeoff, f);
      }
      if (free) {
        nfree++;
        run++;
      } else {
        if (run > 0 && run < fs.frag) frsum[run]!++;
        run = 0;
      }
    }
    if (nfree === fs.frag) {
      nbfree++;
      blkFree.push(true);
    } else {
      if (run > 0) frsum[run]!++;
      nffree += nfree;
      blkFree.push(false);
    }
  }
  if (usedMarkedFree + freeMarkedUsed > 0) {
    const what = [usedMarkedFree ? `${usedMarkedFree} USED FRAGMENT(S) MARKED FREE` : '', freeMarkedUsed ? `${freeMarkedUsed} FREE FRAGMENT(S) MARKED USED` : ''].filter(Boolean).join(', ');
    if (ctx.problem(5, 'block-map', `CG ${c}: ${what} IN THE BIT MAP: FIX`)) dirty = true;
  }
  let frBad = false;
  for (let i = 1; i < fs.frag; i++) {
    if (cgp.frsum(i) !== frsum[i]) {
      frBad = true;
      cgp.addFrsum(i, (frsum[i] ?? 0) - cgp.frsum(i));
    }
  }
  if (frBad && ctx.problem(5, 'frsum', `CG ${c}: FRAGMENT SUMMARY (cg_frsum) WRONG: FIX`)) dirty = true;
  // Cluster map and summary.
  if (fs.contigsumsize > 0) {
    const map = cgp.get('clusteroff');
    let clBad = false;
    const sums = new Array<number>(fs.contigsumsize + 1).fill(0);
    let run = 0;
    for (let i = 0; i <= nclblks; i++) {
      const free = i < nclblks && (blkFree[i] ?? false);
      if (i < nclblks && cgp.bit(map, i) !== free) {
        clBad = true;
        if (free) cgp.setBit(map, i);
        else cgp.clrBit(map, i);
      }
      if (free) run++;
      else if (run > 0) {
        sums[Math.min(run, fs.contigsumsize)]!++;
        run = 0;
      }
    }
    for (let i = 1; i <= fs.contigsumsize; i++) {
      if (cgp.clusterSum(i) !== sums[i]) {
        clBad = true;
        cgp.addClusterSum(i, (sums[i] ?? 0) - cgp.clusterSum(i));
      }
    }
    if (clBad && ctx.problem(5, 'cluster', `CG ${c}: CLUSTER MAP OR SUMMARY WRONG: FIX`)) dirty = true;
  }
  // Counts in the header.
  const want: [string, 'cs_ndir' | 'cs_nbfree' | 'cs_nifree' | 'cs_nffree', number][] = [
    ['ndir', 'cs_ndir', ndir],
    ['nbfree', 'cs_nbfree', nbfree],
    ['nifree', 'cs_nifree', nifree],
    ['nffree', 'cs_nffree', nffree],
  ];
  const wrong = want.filter(([, f, v]) => cgp.get(f) !== v);
  if (wrong.length > 0) {
    const msg = wrong.map(([n, f, v]) => `${n} ${cgp.get(f)} should be ${v}`).join(', ');
    for (const [, f, v] of wrong) cgp.set(f, v);
    if (ctx.problem(5, 'cg-summary', `CG ${c}: SUMMARY INFORMATION WRONG (${msg}): FIX`)) dirty = true;
  }
  csNew.set([ndir, nbfree, nifree, nffree], c * 4);
  tot.ndir += ndir;
  tot.nbfree += nbfree;
  tot.nifree += nifree;
  tot.nffree += nffree;
  if (dirty && ctx.repair) ctx.write(nb, off);
}

export function pass5(ctx: FsckContext): void {
  ctx.log('** Phase 5 - Check Cyl groups');
  const fs = ctx.fs;
  const tot: Totals = { ndir: 0, nbfree: 0, nifree: 0, nffree: 0 };
  const csNew = new Int32Array(fs.ncg * 4);
  for (let c = 0; c < fs.ncg; c++) checkCg(ctx, c, tot, csNew);
  // The summary array.
  const csOff = fsbtob(fs, fs.csaddr);
  const csLen = fragroundup(fs, fs.cssize);
  const csRaw = ctx.read(csOff, csLen);
  const dv = new DataView(csRaw.buffer, csRaw.byteOffset, csRaw.byteLength);
  let csBad = 0;
  for (let i = 0; i < csNew.length; i++) {
    if (dv.getInt32(i * 4, ctx.le) !== csNew[i]) {
      csBad++;
      dv.setInt32(i * 4, csNew[i] ?? 0, ctx.le);
    }
  }
  if (csBad > 0 && ctx.problem(5, 'cs-array', `SUMMARY ARRAY (fs_csaddr) HAS ${csBad} WRONG COUNT(S): FIX`)) ctx.write(csRaw, csOff);
  const sb = [fs.cs_ndir, fs.cs_nbfree, fs.cs_nifree, fs.cs_nffree];
  const now = [tot.ndir, tot.nbfree, tot.nifree, tot.nffree];
  if (sb.some((v, i) => v !== now[i])) {
    if (ctx.problem(5, 'cstotal', `SUPERBLOCK SUMMARY (fs_cstotal) ${sb.join('/')} SHOULD BE ${now.join('/')} (ndir/nbfree/nifree/nffree): FIX`)) {
      fs.cs_ndir = tot.ndir;
      fs.cs_nbfree = tot.nbfree;
      fs.cs_nifree = tot.nifree;
      fs.cs_nffree = tot.nffree;
      ctx.sbdirty = true;
    }
  }
}
