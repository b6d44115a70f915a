/**
 * The full path: a kernel with rumpvfs and this module, a block device node backed by an image,
 * `mount('ffs', '/mnt', MNT_RDONLY, { fspec })`, then the user-visible system calls. The NetBSD
 * manifest of ufs2-le-history is rebuilt through getdents/lstat/readlink/read and must match.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DT_DIR, type Kernel, MNT_FORCE, MNT_RDONLY, RUMP_ETFS_BLK, O_CREAT, O_RDONLY, O_RDWR, S_IFBLK, S_IFMT, isRumpError, rump_init,
} from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { type BlockDevice, devswOf, makedev } from '@rumpts/rumpvfs';
import * as ffs from '../src/index.js';
import { FileBlockDevice, HAVE_MAKEFS, makeImage, tempDir, writeTree } from './helpers.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../shared/fixtures/netbsd');
const HAVE_FIXTURES = existsSync(join(FIXTURES, 'ufs2-le-history.img.gz'));
const REPO = resolve(import.meta.dirname, '../../..');

/** Boot a kernel with the ffs module and a block device node /dev/<name> per device. */
async function kernelWith(devs: Record<string, BlockDevice>): Promise<Kernel> {
  const k = await rump_init({ libraries: [rumpvfs, ffs] });
  const sw = devswOf(k);
  const maj = sw.freeMajor();
  const list = Object.values(devs);
  sw.attach(maj, { name: 'ffstest', open: (minor) => list[minor]! }, null, null);
  Object.keys(devs).forEach((name, i) => k.proc.mknod(`/dev/${name}`, S_IFBLK | 0o600, makedev(maj, i)));
  k.proc.mkdir('/mnt', 0o755);
  return k;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

type Entry = Record<string, string | number>;
const TYPE: Record<number, string> = { 0o100000: 'f', 0o040000: 'd', 0o120000: 'l', 0o010000: 'p', 0o020000: 'c', 0o060000: 'b' };

/** The manifest walk of the fixtures README, through system calls. */
function syscallManifest(k: Kernel, mnt: string): Entry[] {
  const p = k.proc;
  const out: Entry[] = [];
  const visit = (path: string): void => {
    const abs = path === '/' ? mnt : mnt + path;
    const st = p.lstat(abs);
    const type = TYPE[st.mode & S_IFMT] ?? '?';
    const e: Entry = { path, type, size: st.size, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid, nlink: st.nlink };
    if (type === 'f') {
      const fd = p.open(abs, O_RDONLY);
      const h = createHash('sha256');
      const buf = new Uint8Array(65536);
      for (let n; (n = p.read(fd, buf)) > 0; ) h.update(buf.subarray(0, n));
      p.close(fd);
      e['sha256'] = h.digest('hex');
    }
    if (type === 'l') e['target'] = p.readlink(abs);
    if (type === 'c' || type === 'b') e['rdev'] = st.rdev;
    Object.assign(e, { mtime_sec: st.mtime.sec, mtime_nsec: st.mtime.nsec, ino: st.ino });
    out.push(e);
    if (type !== 'd') return;
    const fd = p.open(abs, O_RDONLY);
    const names: string[] = [];
    // A small count forces many getdents calls: cookies must resume exactly.
    for (let ents; (ents = p.getdents(fd, 300)).length > 0; ) for (const d of ents) if (d.name !== '.' && d.name !== '..') names.push(d.name);
    p.close(fd);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) visit(path === '/' ? `/${n}` : `${path}/${n}`);
  };
  visit('/');
  return out.sort((a, b) => Buffer.compare(Buffer.from(String(a['path'])), Buffer.from(String(b['path']))));
}

describe('mount -t ffs through the syscall layer', () => {
  const tmp = tempDir('mount');
  afterAll(() => tmp.cleanup());
  const gunzip = (name: string): string => {
    const img = join(tmp.path, `${name}.img`);
    if (!existsSync(img)) writeFileSync(img, gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`))));
    return img;
  };

  it.skipIf(!HAVE_FIXTURES)('ufs2-le-history: the syscall view matches the NetBSD manifest', async () => {
    const k = await kernelWith({ ffs0: new FileBlockDevice(gunzip('ufs2-le-history')) });
    const p = k.proc;
    expect(k.sysctl('vfs.generic.fstypes')).toContain('ffs');
    p.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/ffs0' });
    const want = JSON.parse(readFileSync(join(FIXTURES, 'ufs2-le-history.json'), 'utf8')) as Entry[];
    expect(syscallManifest(k, '/mnt')).toEqual(want);
    // lookup of '..' inside the fs, and crossing back out of the mount
    expect(p.stat('/mnt/d1/d2/..').ino).toBe(p.stat('/mnt/d1').ino);
    expect(p.stat('/mnt/..').ino).toBe(p.stat('/').ino);
    const sv = p.statvfs('/mnt');
    expect(sv.fstypename).toBe('ffs');
    expect(sv.mntfromname).toBe('/dev/ffs0');
    expect(sv.flag & MNT_RDONLY).toBe(MNT_RDONLY);
    expect(sv.bsize).toBe(8192);
    expect(sv.frsize).toBe(1024);
    // Every mutating call is refused.
    expect(code(() => p.open('/mnt/newfile', O_CREAT | O_RDWR, 0o644))).toBe('EROFS');
    expect(code(() => p.mkdir('/mnt/newdir', 0o755))).toBe('EROFS');
    expect(code(() => p.unlink('/mnt/files/empty'))).toBe('EROFS');
    expect(code(() => p.chmod('/mnt/files/empty', 0o600))).toBe('EROFS');
    expect(code(() => p.symlink('x', '/mnt/sl'))).toBe('EROFS');
    expect(code(() => p.rename('/mnt/files/empty', '/mnt/files/e2'))).toBe('EROFS');
    // pread at an offset deep in a sparse file: the hole reads as zeros, the tail as data.
    const fd = p.open('/mnt/files/sparse', O_RDONLY);
    const b = new Uint8Array(16);
    expect(p.pread(fd, b, 1024 * 1024)).toBe(16);
    expect([...b].every((x) => x === 0)).toBe(true);
    p.close(fd);
    const root = p.open('/mnt', O_RDONLY);
    expect(p.getdents(root).find((d) => d.name === 'files')?.type).toBe(DT_DIR);
    p.close(root);
    p.unmount('/mnt');
    expect(code(() => p.stat('/mnt/files'))).toBe('ENOENT');
    k.halt();
  }, 60_000);

  // Loads @rumpts/etfs and this package by name, i.e. from their built dist/ (turbo builds before tests).
  const BUILT = existsSync(join(REPO, 'packages/etfs/dist/index.js')) && existsSync(join(REPO, 'packages/rumpfs-ffs/dist/index.js'));
  it.skipIf(!HAVE_FIXTURES || !BUILT)('mounts an image registered as an etfs RUMP_ETFS_BLK key (the usual user path)', async () => {
    const k = await rump_init({ libraries: ['rumpvfs', '@rumpts/etfs'], moduleBase: REPO });
    await k.modload('rumpfs_ffs');
    k.etfsRegister('/dev/ffsimg', gunzip('ufs1-be-history'), RUMP_ETFS_BLK);
    const p = k.proc;
    p.mkdir('/mnt', 0o755);
    p.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/ffsimg' });
    const want = JSON.parse(readFileSync(join(FIXTURES, 'ufs1-be-history.json'), 'utf8')) as Entry[];
    expect(syscallManifest(k, '/mnt')).toEqual(want);
    expect(code(() => k.modunload('ffs'))).toBe('EBUSY');
    p.unmount('/mnt');
    k.modunload('ffs');
    k.halt();
  }, 60_000);

  it.skipIf(!HAVE_FIXTURES)('a read-write mount of a read-only device is refused with EROFS and a clear message', async () => {
    const k = await kernelWith({ ffs0: new FileBlockDevice(gunzip('ufs2-le-history')) });
    let err: unknown;
    try {
      k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' });
    } catch (e) {
      err = e;
    }
    expect(isRumpError(err) && err.code).toBe('EROFS');
    expect(String((err as Error).message)).toContain('read-only');
    expect(code(() => k.proc.mount('ffs', '/mnt', MNT_RDONLY, {}))).toBe('EINVAL');
    expect(code(() => k.proc.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/mnt' }))).toBe('ENOTBLK');
    k.halt();
  });

  it.skipIf(!HAVE_FIXTURES)('an unreplayed WAPBL log: read-only replays in memory, MNT_FORCE shows the in-place tree', async () => {
    const img = gunzip('ufs1-le-wapbl-replay');
    const before = createHash('sha256').update(readFileSync(img)).digest('hex');
    const k = await kernelWith({ ffs0: new FileBlockDevice(img) });
    k.proc.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/ffs0' });
    // Phase 2 of the history exists only in the log.
    expect(k.proc.stat('/mnt/w_new4/symlink').ino).toBeGreaterThan(0);
    k.proc.unmount('/mnt', 0);
    k.proc.mount('ffs', '/mnt', MNT_RDONLY | MNT_FORCE, { fspec: '/dev/ffs0' });
    expect(code(() => k.proc.stat('/mnt/w_new4'))).toBe('ENOENT');
    expect(k.proc.stat('/mnt/w_base/willdie').size).toBeGreaterThanOrEqual(0);
    k.halt();
    expect(createHash('sha256').update(readFileSync(img)).digest('hex')).toBe(before);
  });

  it.skipIf(!HAVE_MAKEFS)('mounts makefs images of both byte orders side by side', async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeTree(src, { bsize: 8192, big: false, bigdir: 50 });
    makeImage(src, join(tmp.path, 'be1'), { version: 1, endian: 'be' });
    makeImage(src, join(tmp.path, 'le2'), { version: 2, endian: 'le' });
    const k = await kernelWith({ a: new FileBlockDevice(join(tmp.path, 'be1')), b: new FileBlockDevice(join(tmp.path, 'le2')) });
    const p = k.proc;
    p.mkdir('/mnt/x', 0o755);
    p.mkdir('/mnt/y', 0o755);
    p.mount('ffs', '/mnt/x', MNT_RDONLY, { fspec: '/dev/a' });
    p.mount('ffs', '/mnt/y', MNT_RDONLY, { fspec: '/dev/b' });
    expect(code(() => p.mount('ffs', '/mnt/y', MNT_RDONLY, { fspec: '/dev/a' }))).toBe('EBUSY');
    for (const f of ['files/single_ind', 'files/frag_tail', 'links/hard1', `names/${'n'.repeat(255)}`]) {
      const want = readFileSync(join(src, f));
      for (const m of ['/mnt/x', '/mnt/y']) {
        const fd = p.open(`${m}/${f}`, O_RDONLY);
        const got = new Uint8Array(want.length + 10);
        let n = 0;
        for (let r; (r = p.read(fd, got.subarray(n))) > 0; ) n += r;
        p.close(fd);
        expect(n).toBe(want.length);
        expect(Buffer.from(got.subarray(0, n)).equals(want)).toBe(true);
      }
    }
    expect(p.readlink('/mnt/x/links/len300')).toBe('x'.repeat(300));
    expect(p.readlink('/mnt/y/links/len119')).toBe('x'.repeat(119));
    expect(p.lstat('/mnt/x/special/fifo').mode & S_IFMT).toBe(0o010000);
    expect(p.stat('/mnt/x/links/fast').size).toBe(511);
    p.unmount('/mnt/x');
    p.unmount('/mnt/y');
    k.halt();
  });
});
