/**
 * The module as a user meets it: `kernel.modload('rumpfs_cd9660')` resolves this package by its
 * rump library name, ukfs's modloadDir picks up a `rumpfs-cd9660` package folder, the type is
 * listed in vfs.generic.fstypes, and unloading is refused while an image is mounted. These load
 * the built dist/ (turbo builds a package before its tests).
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MNT_RDONLY, RUMP_ETFS_BLK, rump_init } from '@rumpts/librump';
// ukfs is above this package (fsu links cd9660 in): not a dependency, it resolves from the
// workspace root, which has every package, and turbo builds it before these tests (turbo.json).
import { UkfsLib } from '@rumpts/ukfs';
import { code, HAVE_MAKEFS, makefsIso, readAll, REPO, tempDir, writeTree } from './helpers.js';

const BUILT = existsSync(join(REPO, 'packages/rumpfs-cd9660/dist/index.js'));
const tmp = tempDir('module');
afterAll(() => tmp.cleanup());
let image = '';
beforeAll(() => {
  if (!HAVE_MAKEFS) return;
  writeTree(join(tmp.dir, 'src'), { deep: false });
  image = makefsIso(join(tmp.dir, 'src'), join(tmp.dir, 'cd.iso'));
});

describe.skipIf(!BUILT || !HAVE_MAKEFS)('loading the module', () => {
  it("kernel.modload('rumpfs_cd9660') finds @rumpts/rumpfs-cd9660 and registers 'cd9660'", async () => {
    const k = await rump_init({ libraries: ['rumpvfs', '@rumpts/etfs'], moduleBase: REPO });
    expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).not.toContain('cd9660');
    expect(await k.modload('rumpfs_cd9660')).toBe(1);
    expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).toContain('cd9660');
    expect(k.modstat().map((m) => m.name)).toContain('cd9660');
    k.etfsRegister('/dev/cd0', image, RUMP_ETFS_BLK);
    k.proc.mkdir('/mnt', 0o755);
    k.proc.mount('cd9660', '/mnt', MNT_RDONLY, { fspec: '/dev/cd0' });
    expect(readAll(k, '/mnt/hello.txt').toString()).toBe('hello, cd9660\n');
    expect(code(() => k.modunload('cd9660'))).toBe('EBUSY');
    k.proc.unmount('/mnt', 0);
    k.modunload('cd9660');
    expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).not.toContain('cd9660');
    k.halt();
  });

  it('ukfs modloadDir loads a rumpfs-cd9660 package folder, and ukfs mounts an image with it', async () => {
    const dir = join(tmp.dir, 'modules');
    mkdirSync(dir);
    symlinkSync(join(REPO, 'packages/rumpfs-cd9660'), join(dir, 'rumpfs-cd9660'));
    const lib = await UkfsLib.init({ moduleBase: REPO });
    const r = await lib.modloadDir(dir);
    expect(r.failed).toEqual([]);
    expect(r.loaded).toEqual([join(dir, 'rumpfs-cd9660')]);
    expect(lib.vfstypes()).toContain('cd9660');
    const fs = lib.mount('cd9660', image, { flags: MNT_RDONLY });
    expect(readAll(lib.kernel, '/ukfs/hello.txt').toString()).toBe('hello, cd9660\n');
    expect(fs).toBeDefined();
    lib.halt();
  });
});
