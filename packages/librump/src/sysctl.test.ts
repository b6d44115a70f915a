import { describe, expect, it } from 'vitest';
import { rump_init } from './kernel.js';

describe('sysctl', () => {
  it('has the basics', async () => {
    const k = await rump_init({ ncpu: 3, memlimit: 1 << 20 });
    expect(k.sysctl('kern.ostype')).toBe('NetBSD');
    expect(typeof k.sysctl('kern.osrelease')).toBe('string');
    expect(k.sysctl('hw.ncpu')).toBe(3);
    expect(k.sysctl('hw.physmem')).toBe(1 << 20);
    expect(k.sysctl('vfs.generic.fstypes')).toBe('');
    expect(k.sysctl('kern.hostname')).toMatch(/^rump-\d{5,}\.rumpdomain$/);
  });

  it('hostname is writable; read-only nodes give EPERM; unknown names ENOENT', async () => {
    const k = await rump_init();
    const old = k.sysctl('kern.hostname', 'kernel-a');
    expect(old).toMatch(/^rump-/);
    expect(k.sysctl('kern.hostname')).toBe('kernel-a');
    expect(() => k.sysctl('kern.ostype', 'Linux')).toThrow(expect.objectContaining({ code: 'EPERM', errno: 1 }));
    expect(() => k.sysctl('kern.nonesuch')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => k.sysctl('kern.hostname', 'x'.repeat(300))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('two kernels do not see each other', async () => {
    const a = await rump_init({ hostname: 'a', ncpu: 1 });
    const b = await rump_init({ hostname: 'b', ncpu: 2 });
    a.sysctl('kern.hostname', 'changed');
    expect(b.sysctl('kern.hostname')).toBe('b');
    expect(a.sysctl('hw.ncpu')).toBe(1);
    expect(b.sysctl('hw.ncpu')).toBe(2);
  });

  it('lists names under a prefix', async () => {
    const k = await rump_init();
    const hw = k.sysctl_.list('hw');
    expect(hw).toContain('hw.ncpu');
    expect(hw).toContain('hw.physmem');
    expect(hw.every((n) => n.startsWith('hw.'))).toBe(true);
  });
});
