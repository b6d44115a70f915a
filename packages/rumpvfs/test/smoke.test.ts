import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDWR, O_RDONLY, S_IFDIR, S_IFREG } from '@rumpts/librump';
import { vfsKernel, enc, dec } from './helpers.js';

describe('rumpvfs smoke', () => {
  it('boots with /dev and /tmp and does file I/O', async () => {
    const k = await vfsKernel();
    const p = k.proc;
    expect(k.sysctl('vfs.generic.fstypes')).toBe('rumpfs');
    expect(p.stat('/').mode & S_IFDIR).toBe(S_IFDIR);
    expect(p.stat('/dev').mode & 0o7777).toBe(0o755);
    expect(p.stat('/tmp').mode & 0o7777).toBe(0o1777);
    const fd = p.open('/tmp/hello', O_CREAT | O_RDWR, 0o644);
    expect(p.write(fd, enc('hello, world'))).toBe(12);
    p.close(fd);
    const st = p.stat('/tmp/hello');
    expect(st.mode).toBe(S_IFREG | 0o644);
    expect(st.size).toBe(12);
    const fd2 = p.open('/tmp/../tmp/./hello', O_RDONLY);
    const b = new Uint8Array(100);
    expect(dec(b.subarray(0, p.read(fd2, b)))).toBe('hello, world');
    p.close(fd2);
    p.mkdir('/tmp/d', 0o755);
    p.chdir('/tmp/d');
    expect(p.getcwd()).toBe('/tmp/d');
    p.symlink('../hello', 'link');
    expect(p.readlink('link')).toBe('../hello');
    expect(p.stat('link').size).toBe(12);
    const fd3 = p.open('/tmp', O_RDONLY);
    expect(p.getdents(fd3).map((d) => d.name).sort()).toEqual(['d', 'hello']);
    expect(p.getdents(fd3)).toEqual([]);
    p.close(fd3);
    k.halt();
  });
});
