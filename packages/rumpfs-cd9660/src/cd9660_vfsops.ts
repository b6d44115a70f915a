/**
 * The mount-level operations of cd9660 (sys/fs/cd9660/cd9660_vfsops.c): find the primary volume
 * descriptor, detect Rock Ridge from the root's SP entry, hand out nodes by record address.
 * Mount data is NetBSD's iso_args: `{ fspec: '/dev/…', flags?: ISOFSMNT_* }`. Read-only mounts
 * only: like NetBSD, a read-write mount is refused with EROFS.
 */
import { MNT_RDONLY, MNT_UPDATE, errno, type MountData } from '@rumpts/librump';
import { type BlockDevice, type FsStat, type LoadedVnode, type Mount, type MountContext, type VfsOps, VDIR } from '@rumpts/rumpvfs';
import { type BufCache, bufcacheOf } from '@rumpts/rumpdev-disk';
import {
  type DirRecord, ISO_FILE_DIRECTORY, ISO_SECTOR_SIZE, ISO_VD_END, ISO_VD_FIRST_SECTOR, ISO_VD_PRIMARY, ISO_VD_SUPPLEMENTARY,
  type PrimaryVolumeDescriptor, decodeDirRecord, decodePvd, decodeVdHeader, jolietLevel,
} from './iso_ondisk.js';
import { suspSkip } from './iso_rrip.js';
import {
  ISOFSMNT_EXTATT, ISOFSMNT_GENS, ISOFSMNT_NOCASETRANS, ISOFSMNT_NOJOLIET, ISOFSMNT_NORRIP, ISOFSMNT_RRCASEINS, IsoMount, VFSTOISOFS,
} from './cd9660_mount.js';
import { cd9660_loadnode, dirKey, readRecordAt } from './cd9660_node.js';
import { cd9660_vnodeops } from './cd9660_vnops.js';

/** Longest name: Rock Ridge NM names are bounded only by NAME_MAX. */
export const ISO_MAXNAMLEN = 255;
/** How many volume descriptors to look at before giving up on a terminator (a bound on damage). */
const ISO_MAX_VDS = 64;
const KNOWN_FLAGS = ISOFSMNT_NORRIP | ISOFSMNT_GENS | ISOFSMNT_EXTATT | ISOFSMNT_NOJOLIET | ISOFSMNT_NOCASETRANS | ISOFSMNT_RRCASEINS;

/** iso_args (cd9660_mount.h): the mount data of a cd9660 mount, as {@link parseIsoArgs} returns it. */
export interface IsoArgs {
  /** The block device holding the image, e.g. a `/dev/cd0` etfs key. */
  fspec: string;
  /** ISOFSMNT_* bits. 0 (the default): Rock Ridge if present, else Joliet, else ISO 9660 names lower-cased without `;version`. */
  flags: number;
}

/**
 * Check mount(2) data as iso_args: `fspec` must name a device, `flags` may hold only ISOFSMNT_*
 * bits, and any other field is EINVAL (a typo never passes silently).
 */
export function parseIsoArgs(data: MountData): IsoArgs {
  if (data === undefined || data === null || typeof data !== 'object') throw errno('EINVAL', 'cd9660: mount data (iso_args) is missing');
  const d = data as Record<string, unknown>;
  const fspec = d['fspec'];
  if (typeof fspec !== 'string' || fspec.length === 0) throw errno('EINVAL', 'cd9660: iso_args.fspec must name a block device');
  const flags = d['flags'] ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || (flags & ~KNOWN_FLAGS) !== 0) {
    throw errno('EINVAL', `cd9660: iso_args.flags ${JSON.stringify(flags)} has unknown bits`);
  }
  for (const k of Object.keys(d)) if (k !== 'fspec' && k !== 'flags') throw errno('EINVAL', `cd9660: unknown iso_args field '${k}'`);
  return { fspec, flags };
}

/** The descriptors a mount uses: the primary one, and a Joliet supplementary one if present. */
interface Volumes {
  pvd: PrimaryVolumeDescriptor;
  joliet: { level: 1 | 2 | 3; svd: PrimaryVolumeDescriptor } | null;
}

/** iso_mountfs: scan the volume descriptors (sector 16 on, up to the terminator). */
function findVolumes(read: (sector: number) => Uint8Array, sectors: number): Volumes {
  let pvd: PrimaryVolumeDescriptor | null = null;
  let joliet: Volumes['joliet'] = null;
  for (let i = 0; i < ISO_MAX_VDS; i++) {
    const sector = ISO_VD_FIRST_SECTOR + i;
    if (sector >= sectors) break;
    const b = read(sector);
    const h = decodeVdHeader(b);
    if (!h.valid || h.type === ISO_VD_END) break;
    if (h.type === ISO_VD_PRIMARY && !pvd) pvd = decodePvd(b);
    if (h.type === ISO_VD_SUPPLEMENTARY && !joliet) {
      const level = jolietLevel(b);
      if (level !== 0) joliet = { level, svd: decodePvd(b) };
    }
  }
  if (!pvd) throw errno('EINVAL', 'cd9660: no ISO 9660 primary volume descriptor (not an ISO 9660 file system)');
  return { pvd, joliet };
}

/** A descriptor's root directory record and logical block size, checked. */
function rootOf(vd: PrimaryVolumeDescriptor, dev: BlockDevice, which: string): { root: DirRecord; bs: number } {
  const bs = vd.logicalBlockSize;
  if (bs !== 512 && bs !== 1024 && bs !== 2048) throw errno('EINVAL', `cd9660: ${which} logical block size ${bs} is not 512, 1024 or 2048`);
  if (bs < dev.secsize) throw errno('EINVAL', `cd9660: logical block size ${bs} is below the device's sector size ${dev.secsize}`);
  let root;
  try {
    root = decodeDirRecord(vd.rootRecord, 0);
  } catch (e) {
    throw errno('EINVAL', `cd9660: the ${which} root directory record is damaged: ${(e as Error).message}`);
  }
  if (!root || (root.flags & ISO_FILE_DIRECTORY) === 0) throw errno('EINVAL', `cd9660: the ${which} root directory record is not a directory`);
  return { root, bs };
}

function cd9660_mount(mp: Mount, data: MountData, ctx: MountContext): void {
  if ((mp.flag & MNT_UPDATE) !== 0) {
    VFSTOISOFS(mp);
    if ((mp.flag & MNT_RDONLY) === 0) throw errno('EROFS', 'cd9660: the file system is read-only');
    return;
  }
  const args = parseIsoArgs(data);
  // cd9660_mount: "if ((mp->mnt_flag & MNT_RDONLY) == 0) return EROFS".
  if ((mp.flag & MNT_RDONLY) === 0) throw errno('EROFS', 'cd9660: ISO 9660 is read-only; mount with MNT_RDONLY');
  const dev = ctx.openBlockDevice(args.fspec);
  const cache = bufcacheOf(ctx.kernel);
  try {
    mp.data = mountfs(dev, cache, args);
  } catch (e) {
    // The VFS closes the device; leave no blocks of it behind in the cache.
    cache.invalidate(dev, { save: false });
    throw e;
  }
  mp.mntfromname = args.fspec;
  mp.maxnamlen = ISO_MAXNAMLEN;
}

/** iso_mountfs: read the volume descriptors and the root; the IsoMount, or EINVAL naming the problem. */
function mountfs(dev: BlockDevice, cache: BufCache, args: IsoArgs): IsoMount {
  if (dev.secsize > ISO_SECTOR_SIZE) throw errno('EINVAL', `cd9660: device sector size ${dev.secsize} exceeds ${ISO_SECTOR_SIZE}`);
  // Volume descriptors are read as 2048-byte sectors, before the logical block size is known.
  const boot = new IsoMount(dev, cache, ISO_SECTOR_SIZE, 0, '', args.flags);
  const { pvd, joliet } = findVolumes((sector) => boot.withBlock(sector, (b) => b.slice()), Math.floor(dev.size / ISO_SECTOR_SIZE));
  const primary = rootOf(pvd, dev, 'primary');
  let imp = new IsoMount(dev, cache, primary.bs, pvd.volumeSpaceSize, pvd.volumeId, args.flags);
  imp.rootKey = dirKey(imp, primary.root);
  if ((args.flags & ISOFSMNT_NORRIP) === 0) {
    // Rock Ridge is in use when the root's '.' record begins its system use area with SP.
    imp.rrSkip = suspSkip(readRecordAt(imp, imp.rootKey).rec.systemUse);
  }
  // Without Rock Ridge, a Joliet tree gives long Unicode names (unless ISOFSMNT_NOJOLIET).
  if (imp.rrSkip === null && joliet && (args.flags & ISOFSMNT_NOJOLIET) === 0) {
    const j = rootOf(joliet.svd, dev, 'Joliet');
    imp = new IsoMount(dev, cache, j.bs, joliet.svd.volumeSpaceSize, pvd.volumeId, args.flags, 0, null, joliet.level);
    imp.rootKey = dirKey(imp, j.root);
  }
  // The root must load and be a directory before the mount is visible.
  if (cd9660_loadnode(imp, imp.rootKey).type !== VDIR) throw errno('EINVAL', 'cd9660: the root is not a directory');
  return imp;
}

function cd9660_unmount(mp: Mount, _flags: number): void {
  const imp = VFSTOISOFS(mp);
  // Drop our blocks before the VFS closes the device (nothing is dirty: read-only).
  imp.cache.invalidate(imp.dev, { save: false });
  mp.data = undefined;
}

function cd9660_statvfs(mp: Mount): FsStat {
  const imp = VFSTOISOFS(mp);
  return {
    bsize: imp.bsize,
    frsize: imp.bsize,
    iosize: imp.bsize,
    blocks: imp.volumeBlocks,
    bfree: 0,
    bavail: 0,
    bresvd: 0,
    files: 0,
    ffree: 0,
    favail: 0,
    fresvd: 0,
    namemax: ISO_MAXNAMLEN,
  };
}

function cd9660_loadvnode(mp: Mount, key: number): LoadedVnode {
  const ip = cd9660_loadnode(VFSTOISOFS(mp), key);
  return { type: ip.type, data: ip };
}

/**
 * The cd9660 vfsops (cd9660_vfsops.c), registered by the module as type 'cd9660'. Mounts are
 * read-only (EROFS otherwise); a node's file id is the byte address of its directory record.
 */
export const cd9660_vfsops: VfsOps = {
  name: 'cd9660',
  vnodeops: cd9660_vnodeops,
  mount: cd9660_mount,
  unmount: cd9660_unmount,
  rootKey: (mp) => VFSTOISOFS(mp).rootKey,
  statvfs: cd9660_statvfs,
  sync: () => {
    // Read-only: nothing to write back.
  },
  loadvnode: cd9660_loadvnode,
};
