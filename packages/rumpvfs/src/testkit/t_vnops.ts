/**
 * Cases modelled on NetBSD tests/fs/vfs/t_vnops.c. Names follow the NetBSD cases;
 * each runs on a fresh mount, with the mount point as the working directory where NetBSD does
 * FSTEST_ENTER.
 */
import { expect } from 'vitest';
import { F_OK, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, type Proc, R_OK, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, W_OK, X_OK } from '@rumpts/librump';
import { expectErrno, expectTime, md, statNoAtime, tryCall } from './helpers.js';
import type { Kit } from './types.js';

export function t_vnops(kit: Kit): void {
  const { test, features } = kit;

  test('lookup_simple', ({ proc, mountpoint }) => {
    // stat("/mnt/../mnt") and stat("/mnt/./../mnt") name the same thing, the mount's root.
    const base = mountpoint.split('/').filter(Boolean).pop();
    const a = base ? md(mountpoint, `../${base}`) : '/..';
    const b = base ? md(mountpoint, `./../${base}`) : '/./..';
    const sa = proc.stat(a);
    const sb = proc.stat(b);
    expect(sb).toEqual(sa);
    expect(sa.ino).toBe(proc.stat(mountpoint).ino);
  });

  test('lookup_complex', ({ proc, mountpoint }) => {
    proc.mkdir(md(mountpoint, 'dir'), 0o777);
    const s1 = proc.stat(md(mountpoint, 'dir'));
    const s2 = proc.stat(md(mountpoint, './dir/../././dir/.'));
    // The search may touch atime (t_vnops allows up to 1 s); everything else is identical.
    expect(statNoAtime(s2)).toEqual(statNoAtime(s1));
    expect(s2.atime.sec - s1.atime.sec).toBeLessThanOrEqual(1);
  });

  test('dir_simple', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'dir');
    proc.mkdir(d, 0o777);
    expect(proc.stat(d).mode & S_IFMT).toBe(S_IFDIR);
    proc.rmdir(d);
    expectErrno('ENOENT', () => proc.stat(d), 'stat after rmdir');
  });

  for (const [name, addend] of [['dir_slash', '/'], ['dir_2slash', '//'], ['dir_3slash', '///']] as const) {
    test(name, ({ proc, mountpoint }) => {
      proc.mkdir(md(mountpoint, 'dir/'), 0o777);
      proc.stat(md(mountpoint, `dir${addend}`));
      proc.rmdir(md(mountpoint, `dir${addend}`));
      expectErrno('ENOENT', () => proc.stat(md(mountpoint, 'dir/')));
    });
  }

  test('dir_notempty', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'dir');
    proc.mkdir(d, 0o777);
    proc.close(proc.open(md(d, 'file'), O_RDWR | O_CREAT, 0o777));
    expectErrno('ENOTEMPTY', () => proc.rmdir(d), 'rmdir of a non-empty directory');
    proc.unlink(md(d, 'file'));
    proc.rmdir(d);
  });

  test('dir_rmdirdotdot', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    proc.mkdir('test', 0o777);
    proc.chdir('test');
    proc.mkdir('subtest', 0o777);
    proc.chdir('subtest');
    proc.rmdir(md(mountpoint, 'test/subtest'));
    proc.rmdir(md(mountpoint, 'test'));
    expectErrno('ENOENT', () => proc.chdir('..'), "chdir('..') from a removed directory");
    proc.chdir('/');
  });

  if (features.rename) {
    test('rename_dir', ({ proc, mountpoint }) => {
      const mp = (s: string): string => md(mountpoint, s);
      proc.mkdir(mp('dir1'), 0o777);
      proc.mkdir(mp('dir2'), 0o777);
      proc.mkdir(mp('dir2/subdir'), 0o777);
      proc.mknod(mp('dir1/file'), S_IFREG | 0o777, 0);
      const ref = proc.stat(mp('dir1/file'));
      const checkfile = (dir: string): void => {
        expect(proc.stat(md(dir, 'file'))).toEqual(ref);
      };

      proc.rename(mp('dir1'), mp('dir3')); // within the directory
      checkfile(mp('dir3'));
      expectErrno('EINVAL', () => proc.rename(mp('dir3/.'), mp('dir3')), 'rename dir3/. dir3');
      expectErrno('EISDIR', () => proc.rename(mp('dir3'), mp('dir3/.')), 'rename dir3 dir3/.');
      checkfile(mp('dir3'));
      expectErrno('EINVAL', () => proc.rename(mp('dir2'), mp('dir2/dir')), 'parent into its child');
      expectErrno('EINVAL', () => proc.rename(mp('dir2'), mp('dir2/subdir/dir2')), 'grandparent into its grandchild');
      checkfile(mp('dir3'));
      expectErrno('ENOTEMPTY', () => proc.rename(mp('dir2'), mp('dir3')), 'dir over a non-empty dir');

      proc.rename(mp('dir3'), mp('dir2/somedir')); // across directories
      checkfile(mp('dir2/somedir'));
      proc.rename(mp('dir2/somedir'), mp('dir2/somedir/../../dir3')); // to the parent, through '..'
      checkfile(mp('dir2/../dir3'));
      proc.rename(mp('dir2/../dir3'), mp('dir2/subdir')); // over an empty directory, across directories
      checkfile(mp('dir2/subdir'));

      proc.mkdir(mp('parent'), 0o777);
      proc.mkdir(mp('parent/dir1'), 0o777);
      proc.mkdir(mp('parent/dir2'), 0o777);
      proc.rename(mp('parent/dir1'), mp('parent/dir2'));
      if (features.dirLinkCounts) expect(proc.stat(mp('parent')).nlink).toBe(3);
      proc.rmdir(mp('parent/dir2'));
      proc.rmdir(mp('parent'));
    });

    test('rename_dotdot', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mkdir('dir1', 0o777);
      proc.mkdir('dir2', 0o777);
      expectErrno('EINVAL', () => proc.rename('dir1', 'dir1/..'), 'self-dotdot to');
      expectErrno('EINVAL', () => proc.rename('dir1/..', 'sometarget'), 'self-dotdot from');
      expectErrno('EINVAL', () => proc.rename('dir1', 'dir2/..'), 'other-dotdot');
      proc.chdir('/');
    });

    test('rename_reg_nodir', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mknod('file1', S_IFREG | 0o777, 0);
      proc.mknod('file2', S_IFREG | 0o777, 0);
      const f1ino = proc.stat('file1').ino;
      if (features.link) {
        proc.link('file1', 'file_link');
        const sb = proc.stat('file_link');
        expect(sb.ino).toBe(f1ino);
        expect(sb.nlink).toBe(2);
      }
      proc.stat('file2');
      proc.rename('file1', 'file3');
      if (features.stableFileIds) expect(proc.stat('file3').ino).toBe(f1ino);
      expectErrno('ENOENT', () => proc.stat('file1'), 'source 1');
      proc.rename('file3', 'file2');
      if (features.stableFileIds) expect(proc.stat('file2').ino).toBe(f1ino);
      expectErrno('ENOENT', () => proc.stat('file3'), 'source 2');
      if (features.link) {
        // Renaming one hard link over another of the same file removes the source name (BSD).
        proc.rename('file2', 'file_link');
        expectErrno('ENOENT', () => proc.stat('file2'), 'source 3');
        const sb = proc.stat('file_link');
        expect(sb.ino).toBe(f1ino);
        expect(sb.nlink).toBe(1);
      }
      expectErrno('EFAULT', () => proc.rename('file2', null as unknown as string), 'rename to NULL');
      expectErrno('EFAULT', () => proc.rename(null as unknown as string, 'file2'), 'rename from NULL');
      proc.chdir('/');
    });

    test('rename_nametoolong', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      const name = 'a'.repeat(proc.statvfs('.').namemax + 1);
      proc.close(proc.open('dummy', O_RDWR | O_CREAT, 0o666));
      expectErrno('ENAMETOOLONG', () => proc.rename('dummy', name));
      proc.stat('dummy');
      proc.chdir('/');
    });
  }

  test('create_many', ({ proc, mountpoint }) => {
    const n = features.createMany;
    proc.chdir(mountpoint);
    proc.mkdir('subdir', 0o777);
    proc.chdir('subdir');
    for (let i = 0; i < n; i++) proc.close(proc.open(`testfile${i}`, O_RDWR | O_CREAT | O_EXCL, 0o666));
    for (let i = 0; i < n; i++) proc.unlink(`testfile${i}`);
    proc.chdir('/');
    proc.rmdir(md(mountpoint, 'subdir'));
  }, 120_000);

  test('create_nonalphanum', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    let created = 0;
    for (let i = 0; i < 256; i++) {
      const name = String.fromCharCode(i);
      let fd = -1;
      // Names the fs refuses are fine (t_vnops ignores them), as long as the refusal is an errno.
      if (!tryCall(() => (fd = proc.open(name, O_RDWR | O_CREAT | O_EXCL, 0o666))).ok) continue;
      proc.close(fd);
      proc.unlink(name);
      created++;
    }
    // Printable ASCII other than '/' and '.' must work on any POSIX file system.
    expect(created).toBeGreaterThanOrEqual(126 - 33 + 1 - 2);
    proc.chdir('/');
  });

  test('create_nametoolong', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    const name = 'a'.repeat(proc.statvfs('.').namemax + 1);
    expectErrno('ENAMETOOLONG', () => proc.open(name, O_RDWR | O_CREAT, 0o666));
    proc.chdir('/');
  });

  test('create_exist', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    const name = 'hoge';
    proc.close(proc.open(name, O_RDWR | O_CREAT | O_EXCL, 0o666));
    proc.unlink(name);
    proc.close(proc.open(name, O_RDWR | O_CREAT, 0o666));
    proc.close(proc.open(name, O_RDWR | O_CREAT, 0o666));
    expectErrno('EEXIST', () => proc.open(name, O_RDWR | O_CREAT | O_EXCL, 0o666));
    proc.unlink(name);
    proc.chdir('/');
  });

  if (features.symlink) {
    const symlinkLen = (proc: Proc, len: number): void => {
      const r = tryCall(() => proc.symlink('a'.repeat(len), 'afile'));
      if (r.ok) {
        expect(proc.readlink('afile')).toBe('a'.repeat(len));
        proc.unlink('afile');
      } else {
        expect(r.code, `symlink with a ${len}-byte target`).toBe('ENAMETOOLONG');
      }
    };

    test('symlink_zerolen', (env) => {
      env.proc.chdir(env.mountpoint);
      if (features.emptySymlink) symlinkLen(env.proc, 0);
      else expectErrno('EINVAL', () => env.proc.symlink('', 'afile'), 'an empty target the fs cannot store');
      env.proc.chdir('/');
    });

    test('symlink_long', (env) => {
      env.proc.chdir(env.mountpoint);
      for (let len = 2; len <= 65536; len *= 2) for (let fuzz = -1; fuzz <= 1; fuzz++) symlinkLen(env.proc, len + fuzz);
      env.proc.chdir('/');
    });

    test('symlink_root', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.symlink('/', 'foo');
      proc.chdir('foo');
      expect(proc.getcwd()).toBe('/');
    });

    test('lstat_symlink', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.symlink('source', 'destination');
      const st = proc.lstat('destination');
      expect(st.mode & S_IFMT).toBe(S_IFLNK);
      expect(st.size).toBe('source'.length);
      proc.chdir('/');
    });
  }

  test('attrs', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    proc.close(proc.open('afile', O_RDWR | O_CREAT, 0o755));
    const sb = proc.stat('afile');
    if (features.owners) proc.chown('afile', 1, 2);
    proc.chmod('afile', 0o123);
    const atime = { sec: 1000000000, nsec: 1000 };
    const mtime = { sec: 1000000002, nsec: 3000 };
    proc.utimes('afile', atime, mtime);
    proc.utimes('afile', atime, mtime);
    const sb2 = proc.stat('afile');
    if (features.owners) {
      expect(sb2.uid).toBe(1);
      expect(sb2.gid).toBe(2);
    }
    if (features.modes) expect(sb2.mode).toBe((sb.mode & ~0o777) | 0o123);
    expectTime(sb2.atime, atime, features.atimeResolution, features.nsec, 'atime');
    expectTime(sb2.mtime, mtime, features.mtimeResolution, features.nsec, 'mtime');
    proc.chdir('/');
  });

  test('access_simple', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    proc.close(proc.open('tfile', O_CREAT | O_RDWR, 0o777));
    const all = F_OK | X_OK | W_OK | R_OK;
    proc.access('tfile', all);
    expectErrno('EINVAL', () => proc.access('tfile', all + 1), 'access with a bad mode (PR kern/44648)');
    proc.chdir('/');
  });

  test('read_directory', ({ proc, mountpoint }) => {
    proc.chdir(mountpoint);
    const fd = proc.open('.', O_DIRECTORY | O_RDONLY, 0o777);
    const buf = new Uint8Array(1024);
    for (const r of [tryCall(() => proc.pread(fd, buf, 0)), tryCall(() => proc.read(fd, buf))]) {
      if (!r.ok) expect(r.code).toBe('EISDIR');
    }
    proc.close(fd);
    proc.chdir('/');
  });
}
