/**
 * The rumpvfs conformance kit on msdosfs, with the capabilities FAT lacks turned off as NetBSD's
 * msdosfs lacks them: no hard links, symlinks, devices, fifos, chflags; one link per directory;
 * owners and modes from the mount; file ids that follow a file's entry; 2-second modification
 * times and access dates.
 */
import { join } from 'node:path';
import { describe } from 'vitest';
import { conformance } from '@rumpts/rumpvfs/testkit';
import { HAVE_MKFS_FAT, fsckFat, mkfsFat, mountImage, tempDir } from './helpers.js';

const FEATURES = {
  link: false,
  symlink: false,
  devices: false,
  fifo: false,
  chflags: false,
  dirLinkCounts: false,
  nsec: false,
  owners: false,
  modes: false,
  stableFileIds: false,
  mtimeResolution: 2,
  atimeResolution: 86400,
} as const;

for (const fat of [12, 16, 32] as const) {
  describe.skipIf(!HAVE_MKFS_FAT)(`FAT${fat}`, () => conformance('msdos', async () => {
    const t = tempDir(`conf${fat}`);
    const img = join(t.path, 'img');
    mkfsFat(img, fat === 12 ? 8192 : fat === 16 ? 32768 : 65536, ['-F', String(fat), ...(fat === 12 ? ['-s', '8'] : [])]);
    const env = await mountImage(img);
    return {
      kernel: env.k,
      proc: env.k.proc,
      mountpoint: '/mnt',
      cleanup: () => {
        try {
          // Some cases unmount themselves; every case must leave an image dosfstools calls clean.
          if (env.k.proc.statvfs('/mnt').fstypename === 'msdos') env.k.proc.unmount('/mnt', 0);
          env.k.halt();
          const r = fsckFat(img);
          if (!r.ok) throw new Error(`fsck.fat -n after the case:\n${r.out}`);
        } finally {
          t.cleanup();
        }
      },
    };
  }, FEATURES));
}
