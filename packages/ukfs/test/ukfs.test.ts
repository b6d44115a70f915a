import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_RDONLY, O_RDONLY, S_IFDIR, S_IFLNK } from '@rumpts/librump';
import { UkfsLib, UKFS_PARTITION_NONE, UKFS_RELFLAG_FORCE, UKFS_RELFLAG_NOUNMOUNT, parseDevpath, modloadDir } from '../src/index.js';
import { labeledImage, makefsImage, sourceTree, tmp } from './helpers.js';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'OK';
};

describe('partition syntax (ukfs_part_probe)', () => {
  it('parses %DISKLABEL:p% and %OFFSET:a,b% and rejects %PART:', () => {
    expect(parseDevpath('/x/img%DISKLABEL:e%')).toEqual({ path: '/x/img', want: { type: 'disklabel', index: 4 } });
    expect(parseDevpath('img%OFFSET:512,1024%')).toEqual({ path: 'img', want: { type: 'offset', offset: 512, size: 1024 } });
    expect(parseDevpath('plain.img')).toEqual({ path: 'plain.img', want: { type: 'none' } });
    expect(code(() => parseDevpath('img%PART:a%'))).toBe('ENODEV');
    expect(code(() => parseDevpath('img%DISKLABEL:z%'))).toBe('EINVAL');
    expect(code(() => parseDevpath('img%OFFSET:-1,1000000%'))).toBe('ERANGE');
    expect(code(() => parseDevpath('img%OFFSET:12x,1000000%'))).toBe('EADDRNOTAVAIL');
    // Magic not ending the string is not magic (%DISKLABEL must end it).
    expect(parseDevpath('img%DISKLABEL:a%x').want).toEqual({ type: 'none' });
  });
});

describe('mounting images', () => {
  it('mounts a makefs UFS2 image read-only and reads it', async () => {
    const t = tmp();
    const img = makefsImage(t, sourceTree(t));
    const lib = await UkfsLib.init();
    await lib.ensureFs('ffs');
    expect(lib.vfstypes()).toContain('ffs');
    const fs = lib.mount('ffs', img, { flags: MNT_RDONLY });
    const buf = new Uint8Array(100);
    const n = fs.read('/hello.txt', 0, buf);
    expect(dec(buf.subarray(0, n))).toBe('hello from makefs\n');
    expect(fs.stat('/dir').mode & S_IFDIR).toBe(S_IFDIR);
    expect(fs.lstat('/link').mode & 0o170000).toBe(S_IFLNK);
    expect(fs.readlink('/link')).toBe('hello.txt');
    expect(fs.readdir('/').map((d) => d.name).filter((x) => x !== '.' && x !== '..').sort()).toEqual(['dir', 'hello.txt', 'link']);
    // '..' cannot climb out of the file system.
    expect(fs.stat('/../../hello.txt').size).toBe(18);
    fs.release(0);
    expect(code(() => lib.kernel.proc.stat('/ukfs/hello.txt'))).toBe('ENOENT');
    // The private etfs key is gone with the handle.
    expect(code(() => lib.kernel.proc.stat(fs.info.etfsKey ?? ''))).toBe('ENOENT');
    lib.halt();
  });

  it('mount_disk finds a disklabel partition; an unlabeled image is a clear error', async () => {
    const t = tmp();
    const fsimg = makefsImage(t, sourceTree(t), 1);
    const disk = labeledImage(t, fsimg);
    const lib = await UkfsLib.init();
    await lib.ensureFs('ffs');
    const a = lib.mountDisk('ffs', disk, 4, { flags: MNT_RDONLY, mountpath: '/a' });
    expect(a.stat('/dir/sub/deep.txt').size).toBe(5);
    // The same partition twice at once is busy, as on NetBSD.
    expect(code(() => lib.mount('ffs', `${disk}%DISKLABEL:e%`, { flags: MNT_RDONLY, mountpath: '/b' }))).toBe('EBUSY');
    a.release(0);
    const b = lib.mount('ffs', `${disk}%DISKLABEL:e%`, { flags: MNT_RDONLY, mountpath: '/b' });
    expect(b.stat('/hello.txt').size).toBe(18);
    expect(code(() => lib.mountDisk('ffs', fsimg, 0, { flags: MNT_RDONLY, mountpath: '/c' }))).toBe('ENOENT');
    try {
      lib.mount('ffs', `${fsimg}%DISKLABEL:a%`, { flags: MNT_RDONLY, mountpath: '/c' });
    } catch (e) {
      expect((e as Error).message).toMatch(/no disklabel/);
    }
    const whole = lib.mountDisk('ffs', fsimg, UKFS_PARTITION_NONE, { flags: MNT_RDONLY, mountpath: '/w' });
    expect(whole.stat('/hello.txt').size).toBe(18);
    lib.halt();
  });

  it('each handle has its own cwd', async () => {
    const lib = await UkfsLib.init();
    const x = lib.mount('rumpfs', 'none', { mountpath: '/x' });
    const y = lib.mount('rumpfs', 'none', { mountpath: '/y' });
    x.mkdir('/d1', 0o755);
    y.mkdir('/d2', 0o755);
    x.chdir('/d1');
    expect(x.getcwd()).toBe('/d1');
    expect(y.getcwd()).toBe('/');
    x.create('f', 0o644);
    expect(x.stat('/d1/f').size).toBe(0);
    expect(code(() => y.stat('f'))).toBe('ENOENT');
    expect(x.write('f', 0, new TextEncoder().encode('abc'))).toBe(3);
    x.create('f', 0o644); // no truncation
    expect(x.stat('f').size).toBe(3);
    lib.halt();
  });

  it('release: EBUSY while busy (the handle stays valid), FORCE, NOUNMOUNT', async () => {
    const lib = await UkfsLib.init();
    const h = lib.mount('rumpfs', 'none', { mountpath: '/r' });
    h.create('/f', 0o644);
    const fd = h.open('/f', O_RDONLY);
    expect(code(() => h.release(0))).toBe('EBUSY');
    expect(h.stat('/f').size).toBe(0); // still valid
    h.close(fd);
    const q = lib.kernel.newproc();
    q.chdir('/r');
    expect(code(() => h.release(0))).toBe('EBUSY');
    expect(h.released).toBe(false);
    expect(h.stat('/f').size).toBe(0);
    h.release(UKFS_RELFLAG_FORCE);
    expect(h.released).toBe(true);
    const k = lib.mount('rumpfs', 'none', { mountpath: '/n' });
    k.create('/kept', 0o644);
    k.release(UKFS_RELFLAG_NOUNMOUNT);
    expect(lib.kernel.proc.stat('/n/kept').size).toBe(0);
    lib.halt();
  });
});

describe('modload_dir', () => {
  it('loads every module whatever the directory order, retrying dependencies', async () => {
    const d = tmp();
    const mod = (name: string, requires: string[]) =>
      `export const modinfo = { name: '${name}', class: 'vfs', requires: ${JSON.stringify(requires)}, init() {}, fini() {} };\n`;
    // Hostile order: each sorts before what it requires.
    writeFileSync(join(d, 'librumpfs_a.mjs'), mod('a', ['b']));
    writeFileSync(join(d, 'librumpfs_b.js'), mod('b', ['c']));
    mkdirSync(join(d, 'rumpfs-c'));
    writeFileSync(join(d, 'rumpfs-c', 'package.json'), JSON.stringify({ name: 'rumpfs-c', type: 'module', main: 'main.js' }));
    writeFileSync(join(d, 'rumpfs-c', 'main.js'), mod('c', []));
    writeFileSync(join(d, 'librumpfs_broken.mjs'), 'export const modinfo = { name: "broken", class: "vfs", init() { throw new Error("no") } };');
    writeFileSync(join(d, 'librumpfs_orphan.mjs'), mod('orphan', ['nonexistent']));
    writeFileSync(join(d, 'other.mjs'), mod('other', []));
    writeFileSync(join(d, 'librumpfs_x.so'), 'not for us');
    const lib = await UkfsLib.init();
    const r = await modloadDir(lib.kernel, d);
    expect(r.loaded.map((p) => p.slice(d.length + 1))).toEqual(['rumpfs-c', 'librumpfs_b.js', 'librumpfs_a.mjs']);
    expect(r.failed.map((f) => f.path.slice(d.length + 1)).sort()).toEqual(['librumpfs_broken.mjs', 'librumpfs_orphan.mjs']);
    expect(lib.kernel.modstat().map((m) => m.name).sort()).toEqual(['a', 'b', 'c']);
    await expect(modloadDir(lib.kernel, join(d, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
