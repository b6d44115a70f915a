/** Shared test helpers: temp dirs, the Debian FAT tools (dosfstools, mtools), mounting an image. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kernel, RUMP_ETFS_BLK, rump_init, isRumpError } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as rumpdevDisk from '@rumpts/rumpdev-disk';
import * as msdos from '../src/index.js';

function have(cmd: string, args: string[] = ['--help']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}

export const HAVE_MKFS_FAT = have('mkfs.fat');
export const HAVE_FSCK_FAT = have('fsck.fat');
export const HAVE_MTOOLS = have('mdir', ['-V']);

/** mtools without its geometry checks, and a fixed time zone so DOS local times compare. */
export const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLS_NO_VFAT: '', TZ: 'UTC', MTOOLSRC: '/dev/null' };

export function tempDir(tag: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `msdos-${tag}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** mkfs.fat an image file of `sizeKiB` KiB (created). */
export function mkfsFat(img: string, sizeKiB: number, opts: string[] = []): void {
  rmSync(img, { force: true });
  execFileSync('mkfs.fat', ['-C', ...opts, img, String(sizeKiB)], { stdio: 'pipe' });
}

/**
 * fsck.fat -n: exit 0 and not a word besides its version line and the summary — it exits 0 for
 * some findings it only reports ("Not auto-correcting this"), which count as complaints here.
 */
export function fsckFat(img: string): { ok: boolean; out: string } {
  const r = spawnSync('fsck.fat', ['-n', img], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const quiet = lines.every((l) => /^fsck\.fat \d/.test(l) || /: \d+ files, \d+\/\d+ clusters$/.test(l));
  return { ok: r.status === 0 && quiet, out };
}

/** Run an mtools command on an image (`::` paths). */
export function mtools(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env: MTOOLS_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Mounted {
  k: Kernel;
  done(): void;
}

/** Boot a kernel, register `img` as /dev/sd0 and mount it at /mnt. */
export async function mountImage(img: string, flags = 0, args: Record<string, unknown> = {}): Promise<Mounted> {
  const k = await rump_init({ libraries: [rumpvfs, etfs, rumpdevDisk, msdos] });
  k.etfsRegister('/dev/sd0', img, RUMP_ETFS_BLK);
  k.proc.mkdir('/mnt', 0o755);
  k.proc.mount('msdos', '/mnt', flags, { fspec: '/dev/sd0', ...args });
  return {
    k,
    done: () => {
      try {
        k.proc.unmount('/mnt', 0);
      } finally {
        k.halt();
      }
    },
  };
}

/** The errno code a kernel call fails with ('ok' when it does not fail); anything else is rethrown. */
export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'ok';
}
