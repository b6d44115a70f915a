/**
 * The README's example, as written (only the image path differs): the code block is taken from
 * README.md and run, then the image is checked by fsck.fat and read by mtools.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs_msdos } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MTOOLS, MTOOLS_ENV, fsckFat, tempDir } from './helpers.js';

const PKG = resolve(import.meta.dirname, '..');
const BUILT = existsSync(join(PKG, 'dist/index.js'));

describe.skipIf(!BUILT || !HAVE_FSCK_FAT || !HAVE_MTOOLS)('README', () => {
  it('the example writes a long-named file that dosfstools and mtools accept', async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(PKG, 'README.md'), 'utf8'))?.[1];
    expect(block).toBeDefined();
    const t = tempDir('readme');
    try {
      const img = join(t.path, 'fat.img');
      writeFileSync(img, new Uint8Array(0));
      truncateSync(img, 8 << 20);
      const dev = new HostFileBlockDevice(img);
      newfs_msdos(dev);
      dev.close();
      // Run as a module next to the package, so its imports resolve as a user's would.
      const script = join(PKG, `.readme-${process.pid}.mjs`);
      writeFileSync(script, block!.replace("'fat.img'", JSON.stringify(img)));
      try {
        await import(pathToFileURL(script).href);
      } finally {
        execFileSync('rm', ['-f', script]);
      }
      expect(fsckFat(img).ok).toBe(true);
      const out = execFileSync('mtype', ['-i', img, '::/A long file name.txt'], { env: MTOOLS_ENV, encoding: 'utf8' });
      expect(out).toBe('hello, FAT\n');
    } finally {
      t.cleanup();
    }
  });
});
