/**
 * Nothing lost without halt(): the kernel's syncer writes changes back on its own while the
 * program runs, writes nothing when nothing changed, and a program that ends without halt() still
 * leaves a clean image holding what it wrote. Images are read back by sleuthkit and grub
 * (tools/ffs/verify_ffs_image.sh), never by our own FFS code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { UkfsLib, UKFS_PARTITION_NONE } from '../src/index.js';
import { tmp } from './helpers.js';

const PKG = resolve(import.meta.dirname, '..');
const REPO = resolve(PKG, '../..');
const FSU = join(PKG, 'dist/fsu/main.js');
const VERIFY = join(REPO, 'tools/ffs/verify_ffs_image.sh');

/** A fresh 8 MiB UFS2 image made by `fsu newfs`. */
function newImage(dir: string): string {
  const img = join(dir, 'disk.img');
  execFileSync(process.execPath, [FSU, 'newfs', '-s', '8m', img], { stdio: 'pipe' });
  return img;
}

/** A host tree the image should hold (lost+found as newfs makes it). */
function expectedTree(dir: string, files: Record<string, string>, dirs: string[] = []): string {
  const root = join(dir, 'expect');
  mkdirSync(join(root, 'lost+found'), { recursive: true });
  chmodSync(join(root, 'lost+found'), 0o700);
  for (const d of dirs) {
    mkdirSync(join(root, d), { recursive: true });
    chmodSync(join(root, d), 0o755);
  }
  for (const [f, text] of Object.entries(files)) {
    writeFileSync(join(root, f), text);
    chmodSync(join(root, f), 0o644);
  }
  return root;
}

function verify(img: string, tree: string): { ok: boolean; out: string } {
  const r = spawnSync('bash', [VERIFY, img, tree], { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('the syncer', () => {
  it('puts a file written and never fsynced on the image once the sync delay passes, the process still running', async () => {
    const dir = tmp();
    const img = newImage(dir);
    const lib = await UkfsLib.init({ logger: () => undefined });
    try {
      await lib.ensureFs('ffs');
      const fs = lib.mountDisk('ffs', img, UKFS_PARTITION_NONE);
      fs.mkdir('/d', 0o755);
      const text = 'x'.repeat(70_000) + '\nnot fsynced\n';
      const fd = fs.open('/d/file.txt', O_CREAT | O_WRONLY, 0o644);
      fs.writeFd(fd, 0, Buffer.from(text)); // no fsync, no sync, no release
      fs.close(fd);
      const tree = expectedTree(dir, { 'd/file.txt': text }, ['d']);
      // Not yet (the delays are NetBSD's 10-30 s): the data blocks are still only in the buffer cache.
      expect(verify(img, tree).ok).toBe(false);
      expect(lib.kernel.syncer.passes).toBe(0);
      // Shorter delays: the changes made above are now overdue.
      for (const t of ['delay', 'filedelay', 'dirdelay', 'metadelay']) lib.kernel.sysctl(`vfs.sync.${t}`, 1);
      await until(() => lib.kernel.syncer.passes > 0 && !lib.kernel.syncer.busy, 10_000);
      expect(lib.kernel.syncer.passes).toBeGreaterThan(0);
      const v = verify(img, tree);
      expect(v.ok, v.out).toBe(true);
    } finally {
      lib.halt();
    }
  }, 30_000);

  it('writes nothing when nothing is dirty: reads alone start no pass and leave the image bytes as they were', async () => {
    const dir = tmp();
    const img = newImage(dir);
    const lib = await UkfsLib.init({ logger: () => undefined });
    try {
      for (const t of ['delay', 'filedelay', 'dirdelay', 'metadelay']) lib.kernel.sysctl(`vfs.sync.${t}`, 1);
      await lib.ensureFs('ffs');
      const fs = lib.mountDisk('ffs', img, UKFS_PARTITION_NONE);
      lib.kernel.proc.sync(); // the mount point made in the root counts as a change: write it off
      const before = sha(img);
      const passes = lib.kernel.syncer.passes;
      for (let i = 0; i < 3; i++) {
        fs.readdir('/');
        fs.stat('/lost+found');
        const fd = fs.open('/', O_RDONLY);
        fs.close(fd);
        await new Promise((r) => setTimeout(r, 1000)); // a full sync delay each round
      }
      expect(lib.kernel.syncer.isDirty).toBe(false);
      expect(lib.kernel.syncer.passes).toBe(passes);
      expect(sha(img)).toBe(before);
    } finally {
      lib.halt();
    }
  }, 30_000);
});

describe('a program that never calls halt()', () => {
  for (const mode of ['end', 'exit', 'throw'] as const) {
    it(`keeps its data and leaves a clean image when it ends with '${mode}'`, async () => {
      const dir = tmp();
      const img = newImage(dir);
      const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures/nohalt.mjs'), img, mode], { encoding: 'utf8', timeout: 30_000 });
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(mode === 'throw' ? 1 : 0);
      const tree = expectedTree(dir, { 'kept/data.txt': `written by a program that ended with '${mode}'\n` }, ['kept']);
      const v = verify(img, tree);
      expect(v.ok, v.out).toBe(true);
      // Unmounted cleanly: a read-write mount (which refuses an unclean file system) succeeds.
      const lib = await UkfsLib.init({ logger: () => undefined });
      try {
        await lib.ensureFs('ffs');
        const fs = lib.mountDisk('ffs', img, UKFS_PARTITION_NONE);
        fs.release();
      } finally {
        lib.halt();
      }
    }, 60_000);
  }
});
