/**
 * Large reads take their whole logical blocks straight from the device (cd9660_mount.ts,
 * DIRECT_READ): the bytes must be exactly the host file's, from images of both real tools, at
 * aligned and unaligned offsets, and the same as small reads through the buffer cache give.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Kernel, O_RDONLY } from '@rumpts/librump';
import { DIRECT_READ } from '../src/cd9660_mount.js';
import { HAVE_MAKEFS, HAVE_XORRISO, makefsIso, mountImage, tempDir, xorrisoIso } from './helpers.js';

const tmp = tempDir('read');
afterAll(() => tmp.cleanup());

/** `len` bytes at `off` of `path`, read with preads of at most `chunk` bytes. */
function readBack(k: Kernel, path: string, off: number, len: number, chunk: number): Buffer {
  const fd = k.proc.open(path, O_RDONLY);
  try {
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const n = k.proc.pread(fd, out.subarray(done, Math.min(len, done + chunk)), off + done);
      if (n === 0) break;
      done += n;
    }
    return Buffer.from(out);
  } finally {
    k.proc.close(fd);
  }
}

const bytesRead = (k: Kernel): number => Number(k.sysctl('vfs.bufcache.bytesread'));

describe('large reads straight from the device', () => {
  const src = join(tmp.dir, 'src');
  mkdirSync(src);
  const big = randomBytes(700_001);
  writeFileSync(join(src, 'big.bin'), big);
  writeFileSync(join(src, 'small.txt'), 'a small file before the big one\n');
  const tools = [
    ['xorriso', HAVE_XORRISO, (out: string) => xorrisoIso(src, out)],
    ['makefs -t cd9660', HAVE_MAKEFS, (out: string) => makefsIso(src, out)],
  ] as const;
  for (const [tool, have, make] of tools) {
    it.skipIf(!have)(`${tool}: the file's bytes at any offset, whole blocks not through the cache`, async () => {
      const k = await mountImage(make(join(tmp.dir, `${tool.split(' ')[0]}.iso`)));
      try {
        const before = bytesRead(k);
        expect(readBack(k, '/mnt/big.bin', 0, big.length, 1 << 20).equals(big)).toBe(true);
        // Only the partial last block came through the cache.
        expect(bytesRead(k) - before).toBeLessThan(DIRECT_READ);
        for (const off of [777, 2048, 650_000]) {
          expect(readBack(k, '/mnt/big.bin', off, big.length - off, 1 << 20).equals(big.subarray(off))).toBe(true);
        }
        expect(readBack(k, '/mnt/big.bin', 0, big.length, 4096).equals(big)).toBe(true);
      } finally {
        k.halt();
      }
    });
  }
});
