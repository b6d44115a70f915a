/**
 * Cases modelled on NetBSD tests/fs/vfs/t_io.c: holes, extending and shrinking, overwrites,
 * reading and writing a file after its last name is gone.
 */
import { expect } from 'vitest';
import { O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_END, SEEK_SET } from '@rumpts/librump';
import { expectBytes, md, pattern, readFd, readFile, writeFile } from './helpers.js';
import type { Kit } from './types.js';

export function t_io(kit: Kit): void {
  const { test } = kit;

  test('holywrite', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const a = pattern(1000, 1);
    const b = pattern(3000, 2);
    const far = 3 * 65536 + 17; // several blocks of hole on any block size
    const fd = proc.open(f, O_RDWR | O_CREAT, 0o644);
    expect(proc.pwrite(fd, a, 0)).toBe(a.length);
    expect(proc.pwrite(fd, b, far)).toBe(b.length);
    proc.close(fd);
    expect(proc.stat(f).size).toBe(far + b.length);
    const want = new Uint8Array(far + b.length);
    want.set(a, 0);
    want.set(b, far);
    expectBytes(readFile(proc, f), want, 'file with a hole');
  });

  test('extendfile', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const fd = proc.open(f, O_RDWR | O_CREAT, 0o644);
    proc.ftruncate(fd, 1 << 20);
    expect(proc.fstat(fd).size).toBe(1 << 20);
    proc.close(fd);
    expectBytes(readFile(proc, f), new Uint8Array(1 << 20), 'extended file reads as zeros');
  });

  test('extendfile_append', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const len = 37 * 1024 + 5;
    const fd = proc.open(f, O_RDWR | O_CREAT, 0o644);
    proc.ftruncate(fd, len);
    proc.close(fd);
    const fa = proc.open(f, O_WRONLY | O_APPEND);
    const tail = pattern(100, 3);
    expect(proc.write(fa, tail)).toBe(tail.length);
    proc.close(fa);
    const want = new Uint8Array(len + tail.length);
    want.set(tail, len);
    expectBytes(readFile(proc, f), want, 'append after extend');
  });

  for (const [name, size] of [['overwrite512', 512], ['overwrite64k', 65536]] as const) {
    test(name, ({ proc, mountpoint }) => {
      const f = md(mountpoint, 'file');
      writeFile(proc, f, pattern(size, 4));
      const fd = proc.open(f, O_RDWR);
      const second = pattern(size, 5);
      expect(proc.pwrite(fd, second, 0)).toBe(size);
      // and a partial overwrite straddling the middle
      const mid = pattern(size / 4, 6);
      proc.pwrite(fd, mid, size / 2 - size / 8);
      proc.close(fd);
      second.set(mid, size / 2 - size / 8);
      expectBytes(readFile(proc, f), second, name);
      expect(proc.stat(f).size).toBe(size);
    });
  }

  test('overwrite_trunc', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    writeFile(proc, f, pattern(70000, 7));
    const fd = proc.open(f, O_WRONLY | O_TRUNC);
    expect(proc.fstat(fd).size).toBe(0);
    const short = pattern(1000, 8);
    proc.write(fd, short);
    proc.close(fd);
    expectBytes(readFile(proc, f), short, 'after O_TRUNC');
  });

  test('shrinkfile', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const data = pattern(100000, 9);
    writeFile(proc, f, data);
    proc.truncate(f, 5000);
    expect(proc.stat(f).size).toBe(5000);
    expectBytes(readFile(proc, f), data.subarray(0, 5000), 'shrunk');
    // Growing again must show zeros, not the old bytes.
    proc.truncate(f, 20000);
    const want = new Uint8Array(20000);
    want.set(data.subarray(0, 5000));
    expectBytes(readFile(proc, f), want, 'regrown');
  });

  test('read_after_unlink', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const data = pattern(50000, 10);
    writeFile(proc, f, data);
    const fd = proc.open(f, O_RDONLY);
    proc.unlink(f);
    expect(proc.fstat(fd).nlink).toBe(0);
    expectBytes(readFd(proc, fd), data, 'read after unlink');
    proc.close(fd);
  });

  test('wrrd_after_unlink', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    const fd = proc.open(f, O_RDWR | O_CREAT, 0o644);
    proc.unlink(f);
    const data = pattern(9000, 11);
    expect(proc.pwrite(fd, data, 0)).toBe(data.length);
    const back = new Uint8Array(data.length);
    expect(proc.pread(fd, back, 0)).toBe(data.length);
    expectBytes(back, data, 'write then read after unlink');
    proc.close(fd);
  });

  test('lseek_end_and_offsets', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'file');
    writeFile(proc, f, pattern(1234, 12));
    const fd = proc.open(f, O_RDWR);
    expect(proc.lseek(fd, 0, SEEK_END)).toBe(1234);
    // Seeking far past the end is allowed and creates nothing until a write (t_basic lseekrv).
    expect(proc.lseek(fd, 5 * 2 ** 30, SEEK_SET)).toBe(5 * 2 ** 30);
    expect(proc.fstat(fd).size).toBe(1234);
    proc.close(fd);
  });
}
