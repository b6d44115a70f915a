import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Kernel, type Proc, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, O_NONBLOCK, MNT_RDONLY, MNT_UPDATE,
  MNT_FORCE, SEEK_END, SEEK_SET, S_IFIFO, S_IFCHR, S_IFBLK, DT_DIR, DT_REG, F_OK, R_OK, W_OK, X_OK, UF_IMMUTABLE, UF_APPEND,
} from '@rumpts/librump';
import { code, vfsKernel, enc, dec } from './helpers.js';
import { makedev } from '../src/index.js';

let k: Kernel;
let p: Proc;
beforeEach(async () => {
  k = await vfsKernel();
  p = k.proc;
});


function writeFile(path: string, s: string, mode = 0o644): void {
  const fd = p.open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
  p.write(fd, enc(s));
  p.close(fd);
}
function readFile(path: string): string {
  const fd = p.open(path, O_RDONLY);
  const b = new Uint8Array(p.fstat(fd).size);
  const n = p.read(fd, b);
  p.close(fd);
  return dec(b.subarray(0, n));
}
function names(path: string): string[] {
  const fd = p.open(path, O_RDONLY);
  const out: string[] = [];
  for (let d = p.getdents(fd); d.length > 0; d = p.getdents(fd)) out.push(...d.map((e) => e.name));
  p.close(fd);
  return out.sort();
}

describe('open', () => {
  it('flags: O_CREAT|O_EXCL, O_TRUNC, O_APPEND, access modes', () => {
    writeFile('/f', 'abcdef');
    expect(code(() => p.open('/f', O_CREAT | O_EXCL | O_WRONLY))).toBe('EEXIST');
    expect(code(() => p.open('/nope', O_RDONLY))).toBe('ENOENT');
    const fd = p.open('/f', O_WRONLY | O_APPEND);
    p.write(fd, enc('XY'));
    p.lseek(fd, 0, SEEK_SET);
    p.write(fd, enc('Z'));
    p.close(fd);
    expect(readFile('/f')).toBe('abcdefXYZ');
    p.close(p.open('/f', O_WRONLY | O_TRUNC));
    expect(p.stat('/f').size).toBe(0);
    expect(code(() => p.open('/tmp', O_WRONLY))).toBe('EISDIR');
    expect(code(() => p.open('/tmp', O_RDWR))).toBe('EISDIR');
    const dfd = p.open('/tmp', O_RDONLY);
    expect(code(() => p.read(dfd, new Uint8Array(10)))).toBe('EISDIR');
    p.close(dfd);
  });

  it('the umask applies to created modes', () => {
    p.umask(0o027);
    writeFile('/m', '', 0o777);
    expect(p.stat('/m').mode & 0o777).toBe(0o750);
    p.mkdir('/md', 0o777);
    expect(p.stat('/md').mode & 0o777).toBe(0o750);
  });

  it('holes read as zeros; lseek past the end; pread/pwrite', () => {
    const fd = p.open('/h', O_CREAT | O_RDWR, 0o644);
    p.pwrite(fd, enc('end'), 100_000);
    expect(p.fstat(fd).size).toBe(100_003);
    const b = new Uint8Array(16);
    expect(p.pread(fd, b, 50_000)).toBe(16);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(p.lseek(fd, 5 * 1024 * 1024 * 1024, SEEK_SET)).toBe(5 * 1024 * 1024 * 1024);
    expect(p.lseek(fd, 0, SEEK_END)).toBe(100_003);
    p.close(fd);
  });
});

describe('directories', () => {
  it('mkdir/rmdir errors and link counts', () => {
    expect(names('/')).toEqual(['dev', 'tmp']);
    const n0 = p.stat('/').nlink;
    p.mkdir('/d', 0o755);
    expect(p.stat('/d').nlink).toBe(2);
    expect(p.stat('/').nlink).toBe(n0 + 1);
    p.mkdir('/d/e', 0o755);
    expect(p.stat('/d').nlink).toBe(3);
    expect(code(() => p.mkdir('/d', 0o755))).toBe('EEXIST');
    expect(code(() => p.mkdir('/', 0o755))).toBe('EEXIST');
    expect(code(() => p.rmdir('/d'))).toBe('ENOTEMPTY');
    expect(code(() => p.rmdir('/d/e/.'))).toBe('EINVAL');
    expect(code(() => p.rmdir('/d/e/..'))).toBe('ENOTEMPTY');
    expect(code(() => p.unlink('/d'))).toBe('EPERM');
    writeFile('/d/file', 'x');
    expect(code(() => p.rmdir('/d/file'))).toBe('ENOTDIR');
    p.unlink('/d/file');
    p.rmdir('/d/e');
    p.rmdir('/d');
    expect(p.stat('/').nlink).toBe(n0);
    expect(code(() => p.stat('/d'))).toBe('ENOENT');
  });

  it('dir_rmdirdotdot: a removed cwd has no ..', () => {
    p.mkdir('/test', 0o755);
    p.mkdir('/test/subtest', 0o755);
    p.chdir('/test/subtest');
    const q = k.newproc();
    q.rmdir('/test/subtest');
    q.rmdir('/test');
    expect(code(() => p.chdir('..'))).toBe('ENOENT');
    expect(code(() => p.getcwd())).toBe('ENOENT');
  });

  it('getdents offsets stay valid while entries are added and removed', () => {
    p.mkdir('/g', 0o755);
    for (let i = 0; i < 50; i++) writeFile(`/g/f${i}`, '');
    const fd = p.open('/g', O_RDONLY);
    const seen = new Set<string>();
    const first = p.getdents(fd, 200);
    for (const d of first) seen.add(d.name);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(50);
    for (const d of first) expect(d.reclen).toBe((13 + d.name.length + 1 + 7) & ~7);
    // Remove one already seen and one not yet seen; add new ones.
    const notSeen = [...Array(50).keys()].map((i) => `f${i}`).filter((n) => !seen.has(n));
    p.unlink(`/g/${first[0]?.name ?? ''}`);
    p.unlink(`/g/${notSeen[0] ?? ''}`);
    writeFile('/g/new1', '');
    for (let d = p.getdents(fd, 200); d.length > 0; d = p.getdents(fd, 200)) {
      for (const e of d) {
        expect(seen.has(e.name)).toBe(false);
        seen.add(e.name);
      }
    }
    p.close(fd);
    // Every entry that stayed the whole time was seen exactly once.
    for (const n of notSeen.slice(1)) expect(seen.has(n)).toBe(true);
    expect(seen.has(notSeen[0] ?? '')).toBe(false);
    const fd2 = p.open('/g', O_RDONLY);
    const types = p.getdents(fd2, 100_000);
    expect(types.every((d) => d.type === DT_REG)).toBe(true);
    p.close(fd2);
    expect(p.getdents(p.open('/', O_RDONLY)).find((d) => d.name === 'g')?.type).toBe(DT_DIR);
  });
});

describe('rename', () => {
  it('files and directories, with NetBSD errors', () => {
    p.mkdir('/a', 0o755);
    p.mkdir('/a/b', 0o755);
    p.mkdir('/c', 0o755);
    writeFile('/a/f', 'data');
    const ino = p.stat('/a/f').ino;
    p.rename('/a/f', '/c/g');
    expect(p.stat('/c/g').ino).toBe(ino);
    expect(readFile('/c/g')).toBe('data');
    expect(code(() => p.rename('/a', '/a/b/x'))).toBe('EINVAL');
    expect(code(() => p.rename('/a', '/a/b'))).toBe('EINVAL');
    expect(code(() => p.rename('/a/.', '/x'))).toBe('EINVAL');
    expect(code(() => p.rename('/a', '/a/.'))).toBe('EISDIR');
    expect(code(() => p.rename('/a', '/c/..'))).toBe('EINVAL');
    expect(code(() => p.rename('/a/..', '/x'))).toBe('EINVAL');
    expect(code(() => p.rename('/a', '/c/g'))).toBe('ENOTDIR');
    expect(code(() => p.rename('/c/g', '/a'))).toBe('EISDIR');
    expect(code(() => p.rename('/c', '/a'))).toBe('ENOTEMPTY');
    p.mkdir('/empty', 0o755);
    const nroot = p.stat('/').nlink;
    const dino = p.stat('/a').ino;
    p.rename('/a', '/empty');
    expect(p.stat('/empty').ino).toBe(dino);
    expect(p.stat('/').nlink).toBe(nroot - 1);
    p.rename('/empty/b', '/c/b');
    expect(p.stat('/c').nlink).toBe(3);
    expect(p.stat('/c/b/..').ino).toBe(p.stat('/c').ino);
    // two names of one file: the source name goes (NetBSD rename_reg_nodir)
    p.link('/c/g', '/c/h');
    expect(p.stat('/c/g').nlink).toBe(2);
    p.rename('/c/g', '/c/h');
    expect(p.stat('/c/h').nlink).toBe(1);
    expect(code(() => p.stat('/c/g'))).toBe('ENOENT');
  });

  it('EXDEV across mounts; link too', () => {
    p.mkdir('/mnt', 0o755);
    p.mount('rumpfs', '/mnt', 0);
    writeFile('/x', '1');
    expect(code(() => p.rename('/x', '/mnt/x'))).toBe('EXDEV');
    expect(code(() => p.link('/x', '/mnt/x'))).toBe('EXDEV');
    expect(code(() => p.link('/tmp', '/tmp2'))).toBe('EPERM');
    expect(code(() => p.link('/x', '/x'))).toBe('EEXIST');
  });
});

describe('attributes', () => {
  it('chmod/chown/utimes keep nanoseconds; access modes', () => {
    writeFile('/f', '');
    p.chown('/f', 1, 2);
    p.chmod('/f', 0o123);
    p.utimes('/f', { sec: 1000000000, nsec: 1000 }, { sec: 1000000002, nsec: 3000 });
    const st = p.stat('/f');
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1, 2, 0o123]);
    expect(st.atime).toEqual({ sec: 1000000000, nsec: 1000 });
    expect(st.mtime).toEqual({ sec: 1000000002, nsec: 3000 });
    expect(code(() => p.access('/f', F_OK | X_OK | W_OK | R_OK))).toBe('OK');
    expect(code(() => p.access('/f', 0x10))).toBe('EINVAL');
    const u = k.newproc();
    u.setcred({ uid: 1, gid: 1, groups: [1] });
    // owner bits 1 (x only) for uid 1
    expect(code(() => u.access('/f', R_OK))).toBe('EACCES');
    expect(code(() => u.access('/f', X_OK))).toBe('OK');
    expect(code(() => u.chown('/f', 5, 2))).toBe('EPERM');
    expect(code(() => u.chmod('/tmp', 0o777))).toBe('EPERM');
    expect(code(() => u.utimes('/tmp', { sec: 1, nsec: 0 }, { sec: 1, nsec: 0 }))).toBe('EPERM');
    expect(code(() => p.utimes('/f', { sec: 1, nsec: 1e9 }, null))).toBe('EINVAL');
  });

  it('truncate and ftruncate', () => {
    writeFile('/t', '0123456789');
    p.truncate('/t', 4);
    expect(readFile('/t')).toBe('0123');
    p.truncate('/t', 8);
    expect(readFile('/t')).toBe('0123\0\0\0\0');
    expect(code(() => p.truncate('/tmp', 0))).toBe('EISDIR');
    expect(code(() => p.truncate('/t', -1))).toBe('EINVAL');
    const ro = p.open('/t', O_RDONLY);
    expect(code(() => p.ftruncate(ro, 0))).toBe('EINVAL');
    const rw = p.open('/t', O_RDWR);
    p.ftruncate(rw, 2);
    expect(p.fstat(ro).size).toBe(2);
  });

  it('immutable and append-only flags', () => {
    writeFile('/i', 'x');
    p.chflags('/i', UF_IMMUTABLE);
    expect(p.stat('/i').flags).toBe(UF_IMMUTABLE);
    expect(code(() => p.open('/i', O_WRONLY))).toBe('EPERM');
    expect(code(() => p.unlink('/i'))).toBe('EPERM');
    p.chflags('/i', UF_APPEND);
    const fd = p.open('/i', O_WRONLY | O_APPEND);
    p.write(fd, enc('y'));
    p.close(fd);
    expect(code(() => p.open('/i', O_WRONLY))).toBe('EPERM');
    p.chflags('/i', 0);
    p.unlink('/i');
  });
});

describe('devices and fifos', () => {
  it('mknod makes device nodes (root only); mkfifo moves bytes', () => {
    p.mknod('/dev/c0', S_IFCHR | 0o600, makedev(5, 1));
    p.mknod('/dev/b0', S_IFBLK | 0o600, makedev(7, 2));
    expect(p.stat('/dev/c0').rdev).toBe(makedev(5, 1));
    expect(code(() => p.open('/dev/b0', O_RDONLY))).toBe('ENXIO');
    const u = k.newproc();
    u.setcred({ uid: 1, gid: 1, groups: [1] });
    expect(code(() => u.mknod('/tmp/x', S_IFCHR | 0o600, 0))).toBe('EPERM');
    p.mkfifo('/tmp/fifo', 0o644);
    expect(p.stat('/tmp/fifo').mode & S_IFIFO).toBe(S_IFIFO);
    expect(code(() => p.open('/tmp/fifo', O_WRONLY | O_NONBLOCK))).toBe('ENXIO');
    const r = p.open('/tmp/fifo', O_RDONLY | O_NONBLOCK);
    const w = p.open('/tmp/fifo', O_WRONLY);
    expect(code(() => p.read(r, new Uint8Array(4)))).toBe('EAGAIN');
    p.write(w, enc('ping'));
    const b = new Uint8Array(10);
    expect(dec(b.subarray(0, p.read(r, b)))).toBe('ping');
    expect(code(() => p.lseek(r, 0, SEEK_SET))).toBe('ESPIPE');
    p.close(w);
    expect(p.read(r, b)).toBe(0);
    p.close(r);
  });
});

describe('mounts', () => {
  it('read-only mounts refuse changes with EROFS; MNT_UPDATE switches', () => {
    p.mkdir('/ro', 0o755);
    p.mount('rumpfs', '/ro', 0);
    writeFile('/ro/f', 'keep');
    p.mount('rumpfs', '/ro', MNT_UPDATE | MNT_RDONLY);
    expect(code(() => p.open('/ro/g', O_CREAT | O_WRONLY))).toBe('EROFS');
    expect(code(() => p.open('/ro/f', O_WRONLY))).toBe('EROFS');
    expect(code(() => p.unlink('/ro/f'))).toBe('EROFS');
    expect(code(() => p.mkdir('/ro/d', 0o755))).toBe('EROFS');
    expect(code(() => p.chmod('/ro/f', 0o600))).toBe('EROFS');
    expect(code(() => p.chown('/ro/f', 1, 1))).toBe('EROFS');
    expect(code(() => p.utimes('/ro/f', null, null))).toBe('EROFS');
    expect(readFile('/ro/f')).toBe('keep');
    expect(p.statvfs('/ro').flag & MNT_RDONLY).toBe(MNT_RDONLY);
    p.mount('rumpfs', '/ro', MNT_UPDATE);
    writeFile('/ro/g', 'ok');
  });

  it('unmount: EBUSY with an open file or a cwd inside, MNT_FORCE works', () => {
    p.mkdir('/m', 0o755);
    p.mount('rumpfs', '/m', 0);
    expect(p.statvfs('/m').mntonname).toBe('/m');
    expect(p.statvfs('/m').fstypename).toBe('rumpfs');
    expect(p.getvfsstat().map((s) => s.mntonname)).toEqual(['/', '/m']);
    writeFile('/m/f', 'x');
    const fd = p.open('/m/f', O_RDONLY);
    expect(code(() => p.unmount('/m', 0))).toBe('EBUSY');
    p.close(fd);
    const q = k.newproc();
    q.chdir('/m');
    expect(code(() => p.unmount('/m', 0))).toBe('EBUSY');
    q.chdir('/');
    p.unmount('/m', 0);
    expect(code(() => p.stat('/m/f'))).toBe('ENOENT');
    expect(code(() => p.unmount('/m', 0))).toBe('EINVAL');
    p.mount('rumpfs', '/m', 0);
    writeFile('/m/f', 'x');
    const fd2 = p.open('/m/f', O_RDONLY);
    p.unmount('/m', MNT_FORCE);
    expect(code(() => p.fstat(fd2))).toBe('EBADF');
    p.close(fd2);
    expect(code(() => p.mount('nosuchfs', '/m', 0))).toBe('ENODEV');
    expect(code(() => p.mount('rumpfs', '/tmp/../m/../nonexistent', 0))).toBe('ENOENT');
    writeFile('/file', '');
    expect(code(() => p.mount('rumpfs', '/file', 0))).toBe('ENOTDIR');
    p.mount('rumpfs', '/m', 0);
    expect(code(() => p.mount('rumpfs', '/m', 0))).toBe('EBUSY');
    const u = k.newproc();
    u.setcred({ uid: 1, gid: 1, groups: [1] });
    expect(code(() => u.unmount('/m', 0))).toBe('EPERM');
    expect(code(() => p.unmount('/', 0))).toBe('EBUSY');
  });

  it('halt unmounts everything and later calls fail', () => {
    p.mkdir('/m', 0o755);
    p.mount('rumpfs', '/m', 0);
    const fd = p.open('/m/open', O_CREAT | O_RDWR, 0o644);
    p.write(fd, enc('x'));
    k.halt();
    expect(k.halted).toBe(true);
    expect(code(() => p.stat('/'))).toMatch(/ESRCH|ESHUTDOWN/);
  });

  it('two kernels have separate namespaces', async () => {
    const k2 = await vfsKernel();
    p.mkdir('/only-in-one', 0o755);
    expect(code(() => k2.proc.stat('/only-in-one'))).toBe('ENOENT');
  });

  it('file data counts against the memory limit', async () => {
    const small = await vfsKernel({ memlimit: 256 * 1024 });
    const q = small.proc;
    const fd = q.open('/big', O_CREAT | O_WRONLY, 0o644);
    expect(code(() => q.write(fd, new Uint8Array(512 * 1024)))).toBe('ENOSPC');
    expect(q.fstat(fd).size).toBe(0);
    q.write(fd, new Uint8Array(64 * 1024));
    expect(small.kmem.inuse).toBeGreaterThanOrEqual(64 * 1024);
    q.close(fd);
    q.unlink('/big');
    expect(small.kmem.inuse).toBe(0);
  });
});
