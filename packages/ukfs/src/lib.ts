/**
 * The ukfs library instance (ukfs_init): a rump kernel with the vfs, etfs and disk components, module
 * loading, the file-system type list, and mounting images — a host image path is mapped through
 * etfs under a private key (unmapped on release), with the `%DISKLABEL:p%` / `%OFFSET:a,b%` syntax.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  errno, isRumpError, type Kernel, type MountData, MNT_NODEV, MNT_NOSUID, MNT_RDONLY, RUMP_ETFS_BLK, rump_init, type RumpInitOptions,
} from '@rumpts/librump';
import { components as vfsComponents } from '@rumpts/rumpvfs';
import { components as etfsComponents, hostPathOf } from '@rumpts/etfs';
import { components as diskComponents } from '@rumpts/rumpdev-disk';
import { type ImageLock, lockImage } from '@rumpts/rumpdev-disk';
import { modloadDir, type ModloadDirResult } from './modload.js';
import { parseDevpath, partWindow, resolvePart, type UkfsPart } from './part.js';
import { Ukfs, UKFS_DEFAULTMP } from './ukfs.js';

/** UKFS_PARTITION_NONE: mountDisk's `partition` for the whole image; other values are disklabel partitions, 0 = 'a'. */
export const UKFS_PARTITION_NONE = -1;
/**
 * UKFS_PARTITION_NA (ukfs_part_na, "not applicable"): what plain ukfs_mount uses in C; mountDisk takes it as
 * UKFS_PARTITION_NONE.
 */
export const UKFS_PARTITION_NA = -2;

/** Where ukfs's own dependencies (the bundled file systems) resolve from. */
const OWN_BASE = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Options of UkfsLib.mount / mountDisk: where, with which mount(2) flags and file-system arguments. */
export interface MountOptions {
  /** The mount point inside the kernel (default UKFS_DEFAULTMP); made with its parents if missing. */
  mountpath?: string;
  /** MNT_* flags (MNT_RDONLY, MNT_LOG, ...); nodev and nosuid are added unless `dev` / `suid`. */
  flags?: number;
  /** File-system arguments; for ffs `{ fspec }` is filled in with the mapped device. */
  args?: MountData;
  /**
   * mount(8)'s `dev`: let device nodes in the image open kernel devices. Off by default — an image is
   * untrusted, and a device node in it could name any device (another mapped image, its own disk),
   * so it is mounted MNT_NODEV and opening one is ENXIO.
   */
  dev?: boolean;
  /** mount(8)'s `suid`: honour set-user/group-id bits. Off by default: images are mounted MNT_NOSUID. */
  suid?: boolean;
}

/** The flags an image is mounted with: the caller's, plus nodev,nosuid unless `dev`/`suid` were asked for. */
export function ukfsMountFlags(opts: MountOptions): number {
  return (opts.flags ?? 0) | (opts.dev === true ? 0 : MNT_NODEV) | (opts.suid === true ? 0 : MNT_NOSUID);
}

/**
 * The ukfs library (ukfs_init): one rump kernel with the vfs, etfs and disk components, loading file-system
 * modules and mounting images into it. Make one with UkfsLib.init.
 */
export class UkfsLib {
  #seq = 0;
  /** The handles this library mounted; halt releases each one still mounted. */
  readonly handles = new Set<Ukfs>();
  /** Image locks of this library's mounts; whatever is left goes at halt. */
  readonly #locks = new Set<ImageLock>();

  /** @param kernel The rump kernel the library runs. */
  private constructor(readonly kernel: Kernel) {
    kernel.onHalt(() => {
      for (const l of [...this.#locks]) l.release();
    });
  }

  /** ukfs_init: boot a kernel with the vfs, etfs and disk components. */
  static async init(opts: RumpInitOptions = {}): Promise<UkfsLib> {
    const base = opts.moduleBase ?? process.cwd();
    const kernel = await rump_init({
      ...opts,
      moduleBase: [...(typeof base === 'string' ? [base] : base), OWN_BASE],
      // The libraries' components, not their whole namespaces: a bundle then need not build those
      // namespace objects (every export a getter) nor keep exports nothing uses.
      libraries: [{ components: vfsComponents }, { components: etfsComponents }, { components: diskComponents }, ...(opts.libraries ?? [])],
    });
    return new UkfsLib(kernel);
  }

  /** Take an image lock that leaves this library's list when released. */
  #lock(hostpath: string, shared: boolean): ImageLock {
    const l = lockImage(hostpath, { shared });
    const tracked: ImageLock = {
      path: l.path,
      shared: l.shared,
      held: l.held,
      release: () => {
        l.release();
        this.#locks.delete(tracked);
      },
    };
    this.#locks.add(tracked);
    return tracked;
  }

  /** ukfs_modload: 1 loaded, 0 a dependency is missing; other failures throw RumpError. */
  modload(nameOrPath: string): Promise<0 | 1> {
    return this.kernel.modload(nameOrPath);
  }

  /** ukfs_modload_dir, in detail. */
  modloadDir(dir: string): Promise<ModloadDirResult> {
    return modloadDir(this.kernel, dir);
  }

  /** ukfs_vfstypes: the registered file-system types. */
  vfstypes(): string[] {
    const s = String(this.kernel.sysctl('vfs.generic.fstypes'));
    return s === '' ? [] : s.split(' ');
  }

  /** Load the module for a file-system type if it is not registered yet (mount(8) autoload). */
  async ensureFs(vfsname: string): Promise<void> {
    if (this.vfstypes().includes(vfsname)) return;
    try {
      await this.kernel.modload(`rumpfs_${vfsname}`);
    } catch (e) {
      if (!(isRumpError(e) && (e.code === 'ENOENT' || e.code === 'EEXIST'))) throw e;
    }
    if (!this.vfstypes().includes(vfsname)) throw errno('ENODEV', `file system type '${vfsname}' is not available`);
  }

  /**
   * ukfs_mount: mount `vfsname` at `mountpath` (default /ukfs). If devpath names a host file or block
   * device (optionally with partition magic) it is mapped through etfs first.
   */
  mount(vfsname: string, devpath: string, opts: MountOptions = {}): Ukfs {
    const probed = parseDevpath(devpath);
    const isHostImage = probed.want.type !== 'none' || hostImage(probed.path);
    return this.#mount(vfsname, devpath, isHostImage ? resolvePart(probed.path, probed.want) : null, probed.path, opts);
  }

  /**
   * ukfs_mount_disk: like mount, for disk file systems; `partition` selects a disklabel partition
   * (0 = 'a'), UKFS_PARTITION_NONE the whole image. Partition magic in devpath works too.
   */
  mountDisk(vfsname: string, devpath: string, partition: number, opts: MountOptions = {}): Ukfs {
    const probed = parseDevpath(devpath);
    let want = probed.want;
    if (partition !== UKFS_PARTITION_NONE && partition !== UKFS_PARTITION_NA) {
      if (want.type !== 'none') throw errno('EINVAL', 'both a partition number and partition magic were given');
      if (!Number.isInteger(partition) || partition < 0 || partition >= 22) throw errno('EINVAL', `bad partition ${partition}`);
      want = { type: 'disklabel', index: partition };
    }
    if (!hostImage(probed.path)) throw errno('ENOENT', `${probed.path}: no such image or device`);
    return this.#mount(vfsname, devpath, resolvePart(probed.path, want), probed.path, opts);
  }

  #mount(vfsname: string, devpath: string, part: UkfsPart | null, hostpath: string, opts: MountOptions): Ukfs {
    const k = this.kernel;
    const mountpath = opts.mountpath ?? UKFS_DEFAULTMP;
    const flags = ukfsMountFlags(opts);
    let key: string | null = null;
    let args = opts.args;
    let lock: ImageLock | undefined;
    if (part) {
      // ukfs_mount_disk's lock: shared for a read-only mount, exclusive for a read-write one.
      lock = this.#lock(hostpath, (flags & MNT_RDONLY) !== 0);
      key = `/dev/ukfs${this.#seq++}`;
      const w = partWindow(part);
      try {
        k.etfsRegisterWithSize(key, hostpath, RUMP_ETFS_BLK, w.begin, w.size);
      } catch (e) {
        lock.release();
        throw e;
      }
      const given = args as { fspec?: unknown } | undefined;
      if (!given || given.fspec === undefined || given.fspec === devpath || given.fspec === hostpath) args = { ...(given ?? {}), fspec: key };
    } else if (args === undefined) {
      args = { fspec: devpath };
    }
    try {
      builddirs(k, mountpath);
      k.proc.mount(vfsname, mountpath, flags, args);
    } catch (e) {
      if (key) {
        try {
          k.etfsRemove(key);
        } catch {
          // keep the mount's error; the key goes with the kernel
        }
      }
      lock?.release();
      throw notCleanHint(e, devpath);
    }
    const h = new Ukfs(k, { vfsname, devpath, mountpath, flags, args, etfsKey: key, part }, lock);
    this.handles.add(h);
    return h;
  }

  /** Release every handle (forced) and halt the kernel. */
  halt(): void {
    for (const h of this.handles) {
      try {
        h.release(2);
      } catch {
        // halt unmounts everything anyway
      }
    }
    this.kernel.halt();
  }
}

/**
 * The kernel's "not clean" refusal made exact: the host image is known here, the kernel's
 * file system only knows its device.
 */
function notCleanHint(e: unknown, devpath: string): unknown {
  if (isRumpError(e) && e.code === 'EPERM' && /not clean/.test(e.detail ?? '')) {
    return errno('EPERM', `the file system is not clean: run \`fsu fsck -y ${devpath}\` (or mount it read-only)`, { cause: e, path: devpath });
  }
  return e;
}

/** Is this a host regular file or block device (an image to map)? */
function hostImage(path: string): boolean {
  try {
    const st = statSync(hostPathOf(path));
    return st.isFile() || st.isBlockDevice();
  } catch {
    return false;
  }
}

/** mkdir -p in the kernel's namespace (the mount point is made if missing, never removed). */
function builddirs(k: Kernel, path: string): void {
  let cur = '';
  for (const c of path.split('/').filter((x) => x !== '')) {
    cur = `${cur}/${c}`;
    try {
      k.proc.mkdir(cur, 0o777);
    } catch (e) {
      if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
    }
  }
}

export { MNT_RDONLY };
