/**
 * Mount-level cases: NetBSD tests/fs/vfs/t_vfsops.c (tstatvfs, tsync, tmount), t_ro.c (refusals on a
 * read-only mount), t_rwtoro.c (rw → ro with files open) and unmount of a busy file system.
 */
import { expect } from 'vitest';
import { MAXNAMLEN, MNT_FORCE, MNT_RDONLY, MNT_UPDATE, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, S_IFREG } from '@rumpts/librump';
import { dec, enc, expectErrno, md, readFile, tryCall, writeFile } from './helpers.js';
import type { ConformanceEnv, Kit } from './types.js';

export function t_vfsops(kit: Kit): void {
  const { test, features, fsName } = kit;

  test('tstatvfs', ({ proc, mountpoint }) => {
    const st = proc.statvfs(mountpoint);
    expect(st.namemax).toBeGreaterThan(0);
    expect(st.namemax).toBeLessThanOrEqual(MAXNAMLEN);
    expect(st.fstypename).toBe(fsName);
    expect(st.mntonname).toBe(mountpoint);
    expect(st.bfree).toBeLessThanOrEqual(st.blocks);
    expect(st.bavail).toBeLessThanOrEqual(st.blocks);
    expect(st.ffree).toBeLessThanOrEqual(st.files);
    expect(st.bsize).toBeGreaterThan(0);
    // A file inside reports the same file system.
    writeFile(proc, md(mountpoint, 'f'), enc('x'));
    expect(proc.statvfs(md(mountpoint, 'f')).fsid).toBe(st.fsid);
  });

  test('tsync', ({ proc, mountpoint }) => {
    writeFile(proc, md(mountpoint, 'f'), enc('sync me'));
    proc.sync();
    const fd = proc.open(md(mountpoint, 'f'), O_RDWR);
    proc.fsync(fd);
    proc.close(fd);
    expect(dec(readFile(proc, md(mountpoint, 'f')))).toBe('sync me');
  });

  if (features.unmount) {
    test('tmount', ({ proc, mountpoint }) => {
      const inside = proc.stat(mountpoint);
      proc.unmount(mountpoint, 0);
      // The mount point shows the covered directory again.
      const after = proc.stat(mountpoint);
      expect(after.dev === inside.dev && after.ino === inside.ino).toBe(false);
      expectErrno('EINVAL', () => proc.unmount(mountpoint, 0), 'unmount of a plain directory');
    });

    test('unmount_busy_open', ({ proc, mountpoint }) => {
      writeFile(proc, md(mountpoint, 'f'), enc('busy'));
      const fd = proc.open(md(mountpoint, 'f'), O_RDONLY);
      expectErrno('EBUSY', () => proc.unmount(mountpoint, 0), 'unmount with an open file');
      proc.close(fd);
      proc.unmount(mountpoint, 0);
    });

    test('unmount_busy_cwd', ({ proc, kernel, mountpoint }) => {
      proc.mkdir(md(mountpoint, 'd'), 0o755);
      // Another process sits in a directory of the file system.
      const other = kernel.newproc();
      other.chdir(md(mountpoint, 'd'));
      expectErrno('EBUSY', () => proc.unmount(mountpoint, 0), 'unmount with a cwd inside');
      other.chdir('/');
      proc.chdir(mountpoint);
      expectErrno('EBUSY', () => proc.unmount(mountpoint, 0), 'unmount with our own cwd at its root');
      proc.chdir('/');
      proc.unmount(mountpoint, 0);
      other.exit();
    });

    test('unmount_force', ({ proc, mountpoint }) => {
      writeFile(proc, md(mountpoint, 'f'), enc('forced'));
      const fd = proc.open(md(mountpoint, 'f'), O_RDWR);
      proc.unmount(mountpoint, MNT_FORCE);
      // The descriptor survives, pointing at a dead vnode: calls fail cleanly or see nothing.
      const r = tryCall(() => proc.read(fd, new Uint8Array(10)));
      if (!r.ok) expect(['EBADF', 'EIO', 'ENXIO']).toContain(r.code);
      proc.close(fd);
      expectErrno('ENOENT', () => proc.stat(md(mountpoint, 'f')), 'file of the unmounted fs');
    });
  }

  if (features.readonly) {
    const remountRo = (env: ConformanceEnv): void => {
      if (env.remountReadOnly) env.remountReadOnly();
      else env.proc.mount(fsName, env.mountpoint, MNT_UPDATE | MNT_RDONLY);
    };
    /** t_ro's "gen" step: a file with contents, a directory, a symlink, then read-only. */
    const populateRo = (env: ConformanceEnv): void => {
      const { proc, mountpoint } = env;
      writeFile(proc, md(mountpoint, 'file'), enc('this is a file'));
      proc.mkdir(md(mountpoint, 'dir'), 0o755);
      remountRo(env);
      expect(proc.statvfs(mountpoint).flag & MNT_RDONLY).toBe(MNT_RDONLY);
    };

    test('ro_create', (env) => {
      populateRo(env);
      const { proc, mountpoint } = env;
      expectErrno('EROFS', () => proc.open(md(mountpoint, 'new'), O_RDWR | O_CREAT, 0o644), 'create');
      expectErrno('EROFS', () => proc.mkdir(md(mountpoint, 'newdir'), 0o755), 'mkdir');
      expectErrno('EROFS', () => proc.mknod(md(mountpoint, 'newnod'), S_IFREG | 0o644, 0), 'mknod');
      if (features.symlink) expectErrno('EROFS', () => proc.symlink('x', md(mountpoint, 'newlink')), 'symlink');
      if (features.link) expectErrno('EROFS', () => proc.link(md(mountpoint, 'file'), md(mountpoint, 'newlink')), 'link');
    });

    test('ro_rmfile', (env) => {
      populateRo(env);
      const { proc, mountpoint } = env;
      expectErrno('EROFS', () => proc.unlink(md(mountpoint, 'file')), 'unlink');
      expectErrno('EROFS', () => proc.rmdir(md(mountpoint, 'dir')), 'rmdir');
      if (features.rename) expectErrno('EROFS', () => proc.rename(md(mountpoint, 'file'), md(mountpoint, 'file2')), 'rename');
      proc.stat(md(mountpoint, 'file'));
    });

    test('ro_fileio', (env) => {
      populateRo(env);
      const { proc, mountpoint } = env;
      expect(dec(readFile(proc, md(mountpoint, 'file')))).toBe('this is a file');
      expectErrno('EROFS', () => proc.open(md(mountpoint, 'file'), O_WRONLY), 'open O_WRONLY');
      expectErrno('EROFS', () => proc.open(md(mountpoint, 'file'), O_RDWR), 'open O_RDWR');
      expectErrno('EROFS', () => proc.truncate(md(mountpoint, 'file'), 0), 'truncate');
    });

    test('ro_attrs', (env) => {
      populateRo(env);
      const { proc, mountpoint } = env;
      const f = md(mountpoint, 'file');
      const before = proc.stat(f);
      const t = { sec: 12345, nsec: 0 };
      expectErrno('EROFS', () => proc.chmod(f, 0o600), 'chmod');
      expectErrno('EROFS', () => proc.chown(f, 1, 1), 'chown');
      expectErrno('EROFS', () => proc.utimes(f, t, t), 'utimes');
      const fd = proc.open(f, O_RDONLY);
      expectErrno('EROFS', () => proc.fchmod(fd, 0o600), 'fchmod');
      expectErrno('EROFS', () => proc.fchown(fd, 1, 1), 'fchown');
      expectErrno('EROFS', () => proc.futimes(fd, t, t), 'futimes');
      proc.close(fd);
      const after = proc.stat(f);
      expect([after.mode, after.uid, after.mtime]).toEqual([before.mode, before.uid, before.mtime]);
    });

    test('rwtoro_noneopen_readopen', (env) => {
      const { proc, mountpoint } = env;
      writeFile(proc, md(mountpoint, 'file'), enc('data'));
      const fd = proc.open(md(mountpoint, 'file'), O_RDONLY);
      remountRo(env); // a file open only for reading does not stop the downgrade
      expect(dec(readFile(proc, md(mountpoint, 'file')))).toBe('data');
      proc.close(fd);
    });

    test('rwtoro_writeopen', (env) => {
      const { proc, mountpoint } = env;
      const fd = proc.open(md(mountpoint, 'file'), O_RDWR | O_CREAT, 0o644);
      expectErrno('EBUSY', () => remountRo(env), 'rw → ro with a file open for writing');
      proc.close(fd);
      remountRo(env);
    });
  }
}
