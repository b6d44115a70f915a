/**
 * What every fsu command starts with: boot a ukfs kernel, load the file system, mount the image (type
 * from -t or autodetected, options from -o), and hand the command a handle; then release and halt.
 */
import { errno, isRumpError, MNT_FORCE, nameText, MNT_LOG, MNT_NOATIME, MNT_NOEXEC, MNT_RDONLY, MNT_SYNCHRONOUS, MNT_ASYNC, strerror } from '@rumpts/librump';
import { modinfo as ffsModinfo } from '@rumpts/rumpfs-ffs';
import { modinfo as msdosModinfo } from '@rumpts/rumpfs-msdos';
import { modinfo as cd9660Modinfo } from '@rumpts/rumpfs-cd9660';
import { type MountOptions, UkfsLib } from '../lib.js';
import { vfsOf } from '@rumpts/rumpvfs';
import type { Ukfs } from '../ukfs.js';
import { checkImage } from './image.js';
import type { FsuTarget } from './target.js';
import { SERVER_IMAGE, UsageError } from './usage.js';

export { SERVER_IMAGE, UsageError };

/** Types tried, in order, when -t is not given (fs-utils tries the auto-detectable ones; cd9660 last: it refuses a
 * read-write mount before looking at the image). */
export const AUTODETECT = ['ffs', 'msdos', 'cd9660'];

export interface SessionOptions {
  type?: string;
  /** -o: comma-separated mount options (ro, rw, log, force, sync, async, noatime, [no]dev, [no]suid, [no]exec). */
  opts?: string;
  /** The command only reads: mount read-only unless -o rw says otherwise. */
  readonly: boolean;
  /**
   * Kernel console messages once the image is mounted (a skipped directory entry, a damaged block …),
   * as a NetBSD rump kernel prints them on the tool's standard error. Not for a server: its console is its own.
   */
  console?: (line: string) => void;
  /** Called after the command when getdents skipped entries no directory may hold (the copy is incomplete). */
  skipped?: (count: number) => void;
}

/**
 * Mount flags for -o, left to right as mount(8) reads them (`-o ro,rw` is rw). A reading command mounts
 * read-only by default and an explicit `rw` mounts it read-write (a log is replayed, times are kept);
 * `ro` makes a writing command fail with EROFS.
 */
export function mountFlags(opts: string | undefined, readonly: boolean): number {
  let f = readonly ? MNT_RDONLY : 0;
  for (const o of (opts ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (o === 'ro' || o === 'rdonly') f |= MNT_RDONLY;
    else if (o === 'rw') f &= ~MNT_RDONLY;
    else if (o === 'log') f |= MNT_LOG;
    else if (o === 'force') f |= MNT_FORCE;
    else if (o === 'sync' || o === 'synchronous') f |= MNT_SYNCHRONOUS;
    else if (o === 'async') f |= MNT_ASYNC;
    else if (o === 'noatime') f |= MNT_NOATIME;
    else if (o === 'noexec') f |= MNT_NOEXEC;
    else if (o === 'exec') f &= ~MNT_NOEXEC;
    else if (!(o in TRUST)) throw new UsageError(`unknown mount option '${o}'`);
  }
  return f;
}

const TRUST: Record<string, { dev?: boolean; suid?: boolean }> = { dev: { dev: true }, nodev: { dev: false }, suid: { suid: true }, nosuid: { suid: false } };

/** -o dev/nodev, suid/nosuid (mount(8)): ukfs mounts images nodev,nosuid unless dev/suid is given (the last one wins). */
export function mountTrust(opts: string | undefined): { dev: boolean; suid: boolean } {
  const t = { dev: false, suid: false };
  for (const o of (opts ?? '').split(',').map((s) => s.trim())) Object.assign(t, TRUST[o]);
  return t;
}

/**
 * Run `fn` on a target: the rump server at `server` (the process of a fresh connection), or else the
 * image mounted for the occasion (released and the kernel halted afterwards).
 */
export async function withTarget<T>(server: string | undefined, image: string, o: SessionOptions, fn: (t: FsuTarget) => T | Promise<T>): Promise<T> {
  if (server === undefined) return withImage(image, o, (fs) => fn(fs.proc));
  const client = await connectServer(server);
  try {
    return await fn(client);
  } finally {
    await client.disconnect();
  }
}

/** `--server URL`: our protocol by default; a NetBSD rump_server is reached with RUMP_PROTOCOL=sysproxy. */
async function connectServer(url: string): Promise<FsuTarget & { disconnect(): Promise<void> }> {
  const protocol = process.env['RUMP_PROTOCOL'];
  if (protocol !== undefined && protocol !== '' && protocol !== 'rumpts' && protocol !== 'sysproxy') {
    throw new UsageError(`RUMP_PROTOCOL must be rumpts or sysproxy, not '${protocol}'`);
  }
  // Loaded only here: the client's sockets and streams (node:net, node:stream) cost an image command
  // several milliseconds of start-up for nothing.
  const { connect } = await import('@rumpts/rumpclient');
  return connect(url, { protocol: protocol === 'sysproxy' ? 'sysproxy' : 'rumpts' });
}

/** Where the image is mounted in fsu's kernel; console messages name the image instead. */
const MOUNTPATH = '/fsu';

/** Mount `image` and run `fn` on the handle, always releasing and halting afterwards. */
export async function withImage<T>(image: string, o: SessionOptions, fn: (fs: Ukfs, lib: UkfsLib) => T | Promise<T>): Promise<T> {
  if (image === SERVER_IMAGE) throw new UsageError('this command needs an image, not --server');
  checkImage(image);
  // FFS, FAT and ISO 9660 (the types fsu detects by itself) are linked in (builtin modules, as in a
  // kernel configured with them): no lookup and ES-module load by name on the way to a mount (for FAT
  // and for cd9660 that load was a tenth of a second of every command: the module and, unbundled, a
  // second copy of every package below it). Other types still load by name.
  // Messages of a failed mount repeat its error, which fsu reports itself: the console is live once mounted.
  let live = false;
  const lib = await UkfsLib.init({ logger: (line) => live && o.console?.(nameText(line.replaceAll(`${MOUNTPATH}:`, `${image}:`))), libraries: [{ modinfo: ffsModinfo }, { modinfo: msdosModinfo }, { modinfo: cd9660Modinfo }] });
  try {
    const flags = mountFlags(o.opts, o.readonly);
    let fs: Ukfs;
    try {
      fs = await mountAny(lib, image, o.type, { flags, mountpath: MOUNTPATH, ...mountTrust(o.opts) });
    } catch (e) {
      // Mount errors are about the image, not the kernel-internal mount point.
      if (isRumpError(e) && (e.path === undefined || e.path === MOUNTPATH)) e.path = image;
      throw e;
    }
    live = true;
    try {
      return await fn(fs, lib);
    } finally {
      const skipped = vfsOf(lib.kernel).direntsSkipped;
      if (skipped > 0) o.skipped?.(skipped);
      fs.release(0);
    }
  } finally {
    lib.halt();
  }
}

/**
 * Does a mount error only say that the image is not of the type tried? File systems say so with
 * EINVAL "… not an <type> file system …" when their magic is nowhere (ffs, cd9660).
 */
function notThisType(e: unknown): boolean {
  return isRumpError(e) && e.code === 'EINVAL' && /\bnot an? [^()]*file system\b/.test(e.detail ?? '');
}

async function mountAny(lib: UkfsLib, image: string, type: string | undefined, mo: MountOptions): Promise<Ukfs> {
  if (type) {
    await lib.ensureFs(type);
    return lib.mount(type, image, mo);
  }
  const tried: string[] = [];
  for (const t of AUTODETECT) {
    try {
      await lib.ensureFs(t);
    } catch {
      continue;
    }
    try {
      return lib.mount(t, image, mo);
    } catch (e) {
      // Errors about the image file itself (missing, locked, read-only) are the same for every type.
      if (isRumpError(e) && ['ENOENT', 'EACCES', 'EROFS', 'EPERM', 'EBUSY'].includes(e.code)) throw e;
      // The image is of this type but cannot be mounted (a damaged superblock, corrupt metadata):
      // that error is the answer, not the next type's "not mine".
      if (!notThisType(e)) throw e;
      tried.push(`${t}: ${isRumpError(e) ? (e.detail ?? strerror(e.errno)) : String(e)}`);
    }
  }
  throw errno('EFTYPE', `no known file system on the image (${tried.join('; ') || 'no file system modules'})`, { path: image });
}
