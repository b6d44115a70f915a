import { describe, expect, it } from 'vitest';
import {
  F_DUPFD, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_APPEND, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, RUMP_RFFDG,
  RumpFile, SEEK_CUR, SEEK_END, SEEK_SET, rump_init, type BootEtfs, type FileOps, type Kernel, type Stat,
} from '../src/index.js';

/** A memory-backed file object, standing in for a vnode until the vfs exists. */
function memfile(content: Uint8Array, closed: string[], name: string): FileOps & { data: Uint8Array } {
  const self = {
    data: content,
    read(fp: RumpFile, buf: Uint8Array, off: number | undefined) {
      const at = off ?? fp.offset;
      const n = Math.max(0, Math.min(buf.length, self.data.length - at));
      buf.set(self.data.subarray(at, at + n));
      if (off === undefined) fp.offset += n;
      return n;
    },
    write(fp: RumpFile, buf: Uint8Array, off: number | undefined) {
      const at = off ?? ((fp.flag & O_APPEND) !== 0 ? self.data.length : fp.offset);
      const next = new Uint8Array(Math.max(self.data.length, at + buf.length));
      next.set(self.data);
      next.set(buf, at);
      self.data = next;
      if (off === undefined) fp.offset = at + buf.length;
      return buf.length;
    },
    seek(fp: RumpFile, off: number, whence: number) {
      return whence === SEEK_SET ? off : whence === SEEK_CUR ? fp.offset + off : self.data.length + off;
    },
    stat(): Stat {
      const t = { sec: 0, nsec: 0 };
      return { dev: 0, ino: 1, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: self.data.length, blocks: 0, blksize: 512, flags: 0, gen: 0, atime: t, mtime: t, ctime: t, birthtime: t };
    },
    close() {
      closed.push(name);
    },
  };
  return self;
}

function openMem(k: Kernel, flags: number, closed: string[], name = 'f', content = new Uint8Array()) {
  const ops = memfile(content, closed, name);
  return { fd: k.proc.falloc(new RumpFile(ops, null, flags)), ops };
}

describe('descriptors', () => {
  it('read/write/lseek/pread/pwrite share the file offset', async () => {
    const k = await rump_init();
    const closed: string[] = [];
    const { fd, ops } = openMem(k, O_RDWR, closed);
    const p = k.proc;
    expect(p.write(fd, new TextEncoder().encode('hello world'))).toBe(11);
    expect(p.lseek(fd, 0, SEEK_CUR)).toBe(11);
    expect(p.lseek(fd, 6, SEEK_SET)).toBe(6);
    const b = new Uint8Array(5);
    expect(p.read(fd, b)).toBe(5);
    expect(new TextDecoder().decode(b)).toBe('world');
    expect(p.pread(fd, b, 0)).toBe(5);
    expect(new TextDecoder().decode(b)).toBe('hello');
    expect(p.lseek(fd, 0, SEEK_CUR)).toBe(11);
    p.pwrite(fd, new TextEncoder().encode('J'), 0);
    expect(new TextDecoder().decode(ops.data)).toBe('Jello world');
    expect(p.lseek(fd, -5, SEEK_END)).toBe(6);
    expect(() => p.lseek(fd, -100, SEEK_CUR)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => p.lseek(fd, 0, 7)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(p.fstat(fd).size).toBe(11);
    const v = [new Uint8Array(3), new Uint8Array(10)];
    p.lseek(fd, 0, SEEK_SET);
    expect(p.readv(fd, v)).toBe(11);
  });

  it('enforces access modes and bad descriptors with EBADF', async () => {
    const k = await rump_init();
    const closed: string[] = [];
    const ro = openMem(k, O_RDONLY, closed).fd;
    const wo = openMem(k, O_WRONLY, closed).fd;
    const p = k.proc;
    expect(() => p.write(ro, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
    expect(() => p.read(wo, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'read' }));
    expect(() => p.read(99, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EBADF', errno: 9 }));
    expect(() => p.close(-1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    p.close(ro);
    expect(() => p.close(ro)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('dup, dup2 and fcntl; the object closes with its last descriptor', async () => {
    const k = await rump_init();
    const closed: string[] = [];
    const p = k.proc;
    const a = openMem(k, O_RDWR, closed, 'a').fd;
    const b = openMem(k, O_RDWR, closed, 'b').fd;
    expect([a, b]).toEqual([0, 1]);
    const c = p.dup(a);
    expect(c).toBe(2);
    p.write(a, new Uint8Array([1, 2, 3]));
    expect(p.lseek(c, 0, SEEK_CUR)).toBe(3); // shared offset
    expect(p.dup2(a, b)).toBe(b); // closes b
    expect(closed).toEqual(['b']);
    expect(p.dup2(a, a)).toBe(a);
    expect(() => p.dup2(a, -1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(p.fcntl(a, F_DUPFD, 10)).toBe(10);
    expect(p.fcntl(a, F_GETFD)).toBe(0);
    p.fcntl(a, F_SETFD, FD_CLOEXEC);
    expect(p.fcntl(a, F_GETFD)).toBe(FD_CLOEXEC);
    expect(p.fcntl(c, F_GETFD)).toBe(0); // close-on-exec is per slot
    expect(p.fcntl(a, F_GETFL)).toBe(O_RDWR);
    p.fcntl(a, F_SETFL, O_APPEND | O_NONBLOCK | 0x3);
    expect(p.fcntl(c, F_GETFL)).toBe(O_RDWR | O_APPEND | O_NONBLOCK); // access mode unchanged, flags shared
    p.close(a);
    p.close(b);
    p.close(10);
    expect(closed).toEqual(['b']);
    p.close(c);
    expect(closed).toEqual(['b', 'a']);
  });

  it('EMFILE when the table is full', async () => {
    const k = await rump_init();
    const closed: string[] = [];
    const { fd } = openMem(k, O_RDONLY, closed);
    for (let i = 1; i < k.proc.fd.maxfiles; i++) k.proc.dup(fd);
    expect(() => k.proc.dup(fd)).toThrow(expect.objectContaining({ code: 'EMFILE' }));
  });
});

describe('processes', () => {
  it('newproc has its own descriptors and inherits creds and umask', async () => {
    const k = await rump_init();
    const closed: string[] = [];
    const { fd } = openMem(k, O_RDWR, closed);
    k.proc.umask(0o077);
    k.proc.setcred({ uid: 0, gid: 5, groups: [5, 6] });
    const p = k.newproc();
    expect(p.pid).not.toBe(k.proc.pid);
    expect(p.pid).toBeGreaterThan(0);
    expect(p.cred).toEqual({ uid: 0, gid: 5, groups: [5, 6] });
    expect(p.umask(0o022)).toBe(0o077);
    expect(k.proc.cmask).toBe(0o077);
    expect(() => p.read(fd, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // RUMP_RFFDG copies the table: the same file, shared.
    const q = k.proc.rfork(RUMP_RFFDG);
    expect(q.fstat(fd).ino).toBe(1);
    k.proc.close(fd);
    expect(closed).toEqual([]);
    q.exit();
    expect(closed).toEqual(['f']);
    expect(() => q.getcwd()).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => k.pfind(q.pid)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(k.pfind(p.pid)).toBe(p);
  });

  it('non-root may not change credentials', async () => {
    const k = await rump_init();
    const p = k.newproc();
    p.setcred({ uid: 100, gid: 100, groups: [100] });
    expect(() => p.setcred({ uid: 0 })).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  it('vfs calls fail with ENOSYS without a vfs faction', async () => {
    const k = await rump_init();
    expect(() => k.proc.open('/x', O_RDONLY)).toThrow(expect.objectContaining({ code: 'ENOSYS', errno: 78, syscall: 'open', path: '/x' }));
    expect(() => k.proc.mkdir('/d', 0o755)).toThrow(expect.objectContaining({ code: 'ENOSYS' }));
  });
});

describe('halt', () => {
  it('exits processes, runs hooks newest first, finalizes, is idempotent', async () => {
    const order: string[] = [];
    const k = await rump_init({
      libraries: [{ components: [{ name: 'c1', faction: 'kern', init: () => {}, fini: () => void order.push('fini c1') }] }],
    });
    const closed: string[] = [];
    openMem(k, O_RDONLY, closed, 'open-at-halt');
    k.onHalt(() => order.push('hook 1'));
    k.onHalt(() => order.push('hook 2'));
    k.halt();
    expect(closed).toEqual(['open-at-halt']);
    expect(order).toEqual(['hook 2', 'hook 1', 'fini c1']);
    k.halt();
    expect(order).toHaveLength(3);
    expect(k.halted).toBe(true);
    expect(() => k.sysctl('kern.ostype')).toThrow(expect.objectContaining({ code: 'ESHUTDOWN' }));
    expect(() => k.proc).toThrow(expect.objectContaining({ message: expect.stringContaining('halted') }));
    await expect(k.modload('x')).rejects.toMatchObject({ code: 'ESHUTDOWN' });
  });

  it('boot etfs entries stay -1 without an etfs component; etfs calls are ENOSYS', async () => {
    const bootEtfs: BootEtfs[] = [{ key: '/img', hostpath: '/etc/hostname', type: 1 }];
    const k = await rump_init({ bootEtfs });
    expect(bootEtfs[0]?.status).toBe(-1);
    expect(() => k.etfsRegister('/k', '/etc/hostname', 0)).toThrow(expect.objectContaining({ code: 'ENOSYS' }));
  });

  it('rejects bad boot options', async () => {
    await expect(rump_init({ ncpu: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(rump_init({ memlimit: -5 })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
