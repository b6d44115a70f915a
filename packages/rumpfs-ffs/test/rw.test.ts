/**
 * Read-write behaviour that the random model runs do not pin down: the clean flag, ENOSPC for
 * blocks and for inodes without damage, truncate and unlink giving back every block (indirect ones
 * included), and halt writing everything back.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_FORCE, MNT_RDONLY, MNT_UPDATE, O_CREAT, O_RDONLY, O_WRONLY, type Proc, isRumpError } from '@rumpts/librump';
import { FS_FIELDS, FS_ISCLEAN, FS_WASCLEAN, SBLOCK_UFS1 } from '../src/ondisk/fs.js';
import { HAVE_MAKEFS, makeImage, pattern, tempDir, code } from './helpers.js';
import { mountImage, sha256 } from './rwhelpers.js';


/** fs_clean as on disk (the superblock is at 8192 in makefs images). */
function diskClean(img: string): number {
  return readFileSync(img)[SBLOCK_UFS1 + FS_FIELDS.clean[0]]!;
}

function mkimg(prefix: string, o: { version: 1 | 2; size: string; density?: number }): { img: string; cleanup: () => void } {
  const t = tempDir(prefix);
  const src = join(t.path, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'keep'), pattern('keep', 30000));
  const img = join(t.path, 'img');
  makeImage(src, img, { version: o.version, endian: 'le', size: o.size, density: o.density });
  return { img, cleanup: () => t.cleanup() };
}

function readAll(proc: Proc, path: string): Uint8Array {
  const fd = proc.open(path, O_RDONLY);
  const b = new Uint8Array(proc.fstat(fd).size);
  let n = 0;
  while (n < b.length) {
    const m = proc.read(fd, b.subarray(n));
    if (m <= 0) break;
    n += m;
  }
  proc.close(fd);
  return b;
}

describe.skipIf(!HAVE_MAKEFS)('read-write FFS', () => {
  it('clears the clean flag while mounted read-write and sets it on unmount; refuses an unclean fs unless forced', async () => {
    const { img, cleanup } = mkimg('clean', { version: 1, size: '4m' });
    try {
      expect(diskClean(img) & FS_ISCLEAN).toBe(FS_ISCLEAN);
      const env = await mountImage(img);
      expect(diskClean(img)).toBe(FS_WASCLEAN);
      env.k.proc.mkdir('/mnt/d', 0o755);
      env.k.proc.unmount('/mnt');
      expect(diskClean(img)).toBe(FS_ISCLEAN);
      // rw → ro writes ISCLEAN; ro → rw takes it away again.
      env.k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' });
      env.k.proc.mount('ffs', '/mnt', MNT_UPDATE | MNT_RDONLY, {});
      expect(diskClean(img)).toBe(FS_ISCLEAN);
      env.k.proc.mount('ffs', '/mnt', MNT_UPDATE, {});
      expect(diskClean(img)).toBe(FS_WASCLEAN);
      env.done();
      expect(diskClean(img)).toBe(FS_ISCLEAN);

      // An image left mid-write: fs_clean 0.
      const b = readFileSync(img);
      b[SBLOCK_UFS1 + FS_FIELDS.clean[0]] = 0;
      writeFileSync(img, b);
      let msg = '';
      const e2 = await mountImage(img, MNT_RDONLY);
      try {
        e2.k.proc.unmount('/mnt');
        try {
          e2.k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' });
        } catch (e) {
          msg = (e as Error).message;
          expect(isRumpError(e) && e.code).toBe('EPERM');
        }
        // It says what to run: the device it knows, fsu's form and NetBSD's tool.
        expect(msg).toContain('ffs: the file system on /dev/ffs0 is not clean (FS_ISCLEAN unset); check it first: fsu fsck -y IMAGE (fsck_ffs -y on NetBSD)');
        // An update of a read-only mount to read-write says the same.
        e2.k.proc.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/ffs0' });
        let upd: unknown;
        try {
          e2.k.proc.mount('ffs', '/mnt', MNT_UPDATE, { fspec: '/dev/ffs0' });
        } catch (e) {
          upd = e;
        }
        expect(upd).toMatchObject({ code: 'EPERM', message: expect.stringContaining('the file system on /dev/ffs0 is not clean (FS_ISCLEAN unset); check it first: fsu fsck -y IMAGE') });
        e2.k.proc.unmount('/mnt');
        e2.k.proc.mount('ffs', '/mnt', MNT_FORCE, { fspec: '/dev/ffs0' });
        e2.k.proc.unmount('/mnt');
      } finally {
        e2.done();
      }
      // Forced: it stays unclean (only fsck makes it clean).
      expect(diskClean(img)).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('ENOSPC for blocks leaves earlier files intact and frees everything on unlink', async () => {
    const { img, cleanup } = mkimg('nospc', { version: 2, size: '3m' });
    try {
      const env = await mountImage(img);
      const p = env.k.proc;
      const before = p.statvfs('/mnt');
      const keep = readAll(p, '/mnt/keep');
      const chunk = pattern('fill', 64 * 1024);
      const fd = p.open('/mnt/fill', O_CREAT | O_WRONLY, 0o644);
      let written = 0;
      let err = 'ok';
      for (let i = 0; i < 1000; i++) {
        err = code(() => p.pwrite(fd, chunk, written));
        if (err !== 'ok') break;
        written += chunk.length;
      }
      p.close(fd);
      expect(err).toBe('ENOSPC');
      // The failed write left nothing half-done: the file is exactly what succeeded.
      expect(p.stat('/mnt/fill').size).toBe(written);
      expect(sha256(readAll(p, '/mnt/keep'))).toBe(sha256(keep));
      // Small files still fit in fragments or fail cleanly.
      p.unlink('/mnt/fill');
      const after = p.statvfs('/mnt');
      expect(after.bfree).toBe(before.bfree);
      expect(after.ffree).toBe(before.ffree);
      env.done();
      const ro = await mountImage(img, MNT_RDONLY);
      expect(sha256(readAll(ro.k.proc, '/mnt/keep'))).toBe(sha256(keep));
      expect(ro.k.proc.statvfs('/mnt').bfree).toBe(before.bfree);
      ro.done();
    } finally {
      cleanup();
    }
  });

  it('ENOSPC for inodes, and the names made before it all stay', async () => {
    const { img, cleanup } = mkimg('noino', { version: 1, size: '2m', density: 65536 });
    try {
      const env = await mountImage(img);
      const p = env.k.proc;
      const free0 = p.statvfs('/mnt').ffree;
      let made = 0;
      let err = 'ok';
      for (; made < 100_000; made++) {
        err = code(() => p.close(p.open(`/mnt/f${made}`, O_CREAT | O_WRONLY, 0o644)));
        if (err !== 'ok') break;
      }
      expect(err).toBe('ENOSPC');
      expect(made).toBe(free0);
      expect(code(() => p.mkdir('/mnt/nodir', 0o755))).toBe('ENOSPC');
      expect(code(() => p.stat('/mnt/nodir'))).toBe('ENOENT');
      env.done();
      const ro = await mountImage(img, MNT_RDONLY);
      for (let i = 0; i < made; i++) expect(ro.k.proc.stat(`/mnt/f${i}`).size).toBe(0);
      expect(ro.k.proc.statvfs('/mnt').ffree).toBe(0);
      ro.done();
    } finally {
      cleanup();
    }
  });

  it('truncate gives back every block, indirect ones included, and keeps holes', async () => {
    const { img, cleanup } = mkimg('trunc', { version: 1, size: '64m' });
    try {
      const env = await mountImage(img);
      const p = env.k.proc;
      const before = p.statvfs('/mnt');
      const fd = p.open('/mnt/big', O_CREAT | O_WRONLY, 0o644);
      // Blocks reached through the single and the double indirect block (bsize 8192: 12 + 2048).
      const data = pattern('big', 200_000);
      p.pwrite(fd, data, 0);
      p.pwrite(fd, data, 40 * 1024 * 1024);
      p.close(fd);
      const st = p.stat('/mnt/big');
      expect(st.size).toBe(40 * 1024 * 1024 + data.length);
      // Holes stay holes: far fewer blocks than the size.
      expect(st.blocks * 512).toBeLessThan(1024 * 1024);
      const back = readAll(p, '/mnt/big');
      expect(sha256(back.subarray(0, data.length))).toBe(sha256(data));
      expect(back.subarray(data.length, 40 * 1024 * 1024).every((x) => x === 0)).toBe(true);
      p.truncate('/mnt/big', 5);
      expect(p.stat('/mnt/big').blocks).toBe(2);
      p.truncate('/mnt/big', 0);
      expect(p.stat('/mnt/big').blocks).toBe(0);
      const after = p.statvfs('/mnt');
      expect(after.bfree).toBe(before.bfree);
      env.done();
    } finally {
      cleanup();
    }
  });

  it('halt writes everything back without an unmount', async () => {
    const { img, cleanup } = mkimg('halt', { version: 2, size: '8m' });
    try {
      const env = await mountImage(img);
      const p = env.k.proc;
      p.mkdir('/mnt/dir', 0o755);
      const data = pattern('halt', 123_457);
      const fd = p.open('/mnt/dir/file', O_CREAT | O_WRONLY, 0o600);
      p.write(fd, data);
      p.close(fd);
      p.symlink('file', '/mnt/dir/link');
      env.done();
      expect(diskClean(img)).toBe(FS_ISCLEAN);
      const ro = await mountImage(img, MNT_RDONLY);
      expect(sha256(readAll(ro.k.proc, '/mnt/dir/file'))).toBe(sha256(data));
      expect(ro.k.proc.readlink('/mnt/dir/link')).toBe('file');
      expect(ro.k.proc.stat('/mnt/dir').nlink).toBe(2);
      expect(ro.k.proc.stat('/mnt').nlink).toBe(3);
      ro.done();
    } finally {
      cleanup();
    }
  });
});
