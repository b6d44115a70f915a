/**
 * Read-write test plumbing: a kernel with a block device node over a host image file (rumpdev-disk's
 * HostFileBlockDevice), the image mounted read-write, and the independent readers (sleuthkit's fls
 * and icat) to list and read what we wrote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type Kernel, S_IFBLK, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { devswOf, makedev } from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as ffs from '../src/index.js';

export const HAVE_TSK = spawnSync('fls', ['-V'], { stdio: 'ignore' }).error === undefined;
export const HAVE_GRUB = spawnSync('grub-fstest', ['--help'], { stdio: 'ignore' }).error === undefined;

export interface RwEnv {
  k: Kernel;
  dev: HostFileBlockDevice;
  /** Halt the kernel (unmounting everything) and close the image. */
  done(): void;
}

/** Boot a kernel with the image as /dev/ffs0 and mount it at /mnt with `flags`. */
export async function mountImage(image: string, flags = 0): Promise<RwEnv> {
  const k = await rump_init({ libraries: [rumpvfs, ffs] });
  const dev = new HostFileBlockDevice(image);
  const sw = devswOf(k);
  const maj = sw.freeMajor();
  sw.attach(maj, { name: 'ffsrw', open: () => dev }, null, null);
  k.proc.mknod('/dev/ffs0', S_IFBLK | 0o600, makedev(maj, 0));
  k.proc.mkdir('/mnt', 0o755);
  k.proc.mount('ffs', '/mnt', flags, { fspec: '/dev/ffs0' });
  return {
    k,
    dev,
    done: () => {
      k.halt();
      dev.close();
    },
  };
}

export interface TskEntry {
  type: string;
  ino: number;
}

/** fls -r -p: path → {type, inode} for every allocated name (deleted ones are skipped). */
export function flsTree(image: string, ufs: 'ufs1' | 'ufs2'): Map<string, TskEntry> {
  const out = execFileSync('fls', ['-r', '-p', '-u', '-f', ufs, image], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = new Map<string, TskEntry>();
  for (const line of out.split('\n')) {
    const t = /^(\S)\/(\S)\s+(\d+)(?:\(realloc\))?:\t(.*)$/.exec(line);
    if (!t) continue;
    m.set(t[4]!, { type: t[1]!, ino: Number(t[3]) });
  }
  return m;
}

/** sha256 of icat's output for inode `ino`. */
export function icatHash(image: string, ufs: 'ufs1' | 'ufs2', ino: number): string {
  const b = execFileSync('icat', ['-f', ufs, image, String(ino)], { maxBuffer: 1 << 30 });
  return createHash('sha256').update(b).digest('hex');
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
