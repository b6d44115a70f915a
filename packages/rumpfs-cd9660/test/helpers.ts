/**
 * Test helpers: a source tree written at test time, ISO images made from it by the real tools
 * (Debian's makefs -t cd9660, xorriso), a kernel with the image as an etfs block device, and a walk
 * of the mounted tree through the system calls to compare with the host's view of the source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Kernel, MNT_RDONLY, O_RDONLY, RUMP_ETFS_BLK, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, rump_init, isRumpError } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as cd9660 from '../src/index.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const HAVE_MAKEFS = spawnSync('makefs', [], { stdio: 'ignore' }).error === undefined;
export const HAVE_XORRISO = spawnSync('xorriso', ['-version'], { stdio: 'ignore' }).error === undefined;

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `cd9660-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The fixture tree: sizes around block boundaries, modes, long and non-ASCII names, symlinks of
 * every shape (relative, absolute, '.', '..', a target long enough to span SL entries), a directory
 * with enough entries to span several blocks, and a path deeper than ISO 9660's 8 levels.
 */
export function writeTree(root: string, opts: { deep?: boolean } = {}): void {
  const f = (p: string, data: Uint8Array | string, mode = 0o644): void => {
    writeFileSync(join(root, p), data);
    chmodSync(join(root, p), mode);
  };
  mkdirSync(root, { recursive: true });
  f('empty', '');
  f('one', 'x');
  f('hello.txt', 'hello, cd9660\n', 0o640);
  f('block-1', randomBytes(2047));
  f('block', randomBytes(2048));
  f('block+1', randomBytes(2049));
  f('big.bin', randomBytes(300_000), 0o600);
  f('script.sh', '#!/bin/sh\necho hi\n', 0o755);
  f('A Name With Spaces and Mixed Case, longer than thirty-one characters.txt', 'long name\n');
  f('x'.repeat(200), 'a 200-character name\n');
  f('caf\u00e9-\u65e5\u672c.txt', 'utf-8 name\n');
  mkdirSync(join(root, 'sub/inner'), { recursive: true });
  f('sub/inner/file', 'inner\n', 0o444);
  chmodSync(join(root, 'sub/inner'), 0o750);
  symlinkSync('../hello.txt', join(root, 'sub/up'));
  symlinkSync('/usr/share/doc', join(root, 'abs'));
  symlinkSync('./sub/./inner/file', join(root, 'dotted'));
  symlinkSync('dangling-target', join(root, 'dangling'));
  symlinkSync('/', join(root, 'rootlink'));
  symlinkSync(Array.from({ length: 40 }, (_, i) => `component-${i}`).join('/'), join(root, 'longlink'));
  mkdirSync(join(root, 'many'));
  for (let i = 0; i < 150; i++) f(`many/entry-with-a-longish-name-${String(i).padStart(3, '0')}`, `${i}\n`);
  if (opts.deep !== false) {
    // Plain ISO 9660 allows 8 levels; Rock Ridge writers relocate deeper directories (CL/PL/RE).
    const deep = join('deep', ...Array.from({ length: 10 }, (_, i) => `d${i + 1}`));
    mkdirSync(join(root, deep), { recursive: true });
    f(join(deep, 'bottom.txt'), 'ten levels down\n');
  }
  // Fixed times: whole seconds, as the 7-byte ISO dates hold.
  const t = new Date('2024-03-05T06:07:08Z');
  utimesSync(join(root, 'hello.txt'), t, t);
}

/** makefs -t cd9660 (with Rock Ridge unless told not to). */
export function makefsIso(src: string, out: string, rockridge = true): string {
  execFileSync('makefs', ['-t', 'cd9660', ...(rockridge ? ['-o', 'rockridge'] : []), out, src], { stdio: 'pipe' });
  return out;
}

/** xorriso in mkisofs mode with Rock Ridge (-R keeps the real modes and owners). */
export function xorrisoIso(src: string, out: string): string {
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', out, src], { stdio: 'pipe' });
  return out;
}

/** A kernel with rumpvfs, etfs and this module (from source), the image as /dev/cd0, mounted on /mnt. */
export async function mountImage(image: string, flags = 0, args: Record<string, unknown> = {}): Promise<Kernel> {
  const k = await rump_init({ libraries: [rumpvfs, etfs, cd9660] });
  k.etfsRegister('/dev/cd0', image, RUMP_ETFS_BLK);
  k.proc.mkdir('/mnt', 0o755);
  k.proc.mount('cd9660', '/mnt', MNT_RDONLY | flags, { fspec: '/dev/cd0', ...args });
  return k;
}

export interface Entry {
  path: string;
  /** f file, d directory, l symlink, o anything else (devices, fifos a PX entry may claim). */
  type: 'f' | 'd' | 'l' | 'o';
  mode: number;
  size?: number;
  target?: string;
  data?: Buffer;
  mtime?: number;
}

/** The host's view of the source tree. */
export function hostTree(root: string): Entry[] {
  const out: Entry[] = [];
  const visit = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    const path = `/${rel}`;
    if (st.isSymbolicLink()) out.push({ path, type: 'l', mode: st.mode & 0o7777, target: readlinkSync(abs) });
    else if (st.isFile()) out.push({ path, type: 'f', mode: st.mode & 0o7777, size: st.size, data: readFileSync(abs), mtime: Math.floor(st.mtimeMs / 1000) });
    else if (st.isDirectory()) {
      out.push({ path, type: 'd', mode: st.mode & 0o7777 });
      for (const n of readdirSync(abs)) visit(rel === '' ? n : `${rel}/${n}`);
    }
  };
  visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The same view through the rump kernel's system calls (getdents in small batches, lstat, read, readlink). */
export function rumpTree(k: Kernel, mnt: string, getdentsCount = 512): Entry[] {
  const p = k.proc;
  const out: Entry[] = [];
  const visit = (rel: string): void => {
    const abs = rel === '' ? mnt : `${mnt}/${rel}`;
    const st = p.lstat(abs);
    const path = `/${rel}`;
    const type = st.mode & S_IFMT;
    if (type === S_IFLNK) out.push({ path, type: 'l', mode: st.mode & 0o7777, target: p.readlink(abs) });
    else if (type === S_IFREG) out.push({ path, type: 'f', mode: st.mode & 0o7777, size: st.size, data: readAll(k, abs), mtime: st.mtime.sec });
    else if (type === S_IFDIR) {
      out.push({ path, type: 'd', mode: st.mode & 0o7777 });
      for (const n of listDir(k, abs, getdentsCount)) if (n !== '.' && n !== '..') visit(rel === '' ? n : `${rel}/${n}`);
    } else out.push({ path, type: 'o', mode: st.mode & 0o7777 });
  };
  visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function readAll(k: Kernel, path: string): Buffer {
  const p = k.proc;
  const fd = p.open(path, O_RDONLY);
  const parts: Buffer[] = [];
  // An odd buffer size makes reads straddle block boundaries.
  const buf = new Uint8Array(3001);
  for (let n; (n = p.read(fd, buf)) > 0; ) parts.push(Buffer.from(buf.subarray(0, n)));
  p.close(fd);
  return Buffer.concat(parts);
}

export function listDir(k: Kernel, path: string, count = 4096): string[] {
  const p = k.proc;
  const fd = p.open(path, O_RDONLY);
  const names: string[] = [];
  for (let ents; (ents = p.getdents(fd, count)).length > 0; ) for (const d of ents) names.push(d.name);
  p.close(fd);
  return names;
}

/** The errno code a call throws ('ok' if it returns); anything but a RumpError is rethrown. */
export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'ok';
}
