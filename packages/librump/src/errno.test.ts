import { describe, expect, it } from 'vitest';
import { Errno, RumpError, errno, errnoCode, isRumpError, strerror } from './errno.js';

describe('errno', () => {
  it('uses NetBSD numbers, not the host ones', () => {
    // Linux has EAGAIN 11, ELOOP 40, ENOTEMPTY 39; NetBSD differs (sys/sys/errno.h).
    expect(Errno.EAGAIN).toBe(35);
    expect(Errno.ELOOP).toBe(62);
    expect(Errno.ENAMETOOLONG).toBe(63);
    expect(Errno.ENOTEMPTY).toBe(66);
    expect(Errno.ENOSYS).toBe(78);
    expect(Errno.EFTYPE).toBe(79);
    expect(Errno.ENOATTR).toBe(93);
    expect(errnoCode(2)).toBe('ENOENT');
    expect(errnoCode(4242)).toBeUndefined();
    expect(strerror(2)).toBe('No such file or directory');
  });

  it('RumpError has the SystemError shape', () => {
    const e = errno('ENOENT', 'no such key', { syscall: 'open', path: '/x' });
    expect(e).toBeInstanceOf(RumpError);
    expect(e).toBeInstanceOf(Error);
    expect(e.errno).toBe(2);
    expect(e.code).toBe('ENOENT');
    expect(e.syscall).toBe('open');
    expect(e.path).toBe('/x');
    expect(e.message).toContain('ENOENT');
    expect(e.message).toContain('no such key');
    expect(isRumpError(e)).toBe(true);
    expect(isRumpError(new Error('x'))).toBe(false);
    expect(isRumpError({ code: 'ENOENT', errno: 2 })).toBe(false);
  });

  it('annotate fills syscall and path only when missing', () => {
    const e = errno('EBADF').annotate('read');
    expect(e.syscall).toBe('read');
    expect(e.message).toMatch(/EBADF.*read/);
    const f = errno('ENOENT', undefined, { syscall: 'namei' }).annotate('open', '/a');
    expect(f.syscall).toBe('namei');
    expect(f.path).toBe('/a');
  });
});
