/**
 * Attributes beyond t_vnops' attrs: which calls move which timestamps, chflags enforcement
 * (t_unpriv flags), device nodes and fifos (mknod/mkfifo), umask on create.
 */
import { expect } from 'vitest';
import {
  O_CREAT, O_RDWR, O_WRONLY, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, type Stat, type Timespec, UF_APPEND, UF_IMMUTABLE, DT_FIFO, O_RDONLY,
} from '@rumpts/librump';
import { makedev } from '../devsw.js';
import { enc, expectErrno, md, writeFile } from './helpers.js';
import type { Kit } from './types.js';

const OLD: Timespec = { sec: 1_000_000_000, nsec: 0 };
const after = (t: Timespec, ref: Timespec): boolean => t.sec > ref.sec || (t.sec === ref.sec && t.nsec > ref.nsec);

export function t_attrs(kit: Kit): void {
  const { test, features } = kit;

  test('times_write_and_read', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'f');
    writeFile(proc, f, enc('data'));
    proc.utimes(f, OLD, OLD);
    const fd = proc.open(f, O_RDWR);
    proc.write(fd, enc('more'));
    const st = proc.fstat(fd);
    expect(after(st.mtime, OLD), 'write moves mtime').toBe(true);
    expect(after(st.ctime, OLD), 'write moves ctime').toBe(true);
    proc.close(fd);
  });

  test('times_directory_changes', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'd');
    proc.mkdir(d, 0o755);
    const steps: [string, () => void][] = [
      ['create', () => writeFile(proc, md(d, 'f'), enc('x'))],
      ['mkdir', () => proc.mkdir(md(d, 'sub'), 0o755)],
      ['unlink', () => proc.unlink(md(d, 'f'))],
      ['rmdir', () => proc.rmdir(md(d, 'sub'))],
    ];
    for (const [what, step] of steps) {
      proc.utimes(d, OLD, OLD);
      step();
      const st = proc.stat(d);
      expect(after(st.mtime, OLD), `${what} moves the directory's mtime`).toBe(true);
    }
  });

  test('times_chmod_moves_ctime_only', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'f');
    writeFile(proc, f, enc('x'));
    proc.utimes(f, OLD, OLD);
    const before: Stat = proc.stat(f);
    proc.chmod(f, 0o600);
    const st = proc.stat(f);
    expect(st.mtime).toEqual(OLD);
    expect(after(st.ctime, OLD) || (st.ctime.sec === before.ctime.sec && st.ctime.nsec >= before.ctime.nsec)).toBe(true);
    if (features.modes) expect(st.mode & 0o7777).toBe(0o600);
  });

  test('truncate_moves_mtime', ({ proc, mountpoint }) => {
    const f = md(mountpoint, 'f');
    writeFile(proc, f, enc('0123456789'));
    proc.utimes(f, OLD, OLD);
    proc.truncate(f, 3);
    const st = proc.stat(f);
    expect(st.size).toBe(3);
    expect(after(st.mtime, OLD)).toBe(true);
  });

  if (features.modes) test('umask_on_create', ({ proc, mountpoint }) => {
    const old = proc.umask(0o027);
    try {
      proc.close(proc.open(md(mountpoint, 'f'), O_RDWR | O_CREAT, 0o777));
      proc.mkdir(md(mountpoint, 'd'), 0o777);
      expect(proc.stat(md(mountpoint, 'f')).mode & 0o777).toBe(0o750);
      expect(proc.stat(md(mountpoint, 'd')).mode & 0o777).toBe(0o750);
    } finally {
      proc.umask(old);
    }
  });

  if (features.chflags) {
    test('chflags_immutable', ({ proc, mountpoint }) => {
      const f = md(mountpoint, 'f');
      writeFile(proc, f, enc('frozen'));
      proc.chflags(f, UF_IMMUTABLE);
      expect(proc.stat(f).flags & UF_IMMUTABLE).toBe(UF_IMMUTABLE);
      expectErrno('EPERM', () => proc.unlink(f), 'unlink of an immutable file');
      expectErrno('EPERM', () => proc.open(f, O_WRONLY), 'open for writing');
      expectErrno('EPERM', () => proc.chmod(f, 0o600), 'chmod');
      expectErrno('EPERM', () => proc.truncate(f, 0), 'truncate');
      if (features.rename) expectErrno('EPERM', () => proc.rename(f, md(mountpoint, 'g')), 'rename');
      if (features.link) expectErrno('EPERM', () => proc.link(f, md(mountpoint, 'g')), 'link');
      proc.chflags(f, 0);
      proc.unlink(f);
    });

    test('chflags_append', ({ proc, mountpoint }) => {
      const f = md(mountpoint, 'f');
      writeFile(proc, f, enc('log:'));
      proc.chflags(f, UF_APPEND);
      expectErrno('EPERM', () => proc.unlink(f), 'unlink of an append-only file');
      expectErrno('EPERM', () => proc.truncate(f, 0), 'truncate of an append-only file');
      proc.chflags(f, 0);
      proc.unlink(f);
    });
  }

  if (features.devices) {
    test('mknod_devices', ({ proc, mountpoint }) => {
      const c = md(mountpoint, 'cdev');
      const b = md(mountpoint, 'bdev');
      proc.mknod(c, S_IFCHR | 0o600, makedev(12, 34));
      proc.mknod(b, S_IFBLK | 0o640, makedev(5, 300));
      const sc = proc.stat(c);
      const sb = proc.stat(b);
      expect(sc.mode & S_IFMT).toBe(S_IFCHR);
      expect(sc.mode & 0o777).toBe(0o600);
      expect(sc.rdev).toBe(makedev(12, 34));
      expect(sb.mode & S_IFMT).toBe(S_IFBLK);
      expect(sb.rdev).toBe(makedev(5, 300));
      expectErrno('EEXIST', () => proc.mknod(c, S_IFCHR | 0o600, makedev(1, 1)));
      proc.unlink(c);
      proc.unlink(b);
    });
  }

  if (features.fifo) {
    test('mkfifo', ({ proc, mountpoint }) => {
      const f = md(mountpoint, 'fifo');
      proc.mkfifo(f, 0o644);
      const st = proc.stat(f);
      expect(st.mode & S_IFMT).toBe(S_IFIFO);
      const fd = proc.open(mountpoint, O_RDONLY);
      const ents = proc.getdents(fd);
      proc.close(fd);
      expect(ents.find((e) => e.name === 'fifo')?.type).toBe(DT_FIFO);
      proc.unlink(f);
    });
  }
}
