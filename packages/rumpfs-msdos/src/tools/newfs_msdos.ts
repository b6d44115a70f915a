/**
 * newfs_msdos(8) (sbin/newfs_msdos/mkfs_msdos.c): an empty FAT12, FAT16 or FAT32 file system on a
 * BlockDevice, with NetBSD's defaults — cluster size by volume size, 512 root entries, 1 reserved
 * sector (32 on FAT32, with FSInfo at 1 and the backup boot sector at 6 — where Microsoft's layout and
 * dosfstools put it; NetBSD uses 2), two FATs, the FAT type
 * from the cluster count. Where NetBSD gives up because a chosen FAT type cannot be reached with
 * the default cluster size, the cluster size is halved or doubled until it fits (as mkfs.fat does).
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import {
  BOOTSIG, BOOTSIG_OFFSET, type BootSector, EXBOOTSIG, EXT_OFFSET_FAT16, EXT_OFFSET_FAT32, encodeBootSector, encodeFsInfo,
} from '../ondisk/bootsector.js';
import { ATTR_ARCHIVE, ATTR_VOLUME, DIRENT_SIZE, encodeDirEntry } from '../ondisk/direntry.js';
import { unix2dostime } from '../ondisk/dostime.js';
import { FAT12_MAX_CLUSTERS, FAT16_MAX_CLUSTERS, type FatType } from '../ondisk/geometry.js';

const MAXU16 = 0xffff;
const MAXSPC = 128;
const MAXNFT = 16;
const DEFRDE = 512;
const RESFTE = 2;
const MIN_CLUSTERS: Readonly<Record<FatType, number>> = { 12: 1, 16: FAT12_MAX_CLUSTERS + 1, 32: FAT16_MAX_CLUSTERS + 1 };
const MAX_CLUSTERS: Readonly<Record<FatType, number>> = { 12: FAT12_MAX_CLUSTERS, 16: FAT16_MAX_CLUSTERS, 32: 0x0ffffff4 };

/** Options of newfs_msdos(8), named after its flags. */
export interface NewfsMsdosOptions {
  /** -F: 12, 16 or 32 (default: from the size). */
  fatType?: 12 | 16 | 32;
  /** -c: sectors per cluster, a power of two up to 128. */
  sectorsPerCluster?: number;
  /** -b: bytes per cluster (instead of -c). */
  blockSize?: number;
  /** -L: volume label (up to 11 characters, no "*+,./:;<=>?[\]|). */
  label?: string;
  /** -S: bytes per sector (default: the device's, at least 512). */
  bytesPerSector?: number;
  /** -s: file system size in sectors (default: the whole device). */
  sectors?: number;
  /** -r: reserved sectors. */
  reservedSectors?: number;
  /** -n: number of FATs (default 2). */
  nfats?: number;
  /** -I: volume id (default: from the time, as NetBSD). */
  volumeId?: number;
  /** -e: root directory entries (FAT12/16; default 512). */
  rootEntries?: number;
  /** -O: OEM string (default "NetBSD"). */
  oem?: string;
  /** -m: media descriptor (0xF0 … 0xFF). */
  media?: number;
  /** -o: hidden sectors (the partition's start, for booting). */
  hiddenSectors?: number;
  /** -h: drive heads recorded in the BPB (default 255). */
  heads?: number;
  /** -u: sectors per track recorded in the BPB (default 63). */
  sectorsPerTrack?: number;
  /** -i: sector of the FSInfo sector (FAT32, default 1). */
  infoSector?: number;
  /** -k: sector of the backup boot sector (FAT32, default 6). */
  backupSector?: number;
  /** The time stamped on the label and used for the volume id (tests pin it). */
  now?: Date;
}

/** The layout newfs_msdos wrote (the values of its bpb line). */
export interface NewfsMsdosResult {
  /** FAT12, FAT16 or FAT32. */
  fatType: FatType;
  /** bpbBytesPerSec. */
  bytesPerSector: number;
  /** bpbSecPerClust. */
  sectorsPerCluster: number;
  /** bpbResSectors. */
  reservedSectors: number;
  /** bpbFATs: FAT copies. */
  nfats: number;
  /** bpbRootDirEnts: fixed root directory entries (0 on FAT32). */
  rootEntries: number;
  /** Total sectors. */
  sectors: number;
  /** Sectors per FAT copy. */
  fatSectors: number;
  /** Data clusters. */
  clusters: number;
  /** bpbMedia: the media descriptor. */
  media: number;
  /** bsVolumeID: the volume serial number. */
  volumeId: number;
  /** The MBR partition type that suits the result (1, 4, 6 or 11 as newfs_msdos prints). */
  mbrType: number;
  /** newfs_msdos's bpb line, "bps=512 spc=8 res=1 nft=2 …". */
  bpbLine: string;
}

const BAD_LABEL = '"*+,./:;<=>?[\\]|';

/** oklabel: 1..11 characters, no control characters or DOS-reserved ones. */
function checkLabel(label: string): void {
  if (label.length < 1 || label.length > 11) throw errno('EINVAL', `newfs_msdos: volume label '${label}' must have 1 to 11 characters`);
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c < 0x20 + (i === 0 ? 1 : 0) || c > 0xff || BAD_LABEL.includes(label[i]!)) throw errno('EINVAL', `newfs_msdos: bad volume label '${label}'`);
  }
}

/** mklabel: upper case, blank padded; a leading 0xE5 stored as 0x05. */
function labelBytes(label: string): Uint8Array {
  const b = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < 11 && i < label.length; i++) b[i] = label[i]!.toUpperCase().charCodeAt(0) & 0xff;
  if (b[0] === 0xe5) b[0] = 0x05;
  return b;
}

function asciiBytes(s: string, n: number): Uint8Array {
  const b = new Uint8Array(n).fill(0x20);
  for (let i = 0; i < n && i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

const isPow2 = (x: number): boolean => Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;
const howmany = (a: number, b: number): number => Math.ceil(a / b);

interface Layout {
  fatType: FatType;
  bps: number;
  spc: number;
  res: number;
  nft: number;
  rde: number;
  bsec: number;
  spf: number;
  cls: number;
  infs: number;
  bkbs: number;
}

/** The default cluster size for a volume of `bsec` 512-byte-equivalent sectors (getbpbinfo's defaults). */
function defaultSpc(bsec: number): number {
  if (bsec <= 6000) return 1;
  if (bsec <= 1 << 17) return 8;
  if (bsec <= 1 << 19) return 16;
  if (bsec <= 1 << 21) return 32;
  return 64;
}

/** The FAT size and cluster count for given parameters (mkfs_msdos's bspf and cls). */
function fatAndClusters(fatType: FatType, bps: number, spc: number, res: number, nft: number, rds: number, bsec: number): { spf: number; cls: number } {
  const x1 = res + rds + nft;
  if (x1 > bsec) throw errno('EINVAL', 'newfs_msdos: the metadata does not fit the file system size');
  const x = Math.floor(((bsec - x1) * bps * 2) / (spc * bps * 2 + (fatType / 4) * nft));
  let spf = Math.max(1, howmany((RESFTE + Math.min(x, MAX_CLUSTERS[fatType])) * (fatType / 4), bps * 2));
  // mkfs_msdos's estimate can leave more clusters than FAT entries, which dosfstools rejects:
  // grow the FAT until every cluster the sectors hold has its entry.
  for (;;) {
    const dataStart = res + rds + spf * nft;
    const cls = bsec > dataStart ? Math.floor((bsec - dataStart) / spc) : 0;
    const cap = Math.floor((spf * bps * 2) / (fatType / 4)) - RESFTE;
    if (cls <= cap) return { spf, cls };
    spf++;
  }
}

function layout(sectorsAvail: number, o: NewfsMsdosOptions, devSecsize: number): Layout {
  const bps = o.bytesPerSector ?? Math.max(512, devSecsize);
  if (!isPow2(bps) || bps < 512 || bps > 32768) throw errno('EINVAL', `newfs_msdos: bytes/sector (${bps}) is not a power of 2 from 512`);
  if (bps % devSecsize !== 0) throw errno('EINVAL', `newfs_msdos: bytes/sector (${bps}) is not a multiple of the device's sector size ${devSecsize}`);
  const bsec = o.sectors ?? sectorsAvail;
  if (!Number.isInteger(bsec) || bsec < 1) throw errno('EINVAL', `newfs_msdos: bad size ${bsec} sectors`);
  if (bsec > sectorsAvail) throw errno('EINVAL', `newfs_msdos: ${bsec} sectors do not fit the device (${sectorsAvail} sectors of ${bps} bytes)`);
  if (bsec > 0xffffffff) throw errno('EFBIG', 'newfs_msdos: more than 2^32 sectors');
  if (o.blockSize !== undefined && o.sectorsPerCluster !== undefined) throw errno('EINVAL', 'newfs_msdos: cannot specify both block size and sectors per cluster');
  let spc = 0;
  if (o.blockSize !== undefined) {
    if (!isPow2(o.blockSize) || o.blockSize < bps || o.blockSize > bps * MAXSPC) throw errno('EINVAL', `newfs_msdos: block size (${o.blockSize}) must be a power of 2 from ${bps} to ${bps * MAXSPC}`);
    spc = o.blockSize / bps;
  }
  if (o.sectorsPerCluster !== undefined) {
    if (!isPow2(o.sectorsPerCluster) || o.sectorsPerCluster > MAXSPC) throw errno('EINVAL', `newfs_msdos: sectors/cluster (${o.sectorsPerCluster}) is not a power of 2 up to ${MAXSPC}`);
    spc = o.sectorsPerCluster;
  }
  const nft = o.nfats ?? 2;
  if (!Number.isInteger(nft) || nft < 1 || nft > MAXNFT) throw errno('EINVAL', `newfs_msdos: number of FATs (${nft}) must be 1 to ${MAXNFT}`);
  let fatType = o.fatType;
  if (fatType !== undefined && fatType !== 12 && fatType !== 16 && fatType !== 32) throw errno('EINVAL', `newfs_msdos: ${String(fatType)}: bad FAT type`);
  if (fatType === 32 && o.rootEntries !== undefined) throw errno('EINVAL', 'newfs_msdos: cannot specify directory entries with FAT32');
  if (fatType !== undefined && fatType !== 32 && (o.infoSector !== undefined || o.backupSector !== undefined)) throw errno('EINVAL', `newfs_msdos: cannot specify info or backup sector with FAT${fatType}`);
  if (fatType === undefined && o.rootEntries === undefined && (o.infoSector !== undefined || o.backupSector !== undefined)) fatType = 32;
  // Sectors per cluster by size, counted in 512-byte units as newfs_msdos's table is.
  const autoSpc = spc === 0;
  if (autoSpc) spc = Math.max(1, Math.min(MAXSPC, Math.floor((defaultSpc((bsec * bps) / 512) * 512) / bps)));
  if (fatType === undefined) {
    // The smallest type whose cluster range holds this volume at this cluster size.
    const rdsGuess = howmany(o.rootEntries ?? DEFRDE, bps / DIRENT_SIZE);
    const c16 = fatAndClusters(16, bps, spc, o.reservedSectors ?? 1, nft, rdsGuess, bsec).cls;
    fatType = c16 < MIN_CLUSTERS[16] ? 12 : o.rootEntries !== undefined || c16 <= MAX_CLUSTERS[16] ? 16 : 32;
  }
  const bss = 1;
  let infs = 0;
  let bkbs = 0;
  let x = bss;
  if (fatType === 32) {
    infs = o.infoSector ?? x;
    if (infs !== MAXU16 && x <= infs) x = infs + 1;
    bkbs = o.backupSector ?? 6;
    if (bkbs !== MAXU16 && bkbs === infs) throw errno('EINVAL', 'newfs_msdos: backup sector would overwrite info sector');
    // The backup boot sector and its FSInfo copy (bkbs + infs).
    if (bkbs !== MAXU16 && x <= bkbs + infs) x = bkbs + infs + 1;
  }
  const res = o.reservedSectors ?? (fatType === 32 ? Math.max(x, 16384 / bps, 4) : x);
  if (!Number.isInteger(res) || res < x || res > MAXU16) throw errno('EINVAL', `newfs_msdos: too few reserved sectors (need ${x} have ${res})`);
  const rde = fatType === 32 ? 0 : (o.rootEntries ?? DEFRDE);
  if (!Number.isInteger(rde) || rde < 0 || rde > MAXU16) throw errno('EINVAL', `newfs_msdos: bad number of root entries ${rde}`);
  const rds = howmany(rde, bps / DIRENT_SIZE);
  let fc = fatAndClusters(fatType, bps, spc, res, nft, rds, bsec);
  if (autoSpc) {
    // The cluster size that puts the count inside the type's range (NetBSD refuses instead).
    while (fc.cls < MIN_CLUSTERS[fatType] && spc > 1) fc = fatAndClusters(fatType, bps, (spc >>= 1), res, nft, rds, bsec);
    while (fc.cls > MAX_CLUSTERS[fatType] && spc < MAXSPC) fc = fatAndClusters(fatType, bps, (spc <<= 1), res, nft, rds, bsec);
  }
  if (fc.cls < MIN_CLUSTERS[fatType]) throw errno('EINVAL', `newfs_msdos: ${fc.cls} clusters too few clusters for FAT${fatType}, need ${MIN_CLUSTERS[fatType]}`);
  if (fc.cls > MAX_CLUSTERS[fatType]) throw errno('EINVAL', `newfs_msdos: ${fc.cls} clusters are too many for FAT${fatType} (at most ${MAX_CLUSTERS[fatType]}): use a larger cluster size (-c)`);
  if (fatType !== 32 && fc.spf > MAXU16) throw errno('EINVAL', 'newfs_msdos: too many sectors/FAT for FAT12/16');
  return { fatType, bps, spc, res, nft, rde, bsec, spf: fc.spf, cls: fc.cls, infs, bkbs };
}

/** The boot code after the BPB: an x86 stub that halts (the volume is not bootable). */
const HALT_STUB = [0xfa, 0xf4, 0xeb, 0xfd]; // cli; hlt; jmp $-1

/**
 * newfs_msdos: write an empty FAT file system to `dev` (from sector 0). Every byte of the reserved
 * area, the FATs and the root directory is written; the data area is left as it was.
 */
export function newfs_msdos(dev: BlockDevice, o: NewfsMsdosOptions = {}): NewfsMsdosResult {
  if (dev.readonly) throw errno('EROFS', 'newfs_msdos: the device is read-only');
  const bpsWanted = o.bytesPerSector ?? Math.max(512, dev.secsize);
  const L = layout(Math.floor(dev.size / bpsWanted), o, dev.secsize);
  if (o.label !== undefined) checkLabel(o.label);
  if (o.oem !== undefined && o.oem.length > 8) throw errno('EINVAL', `newfs_msdos: ${o.oem}: bad OEM string`);
  const hid = o.hiddenSectors ?? 0;
  const media = o.media ?? (hid === 0 ? 0xf0 : 0xf8);
  if (!Number.isInteger(media) || media < 0xf0 || media > 0xff) throw errno('EINVAL', `newfs_msdos: illegal media descriptor (${media})`);
  const now = o.now ?? new Date();
  // NetBSD's volume id: month/day plus seconds/sub-seconds in the high half, year plus hour/minute in the low.
  const hi = (((now.getMonth() + 1) << 8) | now.getDate()) + ((now.getSeconds() << 8) | (now.getMilliseconds() * 100));
  const lo = now.getFullYear() + ((now.getHours() << 8) | now.getMinutes());
  const volumeId = o.volumeId ?? ((hi & 0xffff) * 0x10000 + (lo & 0xffff));
  if (!Number.isInteger(volumeId) || volumeId < 0 || volumeId > 0xffffffff) throw errno('EINVAL', `newfs_msdos: bad volume id ${volumeId}`);
  const { fatType, bps, spc, res, nft, rde, bsec, spf, cls, infs, bkbs } = L;
  const fat32 = fatType === 32;
  const small = hid + bsec <= MAXU16;
  const bs: BootSector = {
    jump: new Uint8Array([0xeb, (fat32 ? EXT_OFFSET_FAT32 : EXT_OFFSET_FAT16) + 26 - 2, 0x90]),
    oemName: asciiBytes(o.oem ?? 'NetBSD', 8),
    bpb: {
      bytesPerSec: bps, secPerClust: spc, resSectors: res, fats: nft, rootDirEnts: rde, sectors: small ? bsec : 0, media, fatSecs: fat32 ? 0 : spf,
      secPerTrack: o.sectorsPerTrack ?? 63, heads: o.heads ?? 255, hiddenSecs: hid, hugeSectors: small ? 0 : bsec,
    },
    bpb32: fat32 ? { bigFatSecs: spf, extFlags: 0, fsVers: 0, rootClust: 2, fsInfo: infs, backup: bkbs } : null,
    ext: {
      driveNumber: 0x80, reserved1: 0, bootSig: EXBOOTSIG, volumeId, label: labelBytes(o.label ?? 'NO NAME'), fsType: asciiBytes(`FAT${fatType}`, 8),
    },
    signature: true,
  };
  const sector = (): Uint8Array => new Uint8Array(bps);
  const boot = encodeBootSector(bs, sector());
  boot.set(HALT_STUB, bs.jump[1]! + 2);
  new DataView(boot.buffer).setUint16(BOOTSIG_OFFSET, BOOTSIG, true);
  // The whole metadata area, built in memory a chunk at a time.
  const rootSecs = fat32 ? spc : howmany(rde, bps / DIRENT_SIZE);
  const dirStart = res + spf * nft;
  const total = dirStart + rootSecs;
  const write = (secs: Uint8Array, at: number): void => dev.write(secs, at * bps);
  const CHUNK = Math.max(1, Math.floor((1 << 20) / bps));
  for (let s = 0; s < total; s += CHUNK) write(new Uint8Array(Math.min(CHUNK, total - s) * bps), s);
  write(boot, 0);
  if (fat32) {
    const fsinfo = sector();
    encodeFsInfo({ freeCount: cls - 1, nextFree: 3 }, fsinfo);
    new DataView(fsinfo.buffer).setUint16(BOOTSIG_OFFSET, BOOTSIG, true);
    if (infs !== MAXU16) write(fsinfo, infs);
    if (bkbs !== MAXU16) {
      write(boot, bkbs);
      if (infs !== MAXU16) write(fsinfo, bkbs + infs);
    }
    // Sector 2 of the boot record carries the signature too (Microsoft's FAT32 layout).
    const s2 = sector();
    new DataView(s2.buffer).setUint16(BOOTSIG_OFFSET, BOOTSIG, true);
    if (infs !== 2 && bkbs !== 2 && res > 2) write(s2, 2);
  }
  // FAT[0] = media | ones, FAT[1] = end of chain with the clean bit set, FAT32: FAT[2] = the root's chain end.
  const fat0 = sector();
  const head = fatType === 12 ? [media, 0xff, 0xff] : fatType === 16 ? [media, 0xff, 0xff, 0xff] : [media, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f];
  fat0.set(head);
  for (let i = 0; i < nft; i++) write(fat0, res + i * spf);
  if (o.label !== undefined) {
    const t = unix2dostime({ sec: Math.floor(now.getTime() / 1000), nsec: 0 }, -now.getTimezoneOffset() * 60);
    const de = sector();
    encodeDirEntry({
      name: labelBytes(o.label), attributes: ATTR_ARCHIVE | ATTR_VOLUME, lowerCase: 0, cHundredth: 0, cTime: 0, cDate: 0, aDate: 0, startCluster: 0, mTime: t.time, mDate: t.date, fileSize: 0,
    }, de, 0, fat32);
    write(de, dirStart);
  }
  dev.flush();
  const mbrType = fatType === 12 ? 1 : fatType === 16 ? (small ? 4 : 6) : 11;
  let line = `bps=${bps} spc=${spc} res=${res} nft=${nft}`;
  if (rde) line += ` rde=${rde}`;
  if (small) line += ` sec=${bsec}`;
  line += ` mid=0x${media.toString(16)}`;
  if (!fat32) line += ` spf=${spf}`;
  line += ` spt=${bs.bpb.secPerTrack} hds=${bs.bpb.heads} hid=${hid}`;
  if (!small) line += ` bsec=${bsec}`;
  if (fat32) line += ` bspf=${spf} rdcl=2 infs=${infs} bkbs=${bkbs}`;
  return {
    fatType, bytesPerSector: bps, sectorsPerCluster: spc, reservedSectors: res, nfats: nft, rootEntries: rde, sectors: bsec, fatSectors: spf, clusters: cls,
    media, volumeId, mbrType, bpbLine: line,
  };
}
