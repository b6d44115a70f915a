/**
 * The image lock of ukfs_mount_disk: exclusive for a read-write mount, shared for read-only ones,
 * held by the process (in another process here, as a user would meet it) and gone when it dies,
 * kill -9 included. A refusal names the holder.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MNT_RDONLY } from '@rumpts/librump';
import { lockImage } from '@rumpts/rumpdev-disk';
import { UkfsLib, UKFS_PARTITION_NONE } from '../src/index.js';
import { tmp } from './helpers.js';

const FSU = resolve(import.meta.dirname, '../dist/fsu/main.js');
const HOLD = join(import.meta.dirname, 'fixtures/hold.mjs');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function newImage(): string {
  const img = join(tmp(), 'disk.img');
  execFileSync(process.execPath, [FSU, 'newfs', '-s', '4m', img], { stdio: 'pipe' });
  return img;
}

/** Another process that mounts `img` and holds it. */
async function holder(img: string, mode: 'ro' | 'rw', fstype = 'ffs'): Promise<ChildProcess> {
  const c = spawn(process.execPath, [HOLD, img, mode, ...(fstype === 'ffs' ? [] : [fstype])], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let err = '';
  c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((ok, fail) => {
    c.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('holding')) ok();
    });
    c.on('exit', (code) => fail(new Error(`holder exited ${code}: ${err}`)));
  });
  return c;
}

async function mount(img: string, flags: number): Promise<UkfsLib> {
  const lib = await UkfsLib.init({ logger: () => undefined });
  await lib.ensureFs('ffs');
  try {
    lib.mountDisk('ffs', img, UKFS_PARTITION_NONE, { flags });
  } catch (e) {
    lib.halt();
    throw e;
  }
  return lib;
}

describe('image lock', () => {
  it('refuses a second writer, naming the holder (pid and command)', async () => {
    const img = newImage();
    const c = await holder(img, 'rw');
    await expect(mount(img, 0)).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringContaining(`image in use: pid ${c.pid} (`),
    });
    await expect(mount(img, 0)).rejects.toMatchObject({ message: expect.stringMatching(/hold\.mjs .*rw\) holds a write lock/) });
    // A reader is refused too while a writer has it.
    await expect(mount(img, MNT_RDONLY)).rejects.toMatchObject({ code: 'EBUSY' });
  });

  it('lets readers share an image, and keeps a writer out while they hold it', async () => {
    const img = newImage();
    await holder(img, 'ro');
    await holder(img, 'ro');
    const lib = await mount(img, MNT_RDONLY);
    expect(lib.handles.size).toBe(1);
    lib.halt();
    await expect(mount(img, 0)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining('holds a read lock') });
  });

  it('takes over the lock of a holder killed with SIGKILL (nothing stale is left behind)', async () => {
    const img = newImage();
    const c = await holder(img, 'ro');
    await expect(mount(img, 0)).rejects.toMatchObject({ code: 'EBUSY' });
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    const lib = await mount(img, 0);
    lib.halt();
  });

  it('a writer killed mid-mount leaves its lock to the next one, and the unclean image says exactly what to run', async () => {
    const img = newImage();
    const c = await holder(img, 'rw');
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    // Not EBUSY: the lock died with the process. The file system itself was left mounted (not clean).
    await expect(mount(img, 0)).rejects.toMatchObject({
      code: 'EPERM',
      message: expect.stringContaining(`not clean: run \`fsu fsck -y ${img}\``),
    });
    execFileSync(process.execPath, [FSU, 'fsck', '-y', img], { stdio: 'pipe' });
    (await mount(img, 0)).halt();
  });

  it('is released by release() and by halt, and two mounts in one process conflict like two processes', async () => {
    const img = newImage();
    const a = await mount(img, 0);
    await expect(mount(img, MNT_RDONLY)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining('this process') });
    for (const h of a.handles) h.release();
    const b = await mount(img, 0);
    b.kernel.halt(); // halt without UkfsLib.halt: the lock still goes
    const l = lockImage(img, { shared: false });
    expect(l.held).toBe(true);
    l.release();
    a.halt();
  });
});

/** fsu ARGS: its status and standard error. */
function fsu(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [FSU, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

/** A host directory with one file, for makefs. */
function srcTree(): string {
  const d = join(tmp(), 'src');
  mkdirSync(d);
  writeFileSync(join(d, 'f.txt'), 'new tree\n');
  return d;
}

describe('image lock of the fsu tools that do not mount (fsck, newfs, makefs, mkdisk)', () => {
  it('FFS: fsck -y, newfs and makefs are refused while another process writes the image, naming it; the image is left as it was', async () => {
    const img = newImage();
    const c = await holder(img, 'rw');
    const before = readFileSync(img);
    const held = `${img}: image in use: pid ${c.pid} (`;
    for (const args of [['fsck', '-y', img], ['fsck', '-n', img], ['newfs', img], ['newfs', '-s', '8m', img], ['makefs', img, srcTree()], ['mkdisk', '-s', '8m', img, 'a:ffs:rest']]) {
      const r = fsu(...args);
      expect(r.status, `fsu ${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(held);
      expect(r.stderr).toContain('holds a write lock');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(img).equals(before)).toBe(true);
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    // Gone with the holder: fsck repairs what the killed writer left, newfs works again.
    expect(fsu('fsck', '-y', img).status).toBe(0);
    expect(fsu('newfs', img).status).toBe(0);
  }, 60_000);

  it('FFS: fsck -n shares the image with read-only users; fsck -y does not', async () => {
    const img = newImage();
    await holder(img, 'ro');
    const n = fsu('fsck', '-n', img);
    expect(n.status, n.stderr).toBe(0);
    const y = fsu('fsck', '-y', img);
    expect(y.status).toBe(1);
    expect(y.stderr).toContain('holds a read lock');
  }, 60_000);

  it('FAT: fsck -y, newfs -t msdos and makefs -t msdos are refused while another process has the image mounted', async () => {
    const img = join(tmp(), 'fat.img');
    expect(fsu('newfs', '-t', 'msdos', '-s', '4m', img).status).toBe(0);
    const c = await holder(img, 'rw', 'msdos');
    const before = readFileSync(img);
    for (const args of [['fsck', '-y', img], ['fsck', '-n', '-t', 'msdos', img], ['newfs', '-t', 'msdos', img], ['makefs', '-t', 'msdos', img, srcTree()]]) {
      const r = fsu(...args);
      expect(r.status, `fsu ${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`${img}: image in use: pid ${c.pid} (`);
    }
    expect(readFileSync(img).equals(before)).toBe(true);
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    expect(fsu('fsck', '-n', img).status).toBeLessThan(8);
    expect(fsu('newfs', '-t', 'msdos', img).status).toBe(0);
  }, 60_000);
});
