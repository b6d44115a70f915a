/**
 * Names are bytes (librump names.ts), but a FAT name is UTF-16 (long) or a code page (8.3): a name
 * holding escaped bytes (bytes that are not UTF-8) has no FAT form, so create, mkdir and rename to
 * one are EILSEQ and change nothing; fsck.fat and mtools see the image as it was.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { HAVE_FSCK_FAT, HAVE_MKFS_FAT, HAVE_MTOOLS, fsckFat, mkfsFat, mountImage, mtools, tempDir, code } from './helpers.js';


describe.skipIf(!HAVE_MKFS_FAT)('msdos: names with bytes that are not UTF-8', () => {
  it('create, mkdir and rename to such a name are EILSEQ and leave the file system as it was', async () => {
    const t = tempDir('nbytes');
    try {
      const img = join(t.path, 'fat.img');
      mkfsFat(img, 1024);
      const m = await mountImage(img);
      try {
        const p = m.k.proc;
        const fd = p.open('/mnt/café.txt', O_WRONLY | O_CREAT, 0o644);
        p.write(fd, Buffer.from('kept'));
        p.close(fd);
        expect(code(() => p.open('/mnt/caf\uDCE9.txt', O_WRONLY | O_CREAT, 0o644))).toBe('EILSEQ');
        expect(code(() => p.mkdir('/mnt/d\uDCE9j\uDCE0', 0o755))).toBe('EILSEQ');
        expect(code(() => p.rename('/mnt/café.txt', '/mnt/caf\uDCE9.txt'))).toBe('EILSEQ');
        expect(code(() => p.stat('/mnt/caf\uDCE9.txt'))).toBe('ENOENT');
        const fd2 = p.open('/mnt/café.txt', O_RDONLY);
        const b = new Uint8Array(16);
        expect(Buffer.from(b.subarray(0, p.read(fd2, b))).toString()).toBe('kept');
        p.close(fd2);
      } finally {
        m.done();
      }
      if (HAVE_FSCK_FAT) {
        const f = fsckFat(img);
        expect(f.ok, f.out).toBe(true);
      }
      if (HAVE_MTOOLS) {
        const names = mtools('mdir', ['-b', '-i', img, '::/']).split('\n').filter((l) => l.trim() !== '');
        expect(names).toEqual(['::/café.txt']);
      }
    } finally {
      t.cleanup();
    }
  }, 30_000);
});
