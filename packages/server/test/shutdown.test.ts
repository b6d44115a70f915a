/**
 * Nothing lost, nothing double-mounted, from the server's side: SIGTERM/SIGINT sync and unmount, the
 * syncer writes on its own, an image is locked for the server's lifetime, a `:log` mount replays
 * after a SIGKILL, and an unclean image names the command that repairs it. Images are read back
 * by sleuthkit and grub (tools/ffs/verify_ffs_image.sh). `rump.halt -n` (RB_NOSYNC) writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { UkfsLib, UKFS_PARTITION_NONE } from '@rumpts/ukfs';
import { connect } from '../src/index.js';
import { type Spawned, run, spawnServer, tempDir } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const VERIFY = join(REPO, 'tools/ffs/verify_ffs_image.sh');
const FSU = join(REPO, 'packages/ukfs/dist/fsu/main.js');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function workdir(): string {
  const t = tempDir();
  cleanups.push(() => t.cleanup());
  return t.dir;
}

async function serve(dir: string, img: string, opts = '', sock = 'sock'): Promise<Spawned & { url: string }> {
  const url = `unix://${join(dir, sock)}`;
  const s = await spawnServer('rump_allserver', ['-s', '-d', `key=/dev/dk,hostpath=${img},size=8m`, '--newfs', '--mount', `ffs:/dev/dk:/mnt${opts}`, url], dir);
  cleanups.push(() => s.child.kill('SIGKILL'));
  return { ...s, url };
}

async function put(url: string, path: string, text: string): Promise<void> {
  const c = await connect(url);
  try {
    const fd = await c.open(path, O_CREAT | O_WRONLY, 0o644);
    await c.write(fd, Buffer.from(text)); // no fsync
    await c.close(fd);
  } finally {
    c.destroy();
  }
}

/** The tree the image should hold: lost+found and one file. */
function expected(dir: string, name: string, text: string): string {
  const root = join(dir, 'expect');
  mkdirSync(join(root, 'lost+found'), { recursive: true });
  chmodSync(join(root, 'lost+found'), 0o700);
  writeFileSync(join(root, name), text);
  chmodSync(join(root, name), 0o644);
  return root;
}

function verify(img: string, tree: string): void {
  const r = spawnSync('bash', [VERIFY, img, tree], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

/** A read-write mount succeeds only on a clean file system. */
async function mountsClean(img: string): Promise<void> {
  const lib = await UkfsLib.init({ logger: () => undefined });
  try {
    await lib.ensureFs('ffs');
    lib.mountDisk('ffs', img, UKFS_PARTITION_NONE).release();
  } finally {
    lib.halt();
  }
}

describe('rump_server shutdown', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} syncs and unmounts: what a client wrote (never fsynced) is on a clean image`, async () => {
      const dir = workdir();
      const img = join(dir, 'disk.img');
      const s = await serve(dir, img);
      const text = `written before ${sig}\n`.repeat(500);
      await put(s.url, '/mnt/f.txt', text);
      s.child.kill(sig);
      expect(await s.exited).toBe(0);
      expect(s.stderr()).toContain(`${sig}: syncing and unmounting`);
      verify(img, expected(dir, 'f.txt', text));
      await mountsClean(img);
    }, 60_000);
  }

  it('the syncer writes a client’s file back on its own while the server runs', async () => {
    const dir = workdir();
    const img = join(dir, 'disk.img');
    const s = await serve(dir, img);
    const text = 'the syncer wrote me\n';
    await put(s.url, '/mnt/s.txt', text);
    const tree = expected(dir, 's.txt', text);
    // NetBSD's delays (10-30 s): not on the image yet.
    expect(spawnSync('bash', [VERIFY, img, tree], { timeout: 60_000 }).status).not.toBe(0);
    const c = await connect(s.url);
    for (const t of ['delay', 'filedelay', 'dirdelay', 'metadelay']) await c.sysctl(`vfs.sync.${t}`, 1);
    c.destroy();
    await new Promise((r) => setTimeout(r, 2500)); // now overdue: the next turn of the 1 s timer writes it
    // The server is still running: the image already holds the file.
    expect(s.child.exitCode).toBeNull();
    verify(img, tree);
  }, 60_000);
});

describe('rump.halt', () => {
  it('-n (RB_NOSYNC) writes nothing: the image is byte-identical to what it was; without -n the write is on a clean image', async () => {
    const dir = workdir();
    const img = join(dir, 'disk.img');
    const s = await serve(dir, img);
    const text = 'written before rump.halt -n\n'.repeat(200);
    await put(s.url, '/mnt/n.txt', text);
    const atHalt = readFileSync(img);
    const h = await run('rump.halt', ['-n'], { env: { RUMP_SERVER: s.url } });
    expect(h.code, h.stderr).toBe(0);
    expect(await s.exited).toBe(0);
    expect(readFileSync(img).equals(atHalt)).toBe(true);
    // Mounted read-write and never unmounted: still unclean, so the next read-write mount is refused.
    await expect(mountsClean(img)).rejects.toThrow(/not clean/);

    const img2 = join(dir, 'disk2.img');
    const s2 = await serve(dir, img2, '', 'sock2');
    await put(s2.url, '/mnt/n.txt', text);
    const atHalt2 = readFileSync(img2);
    const h2 = await run('rump.halt', [], { env: { RUMP_SERVER: s2.url } });
    expect(h2.code, h2.stderr).toBe(0);
    expect(await s2.exited).toBe(0);
    expect(readFileSync(img2).equals(atHalt2)).toBe(false);
    verify(img2, expected(dir, 'n.txt', text));
    await mountsClean(img2);
  }, 60_000);
});

describe('one writer per image', () => {
  it('a second server on the image is refused, naming the first; so are fsu and fsu fsck -y', async () => {
    const dir = workdir();
    const img = join(dir, 'disk.img');
    const a = await serve(dir, img);
    const b = await serve(dir, img, '', 'sock2');
    expect(await b.exited).toBe(1);
    expect(b.stderr()).toContain(`image in use: pid ${a.child.pid} (`);
    expect(b.stderr()).toContain('holds a write lock');
    const f = spawnSync(process.execPath, [FSU, 'touch', img, '/x'], { encoding: 'utf8', timeout: 20_000 });
    expect(f.status).toBe(1);
    expect(f.stderr).toContain(`image in use: pid ${a.child.pid} (`);
    expect(f.stderr).not.toContain('not clean');
    // fsck does not mount, but takes the lock a mount would: -y is refused, naming the server.
    const y = spawnSync(process.execPath, [FSU, 'fsck', '-y', img], { encoding: 'utf8', timeout: 20_000 });
    expect(y.status).toBe(1);
    expect(y.stderr).toContain(`${img}: image in use: pid ${a.child.pid} (`);
    expect(a.child.exitCode).toBeNull();
  }, 60_000);
});

describe('after a crash (SIGKILL)', () => {
  it('a :log (WAPBL) mount replays the log at the next start and keeps what was synced', async () => {
    const dir = workdir();
    const img = join(dir, 'disk.img');
    const s = await serve(dir, img, ':log');
    const text = 'kept across a crash\n';
    await put(s.url, '/mnt/k.txt', text);
    const c = await connect(s.url);
    await c.sync();
    c.destroy();
    s.child.kill('SIGKILL');
    await s.exited;
    const again = await serve(dir, img, ':log');
    expect(again.stderr()).toContain('replaying log to disk');
    expect(again.stderr()).toContain('listening on');
    const r = await connect(again.url);
    const fd = await r.open('/mnt/k.txt', O_RDONLY);
    const buf = new Uint8Array(100);
    const n = await r.read(fd, buf);
    r.destroy();
    expect(Buffer.from(buf.subarray(0, n)).toString()).toBe(text);
  }, 60_000);

  it('without the log the next start refuses the unclean file system and says exactly what to run', async () => {
    const dir = workdir();
    const img = join(dir, 'disk.img');
    const s = await serve(dir, img);
    s.child.kill('SIGKILL');
    await s.exited;
    const again = await serve(dir, img);
    expect(await again.exited).toBe(1);
    expect(again.stderr()).toContain(`is not clean: run \`fsu fsck -y ${img}\` first`);
    const fsck = spawnSync(process.execPath, [FSU, 'fsck', '-y', img], { encoding: 'utf8', timeout: 20_000 });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const third = await serve(dir, img);
    expect(third.stderr()).toContain('listening on');
  }, 60_000);
});
