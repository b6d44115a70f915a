/**
 * The vfsops/vnodeops contract driven directly (without namei): mount flags, readdir cookies,
 * lookup of '..', EROFS on every mutating op — and loading the module by its rump library name.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type Kernel, MNT_FORCE, MNT_RDONLY, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { Mount, type Vnode, VDIR, VLNK, vrele } from '@rumpts/rumpvfs';
import { ffs_vfsops } from '../src/index.js';
import { FileBlockDevice, tempDir, code } from './helpers.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/netbsd');
const REPO = resolve(import.meta.dirname, '../../..');


describe('ffs vfsops and vnodeops', () => {
  const tmp = tempDir('vfsops');
  afterAll(() => tmp.cleanup());
  const image = (name: string): string => {
    const img = join(tmp.path, `${name}.img`);
    if (!existsSync(img)) writeFileSync(img, gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`))));
    return img;
  };
  const mountImage = async (name: string, flags: number): Promise<{ k: Kernel; mp: Mount }> => {
    const k = await rump_init({ libraries: [rumpvfs] });
    const mp = new Mount(k, ffs_vfsops, flags, null, '/x', 99);
    const dev = new FileBlockDevice(image(name));
    ffs_vfsops.mount(mp, { fspec: '/dev/x' }, { kernel: k, proc: k.proc, openBlockDevice: () => dev });
    return { k, mp };
  };
  const lookup = (dvp: Vnode, path: string): Vnode => {
    let vp = dvp;
    for (const c of path.split('/')) {
      const next = vp.ops.lookup(vp, c, { cred: { uid: 0, gid: 0, groups: [] } });
      if (!next) throw new Error(`${c} not found`);
      vp = next;
    }
    return vp;
  };

  it('readdir resumes exactly at any returned cookie, in small and large batches', async () => {
    const { mp } = await mountImage('ufs2-le-history', MNT_RDONLY);
    const bigdir = lookup(mp.root(), 'bigdir');
    const all = bigdir.ops.readdir(bigdir, 0, 1 << 30);
    expect(all.eof).toBe(true);
    // NetBSD's manifest: 750 entries survive in /bigdir, plus . and ..
    expect(all.entries.length).toBe(752);
    const names: string[] = [];
    let cookie = 0;
    for (let guard = 0; guard < 10000; guard++) {
      const r = bigdir.ops.readdir(bigdir, cookie, 100);
      names.push(...r.entries.map((e) => e.name));
      if (r.eof) break;
      expect(r.entries.length).toBeGreaterThan(0);
      cookie = r.entries.at(-1)!.cookie;
    }
    expect(names).toEqual(all.entries.map((e) => e.name));
    // A cookie from the middle resumes after that entry.
    const mid = all.entries[300]!;
    expect(bigdir.ops.readdir(bigdir, mid.cookie, 1 << 30).entries.map((e) => e.name)).toEqual(all.entries.slice(301).map((e) => e.name));
    // A cookie past the end is an empty, finished listing.
    expect(bigdir.ops.readdir(bigdir, 1 << 30, 100)).toEqual({ entries: [], eof: true });
  });

  it("lookup walks names and '..', and getattr/readlink follow NetBSD", async () => {
    const { mp } = await mountImage('ufs2-le-history', MNT_RDONLY);
    const root = mp.root();
    const d3 = lookup(root, 'd1/d2/d3');
    expect(d3.type).toBe(VDIR);
    expect(lookup(d3, '..').key).toBe(lookup(root, 'd1/d2').key);
    expect(root.ops.lookup(root, 'no-such', { cred: { uid: 0, gid: 0, groups: [] } })).toBeNull();
    const va = d3.ops.getattr(d3);
    // From the fixture README's history: d1/d2/d3 mtime 1400000000.000000042.
    expect(va.mtime).toEqual({ sec: 1400000000, nsec: 42 });
    expect(va.birthtime.sec).toBeGreaterThan(0);
    const slow = lookup(root, 'links/slow');
    expect(slow.type).toBe(VLNK);
    expect(slow.ops.readlink(slow).length).toBe(305);
    vrele(slow);
  });

  it('every mutating vnode op answers EROFS', async () => {
    const { mp } = await mountImage('ufs2-le-history', MNT_RDONLY);
    const root = mp.root();
    const f = lookup(root, 'files/s511');
    const ctx = { cred: { uid: 0, gid: 0, groups: [] } };
    const va = { type: 1 as const, mode: 0o644, uid: 0, gid: 0, rdev: 0 };
    const o = root.ops;
    expect(code(() => o.create(root, 'n', va, ctx))).toBe('EROFS');
    expect(code(() => o.mknod(root, 'n', va, ctx))).toBe('EROFS');
    expect(code(() => o.mkdir(root, 'n', va, ctx))).toBe('EROFS');
    expect(code(() => o.symlink(root, 'n', va, 't', ctx))).toBe('EROFS');
    expect(code(() => o.link(root, f, 'n', ctx))).toBe('EROFS');
    expect(code(() => o.remove(root, f, 's511', ctx))).toBe('EROFS');
    expect(code(() => o.rmdir(root, f, 's511', ctx))).toBe('EROFS');
    expect(code(() => o.rename(root, f, 'a', root, null, 'b', ctx))).toBe('EROFS');
    expect(code(() => o.setattr(f, { mode: 0o600 }, ctx))).toBe('EROFS');
    expect(code(() => o.write(f, new Uint8Array(1), 0))).toBe('EROFS');
  });

  it('a WAPBL image: replayed in memory by default, the in-place metadata with MNT_FORCE', async () => {
    const k = await rump_init({ libraries: [rumpvfs] });
    const dev = new FileBlockDevice(image('ufs1-le-wapbl-replay'));
    const ctx = { kernel: k, proc: k.proc, openBlockDevice: () => dev };
    const mp = new Mount(k, ffs_vfsops, MNT_RDONLY, null, '/x', 99);
    ffs_vfsops.mount(mp, { fspec: '/dev/x' }, ctx);
    // README: willdie was unlinked in phase 2, which only the log holds.
    expect(() => lookup(mp.root(), 'w_base/willdie')).toThrow(/willdie not found/);
    expect(lookup(mp.root(), 'w_new4/symlink').type).not.toBe(VDIR);
    const mpf = new Mount(k, ffs_vfsops, MNT_RDONLY | MNT_FORCE, null, '/x', 100);
    ffs_vfsops.mount(mpf, { fspec: '/dev/x' }, ctx);
    // README: willdie only exists in place (unlinked in the unreplayed phase 2).
    expect(lookup(mpf.root(), 'w_base/willdie').type).not.toBe(VDIR);
  });

  it('statvfs comes from the superblock summary', async () => {
    const { mp } = await mountImage('ufs2-le-history', MNT_RDONLY);
    const s = ffs_vfsops.statvfs(mp);
    // README: 24 MiB, 6144 inodes. In use: the manifest's distinct inodes (hard links share one)
    // plus the reserved 0 and 1, which f_files already leaves out.
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'ufs2-le-history.json'), 'utf8')) as { ino: number }[];
    expect(s.files).toBe(6144 - 2);
    expect(s.files - s.ffree).toBe(new Set(manifest.map((e) => e.ino)).size);
    expect(s.blocks * s.frsize).toBeLessThanOrEqual(24 * 1024 * 1024);
    expect(s.namemax).toBe(255);
  });
});

describe('module loading', () => {
  it.skipIf(!existsSync(join(REPO, 'packages/rumpfs-ffs/dist/index.js')))("modload('rumpfs_ffs') registers 'ffs'; modunload removes it", async () => {
    const k = await rump_init({ libraries: [rumpvfs], moduleBase: REPO });
    await k.modload('rumpfs_ffs');
    expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).toContain('ffs');
    k.modunload('ffs');
    expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).not.toContain('ffs');
    k.halt();
  });
});
