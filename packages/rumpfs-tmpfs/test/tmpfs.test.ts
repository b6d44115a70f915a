/** tmpfs through the whole kernel: loading by name, mount data, the size limit and memory accounting. */
import { describe, expect, it } from 'vitest';
import { type Kernel, MNT_RDONLY, MNT_UPDATE, O_CREAT, O_RDONLY, O_RDWR, type Proc, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { expectErrno } from '@rumpts/rumpvfs/testkit';
import * as tmpfs from '../src/index.js';
import { TMPFS_PAGE_SIZE } from '../src/index.js';

async function kernelWithTmpfs(opts: { memlimit?: number } = {}): Promise<{ kernel: Kernel; proc: Proc }> {
  const kernel = await rump_init({ ...opts, libraries: [rumpvfs, tmpfs] });
  kernel.proc.mkdir('/mnt', 0o755);
  return { kernel, proc: kernel.proc };
}

function put(proc: Proc, path: string, data: Uint8Array, offset = 0): void {
  const fd = proc.open(path, O_RDWR | O_CREAT, 0o644);
  try {
    expect(proc.pwrite(fd, data, offset)).toBe(data.length);
  } finally {
    proc.close(fd);
  }
}

describe('tmpfs module', () => {
  it('loads by its rump library name, registers "tmpfs", and refuses to unload while mounted', async () => {
    const kernel = await rump_init({ libraries: [rumpvfs] });
    const proc = kernel.proc;
    proc.mkdir('/mnt', 0o755);
    expectErrno('ENODEV', () => proc.mount('tmpfs', '/mnt', 0, {}), 'mount before modload');
    expect(await kernel.modload('rumpfs_tmpfs')).toBe(1);
    expect(kernel.modstat().map((m) => m.name)).toContain('tmpfs');
    expect(String(kernel.sysctl('vfs.generic.fstypes')).split(' ')).toContain('tmpfs');
    proc.mount('tmpfs', '/mnt', 0, {});
    expect(() => kernel.modunload('tmpfs')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    proc.unmount('/mnt', 0);
    kernel.modunload('tmpfs');
    expectErrno('ENODEV', () => proc.mount('tmpfs', '/mnt', 0, {}), 'mount after modunload');
    kernel.halt();
  });
});

describe('tmpfs mount data', () => {
  it('refuses bad fields with EINVAL', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    expectErrno('EINVAL', () => proc.mount('tmpfs', '/mnt', 0, { size: -1 }));
    expectErrno('EINVAL', () => proc.mount('tmpfs', '/mnt', 0, { size: 'big' }));
    expectErrno('EINVAL', () => proc.mount('tmpfs', '/mnt', 0, { sise: 4096 }));
    expectErrno('EINVAL', () => proc.mount('tmpfs', '/mnt', 0, { mode: 0o10000 }));
    kernel.halt();
  });

  it("gives the root the mount point's mode and owner unless told otherwise", async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.chmod('/mnt', 0o751);
    proc.chown('/mnt', 7, 8);
    proc.mount('tmpfs', '/mnt', 0, {});
    expect(proc.stat('/mnt')).toMatchObject({ uid: 7, gid: 8 });
    expect(proc.stat('/mnt').mode & 0o7777).toBe(0o751);
    proc.unmount('/mnt', 0);
    proc.mount('tmpfs', '/mnt', 0, { mode: 0o1777, uid: 3, gid: 4 });
    expect(proc.stat('/mnt')).toMatchObject({ uid: 3, gid: 4, nlink: 2 });
    expect(proc.stat('/mnt').mode & 0o7777).toBe(0o1777);
    kernel.halt();
  });
});

describe('tmpfs size limit', () => {
  it('reports the limit in statvfs and fails writes past it with ENOSPC, all or nothing', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    const size = 64 * 1024;
    proc.mount('tmpfs', '/mnt', 0, { size });
    const st0 = proc.statvfs('/mnt');
    expect(st0.fstypename).toBe('tmpfs');
    expect(st0.bsize).toBe(TMPFS_PAGE_SIZE);
    expect(st0.blocks).toBe(size / TMPFS_PAGE_SIZE);
    expect(st0.namemax).toBe(255);

    put(proc, '/mnt/a', new Uint8Array(8 * TMPFS_PAGE_SIZE).fill(1));
    const st1 = proc.statvfs('/mnt');
    expect(st0.bfree - st1.bfree).toBeGreaterThanOrEqual(8);

    const fd = proc.open('/mnt/b', O_RDWR | O_CREAT, 0o644);
    expectErrno('ENOSPC', () => proc.write(fd, new Uint8Array(size)), 'write larger than the fs');
    expect(proc.fstat(fd).size).toBe(0);
    // Fill what is left page by page until ENOSPC (t_full fillfs).
    let pages = 0;
    for (;;) {
      try {
        proc.write(fd, new Uint8Array(TMPFS_PAGE_SIZE).fill(2));
        pages++;
      } catch (e) {
        expect(e).toMatchObject({ code: 'ENOSPC' });
        break;
      }
      expect(pages).toBeLessThan(size / TMPFS_PAGE_SIZE);
    }
    expect(pages).toBeGreaterThan(0);
    expect(proc.statvfs('/mnt').bfree).toBe(0);
    proc.close(fd);
    // Freeing a file gives the space back.
    proc.unlink('/mnt/b');
    expect(proc.statvfs('/mnt').bfree).toBe(st1.bfree);
    kernel.halt();
  });

  it('holes cost nothing', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.mount('tmpfs', '/mnt', 0, { size: 16 * TMPFS_PAGE_SIZE });
    put(proc, '/mnt/sparse', Uint8Array.of(42), 2 ** 40);
    const st = proc.stat('/mnt/sparse');
    expect(st.size).toBe(2 ** 40 + 1);
    expect(st.blocks * 512).toBeLessThanOrEqual(TMPFS_PAGE_SIZE);
    const fd = proc.open('/mnt/sparse', O_RDONLY);
    const buf = new Uint8Array(2).fill(0xff);
    expect(proc.pread(fd, buf, 2 ** 40 - 1)).toBe(2);
    expect([...buf]).toEqual([0, 42]);
    proc.close(fd);
    kernel.halt();
  });

  it('limits the number of nodes', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.mount('tmpfs', '/mnt', 0, { nodes: 10 });
    expect(proc.statvfs('/mnt').files).toBe(10);
    let made = 0;
    try {
      for (; made < 100; made++) proc.close(proc.open(`/mnt/f${made}`, O_RDWR | O_CREAT, 0o644));
    } catch (e) {
      expect(e).toMatchObject({ code: 'ENOSPC' });
    }
    expect(made).toBe(9); // the root is one of the ten
    expect(proc.statvfs('/mnt').ffree).toBe(0);
    kernel.halt();
  });

  it('mount -u may grow the limit but not shrink it below what is in use', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.mount('tmpfs', '/mnt', 0, { size: 16 * TMPFS_PAGE_SIZE });
    put(proc, '/mnt/a', new Uint8Array(10 * TMPFS_PAGE_SIZE));
    expectErrno('EBUSY', () => proc.mount('tmpfs', '/mnt', MNT_UPDATE, { size: 4 * TMPFS_PAGE_SIZE }));
    proc.mount('tmpfs', '/mnt', MNT_UPDATE, { size: 64 * TMPFS_PAGE_SIZE });
    expect(proc.statvfs('/mnt').blocks).toBe(64);
    put(proc, '/mnt/b', new Uint8Array(40 * TMPFS_PAGE_SIZE));
    proc.mount('tmpfs', '/mnt', MNT_UPDATE | MNT_RDONLY, {});
    expectErrno('EROFS', () => proc.open('/mnt/c', O_RDWR | O_CREAT, 0o644));
    kernel.halt();
  });
});

describe('tmpfs memory accounting', () => {
  it('charges file data to kernel memory and gives it all back', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    const base = kernel.kmem.inuse;
    proc.mount('tmpfs', '/mnt', 0, {});
    const mounted = kernel.kmem.inuse;
    const mib = 1 << 20;
    put(proc, '/mnt/big', new Uint8Array(mib).fill(7));
    expect(kernel.kmem.inuse - mounted).toBeGreaterThanOrEqual(mib);
    // An unlinked file keeps its memory while open and frees it on the last close.
    const fd = proc.open('/mnt/big', O_RDONLY);
    proc.unlink('/mnt/big');
    expect(kernel.kmem.inuse - mounted).toBeGreaterThanOrEqual(mib);
    proc.close(fd);
    expect(kernel.kmem.inuse).toBe(mounted);
    put(proc, '/mnt/again', new Uint8Array(3 * TMPFS_PAGE_SIZE));
    proc.mkdir('/mnt/d', 0o755);
    proc.symlink('x'.repeat(500), '/mnt/d/l');
    proc.unmount('/mnt', 0);
    expect(kernel.kmem.inuse).toBe(base);
    kernel.halt();
  });

  it('reports ENOSPC, not ENOMEM, when the kernel memory limit is reached', async () => {
    const limit = 4 << 20;
    const { kernel, proc } = await kernelWithTmpfs({ memlimit: limit });
    proc.mount('tmpfs', '/mnt', 0, {});
    const st = proc.statvfs('/mnt');
    expect(st.bfree * st.bsize).toBeLessThanOrEqual(limit);
    const fd = proc.open('/mnt/f', O_RDWR | O_CREAT, 0o644);
    expectErrno('ENOSPC', () => proc.write(fd, new Uint8Array(limit)), 'write as big as kernel memory');
    proc.close(fd);
    kernel.halt();
  });
});

describe('tmpfs directories', () => {
  it('lists . and .. first, then entries in creation order; rename in place keeps the position', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.mount('tmpfs', '/mnt', 0, {});
    for (const n of ['zeta', 'alpha', 'mid']) proc.close(proc.open(`/mnt/${n}`, O_RDWR | O_CREAT, 0o644));
    proc.rename('/mnt/alpha', '/mnt/renamed');
    const fd = proc.open('/mnt', O_RDONLY);
    const names = proc.getdents(fd).map((e) => e.name);
    proc.close(fd);
    expect(names).toEqual(['.', '..', 'zeta', 'renamed', 'mid']);
    kernel.halt();
  });

  it('refuses new entries in a removed directory that is still a cwd', async () => {
    const { kernel, proc } = await kernelWithTmpfs();
    proc.mount('tmpfs', '/mnt', 0, {});
    proc.mkdir('/mnt/gone', 0o755);
    proc.chdir('/mnt/gone');
    proc.rmdir('/mnt/gone');
    expect(proc.stat('.').nlink).toBe(0);
    expectErrno('ENOENT', () => proc.open('new', O_RDWR | O_CREAT, 0o644));
    expectErrno('ENOENT', () => proc.mkdir('sub', 0o755));
    const fd = proc.open('.', O_RDONLY);
    expect(proc.getdents(fd)).toEqual([]);
    proc.close(fd);
    proc.chdir('/');
    kernel.halt();
  });
});
