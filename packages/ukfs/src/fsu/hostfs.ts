/**
 * The host side of `fsu get`: creating what an image holds inside a host directory, never outside it.
 *
 * Names come from the image (hostile) and are checked by the walk; here every entry is created in a
 * directory whose real path fsu knows, re-checked (realpath) before each creation, with no-follow
 * semantics for the last component: a symbolic link already in the destination — or made a moment ago
 * from the image — is never written through (a directory or regular file meeting one is an error), and
 * an existing fifo or device is never opened. Node has no openat(2), so a host process swapping a
 * directory for a symbolic link between that check and the creation could still win a race of a few
 * system calls; an image alone cannot.
 *
 * Fifos and device nodes are made with the host's mkfifo(1) and mknod(1) (Node has no mknod); devices
 * only when running as root, as `cp -R` can.
 *
 * Names are bytes: an image name holding bytes that are not valid UTF-8 (librump's escapes, U+DC80 to
 * U+DCFF) is created on the host under exactly those bytes (etfs hostPathOf), never as U+FFFD — names
 * that differ only there stay apart. Paths are kept as such strings and turned into bytes at each call.
 */
import type * as ChildProcess from 'node:child_process';
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, symlinkSync, unlinkSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decodeName, errno, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT } from '@rumpts/librump';
import { hostPathOf } from '@rumpts/etfs';
import { major, minor } from '@rumpts/rumpvfs';
import { hostErr } from './errors.js';

const O_NOFOLLOW = constants.O_NOFOLLOW;
const O_NONBLOCK = constants.O_NONBLOCK;

function lstatOrNull(path: string, host: string | Buffer = hostPathOf(path)): Stats | null {
  try {
    return lstatSync(host);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return null;
    throw hostErr(e, path);
  }
}

/** A host directory fsu creates entries in, by its real (symlink-free) path. */
export class HostDir {
  /** `real` as a host path: the string itself, or its bytes when it holds escaped bytes. */
  readonly #host: string | Buffer;

  private constructor(readonly real: string) {
    this.#host = hostPathOf(real);
  }

  /** A directory the user named (their symbolic links are theirs to follow). */
  static named(path: string): HostDir {
    let real: string;
    try {
      // As bytes: a directory above may have a name that is not valid UTF-8.
      real = decodeName(realpathSync.native(hostPathOf(path), { encoding: 'buffer' }));
    } catch (e) {
      throw hostErr(e, path);
    }
    if (!lstatSync(hostPathOf(real)).isDirectory()) throw errno('ENOTDIR', undefined, { path });
    return new HostDir(real);
  }

  /** Where `name` goes, after checking this directory is still where it was. */
  #child(name: string): string {
    let now: string;
    const host = this.#host;
    try {
      now = typeof host === 'string' ? realpathSync.native(host) : decodeName(realpathSync.native(host, { encoding: 'buffer' }));
    } catch (e) {
      throw hostErr(e, this.real);
    }
    if (now !== this.real || !lstatSync(host).isDirectory()) throw errno('ELOOP', 'the destination directory was replaced while copying; stopped', { path: this.real });
    return join(this.real, name);
  }

  /**
   * Make (or reuse) subdirectory `name`. It is made with owner rwx so it can be filled; `finish` then
   * sets the final mode. A symbolic link or non-directory in the way is an error.
   */
  mkdir(name: string, mode: number): { dir: HostDir; finish: () => void } {
    const to = this.#child(name);
    const h = hostPathOf(to);
    let made = false;
    try {
      mkdirSync(h, (mode & 0o777) | 0o700);
      made = true;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw hostErr(e, to);
    }
    const st = lstatSync(h);
    if (st.isSymbolicLink()) throw errno('EEXIST', 'a symbolic link is in the way; not copying a directory through it', { path: to });
    if (!st.isDirectory()) throw errno('EEXIST', 'exists and is not a directory', { path: to });
    const finish = (): void => {
      // The umask already cleared group/other bits at mkdir; give the owner bits the image asked for.
      if (made && (mode & 0o700) !== 0o700) chmodSync(h, (st.mode & 0o077) | (mode & 0o700));
    };
    return { dir: new HostDir(to), finish };
  }

  /**
   * Open regular file `name` for writing: created (O_EXCL), or an existing regular file truncated —
   * never through a symbolic link, never an existing fifo or device.
   */
  openFile(name: string, mode: number): { fd: number; path: string } {
    const to = this.#child(name);
    const h = hostPathOf(to);
    const existing = lstatOrNull(to, h);
    if (existing?.isSymbolicLink()) throw errno('EEXIST', 'a symbolic link is in the way; not writing through it', { path: to });
    if (existing && !existing.isFile()) throw errno('EEXIST', 'exists and is not a regular file', { path: to });
    const flags = constants.O_WRONLY | O_NOFOLLOW | O_NONBLOCK | (existing ? constants.O_TRUNC : constants.O_CREAT | constants.O_EXCL);
    let fd: number;
    try {
      fd = openSync(h, flags, mode & 0o777);
    } catch (e) {
      throw hostErr(e, to);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw errno('EEXIST', 'exists and is not a regular file', { path: to });
    }
    return { fd, path: to };
  }

  /** Make symbolic link `name`; an existing non-directory entry is replaced, as cp -R does. */
  symlink(name: string, target: string): void {
    const to = this.#child(name);
    this.#clear(to);
    try {
      symlinkSync(hostPathOf(target), hostPathOf(to));
    } catch (e) {
      throw hostErr(e, to);
    }
  }

  /**
   * Make a fifo or device node `name` like the image's (`mode`, NetBSD `rdev`). Devices need root; a
   * socket is never made. An existing non-directory entry is replaced, as cp -R does.
   */
  special(name: string, mode: number, rdev: number, source: string): void {
    const to = this.#child(name);
    // mkfifo(1) and mknod(1) take their path as an argument, and arguments are text: a name that is
    // not valid UTF-8 is made under a plain temporary name in the same directory, then renamed to its bytes.
    const host = hostPathOf(to);
    let at = to;
    if (typeof host !== 'string') {
      if (typeof this.#host !== 'string') throw errno('EILSEQ', 'a fifo or device node in a directory whose path is not valid UTF-8 is not made on the host', { path: source });
      at = join(this.real, `.fsu-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    }
    const type = mode & S_IFMT;
    const perm = (mode & 0o777).toString(8);
    let cmd: string;
    let args: string[];
    if (type === S_IFIFO) {
      cmd = 'mkfifo';
      args = ['-m', perm, at];
    } else if (type === S_IFCHR || type === S_IFBLK) {
      const what = `${type === S_IFCHR ? 'character' : 'block'} device (${major(rdev)}, ${minor(rdev)})`;
      if (process.getuid?.() !== 0) throw errno('EPERM', `is a ${what}; only root can make device nodes on the host (not copied)`, { path: source });
      cmd = 'mknod';
      args = ['-m', perm, at, type === S_IFCHR ? 'c' : 'b', String(major(rdev)), String(minor(rdev))];
    } else {
      throw errno('EOPNOTSUPP', 'is a socket; sockets are not copied', { path: source });
    }
    this.#clear(to);
    try {
      // node:child_process (with net and the stream modules behind it) loads only here: a few
      // milliseconds of every cat, get and cp otherwise, for the rare fifo or device node.
      const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;
      execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const stderr = (e as { stderr?: unknown }).stderr;
      const said = (Buffer.isBuffer(stderr) ? stderr.toString() : typeof stderr === 'string' ? stderr : '').trim().split('\n').pop();
      throw errno('EIO', `${cmd} failed${said ? `: ${said}` : ''}`, { path: to });
    }
    if (at !== to) {
      try {
        renameSync(at, host);
      } catch (e) {
        try {
          unlinkSync(at);
        } catch {
          // already gone
        }
        throw hostErr(e, to);
      }
    }
  }

  /** Remove an entry that cp -R would replace (anything but a directory; unlink never follows a link). */
  #clear(to: string): void {
    const st = lstatOrNull(to);
    if (!st) return;
    if (st.isDirectory()) throw errno('EEXIST', 'exists and is a directory', { path: to });
    try {
      unlinkSync(hostPathOf(to));
    } catch (e) {
      throw hostErr(e, to);
    }
  }
}

/** Linux's dev_t as Node reports it → (major, minor), glibc's gnu_dev_major/minor. */
export function hostMajorMinor(rdev: number | bigint): { major: number; minor: number } {
  const d = BigInt(rdev);
  const maj = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const min = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return { major: Number(maj & 0xffffffffn), minor: Number(min & 0xffffffffn) };
}
