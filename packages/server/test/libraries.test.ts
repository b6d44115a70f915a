/**
 * Libraries by their short (NetBSD) names: every faction rumpts ships links by name, and the man
 * page's `rump_server -lrumpfs_ffs …` without `-lrumpvfs` says which -l to add.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUMP_LIBRARIES, availableLibraries, rump_init } from '@rumpts/librump';
import { run, tempDir } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');

describe('rump library names', () => {
  it('every faction we ship links by its short name (the README first example: rumpvfs, etfs)', async () => {
    const k = await rump_init({ libraries: ['rumpvfs', 'etfs'], moduleBase: REPO, logger: () => undefined });
    expect(k.components().map((c) => c.name)).toEqual(['rumpvfs', 'etfs']);
    k.halt();
    // Every library of the table that this checkout has (rumpfs_msdos joins once its package exists).
    const shipped = availableLibraries([REPO]);
    expect(shipped).toEqual(Object.keys(RUMP_LIBRARIES).filter((n) => existsSync(join(REPO, 'packages', n.replace(/_/g, '-')))));
    expect(shipped).toEqual(expect.arrayContaining(['rumpvfs', 'etfs', 'rumpdev_disk', 'rumpfs_ffs', 'rumpfs_tmpfs', 'rumpfs_cd9660']));
    const all = await rump_init({ libraries: shipped, moduleBase: REPO, logger: () => undefined });
    expect(all.components().map((c) => c.name)).toEqual(['rumpvfs', 'etfs', 'rumpdev_disk']);
    const fstypes = shipped.filter((n) => n.startsWith('rumpfs_')).map((n) => n.slice('rumpfs_'.length));
    expect(String(all.sysctl('vfs.generic.fstypes')).split(' ').sort()).toEqual(['rumpfs', ...fstypes].sort());
    all.halt();
  });

  it("rump_server -lrumpfs_ffs without -lrumpvfs says 'add -l rumpvfs'; an unknown -l lists what is available", async () => {
    const t = tempDir();
    try {
      const r = await run('rump_server', ['-s', '-lrumpfs_ffs', `unix://${t.dir}/sock`], { cwd: REPO });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("rump_server: ENOENT: failed to load -libraries (rumpfs_ffs): rumpfs_ffs requires 'rumpvfs', linked before it: add -l rumpvfs");
      const u = await run('rump_server', ['-s', '-lrumpvfs', '-lrumpfs_nosuch', `unix://${t.dir}/sock`], { cwd: REPO });
      expect(u.code).toBe(1);
      expect(u.stderr).toMatch(/module 'rumpfs_nosuch' not found .*available: rumpvfs, etfs, rumpdev_disk, rumpfs_ffs, rumpfs_tmpfs, rumpfs_cd9660/);
      expect(u.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });
});
