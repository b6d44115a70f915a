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
  DT_DIR, MNT_FORCE, MNT_RDONLY, RUMP_ETFS_BLK, O_CREAT, O_RDONLY, O_RDWR, S_IFMT, isRumpError, rump_init,
} from '@rumpts/librump';
import { FileBlockDevice, HAVE_MAKEFS, makeImage, tempDir, writeTree, code } from './helpers.js';
import { type Entry, kernelWith, syscallManifest } from './manifest.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/netbsd');
const REPO = resolve(import.meta.dirname, '../../..');



describe('mount -t ffs through the syscall layer', () => {
  const tmp = tempDir('mount');
  afterAll(() => tmp.cleanup());
  const gunzip = (name: string): string => {
    const img = join(tmp.path, `${name}.img`);
    if (!existsSync(img)) writeFileSync(img, gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`))));
    return img;
  };

  it('ufs2-le-history: the syscall view matches the NetBSD manifest', async () => {
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
  it.skipIf(!BUILT)('mounts an image registered as an etfs RUMP_ETFS_BLK key (the usual user path)', async () => {
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

  it('a read-write mount of a read-only device is refused with EROFS and a clear message', async () => {
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

  it('an unreplayed WAPBL log: read-only replays in memory, MNT_FORCE shows the in-place tree', async () => {
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
