/**
 * Cylinder group headers checked before any field of them is used (NetBSD's cg_chkmagic, plus the
 * ranges the allocator and fsck rely on): every map offset the header gives must lie inside the
 * cg block, after the header and clear of the other maps, and every count must fit the group. The
 * kernel refuses a group that fails (EIO, with a kernel message); fsck rebuilds its header.
 */
import { CG_MAGIC, CG_SPACE_OFF, type CgView } from './ondisk/cg.js';
import type { Fs } from './ondisk/fs.js';
import { cgbase } from './ondisk/geometry.js';

const howmany = (a: number, b: number): number => Math.ceil(a / b);

/** cg_ndblk as newfs writes it: fs_fpg, less for a last group cut short by fs_size. */
export function cgNdblk(fs: Fs, c: number): number {
  return Math.min(fs.fpg, fs.size - cgbase(fs, c));
}

/** Where newfs puts the maps (NetBSD mkfs; fsck rebuilds a header beyond saving this way). */
export interface CgLayout {
  /** UFS1 only: the old rotational tables, 4 + 2 bytes for one cylinder. */
  btotoff: number;
  boff: number;
  iusedoff: number;
  freeoff: number;
  clustersumoff: number;
  clusteroff: number;
  /** The first byte past the maps (cg_nextfreeoff). */
  nextfreeoff: number;
}

export function cgStandardLayout(fs: Fs): CgLayout {
  const ufs1 = fs.ufsVersion === 1;
  const iusedoff = CG_SPACE_OFF + (ufs1 ? 6 : 0);
  const freeoff = iusedoff + howmany(fs.ipg, 8);
  let next = freeoff + howmany(fs.fpg, 8);
  let clustersumoff = 0;
  let clusteroff = 0;
  if (fs.contigsumsize > 0) {
    // cg_clustersum[0] is never used: the array starts 4 bytes before the aligned end of the maps.
    clustersumoff = Math.ceil(next / 4) * 4 - 4;
    clusteroff = clustersumoff + (fs.contigsumsize + 1) * 4;
    next = clusteroff + howmany(Math.floor(fs.fpg / fs.frag), 8);
  }
  return { btotoff: ufs1 ? CG_SPACE_OFF : 0, boff: ufs1 ? CG_SPACE_OFF + 4 : 0, iusedoff, freeoff, clustersumoff, clusteroff, nextfreeoff: next };
}

/** The byte ranges the maps of a header take: [start, end) each, named. */
function mapRanges(fs: Fs, cgp: CgView, ndblk: number): [string, number, number][] {
  const maps: [string, number, number][] = [
    ['cg_iusedoff', cgp.get('iusedoff'), howmany(fs.ipg, 8)],
    ['cg_freeoff', cgp.get('freeoff'), howmany(fs.fpg, 8)],
  ];
  if (fs.contigsumsize > 0) {
    // cg_clustersum[0] is never used, so clustersumoff may sit 4 bytes early (newfs rounds down).
    maps.push(['cg_clustersumoff', cgp.get('clustersumoff') + 4, fs.contigsumsize * 4]);
    maps.push(['cg_clusteroff', cgp.get('clusteroff'), howmany(Math.floor(ndblk / fs.frag), 8)]);
  }
  return maps.map(([n, off, len]) => [n, off, off + len]);
}

/**
 * What is wrong with the header of cylinder group `c` (as read into a block of `size` bytes), or
 * null when every field the kernel uses is in range.
 */
/**
 * Are the map offsets of a header usable — each map inside the block, after the header, clear of
 * the others, the cluster sums 4-aligned? The problem, or null. (Independent of the other fields,
 * so fsck can tell a header it can read the maps of from one it must lay out afresh.)
 */
export function cgMapsInvalid(fs: Fs, cgp: CgView, c: number, size: number): string | null {
  const ranges = mapRanges(fs, cgp, cgNdblk(fs, c));
  for (const [name, start, end] of ranges) {
    if (!(start >= CG_SPACE_OFF && end <= size)) return `${name} ${start} puts its map outside [${CG_SPACE_OFF}, ${size})`;
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, as, ae] = ranges[i]!;
      const [b, bs, be] = ranges[j]!;
      if (as < be && bs < ae) return `the maps at ${a} and ${b} overlap`;
    }
  }
  if (fs.contigsumsize > 0 && cgp.get('clustersumoff') % 4 !== 0) return `cg_clustersumoff ${cgp.get('clustersumoff')} is not 4-aligned`;
  return null;
}

export function cgInvalid(fs: Fs, cgp: CgView, c: number, size: number): string | null {
  const magic = cgp.get('magic');
  if (magic !== CG_MAGIC) return `bad cg_magic 0x${(magic >>> 0).toString(16)}`;
  const cgx = cgp.get('cgx');
  if (cgx !== c) return `cg_cgx is ${cgx}`;
  const ndblk = cgNdblk(fs, c);
  if (cgp.get('ndblk') !== ndblk) return `cg_ndblk ${cgp.get('ndblk')} is not ${ndblk}`;
  if (fs.ufsVersion === 2) {
    if (cgp.get('niblk') !== fs.ipg) return `cg_niblk ${cgp.get('niblk')} is not fs_ipg ${fs.ipg}`;
    if (cgp.get('initediblk') > fs.ipg) return `cg_initediblk ${cgp.get('initediblk')} exceeds fs_ipg ${fs.ipg}`;
  }
  const maps = cgMapsInvalid(fs, cgp, c, size);
  if (maps) return maps;
  if (fs.contigsumsize > 0) {
    const nclusterblks = Math.floor(ndblk / fs.frag);
    if (cgp.get('nclusterblks') !== nclusterblks) return `cg_nclusterblks ${cgp.get('nclusterblks')} is not ${nclusterblks}`;
  }
  const counts: [string, number, number][] = [
    ['cs_ndir', cgp.get('cs_ndir'), fs.ipg],
    ['cs_nifree', cgp.get('cs_nifree'), fs.ipg],
    ['cs_nbfree', cgp.get('cs_nbfree'), Math.floor(ndblk / fs.frag)],
    ['cs_nffree', cgp.get('cs_nffree'), ndblk],
  ];
  for (const [name, v, max] of counts) if (!(v >= 0 && v <= max)) return `cg_cs.${name} ${v} is not in [0, ${max}]`;
  return null;
}

/**
 * The allocation rotors are hints: one out of range (a stale or damaged header) is read as 0, as
 * fsck_ffs's pass 5 resets it. Says whether anything was reset.
 */
export function cgClampRotors(fs: Fs, cgp: CgView, c: number): boolean {
  const bad = rotors(fs, cgp, c);
  for (const f of bad) cgp.set(f, 0);
  return bad.length > 0;
}

/** The rotors out of range, as text for fsck, or null. */
export function cgRotorsBad(fs: Fs, cgp: CgView, c: number): string | null {
  const bad = rotors(fs, cgp, c);
  return bad.length === 0 ? null : bad.map((f) => `cg_${f} ${cgp.get(f)}`).join(', ') + ' out of range';
}

function rotors(fs: Fs, cgp: CgView, c: number): ('rotor' | 'frotor' | 'irotor')[] {
  const ndblk = cgNdblk(fs, c);
  const out: ('rotor' | 'frotor' | 'irotor')[] = [];
  for (const [f, max] of [['rotor', ndblk], ['frotor', ndblk], ['irotor', fs.ipg]] as const) {
    const v = cgp.get(f);
    if (!(v >= 0 && v < max)) out.push(f);
  }
  return out;
}
