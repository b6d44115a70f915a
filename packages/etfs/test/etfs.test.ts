import { readFileSync, writeFileSync, mkdirSync, symlinkSync, truncateSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_DIR, RUMP_ETFS_DIR_SUBDIRS, RUMP_ETFS_REG,
  RUMP_ETFS_SIZE_ENDOFF, S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, SEEK_SET, type BootEtfs, type Proc,
} from '@rumpts/librump';
import { code, dec, enc, etfsKernel, hostdir } from './helpers.js';
import { rump_pub_etfs_register, rump_pub_etfs_remove } from '../src/index.js';

function readAll(p: Proc, path: string, max = 1 << 20): string {
  const fd = p.open(path, O_RDONLY);
  const b = new Uint8Array(max);
  const n = p.read(fd, b);
  p.close(fd);
  return dec(b.subarray(0, n));
}

describe('rump_etfs(3): keys', () => {
  it('a key must be absolute; leading slashes collapse; the rest compares verbatim (t_etfs key)', async () => {
    const k = await etfsKernel();
    const d = hostdir();
    const f = join(d, 'f');
    writeFileSync(f, 'content');
    const p = k.proc;
    expect(code(() => k.etfsRegister('key', f, RUMP_ETFS_REG))).toBe('EINVAL');
    k.etfsRegister('/key', f, RUMP_ETFS_REG);
    expect(readAll(p, '////////key')).toBe('content');
    k.etfsRegister('////key//with/slashes', f, RUMP_ETFS_REG);
    expect(readAll(p, '/key//with/slashes')).toBe('content');
    p.chdir('/');
    expect(readAll(p, 'key//with/slashes')).toBe('content');
    expect(code(() => p.open('/key/with/slashes', O_RDONLY))).toBe('ENOENT');
    expect(code(() => p.open('/a/key//with/slashes', O_RDONLY))).toBe('ENOENT');
    expect(code(() => k.etfsRegister('/key', f, RUMP_ETFS_REG))).toBe('EEXIST');
    expect(code(() => k.etfsRemove('key'))).toBe('EINVAL');
    expect(code(() => k.etfsRemove('/nokey'))).toBe('ENOENT');
  });

  it('keys are not listed by readdir but every process reaches them', async () => {
    const k = await etfsKernel();
    const f = join(hostdir(), 'f');
    writeFileSync(f, 'x');
    k.etfsRegister('/hidden', f, RUMP_ETFS_REG);
    const fd = k.proc.open('/', O_RDONLY);
    expect(k.proc.getdents(fd).map((e) => e.name).sort()).toEqual(['dev', 'tmp']);
    const q = k.newproc();
    expect(readAll(q, '/hidden')).toBe('x');
  });

  it('a relative hostpath resolves against the host cwd at registration; a missing one is ENOENT', async () => {
    const k = await etfsKernel();
    const d = hostdir();
    writeFileSync(join(d, 'rel'), 'relative');
    const cwd = process.cwd();
    process.chdir(d);
    try {
      k.etfsRegister('/rel', 'rel', RUMP_ETFS_REG);
    } finally {
      process.chdir(cwd);
    }
    expect(readAll(k.proc, '/rel')).toBe('relative');
    expect(code(() => k.etfsRegister('/missing', join(d, 'nope'), RUMP_ETFS_REG))).toBe('ENOENT');
    expect(code(() => k.etfsRegister('/d', join(d, 'rel'), RUMP_ETFS_DIR))).toBe('ENOTDIR');
    expect(code(() => k.etfsRegister('/d', d, RUMP_ETFS_REG))).toBe('EISDIR');
  });

  it('C-named functions work the same', async () => {
    const k = await etfsKernel();
    const f = join(hostdir(), 'f');
    writeFileSync(f, 'c');
    rump_pub_etfs_register(k, '/c', f, RUMP_ETFS_REG);
    expect(readAll(k.proc, '/c')).toBe('c');
    rump_pub_etfs_remove(k, '/c');
    expect(code(() => k.proc.stat('/c'))).toBe('ENOENT');
  });
});

describe('RUMP_ETFS_REG', () => {
  it('reads and writes reach the host file (t_etfs reregister_reg)', async () => {
    const k = await etfsKernel();
    const f = join(hostdir(), 'testfile');
    writeFileSync(f, 'original');
    k.etfsRegister('/tf', f, RUMP_ETFS_REG);
    const p = k.proc;
    expect(p.stat('/tf').mode & S_IFMT).toBe(S_IFREG);
    const fd = p.open('/tf', O_RDWR);
    p.pwrite(fd, enc('NEW'), 0);
    p.close(fd);
    expect(readFileSync(f, 'utf8')).toBe('NEWginal');
    k.etfsRemove('/tf');
    k.etfsRegister('/tf', f, RUMP_ETFS_REG);
    expect(readAll(p, '/tf')).toBe('NEWginal');
  });

  it('a window is all the kernel sees or touches', async () => {
    const k = await etfsKernel();
    const f = join(hostdir(), 'w');
    writeFileSync(f, '0123456789abcdef');
    k.etfsRegisterWithSize('/w', f, RUMP_ETFS_REG, 4, 6);
    const p = k.proc;
    expect(p.stat('/w').size).toBe(6);
    expect(readAll(p, '/w')).toBe('456789');
    const fd = p.open('/w', O_RDWR);
    p.lseek(fd, 4, SEEK_SET);
    expect(p.write(fd, enc('XYZW'))).toBe(2); // short: the window ends
    expect(code(() => p.write(fd, enc('Q')))).toBe('EFBIG');
    p.close(fd);
    expect(readFileSync(f, 'utf8')).toBe('01234567XYabcdef');
    expect(code(() => k.etfsRegisterWithSize('/w2', f, RUMP_ETFS_REG, 20, 1))).toBe('EINVAL');
    expect(code(() => k.etfsRegisterWithSize('/w2', f, RUMP_ETFS_REG, 10, 7))).toBe('EINVAL');
    k.etfsRegisterWithSize('/tail', f, RUMP_ETFS_REG, 10, RUMP_ETFS_SIZE_ENDOFF);
    expect(readAll(p, '/tail')).toBe('abcdef');
  });

  it('remove of an open key is EBUSY', async () => {
    const k = await etfsKernel();
    const f = join(hostdir(), 'f');
    writeFileSync(f, 'x');
    k.etfsRegister('/busy', f, RUMP_ETFS_REG);
    const fd = k.proc.open('/busy', O_RDONLY);
    expect(code(() => k.etfsRemove('/busy'))).toBe('EBUSY');
    k.proc.close(fd);
    k.etfsRemove('/busy');
  });
});

describe('RUMP_ETFS_BLK and RUMP_ETFS_CHR', () => {
  it('a 64-sector image reads as 32768 bytes (t_etfs reregister_blk)', async () => {
    const k = await etfsKernel();
    const d = hostdir();
    const img = join(d, 'img');
    writeFileSync(img, Buffer.alloc(64 * 512, 0x61));
    k.etfsRegister('/blk', img, RUMP_ETFS_BLK);
    const p = k.proc;
    expect(p.stat('/blk').mode & S_IFMT).toBe(S_IFBLK);
    const fd = p.open('/blk', O_RDONLY);
    expect(p.read(fd, new Uint8Array(65536))).toBe(32768);
    p.close(fd);
    k.etfsRemove('/blk');
    writeFileSync(img, Buffer.alloc(128 * 512, 0x62));
    k.etfsRegister('/blk', img, RUMP_ETFS_BLK);
    const fd2 = p.open('/blk', O_RDONLY);
    expect(p.read(fd2, new Uint8Array(65536))).toBe(65536);
    expect(code(() => k.etfsRemove('/blk'))).toBe('EBUSY');
    p.close(fd2);
  });

  it('a window at odd offsets keeps its bytes (t_etfs range_blk)', async () => {
    const k = await etfsKernel();
    const img = join(hostdir(), 'img');
    const data = Buffer.alloc(64 * 1024, 0);
    data.write('MARK', 16000);
    data.write('KRAM', 16000 + 31996);
    writeFileSync(img, data);
    k.etfsRegisterWithSize('/range', img, RUMP_ETFS_BLK, 16000, 32000);
    const fd = k.proc.open('/range', O_RDONLY);
    const b = new Uint8Array(40000);
    expect(k.proc.read(fd, b)).toBe(32000);
    expect(dec(b.subarray(0, 4))).toBe('MARK');
    expect(dec(b.subarray(31996, 32000))).toBe('KRAM');
    k.proc.close(fd);
  });

  it('large sparse images work past 4 GiB (t_etfs large_blk)', async () => {
    const k = await etfsKernel();
    const img = join(hostdir(), 'big');
    writeFileSync(img, '');
    truncateSync(img, 8 * 1024 ** 4);
    k.etfsRegister('/big', img, RUMP_ETFS_BLK);
    const at = 6 * 1024 ** 4;
    const fd = k.proc.open('/big', O_RDWR);
    k.proc.pwrite(fd, enc('far away'), at);
    k.proc.close(fd);
    k.etfsRemove('/big');
    k.etfsRegister('/big', img, RUMP_ETFS_BLK);
    const fd2 = k.proc.open('/big', O_RDONLY);
    const b = new Uint8Array(8);
    k.proc.pread(fd2, b, at);
    expect(dec(b)).toBe('far away');
    k.proc.close(fd2);
  });

  it('a character device is raw: whole sectors only, no cache', async () => {
    const k = await etfsKernel();
    const img = join(hostdir(), 'raw');
    writeFileSync(img, Buffer.alloc(4096, 1));
    k.etfsRegister('/rdisk', img, RUMP_ETFS_CHR);
    expect(k.proc.stat('/rdisk').mode & S_IFMT).toBe(S_IFCHR);
    const fd = k.proc.open('/rdisk', O_RDWR);
    expect(code(() => k.proc.read(fd, new Uint8Array(100)))).toBe('EINVAL');
    k.proc.pwrite(fd, new Uint8Array(512).fill(7), 512);
    expect(readFileSync(img)[512]).toBe(7);
    k.proc.close(fd);
    expect(code(() => k.etfsRegister('/dirdev', hostdir(), RUMP_ETFS_BLK))).toBe('EINVAL');
  });
});

describe('RUMP_ETFS_DIR and RUMP_ETFS_DIR_SUBDIRS', () => {
  function tree(): string {
    const d = hostdir();
    writeFileSync(join(d, 'top.txt'), 'top');
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub', 'deep.txt'), 'deep');
    return d;
  }

  it('DIR shows only the immediate children', async () => {
    const k = await etfsKernel();
    const d = tree();
    k.etfsRegister('/host', d, RUMP_ETFS_DIR);
    const p = k.proc;
    expect(p.stat('/host').mode & S_IFMT).toBe(S_IFDIR);
    expect(readAll(p, '/host/top.txt')).toBe('top');
    expect(p.stat('/host/sub').mode & S_IFMT).toBe(S_IFDIR);
    expect(code(() => p.stat('/host/sub/deep.txt'))).toBe('ENOENT');
    const fd = p.open('/host', O_RDONLY);
    expect(p.getdents(fd).map((e) => e.name)).toEqual(['sub', 'top.txt']);
    p.close(fd);
    expect(code(() => p.open('/host/new', O_CREAT | O_WRONLY))).toBe('EOPNOTSUPP');
  });

  it('DIR_SUBDIRS shows the whole tree, and changes reach the host', async () => {
    const k = await etfsKernel();
    const d = tree();
    k.etfsRegister('/host', d, RUMP_ETFS_DIR_SUBDIRS);
    const p = k.proc;
    expect(readAll(p, '/host/sub/deep.txt')).toBe('deep');
    const fd = p.open('/host/sub/new.txt', O_CREAT | O_WRONLY, 0o644);
    p.write(fd, enc('made in the kernel'));
    p.close(fd);
    expect(readFileSync(join(d, 'sub', 'new.txt'), 'utf8')).toBe('made in the kernel');
    p.mkdir('/host/newdir', 0o755);
    expect(existsSync(join(d, 'newdir'))).toBe(true);
    p.rename('/host/sub/new.txt', '/host/newdir/moved.txt');
    expect(readFileSync(join(d, 'newdir', 'moved.txt'), 'utf8')).toBe('made in the kernel');
    p.unlink('/host/newdir/moved.txt');
    p.rmdir('/host/newdir');
    expect(existsSync(join(d, 'newdir'))).toBe(false);
    p.chdir('/host/sub');
    expect(p.getcwd()).toBe('/host/sub');
    expect(code(() => k.etfsRemove('/host'))).toBe('EBUSY');
    p.chdir('/');
    k.etfsRemove('/host');
    expect(code(() => p.stat('/host/top.txt'))).toBe('ENOENT');
  });

  it('keys under a DIR key, or a DIR key over a key, collide', async () => {
    const k = await etfsKernel();
    const d = tree();
    const f = join(d, 'top.txt');
    k.etfsRegister('/a', d, RUMP_ETFS_DIR);
    expect(code(() => k.etfsRegister('/a/b', f, RUMP_ETFS_REG))).toBe('EEXIST');
    k.etfsRegister('/ab', f, RUMP_ETFS_REG); // not below /a: a component boundary counts
    k.etfsRegister('/x/y', f, RUMP_ETFS_REG);
    expect(code(() => k.etfsRegister('/x', d, RUMP_ETFS_DIR))).toBe('EEXIST');
    expect(readAll(k.proc, '/ab')).toBe('top');
  });

  it('boot-time registrations get a status each', async () => {
    const d = tree();
    const bootEtfs: BootEtfs[] = [
      { key: '/boot', hostpath: join(d, 'top.txt'), type: RUMP_ETFS_REG },
      { key: 'relative', hostpath: join(d, 'top.txt'), type: RUMP_ETFS_REG },
      { key: '/gone', hostpath: join(d, 'nope'), type: RUMP_ETFS_REG },
    ];
    const k = await etfsKernel({ bootEtfs });
    expect(bootEtfs.map((e) => e.status)).toEqual([0, 22, 2]);
    expect(readAll(k.proc, '/boot')).toBe('top');
  });
});

describe('DIR safety: a mapping never reaches outside its host directory', () => {
  async function jail() {
    const k = await etfsKernel();
    const outside = hostdir();
    writeFileSync(join(outside, 'secret'), 'SECRET');
    const d = join(outside, 'jail');
    mkdirSync(d);
    mkdirSync(join(d, 'a'));
    writeFileSync(join(d, 'a', 'ok'), 'ok');
    symlinkSync('../secret', join(d, 'up'));
    symlinkSync(join(outside, 'secret'), join(d, 'abs'));
    symlinkSync('../../secret', join(d, 'a', 'up2'));
    symlinkSync('loopb', join(d, 'loopa'));
    symlinkSync('loopa', join(d, 'loopb'));
    symlinkSync(outside, join(d, 'outdir'));
    k.etfsRegister('/j', d, RUMP_ETFS_DIR_SUBDIRS);
    // Something in the kernel's own namespace where an absolute host target would point.
    return { k, p: k.proc, outside };
  }

  it('.. at the mapping top leads to the kernel root, never to the host', async () => {
    const { p } = await jail();
    expect(p.stat('/j/..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/j/..').dev).toBe(p.stat('/').dev);
    expect(p.stat('/j/../../..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/j/a/../../j/a/ok').size).toBe(2);
    expect(code(() => p.stat('/j/../secret'))).toBe('ENOENT');
    expect(code(() => p.stat('/j/../jail'))).toBe('ENOENT');
  });

  it('host symlinks show as symlinks and resolve in the kernel namespace', async () => {
    const { p, outside } = await jail();
    expect(p.readlink('/j/up')).toBe('../secret');
    expect(code(() => readAll(p, '/j/up'))).toBe('ENOENT');
    expect(code(() => readAll(p, '/j/a/up2'))).toBe('ENOENT');
    expect(code(() => readAll(p, '/j/abs'))).toBe('ENOENT');
    expect(code(() => p.stat('/j/outdir/secret'))).toBe('ENOENT');
    expect(code(() => p.stat('/j/loopa'))).toBe('ELOOP');
    expect(p.lstat('/j/outdir').size).toBe(Buffer.byteLength(outside));
  });

  it('names with NUL are refused; nothing outside is changed', async () => {
    const { p, outside } = await jail();
    expect(code(() => p.open('/j/a\0b', O_CREAT | O_WRONLY))).toBe('EINVAL');
    // '..' at the top leads to the kernel's root: this creates /escape in rumpfs, nothing on the host.
    p.close(p.open('/j/../escape', O_CREAT | O_WRONLY, 0o644));
    expect(p.stat('/escape').size).toBe(0);
    expect(existsSync(join(outside, 'escape'))).toBe(false);
    expect(existsSync(join(outside, 'jail', 'escape'))).toBe(false);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('SECRET');
  });
});
