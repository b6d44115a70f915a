/** What a file-system author hands the conformance kit. */
import type { Kernel, Proc } from '@rumpts/librump';

/** A freshly mounted, empty file system, ready for one test case. */
export interface ConformanceEnv {
  /** The kernel the file system is mounted in. */
  kernel: Kernel;
  /** The process the cases run as (root credentials, cwd anywhere). */
  proc: Proc;
  /** Absolute path where the file system under test is mounted ('/mnt' in NetBSD's tests). */
  mountpoint: string;
  /**
   * Tear everything down (`kernel.halt()` is the usual choice). Must cope with the file system
   * having been unmounted by the case (the unmount cases do that).
   */
  cleanup(): void | Promise<void>;
  /**
   * Make the mounted file system read-only, keeping its contents (t_ro's "remount"). Default:
   * `proc.mount(fsName, mountpoint, MNT_UPDATE | MNT_RDONLY)`.
   */
  remountReadOnly?(): void;
}

/** Mounts a fresh, empty instance of the file system under test; called before every case. */
export type ConformanceSetup = () => ConformanceEnv | Promise<ConformanceEnv>;

/**
 * What the file system supports. Everything defaults to true; a file system turns off what it lacks
 * and the cases that need it are not registered at all (NetBSD's tests skip rename on rumpfs).
 */
export interface ConformanceFeatures {
  /** rename(2). */
  rename?: boolean;
  /** link(2) (hard links). */
  link?: boolean;
  /** symlink(2) and readlink(2). */
  symlink?: boolean;
  /** A symlink may have an empty target (a host directory cannot store one: EINVAL instead). */
  emptySymlink?: boolean;
  /** mknod(2) of character and block device nodes. */
  devices?: boolean;
  /** mkfifo(2). */
  fifo?: boolean;
  /** chflags(2) with UF_IMMUTABLE / UF_APPEND enforced. */
  chflags?: boolean;
  /** readdir returns '.' and '..' (rumpfs does not). */
  dotEntries?: boolean;
  /** Directory link counts follow the UFS rule: 2 + number of subdirectories. */
  dirLinkCounts?: boolean;
  /** Timestamps keep nanoseconds. */
  nsec?: boolean;
  /** The file system can be made read-only while mounted (MNT_UPDATE | MNT_RDONLY). */
  readonly?: boolean;
  /** The kit may unmount the file system (the unmount cases). */
  unmount?: boolean;
  /** How many files create_many makes in one directory (NetBSD: 2324). */
  createMany?: number;
  /** chown stores any owner and group (msdosfs: files belong to the mount's owner; chown elsewhere fails). */
  owners?: boolean;
  /** chmod and create store every permission bit, umask applied (msdosfs keeps only the owner's write bit). */
  modes?: boolean;
  /** A file keeps its st_ino across rename and once its last name is gone (msdosfs names a file by its entry's place). */
  stableFileIds?: boolean;
  /** Seconds by which a stored modification time may be rounded down (0: exact; FAT: 2). */
  mtimeResolution?: number;
  /** Seconds by which a stored access time may be rounded down (0: exact; FAT keeps only the date: 86400). */
  atimeResolution?: number;
}

export type ResolvedFeatures = Required<ConformanceFeatures>;

export function resolveFeatures(f: ConformanceFeatures = {}): ResolvedFeatures {
  return {
    rename: f.rename ?? true,
    link: f.link ?? true,
    symlink: f.symlink ?? true,
    emptySymlink: f.emptySymlink ?? true,
    devices: f.devices ?? true,
    fifo: f.fifo ?? true,
    chflags: f.chflags ?? true,
    dotEntries: f.dotEntries ?? true,
    dirLinkCounts: f.dirLinkCounts ?? true,
    nsec: f.nsec ?? true,
    readonly: f.readonly ?? true,
    unmount: f.unmount ?? true,
    createMany: f.createMany ?? 2324,
    owners: f.owners ?? true,
    modes: f.modes ?? true,
    stableFileIds: f.stableFileIds ?? true,
    mtimeResolution: f.mtimeResolution ?? 0,
    atimeResolution: f.atimeResolution ?? 0,
  };
}

/** What each group of cases gets: the current environment and a way to register a case. */
export interface Kit {
  readonly fsName: string;
  readonly features: ResolvedFeatures;
  /** The environment of the running case (set up fresh before each). */
  env(this: void): ConformanceEnv;
  /** Register one case, named like NetBSD's (`<fs>_<case>` in ATF; here `<case>`). */
  test(this: void, name: string, fn: (env: ConformanceEnv) => void, timeoutMs?: number): void;
}
