/**
 * ukfs(3) with its C names and C return conventions: -1 and `errno()` instead of exceptions,
 * ukfs_modload's -1 / 0 / 1, ukfs_modload_dir's count, ukfs_vfstypes' length. Like the C library it
 * serves one process-wide instance made by ukfs_init — the one place rumpts keeps a kernel in a
 * module variable, because the C API has no argument to carry it. Use the `UkfsLib` class for more.
 *
 * @packageDocumentation
 */
import { direntReclen } from '@rumpts/rumpvfs';
import { Errno, isRumpError, type MountData, type Stat, type Timespec } from '@rumpts/librump';
import type { Mount } from '@rumpts/rumpvfs';
import { UkfsLib, UKFS_PARTITION_NA, UKFS_PARTITION_NONE } from './lib.js';
import { parseDevpath, partToString, resolvePart, type UkfsPart } from './part.js';
import { type Ukfs, UKFS_DEFAULTMP, UKFS_RELFLAG_FORCE, UKFS_RELFLAG_NOUNMOUNT } from './ukfs.js';

export { UKFS_DEFAULTMP, UKFS_PARTITION_NA, UKFS_PARTITION_NONE, UKFS_RELFLAG_FORCE, UKFS_RELFLAG_NOUNMOUNT };
export type { Ukfs };
/** UKFS_VERSION (2): the interface version ukfs_init checks; another value fails with EPROGMISMATCH. */
export const UKFS_VERSION = 2;

let lib: UkfsLib | null = null;
let lastErrno = 0;

/** The errno of the last failed call. */
export function errno(): number {
  return lastErrno;
}

function fail(e: unknown): -1 {
  lastErrno = isRumpError(e) ? e.errno : Errno.EIO;
  return -1;
}

function attempt<T>(fn: () => T): T | -1 {
  try {
    return fn();
  } catch (e) {
    return fail(e);
  }
}

function need(): UkfsLib {
  if (!lib) {
    lastErrno = Errno.ENXIO;
    throw Object.assign(new Error('ukfs_init() was not called'), { errno: Errno.ENXIO });
  }
  return lib;
}

/** ukfs_init: boot the rump kernel. 0, or -1 with errno. Call once per process. */
export async function ukfs_init(version = UKFS_VERSION): Promise<0 | -1> {
  if (version !== UKFS_VERSION) {
    lastErrno = Errno.EPROGMISMATCH;
    return -1;
  }
  if (lib) return 0;
  try {
    lib = await UkfsLib.init();
    return 0;
  } catch (e) {
    return fail(e);
  }
}

/** The instance ukfs_init made (for mixing with the TypeScript API). */
export function ukfs_lib(): UkfsLib {
  return need();
}

/** ukfs_modload: 1 loaded, 0 a dependency is missing (retry later), -1 fatal. */
export async function ukfs_modload(fname: string): Promise<-1 | 0 | 1> {
  try {
    return await need().modload(fname);
  } catch (e) {
    return fail(e);
  }
}

/** ukfs_modload_dir: the number of modules loaded, or -1 with errno if the directory cannot be read. */
export async function ukfs_modload_dir(dir: string): Promise<number> {
  try {
    return (await need().modloadDir(dir)).loaded.length;
  } catch (e) {
    return fail(e);
  }
}

/**
 * ukfs_vfstypes: the space-separated type list, NUL-terminated, into buf. Returns its length without
 * the NUL; 0 means none; if buf is too small, as many whole names as fit.
 */
export function ukfs_vfstypes(buf: Uint8Array, buflen: number = buf.length): number {
  return attempt(() => {
    const room = Math.min(buflen, buf.length);
    if (room < 1) {
      lastErrno = Errno.ENOMEM;
      return -1;
    }
    const enc = new TextEncoder();
    let out = '';
    for (const name of need().vfstypes()) {
      const next = out === '' ? name : `${out} ${name}`;
      if (enc.encode(next).length + 1 > room) break;
      out = next;
    }
    const bytes = enc.encode(out);
    buf.set(bytes);
    buf[bytes.length] = 0;
    return bytes.length;
  });
}

/** ukfs_mount: a handle, or null with errno. `arg` is the file system's argument object. Mounted nodev,nosuid (see UkfsLib.mount). */
export function ukfs_mount(vfsname: string, devpath: string, mountpath: string = UKFS_DEFAULTMP, mntflags = 0, arg?: MountData, _alen = 0): Ukfs | null {
  const r = attempt(() => need().mount(vfsname, devpath, { mountpath, flags: mntflags, args: arg }));
  return r === -1 ? null : r;
}

/** ukfs_mount_disk: as ukfs_mount, with a partition index (0 = 'a') or UKFS_PARTITION_NONE. */
export function ukfs_mount_disk(
  vfsname: string, devpath: string, partition: number, mountpath: string = UKFS_DEFAULTMP, mntflags = 0, arg?: MountData, _alen = 0,
): Ukfs | null {
  const r = attempt(() => need().mountDisk(vfsname, devpath, partition, { mountpath, flags: mntflags, args: arg }));
  return r === -1 ? null : r;
}

/** ukfs_release: 0, or -1 with errno (the handle stays valid, e.g. EBUSY). */
export function ukfs_release(fs: Ukfs, flags: number): number {
  return attempt(() => {
    fs.release(flags);
    lib?.handles.delete(fs);
    return 0;
  });
}

// --- file calls: 0 / byte counts, or -1 with errno ---

const zero = (fn: () => void): number => attempt(() => (fn(), 0));

/**
 * ukfs_read: open `path` read-only, pread(2) up to `bufsize` bytes at `off`, close; the bytes read, or -1 with
 * errno.
 */
export const ukfs_read = (fs: Ukfs, path: string, off: number, buf: Uint8Array, bufsize = buf.length): number =>
  attempt(() => fs.read(path, off, buf.subarray(0, bufsize)));
/**
 * ukfs_write: open `path` (it must exist; no O_CREAT), pwrite(2) at `off`, fsync(2) if anything was written,
 * close; the bytes written, or -1.
 */
export const ukfs_write = (fs: Ukfs, path: string, off: number, buf: Uint8Array, bufsize = buf.length): number =>
  attempt(() => fs.write(path, off, buf.subarray(0, bufsize)));
/** ukfs_read_fd: pread(2) on a descriptor from ukfs_open; the bytes read, or -1. */
export const ukfs_read_fd = (fs: Ukfs, fd: number, off: number, buf: Uint8Array, bufsize = buf.length): number =>
  attempt(() => fs.readFd(fd, off, buf.subarray(0, bufsize)));
/**
 * ukfs_write_fd: pwrite(2) on a descriptor from ukfs_open, fsync(2) after if `dosync` is non-zero and anything
 * was written; the bytes written, or -1.
 */
export const ukfs_write_fd = (fs: Ukfs, fd: number, off: number, buf: Uint8Array, bufsize = buf.length, dosync = 0): number =>
  attempt(() => fs.writeFd(fd, off, buf.subarray(0, bufsize), dosync !== 0));
/**
 * ukfs_open: open(2) with `flags` (mode 0); the descriptor, valid until ukfs_close or release (in C it died
 * with the call's process), or -1.
 */
export const ukfs_open = (fs: Ukfs, path: string, flags: number): number => attempt(() => fs.open(path, flags));
/** ukfs_close always returns 0, as in C. */
export const ukfs_close = (fs: Ukfs, fd: number): number => {
  attempt(() => fs.close(fd));
  return 0;
};
/**
 * ukfs_create: create `path` with `mode` (O_WRONLY|O_CREAT, no O_EXCL: an existing file is kept as it is); 0 or
 * -1.
 */
export const ukfs_create = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.create(path, mode));
/** ukfs_mknod: mknod(2); 0 or -1. */
export const ukfs_mknod = (fs: Ukfs, path: string, mode: number, dev: number): number => zero(() => fs.mknod(path, mode, dev));
/** ukfs_mkfifo: mkfifo(2); 0 or -1. */
export const ukfs_mkfifo = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.mkfifo(path, mode));
/** ukfs_mkdir: mkdir(2); 0 or -1. */
export const ukfs_mkdir = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.mkdir(path, mode));
/** ukfs_remove: unlink(2); 0 or -1. */
export const ukfs_remove = (fs: Ukfs, path: string): number => zero(() => fs.remove(path));
/** ukfs_rmdir: rmdir(2); 0 or -1. */
export const ukfs_rmdir = (fs: Ukfs, path: string): number => zero(() => fs.rmdir(path));
/** ukfs_link: link(2), `path` a new name for `existing`; 0 or -1. */
export const ukfs_link = (fs: Ukfs, existing: string, path: string): number => zero(() => fs.link(existing, path));
/** ukfs_symlink: symlink(2), `path` a link to `target`; 0 or -1. */
export const ukfs_symlink = (fs: Ukfs, target: string, path: string): number => zero(() => fs.symlink(target, path));
/** ukfs_rename: rename(2); 0 or -1. */
export const ukfs_rename = (fs: Ukfs, from: string, to: string): number => zero(() => fs.rename(from, to));
/** ukfs_chdir: change the handle's cwd (the one piece of state a ukfs handle keeps); 0 or -1. */
export const ukfs_chdir = (fs: Ukfs, path: string): number => zero(() => fs.chdir(path));
/** ukfs_chmod: chmod(2); 0 or -1. */
export const ukfs_chmod = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.chmod(path, mode));
/** ukfs_lchmod: lchmod(2), not following a final symlink; 0 or -1. */
export const ukfs_lchmod = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.lchmod(path, mode));
/** ukfs_chown: chown(2); 0 or -1. */
export const ukfs_chown = (fs: Ukfs, path: string, uid: number, gid: number): number => zero(() => fs.chown(path, uid, gid));
/** ukfs_lchown: lchown(2), not following a final symlink; 0 or -1. */
export const ukfs_lchown = (fs: Ukfs, path: string, uid: number, gid: number): number => zero(() => fs.lchown(path, uid, gid));
/** ukfs_chflags: chflags(2) (UF_* / SF_* flags); 0 or -1. */
export const ukfs_chflags = (fs: Ukfs, path: string, flags: number): number => zero(() => fs.chflags(path, flags));
/** ukfs_lchflags: lchflags(2), not following a final symlink; 0 or -1. */
export const ukfs_lchflags = (fs: Ukfs, path: string, flags: number): number => zero(() => fs.lchflags(path, flags));
/** ukfs_utimes: tv = [atime, mtime] or null for "now". */
export const ukfs_utimes = (fs: Ukfs, path: string, tv: [Timespec, Timespec] | null): number => zero(() => fs.utimes(path, tv?.[0] ?? null, tv?.[1] ?? null));
/** ukfs_lutimes: as ukfs_utimes, not following a final symlink; 0 or -1. */
export const ukfs_lutimes = (fs: Ukfs, path: string, tv: [Timespec, Timespec] | null): number => zero(() => fs.lutimes(path, tv?.[0] ?? null, tv?.[1] ?? null));
/**
 * ukfs_util_builddirs: mkdir -p `path`, each missing component made with `mode`; existing ones are fine; 0 or
 * -1.
 */
export const ukfs_util_builddirs = (fs: Ukfs, path: string, mode: number): number => zero(() => fs.builddirs(path, mode));

/** ukfs_stat: fills `st` and returns 0, or -1 with errno. */
export function ukfs_stat(fs: Ukfs, path: string, st: Partial<Stat>): number {
  return zero(() => Object.assign(st, fs.stat(path)));
}
/** ukfs_lstat: as ukfs_stat, of a symlink itself; 0 or -1. */
export function ukfs_lstat(fs: Ukfs, path: string, st: Partial<Stat>): number {
  return zero(() => Object.assign(st, fs.lstat(path)));
}

/** ukfs_readlink: the target's bytes into buf (not NUL-terminated, as readlink(2)); the count, or -1. */
export function ukfs_readlink(fs: Ukfs, path: string, buf: Uint8Array, len = buf.length): number {
  return attempt(() => {
    const t = new TextEncoder().encode(fs.readlink(path));
    const n = Math.min(t.length, len, buf.length);
    buf.set(t.subarray(0, n));
    return n;
  });
}

/**
 * ukfs_getdents: NetBSD struct dirent records (little-endian: fileno u64, reclen u16, namlen u16,
 * type u8, name, NUL) from `off.value`, which is advanced. Returns the bytes filled, or -1.
 */
export function ukfs_getdents(fs: Ukfs, dirname: string, off: { value: number }, buf: Uint8Array, bufsize = buf.length): number {
  return attempt(() => {
    const { dirents, offset } = fs.getdents(dirname, off.value, Math.min(bufsize, buf.length));
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const enc = new TextEncoder();
    let at = 0;
    for (const d of dirents) {
      const name = enc.encode(d.name);
      const reclen = direntReclen(name.length);
      dv.setBigUint64(at, BigInt(d.fileno), true);
      dv.setUint16(at + 8, reclen, true);
      dv.setUint16(at + 10, name.length, true);
      buf[at + 12] = d.type;
      buf.set(name, at + 13);
      buf.fill(0, at + 13 + name.length, at + reclen);
      at += reclen;
    }
    off.value = offset;
    return at;
  });
}

/** ukfs_getmp: the kernel's struct mount of the handle's file system, or null with errno. */
export const ukfs_getmp = (fs: Ukfs): Mount | null => {
  const r = attempt(() => fs.getmp());
  return r === -1 ? null : r;
};
/** ukfs_setspecific: attach an opaque user value to the handle. */
export const ukfs_setspecific = (fs: Ukfs, p: unknown): void => {
  fs.specific = p;
};
/** ukfs_getspecific: the value ukfs_setspecific attached (undefined if none). */
export const ukfs_getspecific = (fs: Ukfs): unknown => fs.specific;

/** ukfs_part_probe: parse partition magic and read the label; 0 and `partp.value`, or -1. */
export function ukfs_part_probe(devpath: string, partp: { value?: { path: string; part: UkfsPart } }): number {
  return zero(() => {
    const p = parseDevpath(devpath);
    partp.value = { path: p.path, part: resolvePart(p.path, p.want) };
  });
}

/** ukfs_part_tostring: "" for none, "%DISKLABEL:c%", "%GPT:N%", "%MBR:N%", or "[start,end]" in bytes. */
export const ukfs_part_tostring = (part: UkfsPart): string => partToString(part);
