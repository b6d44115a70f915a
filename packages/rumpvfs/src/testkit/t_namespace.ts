/**
 * Name-space errors every file system must produce the same way (most are decided by the VFS, but
 * they only hold if the file system reports types and entries faithfully), and sequential versions
 * of NetBSD's t_rmdirrace / t_renamerace loops (the rump kernel here is single-threaded inside).
 */
import { expect } from 'vitest';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY } from '@rumpts/librump';
import { dec, enc, expectErrno, md, readFile, writeFile } from './helpers.js';
import type { Kit } from './types.js';

export function t_namespace(kit: Kit): void {
  const { test, features } = kit;

  test('ns_errors', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    writeFile(proc, 'file', enc('x'));
    proc.mkdir('dir', 0o755);
    expectErrno('EEXIST', () => proc.mkdir('dir', 0o755), 'mkdir of an existing name');
    expectErrno('EEXIST', () => proc.mkdir('file', 0o755), 'mkdir over a file');
    expectErrno('ENOTDIR', () => proc.rmdir('file'), 'rmdir of a file');
    expectErrno('EPERM', () => proc.unlink('dir'), 'unlink of a directory');
    expectErrno('EINVAL', () => proc.rmdir('dir/.'), "rmdir of '.'");
    expectErrno('ENOTDIR', () => proc.open('file/', O_RDONLY), 'trailing slash on a file');
    expectErrno('ENOTDIR', () => proc.open('file', O_RDONLY | O_DIRECTORY), 'O_DIRECTORY on a file');
    expectErrno('ENOTDIR', () => proc.stat('file/x'), 'a file used as a directory');
    expectErrno('EISDIR', () => proc.open('dir', O_WRONLY), 'a directory opened for writing');
    expectErrno('ENOENT', () => proc.open('missing', O_RDONLY), 'open of a missing file');
    expectErrno('ENOENT', () => proc.open('nodir/file', O_RDWR | O_CREAT, 0o644), 'create in a missing directory');
    expectErrno('EBUSY', () => proc.rmdir(mountpoint), 'rmdir of the mount root');
    proc.chdir('/');
  });

  if (features.symlink) {
    test('ns_symlink_paths', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mkdir('real', 0o755);
      proc.symlink('real', 'rel');
      proc.symlink(md(mountpoint, 'real'), 'abs');
      proc.symlink('rel', 'chain');
      writeFile(proc, 'chain/f', enc('through a chain'));
      expect(dec(readFile(proc, 'abs/f'))).toBe('through a chain');
      expect(proc.stat('chain').ino).toBe(proc.stat('real').ino);
      expect(proc.readlink('chain')).toBe('rel');
      proc.symlink('loop2', 'loop1');
      proc.symlink('loop1', 'loop2');
      expectErrno('ELOOP', () => proc.stat('loop1'), 'a symlink loop');
      proc.symlink('nowhere', 'dangling');
      expectErrno('ENOENT', () => proc.stat('dangling'), 'a dangling symlink');
      proc.lstat('dangling');
      // unlink removes the link, not its target
      proc.unlink('rel');
      proc.stat('real/f');
      proc.chdir('/');
    });
  }

  test('rmdir_loop', ({ proc, mountpoint }) => {
    const fd = proc.open(mountpoint, O_RDONLY);
    proc.chdir(mountpoint);
    for (let i = 0; i < 500; i++) {
      proc.mkdir('rmdir.test', 0o777);
      proc.rmdir('rmdir.test');
    }
    proc.chdir('/');
    proc.fchdir(fd);
    expect(proc.getcwd()).toBe(mountpoint);
    proc.close(fd);
    proc.chdir('/');
  });

  if (features.rename) {
    test('rename_cycle', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mkdir('c', 0o777);
      proc.mkdir('c/d', 0o777);
      proc.mkdir('c/d/e', 0o777);
      expectErrno('EINVAL', () => proc.rename('c', 'c/d/e/c'), 'rename into its own subtree');
      expectErrno('EINVAL', () => proc.rename('c/d', 'c/d/e/d'), 'rename into its own child');
      expectErrno('ENOTEMPTY', () => proc.rename('c/d/e', 'c'), 'a leaf over its non-empty ancestor');
      for (let i = 0; i < 200; i++) {
        proc.rename('c/d/e', 'c/e');
        proc.rename('c/e', 'c/d/e');
      }
      expect(proc.stat('c/d/e/..').ino).toBe(proc.stat('c/d').ino);
      proc.chdir('/');
    });

    test('rename_loop_files', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      for (let i = 0; i < 300; i++) {
        writeFile(proc, 'rename.test1', enc(String(i)));
        proc.rename('rename.test1', 'rename.test2');
        expectErrno('ENOENT', () => proc.stat('rename.test1'));
      }
      expect(dec(readFile(proc, 'rename.test2'))).toBe('299');
      proc.chdir('/');
    });
  }
}
