/**
 * fsu get, put and cp: copies out of, into and within a target, with cp -R's rules — into an existing
 * directory a source keeps its name, into a new path it becomes that path; fifos and device nodes are
 * recreated as such (devices on the host only as root); a failed entry is reported and the copy goes
 * on with the rest (exit 1 at the end).
 */
import { type Dirent, type Stats, closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import {
  decodeName, errno, isRumpError, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, Proc, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, type Stat,
} from '@rumpts/librump';
import { hostDirKernelNames, hostPathOf } from '@rumpts/etfs';
import { pageAlignedBuffer, undecodableNames } from '@rumpts/rumpdev-disk';
import { makedev } from '@rumpts/rumpvfs';
import { hostErr } from './errors.js';
import { HostDir, hostMajorMinor } from './hostfs.js';
import type { Progress } from './progress.js';
import { READ_AHEAD_RUN, ReadAhead } from './readahead.js';
import type { Io } from './stdio.js';
import type { FsuTarget } from './target.js';
import { Ancestry, MAX_DEPTH, badName, ijoin, isDir, names, validName } from './walk.js';

/** Bytes per read and write: large, so a stream costs few system calls. */
export const CHUNK = 1 << 20;

/**
 * Bytes per read of a file streamed out (cat, get, cp): 1 MiB, into a page-aligned buffer. Measured on
 * the bench machine (2-core EPYC VM), what made reads above 128 KiB look slow was where the buffer
 * lay, not the size: a page-cached read(2) into a buffer 16 bytes past a page boundary — where a large
 * Uint8Array usually lands — copies at a third of the speed (rumpdev-disk's pageAlignedBuffer).
 */
export const READ_CHUNK = 1 << 20;

/**
 * A command's reusable copy buffer, made on first use: one per command run, not one per file (a
 * megabyte allocated and zeroed for each of ten thousand small files cost more than copying them).
 * Page-aligned, so the host copies into and out of it at full speed.
 */
export class CopyBuffer {
  #buf: Uint8Array | undefined;

  constructor(readonly size: number) {}

  get(): Uint8Array {
    return (this.#buf ??= pageAlignedBuffer(this.size));
  }
}

/**
 * Stream a file of the target to `sink` in chunks, through `buffer` (default: a new one). The buffer
 * is reused: `sink` must be done with it when it returns or its promise settles (the sinks here write
 * synchronously or await their write), and a buffer serves one stream at a time.
 *
 * Only what is a promise is awaited: on a local image (a synchronous target) with a synchronous sink,
 * as `fsu cat` is, the loop runs without a promise or a microtask per chunk (8,192 of them for 1 GiB).
 */
export async function readFileChunks(
  fs: FsuTarget, path: string, sink: (b: Uint8Array) => void | Promise<void>, progress?: Progress, buffer: CopyBuffer = new CopyBuffer(READ_CHUNK),
): Promise<void> {
  const fd = await fs.open(path, O_RDONLY);
  try {
    const buf = buffer.get();
    for (;;) {
      const r = fs.read(fd, buf);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) break;
      // A full chunk is the buffer itself: no view made per chunk.
      const w = sink(n === buf.length ? buf : buf.subarray(0, n));
      if (w !== undefined) await w;
      progress?.add(n);
    }
  } finally {
    await fs.close(fd);
  }
}

/** Write a file of the target (created or truncated) from chunks. */
export async function writeFileChunks(fs: FsuTarget, to: string, mode: number, fill: (sink: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  const fd = await fs.open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    await fill(async (b) => {
      let off = 0;
      while (off < b.length) off += await fs.write(fd, b.subarray(off));
    });
  } finally {
    await fs.close(fd);
  }
}

async function targetIsDir(fs: FsuTarget, p: string): Promise<boolean> {
  try {
    return isDir(await fs.stat(p));
  } catch (e) {
    if (isRumpError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
    throw e;
  }
}

const hostIsDir = (p: string): boolean => {
  try {
    return statSync(hostPathOf(p)).isDirectory();
  } catch {
    return false;
  }
};

/** The last component of a target path as cp names its copy (`/` → `root`, trailing slashes ignored). */
function sourceName(src: string): string {
  return basename(posix.normalize(src).replace(/\/+$/, '')) || 'root';
}

/** Total bytes of regular files under a target path, for the progress bar (best effort). */
async function targetBytes(fs: FsuTarget, path: string, depth = 0): Promise<number> {
  try {
    const st = await fs.lstat(path);
    if ((st.mode & S_IFMT) === S_IFREG) return st.size;
    if (!isDir(st) || depth >= 64) return 0;
    const fd = await fs.open(path, O_RDONLY);
    let s = 0;
    try {
      for (let d = await fs.getdents(fd, 65536); d.length > 0; d = await fs.getdents(fd, 65536)) {
        for (const e of d) if (validName(e.name)) s += await targetBytes(fs, ijoin(path, e.name), depth + 1);
      }
    } finally {
      await fs.close(fd);
    }
    return s;
  } catch {
    return 0;
  }
}

/** Bytes of the regular files under host path `path` (a kernel name: escaped bytes are the host's), for put -r's progress total. */
export function hostBytes(path: string, depth = 0): number {
  try {
    const st = lstatSync(hostPathOf(path));
    if (st.isFile()) return st.size;
    if (!st.isDirectory() || depth >= 64) return 0;
    // Names that are not UTF-8 as librump names them (hostPathOf gives their bytes back): counted too.
    return hostDirKernelNames(path).reduce((s, n) => s + hostBytes(join(path, n), depth + 1), 0);
  } catch {
    return 0;
  }
}

/**
 * fsu get: copy out to the host. Every name taken from the image is checked before it becomes part of
 * a host path, and nothing is written through a symbolic link below the destination (see hostfs.ts).
 */
export async function cmd_get(fs: FsuTarget, srcs: string[], dst: string, o: { recursive?: boolean }, io: Io, progress: Progress): Promise<void> {
  const into = hostIsDir(dst);
  if (srcs.length > 1 && !into) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  if (progress.enabled) {
    let total = 0;
    for (const s of srcs) total += await targetBytes(fs, s);
    progress.start(total);
  }
  const ancestry = new Ancestry();
  const buffer = new CopyBuffer(READ_CHUNK);

  /** Copy image entry `src` (stat `st`) to `name` in host directory `parent`. */
  const copy = async (src: string, st: Stat, parent: HostDir, name: string): Promise<void> => {
    const t = st.mode & S_IFMT;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      if (!ancestry.enter(src, st, io)) return;
      try {
        const { dir, finish } = parent.mkdir(name, st.mode);
        for (const n of await names(fs, src, true, io)) {
          const child = ijoin(src, n);
          try {
            await copy(child, await fs.lstat(child), dir, n);
          } catch (e) {
            io.fail(e, child);
          }
        }
        finish();
      } finally {
        ancestry.leave();
      }
    } else if (t === S_IFLNK) {
      parent.symlink(name, await fs.readlink(src));
    } else if (t === S_IFREG) {
      const { fd, path } = parent.openFile(name, st.mode);
      try {
        await readFileChunks(fs, src, (b) => hostWrite(fd, b, path), progress, buffer);
      } finally {
        closeSync(fd);
      }
    } else {
      parent.special(name, st.mode, st.rdev, src);
    }
  };

  await io.each(srcs, async (src) => {
    const st = await fs.lstat(src);
    if (into) {
      const name = sourceName(src);
      if (!validName(name)) throw badName(src, name);
      await copy(src, st, HostDir.named(dst), name);
      return;
    }
    // dst is a new path (or a file to replace): the user named it, so their symbolic links are followed.
    const full = resolve(dst);
    if ((st.mode & S_IFMT) === S_IFREG) {
      let fd: number;
      try {
        fd = openSync(hostPathOf(full), 'w', st.mode & 0o777);
      } catch (e) {
        throw hostErr(e, dst);
      }
      try {
        await readFileChunks(fs, src, (b) => hostWrite(fd, b, dst), progress, buffer);
      } finally {
        closeSync(fd);
      }
      return;
    }
    await copy(src, st, HostDir.named(dirname(full)), basename(full));
  });
  progress.stop();
}

function hostWrite(fd: number, b: Uint8Array, path: string): void {
  try {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  } catch (e) {
    throw hostErr(e, path);
  }
}

/** read(2) of a host file, its error named for `src`. */
function hostRead(fd: number, buf: Uint8Array, src: string): number {
  try {
    return readSync(fd, buf);
  } catch (e) {
    throw hostErr(e, src);
  }
}

/**
 * A short read that reaches the size fstat gave is the end: no read just to see 0 (a file that says
 * it is empty, as /proc's do, is read to the end).
 */
function readAll(n: number, buf: Uint8Array, st: Stats, total: number): boolean {
  return n < buf.length && st.size > 0 && total >= st.size;
}

/**
 * The bytes of the host name that entry `i` of `entries` (host directory `src`, sorted by name)
 * stands for, when its decoded name holds U+FFFD and they are not valid UTF-8 — the decoded one
 * names no file, so the entry is copied under decodeName of these bytes. Null for a real U+FFFD
 * (valid UTF-8). `bad` is undecodableNames(src): names that decode alike are taken as the
 * valid one (if there is one) first, then the bad ones in order.
 */
function undecodableEntry(entries: readonly Dirent[], i: number, bad: Map<string, Buffer[]>): Buffer | null {
  const name = (entries[i] as Dirent).name;
  const list = bad.get(name);
  if (list === undefined) return null;
  let first = i;
  while (first > 0 && (entries[first - 1] as Dirent).name === name) first--;
  let count = 0;
  while (first + count < entries.length && (entries[first + count] as Dirent).name === name) count++;
  const j = i - first - (count > list.length ? 1 : 0);
  return j < 0 ? null : (list[j] ?? null);
}

/** fsu put: copy host files in; fifos and device nodes become fifos and device nodes in the image. */
export async function cmd_put(fs: FsuTarget, srcs: string[], dst: string, o: { recursive?: boolean }, io: Io, progress: Progress): Promise<void> {
  const into = await targetIsDir(fs, dst);
  if (srcs.length > 1 && !into) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  if (progress.enabled) progress.start(srcs.reduce((s, x) => s + hostBytes(x), 0));
  const buffer = new CopyBuffer(CHUNK);

  /** Copy the open host file `fd` (fstat `st`, a regular file) to `to`. */
  const putFile = async (fd: number, st: Stats, src: string, to: string): Promise<void> => {
    await writeFileChunks(fs, to, st.mode & 0o7777, async (sink) => {
      const buf = buffer.get();
      let total = 0;
      for (;;) {
        const n = hostRead(fd, buf, src);
        if (n === 0) break;
        await sink(buf.subarray(0, n));
        progress.add(n);
        total += n;
        if (readAll(n, buf, st, total)) break;
      }
    });
  };

  /**
   * putFile for a target that answers synchronously (a local image's process): the same calls, made
   * without a promise and a microtask for each — for ten thousand small files they cost as much as
   * the file system's own work.
   */
  const putFileSync = (p: Proc, fd: number, st: Stats, src: string, to: string): void => {
    const out = p.open(to, O_WRONLY | O_CREAT | O_TRUNC, st.mode & 0o7777);
    try {
      const buf = buffer.get();
      let total = 0;
      for (;;) {
        const n = hostRead(fd, buf, src);
        if (n === 0) break;
        for (let off = 0; off < n; ) off += p.write(out, buf.subarray(off, n));
        progress.add(n);
        total += n;
        if (readAll(n, buf, st, total)) break;
      }
    } finally {
      p.close(out);
    }
  };
  const sync = fs instanceof Proc ? fs : null;

  /** Write bytes the read-ahead thread read to new file `to` of a synchronous target. */
  const putDataSync = (p: Proc, mode: number, data: Uint8Array, to: string): void => {
    const out = p.open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
    try {
      for (let off = 0; off < data.length; ) off += p.write(out, off === 0 ? data : data.subarray(off));
      progress.add(data.length);
    } finally {
      p.close(out);
    }
  };

  /**
   * The read-ahead thread (readahead.ts), for a tree copied into a local image: started once the
   * copy has listed enough files to pay for a thread's start.
   */
  let ahead: ReadAhead | null = null;
  let listed = 0;
  const READ_AHEAD_AFTER = 64;

  /**
   * Copy host file `src` (host path `hsrc`: `src` itself, or its bytes), which readdir says is a
   * regular file, opened without an lstat first (its fstat says what it is). False if it is not one
   * (any more): the lstat path reports it as it is now. Synchronous when the target is.
   */
  const putListedFile = (src: string, hsrc: string | Buffer, to: string): boolean | Promise<boolean> => {
    let fd: number;
    try {
      fd = openSync(hsrc, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      // Gone, replaced by a link, or unreadable.
      return false;
    }
    let handedOff = false;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return false;
      if (sync) {
        putFileSync(sync, fd, st, src, to);
        return true;
      }
      handedOff = true;
      return putFile(fd, st, src, to)
        .then(() => true)
        .finally(() => closeSync(fd));
    } finally {
      if (!handedOff) closeSync(fd);
    }
  };

  /** Open host file `src` (host path `hsrc`) for reading: no-follow and non-blocking, so a link or a fifo put there since lstat is not read. */
  const openFile = (src: string, hsrc: string | Buffer): number => {
    try {
      return openSync(hsrc, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      throw hostErr(e, src);
    }
  };

  /**
   * Copy host entry `src` to `to`. `src` is a name as the kernel holds it: a host name that is not
   * valid UTF-8 is decodeName of its bytes, turned back into them for the host (hostPathOf).
   */
  const copy = async (src: string, to: string, depth: number): Promise<void> => {
    const hsrc = hostPathOf(src);
    let st;
    try {
      st = lstatSync(hsrc);
    } catch (e) {
      throw hostErr(e, src);
    }
    const perm = st.mode & 0o7777;
    if (st.isDirectory()) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      if (depth >= MAX_DEPTH) throw errno('ELOOP', 'directory tree too deep', { path: src });
      try {
        await fs.mkdir(to, perm | 0o700);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
        if (!(await targetIsDir(fs, to))) throw errno('EEXIST', 'exists and is not a directory', { path: to });
      }
      let entries: Dirent[];
      try {
        entries = readdirSync(hsrc, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (e) {
        throw hostErr(e, src);
      }
      // join(src, n) for every n, normalising src once: readdir's names are plain (no '/', '.' or '..').
      const at = join(src, '.');
      const prefix = at === '.' ? '' : at.endsWith('/') ? at : `${at}/`;
      if (sync && ahead === null && listed < READ_AHEAD_AFTER && (listed += entries.length) >= READ_AHEAD_AFTER) ahead = ReadAhead.start();
      // Read ahead only where every path is plain text (the thread's paths are strings).
      const plain = typeof hsrc === 'string';
      const ra = plain ? ahead : null;
      // The names of this directory that are not UTF-8, read (as bytes) when a decoded name shows U+FFFD.
      let bad: Map<string, Buffer[]> | null = null;
      // Entries before `asked` have been asked of the read-ahead thread (runs of files, in order).
      let asked = 0;
      let i = 0;
      try {
        for (; i < entries.length; i++) {
          const d = entries[i] as Dirent;
          // Such a name is never asked of the read-ahead thread (a run stops before it).
          const odd = d.name.includes('\uFFFD');
          let name = d.name;
          let from = prefix + name;
          try {
            if (odd) {
              try {
                bad ??= undecodableNames(hsrc);
              } catch (e) {
                throw hostErr(e, src);
              }
              // Not valid UTF-8: the entry is its bytes, escaped (librump decodeName) — FFS and tmpfs
              // keep such a name exactly; a file system that cannot (msdos) says EILSEQ for it.
              const raw = undecodableEntry(entries, i, bad);
              if (raw !== null) {
                name = decodeName(raw);
                from = prefix + name;
              }
            }
            const into = ijoin(to, name);
            if (ra !== null && sync && d.isFile() && !odd) {
              if (i >= asked) {
                const paths: string[] = [];
                for (
                  asked = i;
                  asked < entries.length && paths.length < READ_AHEAD_RUN && (entries[asked] as Dirent).isFile() && !(entries[asked] as Dirent).name.includes('\uFFFD');
                  asked++
                ) {
                  paths.push(prefix + (entries[asked] as Dirent).name);
                }
                ra.request(paths);
              }
              const got = ra.take();
              try {
                if (got !== null) {
                  putDataSync(sync, got.mode, got.data, into);
                  continue;
                }
              } finally {
                ra.release();
              }
            }
            if (d.isFile()) {
              let done = putListedFile(from, plain && !odd ? from : hostPathOf(from), into);
              if (done !== true && done !== false) done = await done;
              if (done) continue;
            }
            await copy(from, into, depth + 1);
          } catch (e) {
            io.fail(e, from);
          }
        }
      } finally {
        // Left part-way (an error that ends the copy): files asked for and not taken would be
        // taken by the next directory as its own, so the thread is done.
        if (ra !== null && i < asked) {
          ra.close();
          ahead = null;
        }
      }
      if ((perm & 0o700) !== 0o700) await fs.chmod(to, perm);
    } else if (st.isSymbolicLink()) {
      // A target is bytes too: re-read as such only when its decoding shows U+FFFD.
      let target = readlinkSync(hsrc);
      if (target.includes('\uFFFD')) target = decodeName(readlinkSync(hsrc, { encoding: 'buffer' }));
      await fs.symlink(target, to);
    } else if (st.isFile()) {
      const fd = openFile(src, hsrc);
      try {
        const fst = fstatSync(fd);
        if (!fst.isFile()) throw errno('EAGAIN', 'changed while being copied', { path: src });
        if (sync) putFileSync(sync, fd, fst, src, to);
        else await putFile(fd, fst, src, to);
      } finally {
        closeSync(fd);
      }
    } else if (st.isFIFO()) {
      await fs.mknod(to, S_IFIFO | perm, 0);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = hostMajorMinor(st.rdev);
      if (major > 0xfff || minor > 0xfffff) throw errno('EOVERFLOW', `device (${major}, ${minor}) does not fit a NetBSD dev_t`, { path: src });
      await fs.mknod(to, (st.isCharacterDevice() ? S_IFCHR : S_IFBLK) | perm, makedev(major, minor));
    } else {
      throw errno('EOPNOTSUPP', 'is a socket; sockets are not copied', { path: src });
    }
  };
  try {
    await io.each(srcs, (src) => copy(src, into ? ijoin(dst, basename(resolve(src)) || 'root') : dst, 0));
  } finally {
    (ahead as ReadAhead | null)?.close();
  }
  progress.stop();
}

/** fsu cp: copy within the target (cp -R: fifos and devices as they are; never a directory into itself). */
export async function cmd_cp(fs: FsuTarget, srcs: string[], dst: string, o: { recursive?: boolean }, io: Io): Promise<void> {
  const buffer = new CopyBuffer(READ_CHUNK);
  const into = await targetIsDir(fs, dst);
  if (srcs.length > 1 && !into) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  const ancestry = new Ancestry();
  /** The directories this copy made: met again as a source, they are the copy itself. */
  const made = new Set<string>();
  const copy = async (from: string, to: string): Promise<void> => {
    const st = await fs.lstat(from);
    const t = st.mode & S_IFMT;
    const perm = st.mode & 0o7777;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: from });
      if (made.has(`${st.dev}:${st.ino}`)) throw errno('EINVAL', 'cannot copy a directory into itself', { path: from });
      if (!ancestry.enter(from, st, io)) return;
      try {
        try {
          await fs.mkdir(to, perm | 0o700);
        } catch (e) {
          if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
          if (!(await targetIsDir(fs, to))) throw errno('EEXIST', 'exists and is not a directory', { path: to });
        }
        const dst = await fs.stat(to);
        made.add(`${dst.dev}:${dst.ino}`);
        for (const n of await names(fs, from, true, io)) {
          const child = ijoin(from, n);
          try {
            await copy(child, ijoin(to, n));
          } catch (e) {
            io.fail(e, child);
          }
        }
        if ((perm & 0o700) !== 0o700) await fs.chmod(to, perm);
      } finally {
        ancestry.leave();
      }
    } else if (t === S_IFLNK) await fs.symlink(await fs.readlink(from), to);
    else if (t === S_IFREG) await writeFileChunks(fs, to, perm, (sink) => readFileChunks(fs, from, sink, undefined, buffer));
    else await fs.mknod(to, st.mode, st.rdev);
  };
  await io.each(srcs, (src) => copy(src, into ? ijoin(dst, sourceName(src)) : dst));
}
