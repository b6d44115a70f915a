/**
 * The smaller fsu commands (fs-utils' fsu_cat, fsu_rm, fsu_mkdir …), written against an FsuTarget so
 * they run on a mounted image or on a rump server alike. Paths are the target's. Like the Unix tools,
 * each operand is tried: a failure is reported (`io.fail`) and the command goes on, ending with status 1.
 * ls, find and the copies live in their own files.
 */
import { errno, isRumpError, nameText, O_CREAT, O_WRONLY, O_TRUNC, S_IFLNK, S_IFMT, SEEK_END, type Stat } from '@rumpts/librump';
import { CopyBuffer, READ_CHUNK, readFileChunks } from './copy.js';
import { modeString } from './ls.js';
import type { ModeChange } from './modes.js';
import type { Io } from './stdio.js';
import type { FsuTarget } from './target.js';
import { Ancestry, ijoin, isDir, names } from './walk.js';

/** cat: each file's bytes to standard output, exactly (the read buffer is reused only after the write). */
export async function cmd_cat(fs: FsuTarget, paths: string[], io: Io): Promise<void> {
  const buffer = new CopyBuffer(READ_CHUNK);
  await io.each(paths, (path) => readFileChunks(fs, path, io.write, undefined, buffer));
}

export async function cmd_mv(fs: FsuTarget, srcs: string[], dst: string, io: Io): Promise<void> {
  let into = false;
  try {
    into = isDir(await fs.stat(dst));
  } catch (e) {
    if (!(isRumpError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR'))) throw e;
  }
  if (srcs.length > 1 && !into) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  await io.each(srcs, (src) => fs.rename(src, into ? ijoin(dst, src.replace(/\/+$/, '').split('/').pop() || src) : dst));
}

/** The last component of a path as rm(1) judges it (trailing slashes ignored). */
function lastComponent(p: string): string {
  const parts = p.split('/').filter(Boolean);
  return parts.length ? (parts[parts.length - 1] as string) : '/';
}

/**
 * rm [-r] [-f]: like rm(1), refuses `.`, `..` and the root directory before touching anything under
 * them; with -r a failed entry is reported and the rest still removed.
 */
export async function cmd_rm(fs: FsuTarget, paths: string[], o: { recursive?: boolean; force?: boolean }, io: Io): Promise<void> {
  const root = await fs.stat('/');
  const ancestry = new Ancestry();
  const rm = async (path: string, st: Stat): Promise<void> => {
    if (!isDir(st)) return fs.unlink(path);
    if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path });
    if (!ancestry.enter(path, st, io)) return;
    try {
      for (const n of await names(fs, path, true, io)) {
        const child = ijoin(path, n);
        try {
          await rm(child, await fs.lstat(child));
        } catch (e) {
          io.fail(e, child);
        }
      }
    } finally {
      ancestry.leave();
    }
    await fs.rmdir(path);
  };
  await io.each(paths, async (path) => {
    const last = lastComponent(path);
    if (last === '.' || last === '..') throw errno('EINVAL', "refusing to remove '.' or '..'", { path });
    let st: Stat;
    try {
      st = await fs.lstat(path);
    } catch (e) {
      if (o.force && isRumpError(e) && e.code === 'ENOENT') return;
      throw e;
    }
    if (isDir(st) && st.ino === root.ino && st.dev === root.dev) throw errno('EPERM', 'refusing to remove the root directory', { path });
    await rm(path, st);
  });
}

export async function cmd_mkdir(fs: FsuTarget, paths: string[], o: { parents?: boolean; mode?: number }, io: Io): Promise<void> {
  const mode = o.mode ?? 0o755;
  await io.each(paths, async (p) => {
    if (!o.parents) return fs.mkdir(p, mode);
    let cur = p.startsWith('/') ? '' : '.';
    for (const c of p.split('/').filter(Boolean)) {
      cur = `${cur}/${c}`;
      try {
        await fs.mkdir(cur, mode);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
        if (!isDir(await fs.stat(cur))) throw errno('ENOTDIR', undefined, { path: cur });
      }
    }
  });
}

export async function cmd_rmdir(fs: FsuTarget, paths: string[], io: Io): Promise<void> {
  await io.each(paths, (p) => fs.rmdir(p));
}

/** chmod MODE PATH…: symbolic modes apply to each file's own mode (symbolic links are followed). */
export async function cmd_chmod(fs: FsuTarget, change: ModeChange, paths: string[], io: Io): Promise<void> {
  await io.each(paths, async (p) => {
    const st = await fs.stat(p);
    await fs.chmod(p, change(st.mode, isDir(st)));
  });
}

export async function cmd_chown(fs: FsuTarget, uid: number, gid: number, paths: string[], io: Io): Promise<void> {
  await io.each(paths, (p) => fs.chown(p, uid, gid));
}

export async function cmd_touch(fs: FsuTarget, paths: string[], io: Io): Promise<void> {
  await io.each(paths, async (p) => {
    await fs.close(await fs.open(p, O_WRONLY | O_CREAT, 0o644));
    await fs.utimes(p, null, null);
  });
}

export async function cmd_stat(fs: FsuTarget, paths: string[], io: Io): Promise<void> {
  const t = (ts: { sec: number; nsec: number }): string => `${new Date(ts.sec * 1000).toISOString().replace('.000Z', '')}.${String(ts.nsec).padStart(9, '0')}Z`;
  await io.each(paths, async (p) => {
    const st = await fs.lstat(p);
    const link = (st.mode & S_IFMT) === S_IFLNK ? ` -> ${nameText(await fs.readlink(p))}` : '';
    io.out(`  File: ${nameText(p)}${link}`);
    io.out(`  Size: ${st.size}  Blocks: ${st.blocks}  IO Block: ${st.blksize}  ${modeString(st.mode)}`);
    io.out(`Device: ${st.dev}  Inode: ${st.ino}  Links: ${st.nlink}  Flags: 0x${st.flags.toString(16)}`);
    io.out(`  Mode: ${(st.mode & 0o7777).toString(8).padStart(4, '0')}  Uid: ${st.uid}  Gid: ${st.gid}  Rdev: ${st.rdev}`);
    io.out(`Access: ${t(st.atime)}`);
    io.out(`Modify: ${t(st.mtime)}`);
    io.out(`Change: ${t(st.ctime)}`);
    io.out(` Birth: ${t(st.birthtime)}`);
  });
}

/** du: KiB used, per directory (or -s the total); hard links count once. */
export async function cmd_du(fs: FsuTarget, paths: string[], o: { summary?: boolean }, io: Io): Promise<void> {
  const seen = new Set<string>();
  const ancestry = new Ancestry();
  const du = async (path: string, st: Stat, depth: number): Promise<number> => {
    let kb = 0;
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink === 1 || isDir(st) || !seen.has(key)) {
      seen.add(key);
      kb = Math.ceil((st.blocks * 512) / 1024);
    }
    if (isDir(st)) {
      if (ancestry.enter(path, st, io)) {
        try {
          for (const n of await names(fs, path, true, io)) {
            const child = ijoin(path, n);
            try {
              kb += await du(child, await fs.lstat(child), depth + 1);
            } catch (e) {
              io.fail(e, child);
            }
          }
        } finally {
          ancestry.leave();
        }
      }
      if (!o.summary || depth === 0) io.out(`${kb}\t${nameText(path)}`);
    } else if (depth === 0) io.out(`${kb}\t${nameText(path)}`);
    return kb;
  };
  await io.each(paths.length ? paths : ['/'], async (p) => {
    await du(p, await fs.lstat(p), 0);
  });
}

/**
 * df [PATH…]: the file system holding each path (default `/`). `label` names it (the image, or for a
 * server the file system's own mntfromname); `mountedOn` maps the kernel's mount point to what the user sees.
 */
export async function cmd_df(fs: FsuTarget, paths: string[], label: (mntfrom: string) => string, mountedOn: (mnton: string) => string, io: Io): Promise<void> {
  io.out('Filesystem                 1K-blocks       Used      Avail Capacity  Type    Mounted on');
  await io.each(paths.length ? paths : ['/'], async (p) => {
    const s = await fs.statvfs(p);
    const k = (blocks: number): number => Math.floor((blocks * s.frsize) / 1024);
    const used = s.blocks - s.bfree;
    const cap = s.blocks > 0 ? Math.round((used / (used + s.bavail || 1)) * 100) : 0;
    io.out(
      `${label(s.mntfromname).padEnd(24)} ${String(k(s.blocks)).padStart(11)} ${String(k(used)).padStart(10)} ${String(k(s.bavail)).padStart(10)} ${String(cap).padStart(7)}%  ${s.fstypename.padEnd(7)} ${mountedOn(s.mntonname)}`,
    );
  });
}

/** write [-a] PATH: standard input, streamed, to a file (truncated, or appended to). */
export async function cmd_write(fs: FsuTarget, path: string, input: AsyncIterable<Uint8Array>, append: boolean): Promise<void> {
  const fd = await fs.open(path, O_WRONLY | O_CREAT | (append ? 0 : O_TRUNC), 0o644);
  try {
    if (append) await fs.lseek(fd, 0, SEEK_END);
    for await (const chunk of input) {
      let off = 0;
      while (off < chunk.length) off += await fs.write(fd, chunk.subarray(off));
    }
  } catch (e) {
    if (isRumpError(e) && e.path === undefined) e.path = path;
    throw e;
  } finally {
    await fs.close(fd);
  }
}
