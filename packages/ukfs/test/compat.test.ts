import { describe, expect, it } from 'vitest';
import { Errno } from '@rumpts/librump';
import {
  errno, ukfs_create, ukfs_getdents, ukfs_init, ukfs_lib, ukfs_mkdir, ukfs_modload, ukfs_mount, ukfs_read, ukfs_release, ukfs_stat,
  ukfs_vfstypes, ukfs_write, UKFS_RELFLAG_FORCE, ukfs_readlink, ukfs_symlink,
} from '../src/compat.js';

describe('ukfs(3) C conventions', () => {
  it('init, vfstypes with truncation, modload -1/0/1', async () => {
    expect(await ukfs_init(99)).toBe(-1);
    expect(errno()).toBe(Errno.EPROGMISMATCH);
    expect(await ukfs_init()).toBe(0);
    const full = new Uint8Array(256);
    const n = ukfs_vfstypes(full, full.length);
    const list = new TextDecoder().decode(full.subarray(0, n));
    expect(list).toBe(String(ukfs_lib().kernel.sysctl('vfs.generic.fstypes')));
    expect(full[n]).toBe(0);
    expect(await ukfs_modload('rumpfs_ffs')).toBe(1);
    const after = ukfs_vfstypes(full, full.length);
    const names = new TextDecoder().decode(full.subarray(0, after)).split(' ');
    expect(names).toContain('ffs');
    // A buffer too small for all names gets as many whole names as fit.
    const small = new Uint8Array(names[0]!.length + 2);
    const m = ukfs_vfstypes(small, small.length);
    expect(new TextDecoder().decode(small.subarray(0, m))).toBe(names[0]);
    expect(await ukfs_modload('rumpfs_nonesuch')).toBe(-1);
    expect(errno()).toBe(Errno.ENOENT);
    expect(await ukfs_modload('rumpfs_ffs')).toBe(-1); // already loaded
    expect(errno()).toBe(Errno.EEXIST);
  });

  it('mount, file calls returning -1 with errno, getdents records, release', async () => {
    expect(await ukfs_init()).toBe(0);
    const fs = ukfs_mount('rumpfs', 'none', '/compat', 0, undefined, 0);
    expect(fs).not.toBeNull();
    if (!fs) return;
    expect(ukfs_mkdir(fs, '/d', 0o755)).toBe(0);
    expect(ukfs_mkdir(fs, '/d', 0o755)).toBe(-1);
    expect(errno()).toBe(Errno.EEXIST);
    expect(ukfs_write(fs, '/nofile', 0, new Uint8Array(1))).toBe(-1);
    expect(errno()).toBe(Errno.ENOENT);
    expect(ukfs_create(fs, '/d/f', 0o644)).toBe(0);
    expect(ukfs_write(fs, '/d/f', 0, new TextEncoder().encode('hey'))).toBe(3);
    const b = new Uint8Array(10);
    expect(ukfs_read(fs, '/d/f', 1, b, 10)).toBe(2);
    const st = {};
    expect(ukfs_stat(fs, '/d/f', st)).toBe(0);
    expect(st).toMatchObject({ size: 3 });
    expect(ukfs_symlink(fs, 'f', '/d/l')).toBe(0);
    expect(ukfs_readlink(fs, '/d/l', b, 10)).toBe(1);
    const off = { value: 0 };
    const buf = new Uint8Array(4096);
    const got = ukfs_getdents(fs, '/d', off, buf, buf.length);
    expect(got).toBeGreaterThan(0);
    const dv = new DataView(buf.buffer);
    const names: string[] = [];
    for (let at = 0; at < got; ) {
      const reclen = dv.getUint16(at + 8, true);
      const namlen = dv.getUint16(at + 10, true);
      names.push(new TextDecoder().decode(buf.subarray(at + 13, at + 13 + namlen)));
      expect(reclen).toBe((13 + namlen + 1 + 7) & ~7);
      at += reclen;
    }
    expect(names.sort()).toEqual(['f', 'l']);
    expect(ukfs_getdents(fs, '/d', off, buf, buf.length)).toBe(0);
    expect(ukfs_release(fs, UKFS_RELFLAG_FORCE)).toBe(0);
    expect(ukfs_mount('nosuchfs', 'x', '/q', 0, undefined, 0)).toBeNull();
    expect(errno()).toBe(Errno.ENODEV);
  });
});
