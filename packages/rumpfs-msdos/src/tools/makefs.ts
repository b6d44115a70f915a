/**
 * makefs -t msdos (usr.sbin/makefs/msdos.c): a FAT file system holding a host directory tree —
 * newfs_msdos on the device, then every directory and regular file copied in through a private
 * kernel that mounts it (the same code paths as any mount), with modification and access times
 * kept. What FAT cannot hold (symbolic links, devices, fifos, sockets) is skipped with a warning;
 * two names that differ only in case are an error (FAT compares names case-insensitively).
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { O_CREAT, O_EXCL, O_WRONLY, errno, isRumpError, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import type { BlockDevice } from '@rumpts/rumpvfs';
import * as rumpdevDisk from '@rumpts/rumpdev-disk';
import { newfs_msdos, type NewfsMsdosOptions, type NewfsMsdosResult } from './newfs_msdos.js';
import { modinfo } from '../modinfo.js';

export interface MakefsMsdosProgress {
  files: number;
  bytes: number;
  totalBytes: number;
}

export interface MakefsMsdosOptions extends NewfsMsdosOptions {
  /** Called for what is left out (symbolic links, devices …). */
  onWarning?: (message: string) => void;
  progress?: (p: MakefsMsdosProgress) => void;
}

export interface MakefsMsdosResult {
  newfs: NewfsMsdosResult;
  files: number;
  directories: number;
  bytes: number;
  /** Host paths left out, relative to the source directory. */
  skipped: string[];
}

interface Scan {
  files: number;
  dirs: number;
  bytes: number;
  /** Bytes of data rounded to 4 KiB, plus directory slots (3 per name). */
  estimate: number;
}

function hostError(e: unknown, what: string): Error {
  const code = (e as { code?: unknown }).code;
  return errno(typeof code === 'string' && /^E[A-Z]+$/.test(code) ? (code as 'EIO') : 'EIO', `${what}: ${(e as Error).message}`, { cause: e });
}

function lstat(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (e) {
    throw hostError(e, `stat ${path}`);
  }
}

function list(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch (e) {
    throw hostError(e, `read directory ${path}`);
  }
}

function scan(dir: string): Scan {
  const s: Scan = { files: 0, dirs: 0, bytes: 0, estimate: 0 };
  const walk = (d: string, depth: number): void => {
    if (depth > 256) throw errno('ELOOP', `makefs: ${d} is nested more than 256 levels deep`);
    const names = list(d);
    s.estimate += Math.ceil(((names.length + 2) * 3 * 32) / 4096) * 4096;
    for (const n of names) {
      const st = lstat(join(d, n));
      if (st.isDirectory()) {
        s.dirs++;
        walk(join(d, n), depth + 1);
      } else if (st.isFile()) {
        s.files++;
        s.bytes += st.size;
        s.estimate += Math.ceil(st.size / 4096) * 4096;
      }
    }
  };
  walk(dir, 0);
  return s;
}

/**
 * A device size that holds `srcDir` with the given options: its data and directories in 4 KiB
 * clusters, a tenth more and 1 MiB of slack, at least what the FAT type asks (FAT32: 65525 clusters).
 */
export function makefsMsdosSize(srcDir: string, opts: NewfsMsdosOptions = {}): number {
  const s = scan(srcDir);
  let size = Math.ceil((s.estimate * 1.1 + (1 << 20)) / 65536) * 65536;
  const bps = opts.bytesPerSector ?? 512;
  if (opts.fatType === 32) size = Math.max(size, (65525 + 2048) * bps * (opts.sectorsPerCluster ?? 1) + (1 << 20));
  if (opts.fatType === 16) size = Math.max(size, (4085 + 64) * bps * (opts.sectorsPerCluster ?? 1) + (1 << 20));
  return size;
}

/**
 * makefs: newfs_msdos on `dev`, then copy `srcDir` into it. ENOSPC (the tree does not fit) and
 * EEXIST (two names equal but for case) name the host path concerned.
 */
export async function makefs_msdos(dev: BlockDevice, srcDir: string, opts: MakefsMsdosOptions = {}): Promise<MakefsMsdosResult> {
  if (!lstat(srcDir).isDirectory()) throw errno('ENOTDIR', `makefs: ${srcDir} is not a directory`);
  const total = scan(srcDir);
  const newfs = newfs_msdos(dev, opts);
  const kernel = await rump_init({ libraries: [rumpvfs, rumpdevDisk, { modinfo }] });
  const result: MakefsMsdosResult = { newfs, files: 0, directories: 0, bytes: 0, skipped: [] };
  try {
    const unit = rumpdevDisk.disk_attach(kernel, dev, { nolabel: true });
    unit.mknodes();
    const p = kernel.proc;
    p.mkdir('/fs', 0o755);
    p.mount('msdos', '/fs', 0, { fspec: `/dev/${unit.name}d` });
    const buf = new Uint8Array(1 << 20);
    const copyFile = (host: string, into: string, rel: string, st: Stats): void => {
      let fd: number;
      try {
        fd = p.open(into, O_CREAT | O_EXCL | O_WRONLY, 0o644);
      } catch (e) {
        if (isRumpError(e) && e.code === 'EEXIST') throw errno('EEXIST', `makefs: ${rel}: another name in its directory differs from it only in case`);
        throw e;
      }
      let hfd = -1;
      try {
        hfd = openSync(host, 'r');
        for (;;) {
          const n = readSync(hfd, buf, 0, buf.length, null);
          if (n === 0) break;
          p.write(fd, buf.subarray(0, n));
          result.bytes += n;
          opts.progress?.({ files: result.files, bytes: result.bytes, totalBytes: total.bytes });
        }
        p.futimes(fd, { sec: Math.floor(st.atimeMs / 1000), nsec: 0 }, { sec: Math.floor(st.mtimeMs / 1000), nsec: 0 });
        if ((st.mode & 0o200) === 0) p.fchmod(fd, 0o444);
      } catch (e) {
        if (isRumpError(e)) {
          if (e.code === 'ENOSPC') throw errno('ENOSPC', `makefs: ${rel}: the file system is full (give a larger size)`);
          throw e;
        }
        throw hostError(e, `read ${host}`);
      } finally {
        if (hfd >= 0) closeSync(hfd);
        p.close(fd);
      }
      result.files++;
    };
    const walk = (host: string, into: string, rel: string): void => {
      for (const n of list(host)) {
        const h = join(host, n);
        const r = rel ? `${rel}/${n}` : n;
        const st = lstat(h);
        if (st.isDirectory()) {
          try {
            p.mkdir(`${into}/${n}`, 0o755);
          } catch (e) {
            if (isRumpError(e) && e.code === 'EEXIST') throw errno('EEXIST', `makefs: ${r}: another name in its directory differs from it only in case`);
            throw e;
          }
          result.directories++;
          walk(h, `${into}/${n}`, r);
          p.utimes(`${into}/${n}`, { sec: Math.floor(st.atimeMs / 1000), nsec: 0 }, { sec: Math.floor(st.mtimeMs / 1000), nsec: 0 });
        } else if (st.isFile()) copyFile(h, `${into}/${n}`, r, st);
        else {
          result.skipped.push(r);
          opts.onWarning?.(`${r}: ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file or directory'}; FAT cannot hold it, skipped`);
        }
      }
    };
    walk(srcDir, '/fs', '');
    p.unmount('/fs', 0);
  } finally {
    kernel.halt();
  }
  return result;
}
