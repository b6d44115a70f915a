/**
 * halt(RB_NOSYNC) writes nothing (reboot(2): NetBSD's cpu_reboot skips rump_vfs_fini, so no sync
 * and no unmount): after writes left in the buffer cache and files still open — one of them unlinked,
 * whose last close would free its blocks — the image is byte-for-byte what it was before the halt,
 * and still marked unclean. The same steps with an ordinary halt do write it back, cleanly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY, RB_HALT, RB_NOSYNC } from '@rumpts/librump';
import { FS_FIELDS, FS_ISCLEAN, FS_WASCLEAN, SBLOCK_UFS1 } from '../src/ondisk/fs.js';
import { HAVE_MAKEFS, makeImage, pattern, tempDir } from './helpers.js';
import { mountImage, sha256 } from './rwhelpers.js';

const NEW = pattern('new', 200_000);

function fresh(t: { path: string }, name: string): string {
  const src = join(t.path, `${name}-src`);
  mkdirSync(src);
  writeFileSync(join(src, 'keep'), pattern('keep', 30000));
  writeFileSync(join(src, 'doomed'), pattern('doomed', 70000));
  const img = join(t.path, `${name}.img`);
  makeImage(src, img, { version: 1, endian: 'le', size: '4m' });
  return img;
}

/** Mount read-write, write a file, make a directory, and leave an unlinked file and a new one open. */
async function writeAndHalt(img: string, howto: number): Promise<{ atHalt: Buffer; dirtyAtHalt: number; console: string[] }> {
  const env = await mountImage(img);
  const p = env.k.proc;
  const fd = p.open('/mnt/new', O_WRONLY | O_CREAT, 0o644);
  p.write(fd, NEW);
  p.close(fd);
  p.mkdir('/mnt/d', 0o755);
  const doomed = p.open('/mnt/doomed', O_RDONLY);
  p.unlink('/mnt/doomed');
  const open = p.open('/mnt/d/open', O_WRONLY | O_CREAT, 0o600);
  p.write(open, pattern('open', 5000));
  expect([doomed, open].every((n) => n >= 0)).toBe(true);
  const atHalt = readFileSync(img);
  const dirtyAtHalt = Number(env.k.sysctl('vfs.bufcache.dirty'));
  const before = env.k.msgbuf.length;
  env.k.halt(howto);
  env.dev.close();
  return { atHalt, dirtyAtHalt, console: env.k.msgbuf.slice(before) };
}

const diskClean = (b: Buffer): number => b[SBLOCK_UFS1 + FS_FIELDS.clean[0]]!;

describe.skipIf(!HAVE_MAKEFS)('halt(RB_NOSYNC)', () => {
  it('leaves the image byte-identical to what it was before the halt; an ordinary halt writes it back', async () => {
    const t = tempDir('nosync');
    try {
      const img = fresh(t, 'nosync');
      const r = await writeAndHalt(img, RB_NOSYNC);
      // There was something to write: delayed writes in the cache, the fs unclean on disk.
      expect(r.dirtyAtHalt).toBeGreaterThan(0);
      expect(diskClean(r.atHalt)).toBe(FS_WASCLEAN);
      const after = readFileSync(img);
      expect(sha256(after)).toBe(sha256(r.atHalt));
      expect(r.console.filter((l) => /halt:|vfs_shutdown|bufcache/.test(l))).toEqual([]);

      // The same run halted ordinarily: the image changes and ends clean, with the new file in it.
      const img2 = fresh(t, 'sync');
      const s = await writeAndHalt(img2, RB_HALT);
      expect(s.dirtyAtHalt).toBeGreaterThan(0);
      const after2 = readFileSync(img2);
      expect(sha256(after2)).not.toBe(sha256(s.atHalt));
      expect(diskClean(after2) & FS_ISCLEAN).toBe(FS_ISCLEAN);
      const env = await mountImage(img2);
      try {
        const fd = env.k.proc.open('/mnt/new', O_RDONLY);
        const b = new Uint8Array(NEW.length + 1);
        let n = 0;
        for (let m = 1; m > 0 && n < b.length; n += m) m = env.k.proc.read(fd, b.subarray(n));
        expect(n).toBe(NEW.length);
        expect(sha256(b.subarray(0, n))).toBe(sha256(NEW));
        expect(() => env.k.proc.stat('/mnt/doomed')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      } finally {
        env.done();
      }
    } finally {
      t.cleanup();
    }
  });
});
