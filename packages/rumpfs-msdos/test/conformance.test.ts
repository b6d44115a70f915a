/**
 * The rumpvfs conformance kit on msdosfs, with the capabilities FAT lacks turned off as NetBSD's
 * msdosfs lacks them: no hard links, symlinks, devices, fifos, chflags; one link per directory;
 * owners and modes from the mount; file ids that follow a file's entry; 2-second modification
 * times and access dates. FAT32 images come from mkfs.fat and are checked by fsck.fat -n after
 * every case; FAT12 and FAT16 images come from our newfs_msdos and are checked by our fsck_msdos
 * (which the fsck tests hold to fsck.fat) — two tool spawns fewer per case.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { conformance } from '@rumpts/rumpvfs/testkit';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { fsck_msdos, newfs_msdos } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MKFS_FAT, fsckFat, mkfsFat, mountImage, tempDir } from './helpers.js';

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

function ourImage(img: string, fat: 12 | 16): void {
  writeFileSync(img, new Uint8Array(0));
  truncateSync(img, fat === 12 ? 8 << 20 : 32 << 20);
  const dev = new HostFileBlockDevice(img);
  newfs_msdos(dev, { fatType: fat });
  dev.close();
}

function ourFsck(img: string): void {
  const dev = new HostFileBlockDevice(img, { readonly: true });
  const r = fsck_msdos(dev);
  dev.close();
  if (!r.clean) throw new Error(`fsck_msdos -n after the case: ${r.problems.map((p) => p.message).join('; ')}`);
}

for (const fat of [12, 16, 32] as const) {
  const independent = fat === 32;
  describe.skipIf(independent && !(HAVE_MKFS_FAT && HAVE_FSCK_FAT))(`FAT${fat}`, () => conformance('msdos', async () => {
    const t = tempDir(`conf${fat}`);
    const img = join(t.path, 'img');
    if (fat === 32) mkfsFat(img, 65536, ['-F', '32']);
    else ourImage(img, fat);
    const env = await mountImage(img);
    return {
      kernel: env.k,
      proc: env.k.proc,
      mountpoint: '/mnt',
      cleanup: () => {
        try {
          // Some cases unmount themselves; every case must leave a consistent image.
          if (env.k.proc.statvfs('/mnt').fstypename === 'msdos') env.k.proc.unmount('/mnt', 0);
          env.k.halt();
          if (independent) {
            const r = fsckFat(img);
            if (!r.ok) throw new Error(`fsck.fat -n after the case:\n${r.out}`);
          } else ourFsck(img);
        } finally {
          t.cleanup();
        }
      },
    };
  }, FEATURES));
}
