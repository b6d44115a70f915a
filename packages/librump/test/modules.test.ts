import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rump_init } from '../src/index.js';
import { RUMP_LIBRARIES, availableLibraries, libraryName, libraryOrderProblems, packageCandidates } from '../src/module.js';

const here = dirname(fileURLToPath(import.meta.url));
const mods = join(here, 'fixtures', 'mods');
const base = join(here, 'fixtures', 'base');

describe('module names', () => {
  it('maps rump library names to packages', () => {
    expect(packageCandidates('rumpfs_ffs')).toEqual(['@rumpts/rumpfs-ffs', 'rumpfs-ffs']);
    expect(packageCandidates('rumpvfs')).toEqual(['@rumpts/rumpvfs', 'rumpvfs']);
    expect(packageCandidates('rumpdev_disk')).toEqual(['@rumpts/rumpdev-disk', 'rumpdev-disk']);
    expect(packageCandidates('librumpfs_tmpfs.so')).toEqual(['@rumpts/rumpfs-tmpfs', 'rumpfs-tmpfs']);
    expect(packageCandidates('@rumpts/rumpfs-ffs')).toEqual(['@rumpts/rumpfs-ffs']);
  });
});

describe('modload', () => {
  it('loads by path, and 1 means loaded', async () => {
    const k = await rump_init();
    expect(await k.modload(join(mods, 'good.mjs'))).toBe(1);
    expect(k.sysctl('kern.good.state')).toBe('loaded');
    const st = k.modstat();
    expect(st).toHaveLength(1);
    expect(st[0]).toMatchObject({ name: 'good', class: 'misc', source: 'filesys', refcount: 0, requires: [] });
  });

  it('loads by package name and by rump library name from the module base', async () => {
    const k = await rump_init({ moduleBase: base });
    expect(await k.modload('@rumpts/rumpfs-demo')).toBe(1);
    expect(k.modstat().map((m) => m.name)).toEqual(['demo']);
    k.modunload('demo');
    expect(await k.modload('rumpfs_demo')).toBe(1);
    // A third party's unscoped package is found by the same library name rule.
    expect(await k.modload('rumpfs_thirdparty')).toBe(1);
    expect(k.modstat().map((m) => m.name).sort()).toEqual(['demo', 'thirdparty']);
  });

  it('loads a package folder by path (its package.json entry)', async () => {
    const k = await rump_init();
    expect(await k.modload(join(base, 'node_modules', 'rumpfs-thirdparty'))).toBe(1);
    expect(k.modstat()[0]?.name).toBe('thirdparty');
  });

  it('returns 0 when a required module is missing, changing nothing, and 1 after', async () => {
    const k = await rump_init();
    expect(await k.modload(join(mods, 'needs-good.mjs'))).toBe(0);
    expect(k.modstat()).toEqual([]);
    expect(await k.modload(join(mods, 'good.mjs'))).toBe(1);
    expect(await k.modload(join(mods, 'needs-good.mjs'))).toBe(1);
    expect(k.modstat().find((m) => m.name === 'good')?.refcount).toBe(1);
  });

  it('rejects with RumpError on fatal failures', async () => {
    const k = await rump_init({ moduleBase: base });
    await expect(k.modload('@rumpts/no-such-module')).rejects.toMatchObject({ code: 'ENOENT', errno: 2 });
    await expect(k.modload(join(mods, 'missing.mjs'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(k.modload(join(mods, 'notamodule.mjs'))).rejects.toMatchObject({ code: 'ENOEXEC', errno: 8 });
    await expect(k.modload(join(mods, 'initfail.mjs'))).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('device on fire') });
    expect(await k.modload(join(mods, 'good.mjs'))).toBe(1);
    await expect(k.modload(join(mods, 'good.mjs'))).rejects.toMatchObject({ code: 'EEXIST', errno: 17 });
    expect(k.modstat().map((m) => m.name)).toEqual(['good']);
  });

  it('modunload: EBUSY while required by another module, then unloads', async () => {
    const k = await rump_init();
    await k.modload(join(mods, 'good.mjs'));
    await k.modload(join(mods, 'needs-good.mjs'));
    expect(() => k.modunload('good')).toThrow(expect.objectContaining({ code: 'EBUSY', errno: 16 }));
    k.modunload('needsgood');
    k.modunload('good');
    expect(k.modstat()).toEqual([]);
    expect(() => k.sysctl('kern.good.state')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => k.modunload('good')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('modunload: EBUSY when the module refuses (in use), stays loaded', async () => {
    const k = await rump_init();
    await k.modload(join(mods, 'stubborn.mjs'));
    expect(() => k.modunload('stubborn')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(k.modstat().map((m) => m.name)).toEqual(['stubborn']);
    k.sysctl('kern.stubborn.busy', 0);
    k.modunload('stubborn');
    expect(k.modstat()).toEqual([]);
  });

  it('two kernels have separate module sets', async () => {
    const a = await rump_init();
    const b = await rump_init();
    await a.modload(join(mods, 'good.mjs'));
    expect(b.modstat()).toEqual([]);
    expect(() => b.sysctl('kern.good.state')).toThrow();
    expect(await b.modload(join(mods, 'good.mjs'))).toBe(1);
    a.modunload('good');
    expect(b.sysctl('kern.good.state')).toBe('loaded');
  });
});

describe('libraries and components', () => {
  it('links libraries before init and orders components by requirement', async () => {
    const k = await rump_init({ libraries: [join(mods, 'libcomp.mjs')] });
    expect(k.components()).toEqual([
      { name: 'lower', faction: 'kern' },
      { name: 'upper', faction: 'vfs' },
    ]);
    expect(k.sysctl('kern.comp.upper')).toBe(2);
  });

  it('a library providing a module makes it builtin', async () => {
    const k = await rump_init({ libraries: [join(mods, 'good.mjs')] });
    expect(k.modstat()).toMatchObject([{ name: 'good', source: 'builtin' }]);
    expect(() => k.modunload('good')).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  it('a missing requirement or a cycle is a clear error', async () => {
    const init = () => {};
    await expect(rump_init({ libraries: [{ components: [{ name: 'a', faction: 'vfs', requires: ['b'], init }] }] })).rejects.toMatchObject({
      message: expect.stringContaining("requires 'b'"),
    });
    await expect(
      rump_init({
        libraries: [
          {
            components: [
              { name: 'a', faction: 'vfs', requires: ['b'], init },
              { name: 'b', faction: 'dev', requires: ['a'], init },
            ],
          },
        ],
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('cycle') });
  });

  it('orders by faction among independent components', async () => {
    const seen: string[] = [];
    const c = (name: string, faction: 'kern' | 'vfs' | 'dev' | 'net') => ({ name, faction, init: () => void seen.push(name) });
    await rump_init({ libraries: [{ components: [c('n', 'net'), c('d', 'dev'), c('v', 'vfs'), c('k', 'kern')] }] });
    expect(seen).toEqual(['k', 'v', 'd', 'n']);
  });

  it('an unknown library is ENOENT; one that provides nothing is ENOEXEC', async () => {
    await expect(rump_init({ libraries: ['rumpnonesuch'] })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(rump_init({ libraries: [join(mods, 'notamodule.mjs')] })).rejects.toMatchObject({ code: 'ENOEXEC' });
  });
});

describe('rump library names', () => {
  it('every faction we ship has a short name, etfs included, and none maps to an unscoped package outside rump*', () => {
    expect(packageCandidates('etfs')).toEqual(['@rumpts/etfs']);
    expect(packageCandidates('libetfs.so')).toEqual(['@rumpts/etfs']);
    expect(packageCandidates('rumpfs_cd9660')).toEqual(['@rumpts/rumpfs-cd9660', 'rumpfs-cd9660']);
    expect(packageCandidates('rumpfs_msdos')).toEqual(['@rumpts/rumpfs-msdos', 'rumpfs-msdos']);
    for (const [name, lib] of Object.entries(RUMP_LIBRARIES)) {
      expect(libraryName(name)).toBe(name);
      expect(packageCandidates(name)[0]).toBe(lib.package);
    }
    expect(libraryName('commander')).toBeUndefined();
    expect(libraryName('@rumpts/rumpvfs')).toBeUndefined();
  });

  it('reports a library listed before one it needs', () => {
    expect(libraryOrderProblems(['rumpfs_ffs'])).toEqual([{ library: 'rumpfs_ffs', needs: 'rumpvfs' }]);
    expect(libraryOrderProblems(['rumpfs_ffs', 'rumpvfs'])).toEqual([{ library: 'rumpfs_ffs', needs: 'rumpvfs' }]);
    expect(libraryOrderProblems(['librumpvfs.so', 'etfs', 'rumpdev_disk', 'rumpfs_ffs', 'my-plugin'])).toEqual([]);
  });

  it("rump_init refuses that order before importing anything, saying what to list first", async () => {
    await expect(rump_init({ libraries: ['rumpfs_ffs'] })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining("library 'rumpfs_ffs' needs 'rumpvfs' linked before it"),
    });
  });

  it('an unknown name lists what is available from the module base, third-party plugins included', async () => {
    // Outside this checkout, so that resolution cannot climb to the repository's own node_modules.
    const app = mkdtempSync(join(tmpdir(), 'rumpts-libs-'));
    symlinkSync(join(base, 'node_modules'), join(app, 'node_modules'));
    expect(availableLibraries([app])).toEqual(['rumpfs_demo', 'rumpfs_thirdparty']);
    const k = await rump_init({ moduleBase: app });
    await expect(k.modload('rumpfs_nosuch')).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringMatching(/module 'rumpfs_nosuch' not found .*available: rumpfs_demo, rumpfs_thirdparty/),
    });
    await expect(k.modload('etfs')).rejects.toMatchObject({ message: expect.stringContaining('@rumpts/etfs is not installed there') });
    const empty = await rump_init({ moduleBase: join(app, 'node_modules', 'rumpfs-thirdparty') });
    await expect(empty.modload('rumpfs_ffs')).rejects.toMatchObject({ message: expect.stringContaining('no rump libraries are installed there') });
    rmSync(app, { recursive: true });
  });
});
