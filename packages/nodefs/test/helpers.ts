import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { O_DIRECTORY, O_RDONLY, type Proc, S_IFDIR, S_IFLNK, S_IFMT } from '@rumpts/librump';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { type Ukfs, UkfsLib } from '@rumpts/ukfs';
import { createFs, type RumpFs } from '../src/index.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A fresh kernel with a tmpfs mounted through ukfs, and the facade over the handle. */
export async function tmpfsFs(): Promise<{ lib: UkfsLib; handle: Ukfs; fs: RumpFs }> {
  const lib = await UkfsLib.init({ libraries: [tmpfs] });
  const handle = lib.mount('tmpfs', 'tmpfs', { mountpath: '/mnt', args: {} });
  cleanups.push(() => lib.halt());
  return { lib, handle, fs: createFs(handle) };
}

/** A host temporary directory, removed after the test. */
export function hostTmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rumpts-nodefs-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * Copy a directory tree out of the kernel onto the host using the process's own system calls
 * (open/getdents/read/readlink/lstat) — not the facade — so a host tool can check the result.
 * Permission bits of files and directories are kept; hard links become copies; times are not kept.
 */
export function exportTree(proc: Proc, from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  const fd = proc.open(from, O_RDONLY | O_DIRECTORY);
  const names: string[] = [];
  try {
    for (let b = proc.getdents(fd, 65536); b.length > 0; b = proc.getdents(fd, 65536)) {
      for (const d of b) if (d.name !== '.' && d.name !== '..') names.push(d.name);
    }
  } finally {
    proc.close(fd);
  }
  for (const n of names) {
    const src = `${from}/${n}`;
    const dst = join(to, n);
    const st = proc.lstat(src);
    const fmt = st.mode & S_IFMT;
    if (fmt === S_IFDIR) {
      exportTree(proc, src, dst);
      chmodSync(dst, st.mode & 0o7777);
    }
    else if (fmt === S_IFLNK) symlinkSync(proc.readlink(src), dst);
    else {
      const buf = Buffer.alloc(st.size);
      const f = proc.open(src, O_RDONLY);
      try {
        let off = 0;
        while (off < buf.length) {
          const got = proc.pread(f, buf.subarray(off), off);
          if (got === 0) break;
          off += got;
        }
      } finally {
        proc.close(f);
      }
      writeFileSync(dst, buf, { mode: st.mode & 0o777 });
    }
  }
}

/** Read a whole file through the kernel's system calls. */
export function kernelRead(proc: Proc, path: string): Buffer {
  const st = proc.stat(path);
  const buf = Buffer.alloc(st.size);
  const f = proc.open(path, O_RDONLY);
  try {
    let off = 0;
    while (off < buf.length) {
      const got = proc.pread(f, buf.subarray(off), off);
      if (got === 0) break;
      off += got;
    }
  } finally {
    proc.close(f);
  }
  return buf;
}

/** A fresh UFS1 image of `mb` MiB made by Debian's makefs, with one file (seed.txt) in it. */
export function makeImage(dir: string, mb: number, files = 4000): string {
  const src = join(dir, 'seed');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'seed.txt'), 'made by makefs\n');
  const img = join(dir, 'ffs.img');
  // -f: makefs sizes the inode table from the seed tree; ask for room for a few thousand files
  execFileSync('makefs', ['-t', 'ffs', '-o', 'version=1', '-s', `${mb}m`, '-f', String(files), img, src], { stdio: 'pipe' });
  return img;
}

export interface FlsEntry {
  type: string;
  ino: number;
}

/** sleuthkit's fls -r -p: image path → type and inode of every allocated name. */
export function fls(img: string): Map<string, FlsEntry> {
  const out = execFileSync('fls', ['-r', '-p', '-u', '-f', 'ufs1', img], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = new Map<string, FlsEntry>();
  for (const line of out.split('\n')) {
    const t = /^(\S)\/(\S)\s+(\d+):\t(.*)$/.exec(line);
    if (t) m.set(t[4] as string, { type: t[1] as string, ino: Number(t[3]) });
  }
  return m;
}

/** sleuthkit's icat: the contents of an inode. */
export function icat(img: string, ino: number): Buffer {
  return execFileSync('icat', ['-f', 'ufs1', img, String(ino)], { maxBuffer: 1 << 30 });
}

/** A file of the image by path, read by sleuthkit alone (undefined if fls does not list it). */
export function sleuthRead(img: string, path: string): Buffer | undefined {
  const e = fls(img).get(path);
  return e === undefined ? undefined : icat(img, e.ino);
}
