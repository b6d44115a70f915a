/**
 * Directory reading and link counts: getdents offsets that stay valid while the directory changes
 * (the property t_vnops and rump's own users rely on), d_type/d_fileno agreement with stat, and
 * the link count rules of files and directories.
 */
import { expect } from 'vitest';
import { DT_DIR, DT_LNK, DT_REG, O_CREAT, O_RDONLY, O_RDWR } from '@rumpts/librump';
import { enc, expectErrno, listDir, md, readFile, writeFile, dec } from './helpers.js';
import type { Kit } from './types.js';

export function t_dirs(kit: Kit): void {
  const { test, features } = kit;
  const dots = features.dotEntries ? ['.', '..'] : [];

  test('readdir_simple', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'd');
    proc.mkdir(d, 0o755);
    expect(listDir(proc, d).sort()).toEqual([...dots].sort());
    const names = ['a', 'bb', 'c'.repeat(200), 'ünïcødé'];
    for (const n of names) writeFile(proc, md(d, n), enc(n));
    expect(listDir(proc, d).sort()).toEqual([...dots, ...names].sort());
  });

  test('readdir_types_and_filenos', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'd');
    proc.mkdir(d, 0o755);
    writeFile(proc, md(d, 'file'), enc('x'));
    proc.mkdir(md(d, 'sub'), 0o755);
    if (features.symlink) proc.symlink('file', md(d, 'link'));
    const fd = proc.open(d, O_RDONLY);
    const ents = [];
    for (let b = proc.getdents(fd); b.length > 0; b = proc.getdents(fd)) ents.push(...b);
    proc.close(fd);
    const want: Record<string, number> = { file: DT_REG, sub: DT_DIR, ...(features.symlink ? { link: DT_LNK } : {}) };
    for (const e of ents) {
      if (e.name === '.' || e.name === '..') {
        expect(e.type).toBe(DT_DIR);
        expect(e.fileno).toBe(proc.stat(md(d, e.name)).ino);
        continue;
      }
      expect(e.type, e.name).toBe(want[e.name]);
      expect(e.fileno, e.name).toBe(proc.lstat(md(d, e.name)).ino);
      expect(e.reclen).toBe((13 + enc(e.name).length + 1 + 7) & ~7);
    }
    expect(ents.map((e) => e.name).sort()).toEqual([...dots, ...Object.keys(want)].sort());
  });

  test('readdir_while_modifying', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'd');
    proc.mkdir(d, 0o755);
    const n = 300;
    for (let i = 0; i < n; i++) proc.close(proc.open(md(d, `f${i}`), O_RDWR | O_CREAT, 0o644));
    const fd = proc.open(d, O_RDONLY);
    const seen: string[] = [];
    const removed = new Set<string>();
    let added = 0;
    for (let round = 0; round < 10_000; round++) {
      // A small buffer: a handful of entries per call.
      const batch = proc.getdents(fd, 128);
      if (batch.length === 0) break;
      for (const e of batch) seen.push(e.name);
      // Between calls: remove an entry already read, remove one not read yet, add a new one.
      const last = batch[batch.length - 1]?.name ?? '';
      const idx = /^f(\d+)$/.exec(last)?.[1];
      if (idx !== undefined) {
        const back = `f${Number(idx) - 1}`;
        const ahead = `f${Number(idx) + 7}`;
        for (const victim of [back, ahead]) {
          if (!removed.has(victim) && Number(victim.slice(1)) < n && Number(victim.slice(1)) >= 0) {
            proc.unlink(md(d, victim));
            removed.add(victim);
          }
        }
      }
      if (added < 50) proc.close(proc.open(md(d, `new${added++}`), O_RDWR | O_CREAT, 0o644));
    }
    proc.close(fd);
    const seenSet = new Set(seen);
    expect(seen.length, 'no entry returned twice').toBe(seenSet.size);
    // Every entry that existed for the whole read is returned exactly once.
    for (let i = 0; i < n; i++) {
      const name = `f${i}`;
      if (!removed.has(name)) expect(seenSet.has(name), `${name} stayed and must be seen`).toBe(true);
    }
    for (const x of dots) expect(seenSet.has(x)).toBe(true);
    // Nothing that never existed shows up.
    for (const s of seen) expect(/^(f\d+|new\d+|\.|\.\.)$/.test(s), s).toBe(true);
    // The directory is consistent afterwards.
    expect(listDir(proc, d).length).toBe(dots.length + n - removed.size + added);
  });

  test('readdir_empty_after_unlink_all', ({ proc, mountpoint }) => {
    const d = md(mountpoint, 'd');
    proc.mkdir(d, 0o755);
    for (let i = 0; i < 100; i++) writeFile(proc, md(d, `x${i}`), enc(String(i)));
    for (let i = 0; i < 100; i++) proc.unlink(md(d, `x${i}`));
    expect(listDir(proc, d).sort()).toEqual([...dots].sort());
    proc.rmdir(d);
  });

  if (features.link) {
    test('link_counts_files', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      writeFile(proc, 'a', enc('shared'));
      expect(proc.stat('a').nlink).toBe(1);
      proc.mkdir('sub', 0o755);
      proc.link('a', 'b');
      proc.link('a', 'sub/c');
      for (const p of ['a', 'b', 'sub/c']) {
        expect(proc.stat(p).nlink, p).toBe(3);
        expect(proc.stat(p).ino, p).toBe(proc.stat('a').ino);
      }
      // Data is shared: a write through one name shows through the others.
      writeFile(proc, 'b', enc('changed'));
      expect(dec(readFile(proc, 'sub/c'))).toBe('changed');
      proc.unlink('a');
      expect(proc.stat('b').nlink).toBe(2);
      expectErrno('EEXIST', () => proc.link('b', 'sub/c'), 'link over an existing name');
      expectErrno('EPERM', () => proc.link('sub', 'sub2'), 'link of a directory');
      expectErrno('ENOENT', () => proc.link('nonexistent', 'x'), 'link of a missing file');
      proc.unlink('sub/c');
      expect(proc.stat('b').nlink).toBe(1);
      proc.chdir('/');
    });
  }

  if (features.dirLinkCounts) {
    test('link_counts_dirs', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mkdir('p', 0o755);
      expect(proc.stat('p').nlink).toBe(2);
      proc.mkdir('p/a', 0o755);
      proc.mkdir('p/b', 0o755);
      writeFile(proc, 'p/file', enc('not a dir'));
      expect(proc.stat('p').nlink).toBe(4);
      expect(proc.stat('p/a').nlink).toBe(2);
      if (features.rename) {
        proc.mkdir('q', 0o755);
        proc.rename('p/a', 'q/a'); // a moved directory's '..' now counts for q
        expect(proc.stat('p').nlink).toBe(3);
        expect(proc.stat('q').nlink).toBe(3);
        expect(proc.stat('q/a/..').ino).toBe(proc.stat('q').ino);
        proc.rename('p/b', 'q/a'); // over an empty directory
        expect(proc.stat('p').nlink).toBe(2);
        expect(proc.stat('q').nlink).toBe(3);
      } else {
        proc.rmdir('p/a');
        proc.rmdir('p/b');
        expect(proc.stat('p').nlink).toBe(2);
      }
      proc.chdir('/');
    });
  }

  if (features.rename) {
    test('rename_types', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      writeFile(proc, 'file', enc('f'));
      proc.mkdir('dir', 0o755);
      proc.mkdir('full', 0o755);
      writeFile(proc, 'full/x', enc('x'));
      expectErrno('EISDIR', () => proc.rename('file', 'dir'), 'file over a directory');
      expectErrno('ENOTDIR', () => proc.rename('dir', 'file'), 'directory over a file');
      expectErrno('ENOENT', () => proc.rename('missing', 'x'), 'missing source');
      expectErrno('ENOENT', () => proc.rename('file', 'nodir/x'), 'missing target directory');
      expectErrno('ENOTEMPTY', () => proc.rename('dir', 'full'), 'directory over a non-empty one');
      // Same name: nothing happens.
      proc.rename('file', 'file');
      expect(dec(readFile(proc, 'file'))).toBe('f');
      proc.chdir('/');
    });

    test('rename_replaces_open_target', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      writeFile(proc, 'old', enc('old contents'));
      writeFile(proc, 'new', enc('new contents'));
      const oldIno = proc.stat('old').ino;
      const newIno = proc.stat('new').ino;
      const fd = proc.open('old', O_RDONLY);
      proc.rename('new', 'old');
      if (features.stableFileIds) expect(proc.stat('old').ino).toBe(newIno);
      expectErrno('ENOENT', () => proc.stat('new'));
      // The replaced file lives on while open, with no names.
      if (features.stableFileIds) expect(proc.fstat(fd).ino).toBe(oldIno);
      expect(proc.fstat(fd).nlink).toBe(0);
      const buf = new Uint8Array(64);
      expect(dec(buf.subarray(0, proc.read(fd, buf)))).toBe('old contents');
      proc.close(fd);
      expect(dec(readFile(proc, 'old'))).toBe('new contents');
      proc.chdir('/');
    });

    test('rename_keeps_contents_across_dirs', ({ proc, mountpoint }) => {
      proc.chdir(mountpoint);
      proc.mkdir('a', 0o755);
      proc.mkdir('b', 0o755);
      proc.mkdir('a/sub', 0o755);
      writeFile(proc, 'a/sub/f', enc('deep'));
      proc.rename('a/sub', 'b/moved');
      expect(dec(readFile(proc, 'b/moved/f'))).toBe('deep');
      expect(proc.stat('b/moved/..').ino).toBe(proc.stat('b').ino);
      expect(listDir(proc, 'a').filter((x) => x !== '.' && x !== '..')).toEqual([]);
      proc.chdir('b/moved');
      expect(proc.getcwd()).toBe(md(mountpoint, 'b/moved'));
      proc.chdir('/');
    });
  }
}
