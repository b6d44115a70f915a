/**
 * The volume's layout derived from its boot sector (msdosfs_vfsops.c msdosfs_mountfs, fat.h):
 * reserved sectors, the FAT copies, the fixed root directory of FAT12/16, the data area, the FAT
 * type from the cluster count, and the FAT entry constants. Pure: every value checked against the
 * others and the medium before anything is read through it.
 */
import { errno } from '@rumpts/librump';
import { type BootSector, FATMIRROR, FATNUM, isFat32Layout } from './bootsector.js';
import { DIRENT_SIZE } from './direntry.js';

/** The FAT entry width in bits: 12, 16 or 32 (of which 28 are used). */
export type FatType = 12 | 16 | 32;

/** The first data cluster number; clusters 0 and 1 are reserved (their FAT entries hold the media byte and flags). */
export const CLUST_FIRST = 2;
/** CLUST_FREE: the FAT entry of a free cluster (0 on every FAT type). */
export const CLUST_FREE = 0;

/** A volume with at most this many clusters is FAT12 (Microsoft's rule, as dosfstools applies it). */
export const FAT12_MAX_CLUSTERS = 4084;
/** The most clusters a FAT16 volume has; a FAT12/16 BPB describing more is used as FAT16 with this many. */
export const FAT16_MAX_CLUSTERS = 65524;

/** The FAT entry values of one FAT type (fat.h CLUST_* and the FAT[1] flag bits). */
export interface FatConsts {
  /** Mask of the meaningful bits of an entry (FAT32 entries have 28). */
  mask: number;
  /** Entries ≥ this are reserved values (…F0..…F6), not cluster numbers. */
  rsrvd: number;
  /** Bad cluster marker. */
  bad: number;
  /** Entries ≥ this end a chain; `eofWrite` is what we write. */
  eof: number;
  /** The end-of-chain value written (all ones in the mask). */
  eofWrite: number;
  /** FAT[1] bits: clean shutdown and no hard error (FAT16, FAT32; none on FAT12). */
  cleanBit: number;
  /** The FAT[1] bit that says no disk error was seen (0 on FAT12). */
  hardErrBit: number;
}

/** FatConsts for FAT12, FAT16 and FAT32. */
export const FAT_CONSTS: Readonly<Record<FatType, FatConsts>> = {
  12: { mask: 0xfff, rsrvd: 0xff0, bad: 0xff7, eof: 0xff8, eofWrite: 0xfff, cleanBit: 0, hardErrBit: 0 },
  16: { mask: 0xffff, rsrvd: 0xfff0, bad: 0xfff7, eof: 0xfff8, eofWrite: 0xffff, cleanBit: 0x8000, hardErrBit: 0x4000 },
  32: { mask: 0x0fffffff, rsrvd: 0x0ffffff0, bad: 0x0ffffff7, eof: 0x0ffffff8, eofWrite: 0x0fffffff, cleanBit: 0x08000000, hardErrBit: 0x04000000 },
};

/**
 * The layout of a FAT volume as fatGeometry derives it from the boot sector (the pm_* fields of struct
 * msdosfsmount), all in sectors of `bps` bytes unless said.
 */
export interface FatGeometry {
  /** Bytes per sector (512 … 4096). */
  bps: number;
  /** Sectors per cluster (a power of two). */
  spc: number;
  /** Bytes per cluster. */
  bpc: number;
  /** Reserved sectors before the first FAT (bpbResSectors). */
  resSectors: number;
  /** FAT copies (bpbFATs). */
  nfats: number;
  /** Sectors per FAT copy. */
  fatSecs: number;
  /** Root directory entries (FAT12/16; 0 on FAT32). */
  rootDirEnts: number;
  /** Sectors of the fixed root directory (FAT12/16). */
  rootDirSecs: number;
  /** Sectors of the whole volume (bpbSectors, or bpbHugeSectors). */
  totalSecs: number;
  /** First sector of the fixed root directory (FAT12/16). */
  rootStart: number;
  /** First sector of cluster 2. */
  dataStart: number;
  /** Data clusters: cluster numbers run from 2 to maxcluster. */
  nclusters: number;
  /** pm_maxcluster: the highest cluster number (nclusters + 1). */
  maxcluster: number;
  /** FAT12, FAT16 or FAT32, from the cluster count (FAT32 from the BPB layout). */
  fatType: FatType;
  /** Root directory's first cluster (FAT32), else 0. */
  rootCluster: number;
  /** The FSInfo sector (FAT32) or 0 when there is none. */
  fsInfoSec: number;
  /** The backup boot sector (FAT32) or 0. */
  backupSec: number;
  /** Updates go to every FAT copy (else only `activeFat`, FAT32 with the mirror flag off). */
  mirror: boolean;
  /** The FAT copy read and written when `mirror` is off (bpbExtFlags & FATNUM); 0 otherwise. */
  activeFat: number;
  /** Bytes of each FAT copy that hold entries 0..maxcluster, rounded up to a sector. */
  fatUsedBytes: number;
  /** The media descriptor (bpbMedia). */
  media: number;
}

/** Byte offset of cluster `cn`'s entry inside a FAT copy. */
export function fatEntryOffset(g: FatGeometry, cn: number): number {
  return g.fatType === 32 ? cn * 4 : g.fatType === 16 ? cn * 2 : cn + (cn >>> 1);
}

/** Sector of cluster `cn` (2 ≤ cn ≤ maxcluster). */
export function cntosec(g: FatGeometry, cn: number): number {
  return g.dataStart + (cn - CLUST_FIRST) * g.spc;
}

const isPow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

function bad(what: string): never {
  throw errno('EINVAL', `msdosfs: ${what}`);
}

/**
 * A BPB field no FAT formatter writes: the sector is not a FAT boot sector at all (0x55AA alone is
 * no proof: MBRs and hybrid ISO images carry it too), so type detection may try the next type.
 */
function notFat(what: string): never {
  bad(`${what} (not a FAT file system)`);
}

/**
 * The geometry of a boot sector on a medium of `mediaBytes` bytes with `secsize`-byte sectors, or
 * EINVAL naming what does not add up. Follows msdosfs_mountfs, with the FAT type decided by the
 * cluster count as Microsoft's specification and dosfstools do.
 */
export function fatGeometry(bs: BootSector, mediaBytes: number, secsize = 512): FatGeometry {
  if (!bs.signature) bad('no boot sector signature 0x55AA (not a FAT file system)');
  const b = bs.bpb;
  const bps = b.bytesPerSec;
  if (bps < 512 || bps > 4096 || !isPow2(bps)) notFat(`bytes per sector ${bps} is not 512, 1024, 2048 or 4096`);
  if (bps < secsize || bps % secsize !== 0) bad(`sector size ${bps} is not a multiple of the device's ${secsize}`);
  const spc = b.secPerClust;
  if (!isPow2(spc)) notFat(`sectors per cluster ${spc} is not a power of two`);
  if (b.resSectors < 1) notFat('no reserved sectors (the boot sector itself is one)');
  if (b.fats < 1 || b.fats > 16) notFat(`${b.fats} FATs`);
  const totalSecs = b.sectors !== 0 ? b.sectors : b.hugeSectors;
  if (totalSecs === 0) bad('zero sectors');
  if (totalSecs * bps > mediaBytes) bad(`the file system (${totalSecs} sectors of ${bps}) extends past the end of the medium (${mediaBytes} bytes)`);
  const fat32 = isFat32Layout(b);
  let fatSecs: number;
  let rootDirSecs = 0;
  let rootCluster = 0;
  let fsInfoSec = 0;
  let backupSec = 0;
  let mirror = true;
  let activeFat = 0;
  if (fat32) {
    const x = bs.bpb32;
    if (!x) bad('FAT32 layout without its BPB');
    if (x.fsVers !== 0) bad(`FAT32 version ${x.fsVers >> 8}.${x.fsVers & 0xff} is not 0.0`);
    if (b.sectors !== 0) bad('FAT32 with a 16-bit sector count');
    fatSecs = x.bigFatSecs;
    rootCluster = x.rootClust;
    fsInfoSec = x.fsInfo === 0xffff ? 0 : x.fsInfo;
    backupSec = x.backup === 0xffff ? 0 : x.backup;
    if ((x.extFlags & FATMIRROR) !== 0) {
      mirror = false;
      activeFat = x.extFlags & FATNUM;
      if (activeFat >= b.fats) bad(`active FAT ${activeFat} of ${b.fats}`);
    }
    if (fsInfoSec >= b.resSectors) fsInfoSec = 0;
    if (backupSec >= b.resSectors) backupSec = 0;
  } else {
    fatSecs = b.fatSecs;
    rootDirSecs = Math.ceil((b.rootDirEnts * DIRENT_SIZE) / bps);
  }
  if (fatSecs < 1) bad('zero sectors per FAT');
  const rootStart = b.resSectors + b.fats * fatSecs;
  const dataStart = rootStart + rootDirSecs;
  if (dataStart + spc > totalSecs) bad(`no room for data: the data area begins at sector ${dataStart} of ${totalSecs}`);
  let nclusters = Math.floor((totalSecs - dataStart) / spc);
  let fatType: FatType = fat32 ? 32 : nclusters <= FAT12_MAX_CLUSTERS ? 12 : 16;
  if (!fat32 && nclusters > FAT16_MAX_CLUSTERS) {
    // More clusters than FAT16 numbers can name: use what the entries can address.
    nclusters = FAT16_MAX_CLUSTERS;
    fatType = 16;
  }
  // The FAT must hold an entry for every cluster; clusters past its end are unusable.
  const fatBytes = fatSecs * bps;
  const entries = fatType === 32 ? Math.floor(fatBytes / 4) : fatType === 16 ? Math.floor(fatBytes / 2) : Math.floor((fatBytes * 2) / 3);
  nclusters = Math.min(nclusters, entries - CLUST_FIRST, fatType === 32 ? 0x0ffffff5 : nclusters);
  if (nclusters < 1) bad('the FAT has no room for a single cluster');
  const maxcluster = nclusters + 1;
  if (fat32 && (rootCluster < CLUST_FIRST || rootCluster > maxcluster)) bad(`root directory cluster ${rootCluster} is outside 2..${maxcluster}`);
  const g: FatGeometry = {
    bps, spc, bpc: bps * spc, resSectors: b.resSectors, nfats: b.fats, fatSecs, rootDirEnts: b.rootDirEnts, rootDirSecs, totalSecs,
    rootStart, dataStart, nclusters, maxcluster, fatType, rootCluster, fsInfoSec, backupSec, mirror, activeFat, fatUsedBytes: 0, media: b.media,
  };
  g.fatUsedBytes = Math.min(fatBytes, Math.ceil((fatEntryOffset(g, maxcluster) + (fatType === 32 ? 4 : 2)) / bps) * bps);
  return g;
}
