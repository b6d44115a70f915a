/**
 * The mount-level operations of msdosfs (sys/fs/msdosfs/msdosfs_vfsops.c): mount data as NetBSD's
 * msdosfs_args, the boot sector checked and the geometry derived, the in-use map filled, FSInfo
 * read; the clean-shutdown bit cleared while mounted read-write and set again at unmount or a
 * downgrade to read-only; statvfs; sync (FAT copies made equal, FSInfo written, entries and data
 * flushed); loadvnode by file id.
 */
import { MNT_RDONLY, MNT_UPDATE, errno, type MountData } from '@rumpts/librump';
import { type FsStat, type LoadedVnode, type Mount, type MountContext, type VfsOps, VDIR, VREG } from '@rumpts/rumpvfs';
import { type BufCache, StagedDevice, bufcacheOf } from '@rumpts/rumpdev-disk';
import { decodeBootSector } from './ondisk/bootsector.js';
import { ATTR_DIRECTORY, ATTR_VOLUME, ATTR_WIN95, DIRENT_SIZE, type DirEntry, SLOT_DELETED, SLOT_EMPTY } from './ondisk/direntry.js';
import { CLUST_FIRST, fatGeometry } from './ondisk/geometry.js';
import {
  MSDOSFSMNT_GEMDOSFS, MSDOSFSMNT_LONGNAME, MSDOSFSMNT_MNTOPT, MSDOSFSMNT_NOWIN95, MSDOSFSMNT_SHORTNAME, type MountOptions, Msdosfsmount, ORPHAN_BASE,
  VFSTOMSDOSFS,
} from './msdosfsmount.js';
import { Denode, ROOT_KEY, readEntryAt } from './denode.js';
import { isDotName, scanDir } from './dir.js';
import { msdosfs_vnodeops } from './msdosfs_vnops.js';

/** The longest name with long names on (WIN_MAXLEN), reported as the mount's maxnamlen and statvfs namemax. */
export const MSDOSFS_NAMEMAX = 255;
/** The longest name without long names: 8.3 ("NAME.EXT", 12 characters). */
export const MSDOSFS_SHORT_NAMEMAX = 12;

/** msdosfs_args, checked: `{ fspec, uid?, gid?, mask?, dirmask?, flags?, gmtoff? }`. */
export interface MsdosfsArgs {
  /** The block device to mount (a key registered with etfs, e.g. "/dev/sd0"). */
  fspec: string;
  /** Owner of every file (FAT stores none; mount_msdos -u), default 0. */
  uid: number;
  /** Group of every file (mount_msdos -g), default 0. */
  gid: number;
  /** Permission mask for files (default 0755). */
  mask: number;
  /** Permission mask for directories (default: mask). */
  dirmask: number;
  /** MSDOSFSMNT_* bits. */
  flags: number;
  /** Seconds east of UTC of the times stored on the volume (DOS keeps local time); default 0. */
  gmtoff: number;
}

const FIELDS = new Set(['fspec', 'uid', 'gid', 'mask', 'dirmask', 'flags', 'gmtoff', 'version']);

/** Parse and check mount data (EINVAL naming the bad field). */
export function parseMsdosfsArgs(data: MountData): MsdosfsArgs {
  if (data === undefined || data === null || typeof data !== 'object') throw errno('EINVAL', 'msdosfs: mount data (msdosfs_args) is missing');
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!FIELDS.has(k)) throw errno('EINVAL', `msdosfs: unknown msdosfs_args field '${k}'`);
  const fspec = d['fspec'];
  if (typeof fspec !== 'string' || fspec.length === 0) throw errno('EINVAL', 'msdosfs: msdosfs_args.fspec must name a block device');
  const int = (k: string, def: number, min: number, max: number): number => {
    const v = d[k] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw errno('EINVAL', `msdosfs: msdosfs_args.${k} ${JSON.stringify(v)} is not an integer in ${min}..${max}`);
    return v;
  };
  const uid = int('uid', 0, 0, 0xffffffff);
  const gid = int('gid', 0, 0, 0xffffffff);
  const mask = int('mask', 0o755, 0, 0o777);
  const dirmask = int('dirmask', mask, 0, 0o777);
  const flags = int('flags', 0, 0, 0x7fffffff);
  if ((flags & ~MSDOSFSMNT_MNTOPT) !== 0) throw errno('EINVAL', `msdosfs: msdosfs_args.flags ${flags} has unknown bits`);
  if ((flags & MSDOSFSMNT_GEMDOSFS) !== 0) throw errno('EINVAL', 'msdosfs: the GEMDOS flavour (MSDOSFSMNT_GEMDOSFS) is not supported');
  if ((flags & MSDOSFSMNT_SHORTNAME) !== 0 && (flags & MSDOSFSMNT_LONGNAME) !== 0) throw errno('EINVAL', 'msdosfs: MSDOSFSMNT_SHORTNAME and MSDOSFSMNT_LONGNAME exclude each other');
  const gmtoff = int('gmtoff', 0, -86400, 86400);
  if (d['version'] !== undefined) int('version', 3, 1, 3);
  return { fspec, uid, gid, mask, dirmask, flags, gmtoff };
}

function msdosfs_mount(mp: Mount, data: MountData, ctx: MountContext): void {
  if ((mp.flag & MNT_UPDATE) !== 0) {
    const pmp = VFSTOMSDOSFS(mp);
    const toRo = (mp.flag & MNT_RDONLY) !== 0;
    if (toRo && !pmp.ronly) {
      // The VFS refused the downgrade while files are open for writing; write everything and mark clean.
      syncAll(mp, pmp);
      pmp.setClean(true);
      pmp.cache.flush(pmp.dev);
      pmp.ronly = true;
    } else if (!toRo && pmp.ronly) {
      if (pmp.dev.readonly) throw errno('EROFS', 'msdosfs: the device is read-only');
      pmp.ronly = false;
      pmp.fillinusemap();
      pmp.setClean(false);
      pmp.cache.flush(pmp.dev);
    }
    return;
  }
  const args = parseMsdosfsArgs(data);
  // File data is staged and written in long runs (StagedDevice of rumpdev-disk); everything else passes through.
  const dev = new StagedDevice(ctx.openBlockDevice(args.fspec));
  const cache = bufcacheOf(ctx.kernel);
  try {
    mp.data = mountfs(mp, dev, cache, args);
  } catch (e) {
    cache.invalidate(dev, { save: false });
    throw e;
  }
  mp.mntfromname = args.fspec;
  mp.maxnamlen = VFSTOMSDOSFS(mp).longNames ? MSDOSFS_NAMEMAX : MSDOSFS_SHORT_NAMEMAX;
}

/** msdosfs_mountfs: read and check the boot sector, build the mount, load the root. */
function mountfs(mp: Mount, dev: StagedDevice, cache: BufCache, args: MsdosfsArgs): Msdosfsmount {
  const ronly = (mp.flag & MNT_RDONLY) !== 0;
  if (dev.size < 512) throw errno('EINVAL', 'msdosfs: the device is too small for a boot sector');
  // The boot sector is read outside the cache: its size is not yet known to be the sector size.
  const head = new Uint8Array(Math.max(512, dev.secsize));
  dev.read(head, 0);
  const bs = decodeBootSector(head);
  const g = fatGeometry(bs, dev.size, dev.secsize);
  let flags = args.flags;
  // NOWIN95 implies short names; otherwise long names are on unless short names are asked for
  // (NetBSD guesses from the root directory on FAT12/16: long names are the safer default here).
  if ((flags & MSDOSFSMNT_NOWIN95) !== 0) flags |= MSDOSFSMNT_SHORTNAME;
  if ((flags & MSDOSFSMNT_SHORTNAME) === 0) flags |= MSDOSFSMNT_LONGNAME;
  const opts: MountOptions = { uid: args.uid, gid: args.gid, mask: args.mask, dirmask: args.dirmask, flags, gmtoff: args.gmtoff };
  const pmp = new Msdosfsmount(mp, dev, cache, g, opts, ronly);
  if (!ronly) dev.gapFill = (dst, offset) => pmp.fillGap(dst, offset);
  pmp.fillinusemap();
  pmp.readFsInfo();
  pmp.wasDirty = !pmp.isClean();
  readVolumeLabel(pmp);
  // The root must load before the mount is visible.
  const root = loadRoot(pmp);
  if (root.type !== VDIR) throw errno('EINVAL', 'msdosfs: the root is not a directory');
  if (!ronly) {
    pmp.setClean(false);
    cache.flush(dev);
  }
  return pmp;
}

/** The root's times come from the volume label entry, when there is one (the root has no entry). */
function readVolumeLabel(pmp: Msdosfsmount): void {
  const root = loadRoot(pmp);
  scanDir(root, 0, (d, b, off) => {
    if (off > 64 * DIRENT_SIZE || d[b] === SLOT_EMPTY) return false;
    const attr = d[b + 11]!;
    if (d[b] !== SLOT_DELETED && attr !== ATTR_WIN95 && (attr & ATTR_VOLUME) !== 0) {
      pmp.rootTimes = { mDate: d[b + 24]! | (d[b + 25]! << 8), mTime: d[b + 22]! | (d[b + 23]! << 8) };
      return false;
    }
    return true;
  });
}

function blankEntry(attributes: number, startCluster: number): DirEntry {
  return {
    name: new Uint8Array(11).fill(0x20), attributes, lowerCase: 0, cHundredth: 0, cTime: 0, cDate: 0, aDate: 0, startCluster, mTime: 0, mDate: 0, fileSize: 0,
  };
}

/** The root directory's node (it has no entry: times from the volume label). */
function loadRoot(pmp: Msdosfsmount): Denode {
  const fat32 = pmp.g.fatType === 32;
  const e = blankEntry(ATTR_DIRECTORY, fat32 ? pmp.g.rootCluster : 0);
  e.mDate = pmp.rootTimes.mDate;
  e.mTime = pmp.rootTimes.mTime;
  e.aDate = e.mDate;
  e.cDate = e.mDate;
  e.cTime = e.mTime;
  const dep = new Denode(pmp, ROOT_KEY, VDIR, true, e);
  dep.fileSize = fat32 ? dep.chainLength() * pmp.g.bpc : pmp.rootBytes;
  return dep;
}

/**
 * loadvnode: the node of file id `key` — the root, a directory (the key is the position of its '.'
 * entry), or a file (the key is the position of its entry). ESTALE when nothing is there any more.
 */
export function msdosfs_loadnode(pmp: Msdosfsmount, key: number): Denode {
  if (key === ROOT_KEY) return loadRoot(pmp);
  if (!Number.isSafeInteger(key) || key <= 0 || key >= ORPHAN_BASE) throw errno('ESTALE', `msdosfs: no file with id ${key}`);
  const pos = key * DIRENT_SIZE;
  let e: DirEntry;
  try {
    e = readEntryAt(pmp, pos);
  } catch (err) {
    throw errno('ESTALE', `msdosfs: no file with id ${key}`, { cause: err });
  }
  const g = pmp.g;
  const dataByte = g.dataStart * g.bps;
  const dot = isDotName(e.name);
  if (dot === 1 && (e.attributes & ATTR_DIRECTORY) !== 0 && pos >= dataByte && (pos - dataByte) % g.bpc === 0) {
    // A directory, named by its '.' entry: its attributes come from there until a lookup finds its entry.
    const cluster = CLUST_FIRST + (pos - dataByte) / g.bpc;
    const dep = new Denode(pmp, key, VDIR, false, { ...e, startCluster: cluster });
    dep.fileSize = dep.chainLength() * g.bpc;
    return dep;
  }
  const n0 = e.name[0];
  if (dot !== 0 || n0 === SLOT_EMPTY || n0 === SLOT_DELETED || e.attributes === ATTR_WIN95 || (e.attributes & (ATTR_VOLUME | ATTR_DIRECTORY)) !== 0) {
    throw errno('ESTALE', `msdosfs: no file with id ${key}`);
  }
  const dep = new Denode(pmp, key, VREG, false, e);
  dep.entryPos = pos;
  dep.fileSize = e.fileSize;
  return dep;
}

function msdosfs_loadvnode(mp: Mount, key: number): LoadedVnode {
  const dep = msdosfs_loadnode(VFSTOMSDOSFS(mp), key);
  return { type: dep.type === VDIR ? VDIR : VREG, data: dep };
}

/** Every node's entry written, the FAT copies equal, FSInfo right; then the buffers. */
function syncAll(mp: Mount, pmp: Msdosfsmount): void {
  if (pmp.ronly) return;
  for (const vp of mp.vnodes()) {
    if (vp.dead) continue;
    const d = vp.data;
    if (d instanceof Denode) d.deupdat();
  }
  pmp.syncMeta();
}

function msdosfs_sync(mp: Mount, _waitfor: number): void {
  const pmp = VFSTOMSDOSFS(mp);
  syncAll(mp, pmp);
  pmp.cache.flush(pmp.dev);
}

function msdosfs_unmount(mp: Mount, _flags: number): void {
  const pmp = VFSTOMSDOSFS(mp);
  try {
    if (!pmp.ronly) {
      pmp.syncMeta();
      pmp.setClean(true);
    }
    pmp.cache.invalidate(pmp.dev);
  } finally {
    mp.data = undefined;
  }
}

function msdosfs_statvfs(mp: Mount): FsStat {
  const pmp = VFSTOMSDOSFS(mp);
  const bpc = pmp.g.bpc;
  return {
    bsize: bpc,
    frsize: bpc,
    iosize: bpc,
    blocks: pmp.g.nclusters,
    bfree: pmp.freeCount,
    bavail: pmp.freeCount,
    bresvd: 0,
    files: 0,
    ffree: 0,
    favail: 0,
    fresvd: 0,
    namemax: pmp.longNames ? MSDOSFS_NAMEMAX : MSDOSFS_SHORT_NAMEMAX,
  };
}

/**
 * The vfsops of file system type `msdos` (NetBSD's msdosfs_vfsops): mount (msdosfs_args), unmount, root,
 * statvfs, sync and loadvnode. modinfo attaches it.
 */
export const msdosfs_vfsops: VfsOps = {
  name: 'msdos',
  vnodeops: msdosfs_vnodeops,
  mount: msdosfs_mount,
  unmount: msdosfs_unmount,
  rootKey: () => ROOT_KEY,
  statvfs: msdosfs_statvfs,
  sync: msdosfs_sync,
  loadvnode: msdosfs_loadvnode,
};
