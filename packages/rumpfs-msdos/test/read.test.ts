/**
 * Large reads take runs of whole clusters straight from the device (denode.ts, DIRECT_READ): they
 * must return exactly what the cache path returns — for files mtools wrote (one run, and a chain
 * broken into pieces), at unaligned offsets, for data still staged, and for clusters whose newest
 * bytes are a delayed write in the buffer cache.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_RDWR } from '@rumpts/librump';
import { DIRECT_READ } from '../src/denode.js';
import { HAVE_MKFS_FAT, HAVE_MTOOLS, type Mounted, mkfsFat, mountImage, mtools, tempDir } from './helpers.js';

const tmp = tempDir('read');
afterAll(() => tmp.cleanup());

/** Read `len` bytes at `off` of `path` with one pread of at most `chunk` bytes at a time. */
function readBack(m: Mounted, path: string, off: number, len: number, chunk: number): Uint8Array {
  const p = m.k.proc;
  const fd = p.open(path, O_RDONLY);
  try {
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const n = p.pread(fd, out.subarray(done, Math.min(len, done + chunk)), off + done);
      if (n === 0) break;
      done += n;
    }
    return out;
  } finally {
    p.close(fd);
  }
}

const bytesRead = (m: Mounted): number => Number(m.k.sysctl('vfs.bufcache.bytesread'));

describe.skipIf(!HAVE_MKFS_FAT || !HAVE_MTOOLS)('large reads straight from the device', () => {
  it('files mtools wrote, whole and in pieces, at any offset: the same bytes as small reads, without the cache', async () => {
    const img = join(tmp.path, 'mt.img');
    mkfsFat(img, 8192, ['-F', '16', '-s', '2']);
    // A file in one run, then a chain in pieces: small files with every other one deleted leave
    // holes that mcopy fills first.
    const whole = randomBytes(700_000);
    writeFileSync(join(tmp.path, 'whole'), whole);
    mtools('mcopy', ['-i', img, join(tmp.path, 'whole'), '::whole']);
    for (let i = 0; i < 40; i++) {
      writeFileSync(join(tmp.path, `s${i}`), randomBytes(3000));
      mtools('mcopy', ['-i', img, join(tmp.path, `s${i}`), `::s${i}`]);
    }
    for (let i = 0; i < 40; i += 2) mtools('mdel', ['-i', img, `::s${i}`]);
    const pieces = randomBytes(400_000);
    writeFileSync(join(tmp.path, 'pieces'), pieces);
    mtools('mcopy', ['-i', img, join(tmp.path, 'pieces'), '::pieces']);
    const m = await mountImage(img);
    try {
      for (const [name, want] of [['/mnt/whole', whole], ['/mnt/pieces', pieces]] as const) {
        const before = bytesRead(m);
        const big = readBack(m, name, 0, want.length, 1 << 20);
        expect(Buffer.from(big).equals(want)).toBe(true);
        // Only the partial last cluster came through the cache.
        expect(bytesRead(m) - before).toBeLessThan(DIRECT_READ);
        // Unaligned: a partial first cluster, then whole ones.
        expect(Buffer.from(readBack(m, name, 777, want.length - 777, 1 << 20)).equals(want.subarray(777))).toBe(true);
        // Small reads (the cache path) agree.
        expect(Buffer.from(readBack(m, name, 0, want.length, 4096)).equals(want)).toBe(true);
      }
    } finally {
      m.done();
    }
  });

  it('sees data still staged and delayed writes in the cache', async () => {
    const img = join(tmp.path, 'ours.img');
    mkfsFat(img, 36 * 1024, ['-F', '32', '-s', '1']);
    const model = new Uint8Array(randomBytes(500_000));
    const m = await mountImage(img);
    try {
      const p = m.k.proc;
      const fd = p.open('/mnt/f', O_CREAT | O_RDWR, 0o644);
      try {
        // Fresh clusters: staged on their way to the device, read back before any sync.
        expect(p.write(fd, model)).toBe(model.length);
        expect(Buffer.from(readBack(m, '/mnt/f', 0, model.length, 1 << 20)).equals(model)).toBe(true);
        // Bytes inside old clusters go through the cache as delayed writes; the large read must
        // take them from there, not from the device.
        const patch = new Uint8Array(randomBytes(70_000));
        expect(p.pwrite(fd, patch, 123_457)).toBe(patch.length);
        model.set(patch, 123_457);
        expect(Number(m.k.sysctl('vfs.bufcache.dirty'))).toBeGreaterThan(0);
        expect(Buffer.from(readBack(m, '/mnt/f', 0, model.length, 1 << 20)).equals(model)).toBe(true);
        expect(Buffer.from(readBack(m, '/mnt/f', 100_001, 300_000, 1 << 20)).equals(model.subarray(100_001, 400_001))).toBe(true);
      } finally {
        p.close(fd);
      }
    } finally {
      m.done();
    }
    // What reached the image is what mtools reads, and what a fresh mount reads in one large read.
    const out = join(tmp.path, 'f.out');
    mtools('mcopy', ['-i', img, '::f', out]);
    expect(readFileSync(out).equals(model)).toBe(true);
    const again = await mountImage(img);
    try {
      expect(Buffer.from(readBack(again, '/mnt/f', 0, model.length, 1 << 20)).equals(model)).toBe(true);
    } finally {
      again.done();
    }
  });
});
