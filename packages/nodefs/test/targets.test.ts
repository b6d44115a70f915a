/** The targets createFs takes: a kernel process (its cwd, credentials and umask) and a ukfs handle. */
import { describe, expect, it } from 'vitest';
import { rump_init, RUMP_RFFDG } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { createFs, FD_BIAS, type SyscallTarget } from '../src/index.js';
import { kernelRead, tmpfsFs } from './helpers.js';

async function kernelWithTmpfs() {
  const kernel = await rump_init({ libraries: [rumpvfs, tmpfs] });
  kernel.proc.mkdir('/mnt', 0o755);
  kernel.proc.mount('tmpfs', '/mnt', 0, {});
  return kernel;
}

describe('a Proc as the target', () => {
  it('resolves relative paths from the process cwd and applies its umask', async () => {
    const kernel = await kernelWithTmpfs();
    try {
      const proc = kernel.proc.rfork(RUMP_RFFDG);
      proc.chdir('/mnt');
      proc.umask(0o027);
      const fs = createFs(proc);
      fs.mkdirSync('sub');
      fs.writeFileSync('sub/rel.txt', 'relative');
      expect(kernelRead(kernel.proc, '/mnt/sub/rel.txt').toString()).toBe('relative');
      expect(kernel.proc.stat('/mnt/sub/rel.txt').mode & 0o777).toBe(0o666 & ~0o027);
      expect(kernel.proc.stat('/mnt/sub').mode & 0o777).toBe(0o777 & ~0o027);
      expect(fs.realpathSync('sub/../sub/rel.txt')).toBe('/mnt/sub/rel.txt');
      // another process's cwd is its own
      expect(createFs(kernel.proc).existsSync('sub/rel.txt')).toBe(false);
    } finally {
      kernel.halt();
    }
  });

  it('runs with the process credentials: EACCES comes back Node-shaped', async () => {
    const kernel = await kernelWithTmpfs();
    try {
      kernel.proc.chmod('/mnt', 0o755);
      const user = kernel.proc.rfork();
      user.setcred({ uid: 1000, gid: 1000, groups: [1000] });
      const fs = createFs(user);
      expect(() => fs.writeFileSync('/mnt/nope', 'x')).toThrow(
        expect.objectContaining({ code: 'EACCES', syscall: 'open', path: '/mnt/nope', message: "EACCES: permission denied, open '/mnt/nope'" }),
      );
      expect(fs.readdirSync('/mnt')).toEqual([]);
    } finally {
      kernel.halt();
    }
  });

  it('hands out descriptors above stdio: the kernel descriptor plus FD_BIAS', async () => {
    const kernel = await kernelWithTmpfs();
    try {
      const proc = kernel.proc.rfork();
      const fs = createFs(proc);
      const fd = fs.openSync('/mnt/f', 'w');
      expect(proc.fd.fds()).toEqual([fd - FD_BIAS]);
      expect(fd).toBeGreaterThan(2);
      fs.closeSync(fd);
      expect(proc.fd.fds()).toEqual([]);
      expect(() => fs.closeSync(0)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
    } finally {
      kernel.halt();
    }
  });

  it('refuses what is not a target', () => {
    expect(() => createFs({} as unknown as SyscallTarget)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('a ukfs handle as the target', () => {
  it('stays inside the mounted file system and fails with EBADF once released', async () => {
    const { fs, handle, lib } = await tmpfsFs();
    fs.writeFileSync('/inside', 'x');
    expect(fs.readdirSync('/..')).toEqual(fs.readdirSync('/'));
    expect(fs.realpathSync('/../../inside')).toBe('/inside');
    // the kernel sees it under the mount point
    expect(kernelRead(lib.kernel.proc, '/mnt/inside').toString()).toBe('x');
    handle.release();
    expect(() => fs.statSync('/inside')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'stat', errno: expect.any(Number) }));
    await expect(fs.promises.readFile('/inside')).rejects.toMatchObject({ code: 'EBADF' });
  });
});
