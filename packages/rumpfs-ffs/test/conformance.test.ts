/**
 * The rumpvfs conformance kit (NetBSD tests/fs/vfs cases, read and write) against FFS mounted
 * read-write at /mnt: each case gets a fresh UFS2 image made by Debian's makefs from an empty tree.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { conformance } from '@rumpts/rumpvfs/testkit';
import { HAVE_MAKEFS, makeImage, tempDir } from './helpers.js';
import { mountImage } from './rwhelpers.js';

if (HAVE_MAKEFS) {
  for (const version of [1, 2] as const) {
    describe(`UFS${version}`, () => conformance('ffs', async () => {
      const t = tempDir(`conf${version}`);
      const src = join(t.path, 'empty');
      mkdirSync(src);
      const img = join(t.path, 'img');
      makeImage(src, img, { version, endian: version === 1 ? 'be' : 'le', size: '32m', density: 8192 });
      const env = await mountImage(img);
      return {
        kernel: env.k,
        proc: env.k.proc,
        mountpoint: '/mnt',
        cleanup: () => {
          env.done();
          t.cleanup();
        },
      };
    }));
  }
} else {
  describe.skip('conformance (makefs missing)', () => undefined);
}
