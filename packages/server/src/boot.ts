/**
 * Start-up of a server kernel in rump_server's order (rump_allserver.c): link the -l libraries, boot,
 * load the -m modules, map the -d drives; then (our extension) create file systems and mount them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { HostFileBlockDevice, type ImageLock, lockImage } from '@rumpts/rumpdev-disk';
import { newfs } from '@rumpts/rumpfs-ffs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errno, isRumpError, type Kernel, libraryOrderProblems, MNT_LOG, MNT_RDONLY, RUMP_ETFS_REG, rump_init, RumpError } from '@rumpts/librump';
import { type AppliedDrive, applyDrivespec, type Drivespec } from './drivespec.js';
import { ownLibrary } from './own.js';

/** Where this package's own dependencies (the bundled components) resolve from. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every component rump_allserver links, in a working order. */
export const ALL_LIBRARIES = ['rumpvfs', 'rumpdev_disk', 'rumpfs_ffs', 'rumpfs_tmpfs'] as const;

/** Our extension: `--mount TYPE:DEVICE:DIR[:OPTS]` (OPTS, comma-separated: ro, rw, log). */
export interface MountSpec {
  /** The file-system type (ffs, tmpfs, cd9660 …). */
  type: string;
  /** The device or drivespec key to mount (e.g. `/dev/dk`). */
  device: string;
  /** The absolute kernel directory to mount on (made if missing). */
  dir: string;
  /** MNT_* flags from OPTS (MNT_RDONLY for ro, MNT_LOG for log). */
  flags: number;
}

/** Parse `--mount TYPE:DEVICE:DIR[:OPTS]`; errors are RumpError EINVAL naming the spec. */
export function parseMountSpec(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length < 3 || parts.length > 4 || parts.slice(0, 3).some((x) => x === '')) {
    throw errno('EINVAL', `--mount '${spec}': expected TYPE:DEVICE:DIR[:ro|log]`);
  }
  const [type, device, dir, opts] = parts as [string, string, string, string | undefined];
  let flags = 0;
  for (const o of (opts ?? '').split(',').filter((x) => x !== '')) {
    if (o === 'ro') flags |= MNT_RDONLY;
    else if (o === 'log') flags |= MNT_LOG; // WAPBL: a crash replays the log at the next mount
    else if (o !== 'rw') throw errno('EINVAL', `--mount '${spec}': unknown option '${o}' (ro, rw, log)`);
  }
  if (!dir.startsWith('/')) throw errno('EINVAL', `--mount '${spec}': the directory must be an absolute path in the kernel`);
  return { type, device, dir, flags };
}

/** How bootServerKernel boots and sets up the kernel (rump_server's options). */
export interface BootOptions {
  /** -c: virtual CPUs the kernel reports. */
  ncpu?: number;
  /** -r: the kernel's memory limit in bytes. */
  memlimit?: number;
  /** -v: boot messages also go to `log`. */
  verbose?: boolean;
  /** -l, in order. */
  libraries: readonly string[];
  /** -m, in order. */
  modules: readonly string[];
  /** -d, in order. */
  drives: readonly Drivespec[];
  /** --newfs: host paths of drives to give a fresh FFS when they hold none. */
  newfs?: boolean;
  /** --mount, in order, once the drives are mapped. */
  mounts: readonly MountSpec[];
  /** Where the kernel console goes (default: standard error). */
  log?: (line: string) => void;
}

/**
 * A NetBSD library name (`rumpvfs`, `librumpvfs.so`, a package name or a path) as the librump
 * library specs it stands for. NetBSD's librumpvfs holds etfs and rumpblk; here they are a package
 * of their own, so `rumpvfs` brings `@rumpts/etfs` along.
 */
export function librarySpecs(name: string): string[] {
  const m = /^(?:lib)?(rump[a-z0-9_]*)(?:\.so(?:\.[0-9]+)*)?$/.exec(name);
  if (m?.[1] === 'rumpvfs') return ['rumpvfs', '@rumpts/etfs'];
  return [name];
}

/** Boot the kernel and set it up as the options say. Errors name the step that failed. */
export async function bootServerKernel(o: BootOptions): Promise<{
  /** The booted kernel. */
  kernel: Kernel;
  /** What each -d mapped, in order. */
  drives: AppliedDrive[];
}> {
  const misordered = libraryOrderProblems(o.libraries)[0];
  if (misordered) {
    const { library, needs } = misordered;
    throw errno('ENOENT', `failed to load -libraries (${o.libraries.join(', ')}): ${library} requires '${needs}', linked before it: add -l ${needs}`);
  }
  const libs = o.libraries.flatMap(librarySpecs);
  let kernel: Kernel;
  try {
    kernel = await rump_init({
      ...(o.ncpu !== undefined ? { ncpu: o.ncpu } : {}),
      ...(o.memlimit !== undefined ? { memlimit: o.memlimit } : {}),
      verbose: o.verbose ?? false,
      libraries: libs.map(ownLibrary),
      moduleBase: [process.cwd(), PACKAGE_DIR],
      ...(o.log ? { logger: o.log } : {}),
    });
  } catch (e) {
    throw step(e, `failed to load -libraries (${o.libraries.join(', ') || 'none'})`);
  }
  try {
    for (const m of o.modules) await loadModule(kernel, m);
    const drives: AppliedDrive[] = [];
    const locks: ImageLock[] = [];
    kernel.onHalt(() => {
      for (const l of locks) l.release();
    });
    for (const d of o.drives) {
      let applied: AppliedDrive;
      try {
        applied = applyDrivespec(kernel, d);
      } catch (e) {
        throw step(e, `-d key=${d.key}: etfs register`);
      }
      // One writer per image: clients may mount any drive read-write, so the lock is exclusive.
      try {
        locks.push(lockImage(applied.hostpath, { shared: false }));
      } catch (e) {
        throw step(e, `-d key=${d.key}: ${d.hostpath}`);
      }
      drives.push(applied);
    }
    if (o.newfs) for (const m of o.mounts) newfsIfBlank(m, drives);
    for (const m of o.mounts) await mountOne(kernel, m, drives);
    return { kernel, drives };
  } catch (e) {
    kernel.halt();
    throw e;
  }
}

function step(e: unknown, what: string): RumpError {
  if (isRumpError(e)) return new RumpError(e.code, `${what}: ${e.detail ?? e.message}`, { cause: e });
  return new RumpError('EINVAL', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * -m: a host file goes through the kernel's namespace as NetBSD does (etfs key /module.mod, which
 * needs the vfs faction); a library or package name is loaded directly.
 */
async function loadModule(kernel: Kernel, spec: string): Promise<void> {
  const host = resolve(spec);
  let r: 0 | 1;
  if (existsSync(host) && statSync(host).isFile()) {
    const key = '/module.mod';
    try {
      kernel.etfsRegister(key, host, RUMP_ETFS_REG);
      kernel.proc.stat(key);
    } catch (e) {
      throw step(e, `-m ${spec}: module etfs register failed (does the kernel have the vfs faction? -lrumpvfs)`);
    }
    try {
      r = await kernel.modload(host);
    } catch (e) {
      throw step(e, `-m ${spec}: module load failed`);
    } finally {
      try {
        kernel.etfsRemove(key);
      } catch {
        // the key goes with the kernel
      }
    }
  } else {
    try {
      r = await kernel.modload(spec);
    } catch (e) {
      throw step(e, `-m ${spec}: module load failed`);
    }
  }
  if (r === 0) throw errno('ENOENT', `-m ${spec}: module load failed: a module it requires is not loaded`);
}

async function mountOne(kernel: Kernel, m: MountSpec, drives: readonly AppliedDrive[]): Promise<void> {
  const what = `--mount ${m.type}:${m.device}:${m.dir}`;
  try {
    if (!String(kernel.sysctl('vfs.generic.fstypes')).split(' ').includes(m.type)) {
      try {
        await kernel.modload(`rumpfs_${m.type}`);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
    }
    let cur = '';
    for (const c of m.dir.split('/').filter((x) => x !== '')) {
      cur += `/${c}`;
      try {
        kernel.proc.mkdir(cur, 0o755);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
    }
    kernel.proc.mount(m.type, m.dir, m.flags, m.type === 'tmpfs' ? {} : { fspec: m.device });
  } catch (e) {
    const drive = drives.find((d) => d.key === m.device);
    if (drive && isRumpError(e) && e.code === 'EPERM' && /not clean/.test(e.detail ?? '')) {
      // Say exactly what to run: the host image is known here, the file system only knows its device.
      throw errno('EPERM', `${what}: the file system on ${drive.hostpath} is not clean: run \`fsu fsck -y ${drive.hostpath}\` first (or mount it :ro)`, { cause: e });
    }
    throw step(e, what);
  }
}

/** fs_magic sits 1372 bytes into the superblock, which is at 8 KiB (UFS1) or 64 KiB (UFS2). */
const SB_MAGIC_AT = [8192 + 1372, 65536 + 1372];
const FS_MAGICS = [0x011954, 0x19540119, 0x54190100, 0x19015419];

function hasSuperblock(d: AppliedDrive): boolean {
  const fd = openSync(d.hostpath, 'r');
  try {
    const b = Buffer.alloc(4);
    return SB_MAGIC_AT.some((at) => readSync(fd, b, 0, 4, d.begin + at) === 4 && FS_MAGICS.includes(b.readUInt32LE(0)));
  } finally {
    closeSync(fd);
  }
}

/** --newfs: give the drive behind an ffs mount a fresh UFS2 (our newfs) when it has no superblock yet. */
function newfsIfBlank(m: MountSpec, drives: readonly AppliedDrive[]): void {
  if (m.type !== 'ffs') return;
  const d = drives.find((x) => x.key === m.device);
  if (!d) throw errno('EINVAL', `--newfs: ${m.device} is not a -d drive key`);
  if (hasSuperblock(d)) return;
  const dev = new HostFileBlockDevice(d.hostpath, { begin: d.begin, size: d.size });
  try {
    newfs(dev, { version: 2 });
    dev.flush();
  } finally {
    dev.close();
  }
}
