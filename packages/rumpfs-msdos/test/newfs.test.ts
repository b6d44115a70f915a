/**
 * newfs_msdos: every FAT type and a spread of sizes and options, each image checked by dosfstools'
 * fsck.fat -n and its layout read back by mtools (minfo) and by a mount of ours.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDWR, isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice, MemoryBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs_msdos, type NewfsMsdosOptions } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MTOOLS, fsckFat, mountImage, mtools, tempDir } from './helpers.js';

function makeImage(path: string, bytes: number, o: NewfsMsdosOptions) {
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const dev = new HostFileBlockDevice(path);
  try {
    return newfs_msdos(dev, { now: new Date(Date.UTC(2024, 4, 17, 12, 30, 44)), ...o });
  } finally {
    dev.close();
  }
}

const CASES: { name: string; bytes: number; o: NewfsMsdosOptions; fat: 12 | 16 | 32 }[] = [
  { name: '1.44 MB default', bytes: 1474560, o: {}, fat: 12 },
  { name: '8 MB default', bytes: 8 << 20, o: {}, fat: 12 },
  { name: '32 MB default', bytes: 32 << 20, o: {}, fat: 16 },
  { name: '64 MB -F 32', bytes: 64 << 20, o: { fatType: 32 }, fat: 32 },
  { name: '64 MB -F 12', bytes: 64 << 20, o: { fatType: 12 }, fat: 12 },
  { name: '40 MB -F 16 -c 2 -n 1 -L', bytes: 40 << 20, o: { fatType: 16, sectorsPerCluster: 2, nfats: 1, label: 'Test Vol' }, fat: 16 },
  { name: '300 MB default', bytes: 300 << 20, o: {}, fat: 16 },
  { name: '4 GB default', bytes: 4 * 2 ** 30, o: {}, fat: 32 },
  { name: '300 MB -F 32 -S 4096 -c 1', bytes: 300 << 20, o: { fatType: 32, bytesPerSector: 4096, sectorsPerCluster: 1 }, fat: 32 },
  { name: '16 MB -F 16 -r 8 -e 1024 -I', bytes: 16 << 20, o: { fatType: 16, reservedSectors: 8, rootEntries: 1024, volumeId: 0x12345678 }, fat: 16 },
];

describe('newfs_msdos', () => {
  for (const c of CASES) {
    it.skipIf(!HAVE_FSCK_FAT)(`${c.name}: FAT${c.fat}, fsck.fat clean, mountable`, async () => {
      const t = tempDir('newfs');
      try {
        const img = join(t.path, 'img');
        const r = makeImage(img, c.bytes, c.o);
        expect(r.fatType).toBe(c.fat);
        const f = fsckFat(img);
        expect(f.ok, f.out).toBe(true);
        expect(f.out).toContain(`/${r.clusters} clusters`);
        if (HAVE_MTOOLS) {
          const info = mtools('minfo', ['-i', img, '::']);
          expect(info).toContain(`cluster size: ${r.sectorsPerCluster} sectors`);
          expect(info).toContain(`disk type="FAT${r.fatType}   "`);
          if (c.o.label) expect(mtools('mlabel', ['-s', '-i', img, '::'])).toContain(c.o.label.toUpperCase());
          if (c.o.volumeId !== undefined) expect(info.toLowerCase()).toContain('serial number: 12345678');
        }
        // Ours mounts it and can fill a little of it; dosfstools still agrees afterwards.
        const m = await mountImage(img);
        const p = m.k.proc;
        expect(p.statvfs('/mnt').blocks).toBe(r.clusters);
        expect(p.statvfs('/mnt').bfree).toBe(r.clusters - (r.fatType === 32 ? 1 : 0));
        p.mkdir('/mnt/dir', 0o755);
        const fd = p.open('/mnt/dir/file.bin', O_CREAT | O_RDWR, 0o644);
        p.write(fd, new Uint8Array(100_000).fill(7));
        p.close(fd);
        m.done();
        const g = fsckFat(img);
        expect(g.ok, g.out).toBe(true);
      } finally {
        t.cleanup();
      }
    });
  }

  it('refuses what cannot be built, changing nothing', () => {
    const code = (o: NewfsMsdosOptions, bytes = 8 << 20): string => {
      const dev = new MemoryBlockDevice(bytes);
      try {
        newfs_msdos(dev, o);
        return 'ok';
      } catch (e) {
        if (!isRumpError(e)) throw e;
        expect(dev.read(new Uint8Array(512), 0)).toBeUndefined();
        return e.code;
      }
    };
    expect(code({ fatType: 32 }, 1 << 20)).toBe('EINVAL'); // too few clusters for FAT32 at any size
    expect(code({ sectorsPerCluster: 3 })).toBe('EINVAL');
    expect(code({ label: 'a/b' })).toBe('EINVAL');
    expect(code({ label: 'twelve chars' })).toBe('EINVAL');
    expect(code({ nfats: 17 })).toBe('EINVAL');
    expect(code({ fatType: 32, rootEntries: 512 })).toBe('EINVAL');
    expect(code({ fatType: 16, infoSector: 1 })).toBe('EINVAL');
    expect(code({ bytesPerSector: 1000 })).toBe('EINVAL');
    expect(code({ sectors: 1 << 30 })).toBe('EINVAL');
    expect(code({ media: 0x12 })).toBe('EINVAL');
    expect(code({})).toBe('ok');
  });
});
