/**
 * File data staged on the mounted device (rumpdev-disk's StagedDevice, set up by ffs_mount): the
 * files written one after another go to the image in long writes. Checked here: the bytes are
 * really held back (the image file lacks them), and still every read path sees them — read(2), a
 * direct device read, the buffer cache, fsck; a halt with RB_NOSYNC drops them with the delayed
 * writes; a device that fails writes makes the write that drains, or else the next fsync, fail
 * with EIO; and a tree copied in as `fsu put -r` does is read back by fsck and independent readers.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Kernel, O_CREAT, O_RDONLY, O_WRONLY, RB_NOSYNC } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { HostFileBlockDevice, StagedDevice } from '@rumpts/rumpdev-disk';
import { type Inode, type Ufsmount, fsck } from '../src/index.js';
import { fsbtob } from '../src/ondisk/geometry.js';
import { runFsck } from './fsckhelpers.js';
import { pattern, tempDir } from './helpers.js';
import { HAVE_TSK, type RwEnv, mountImage, sha256 } from './rwhelpers.js';
import { newfsImage } from './wapblhelpers.js';

const VERIFY = resolve(import.meta.dirname, '../../../tools/ffs/verify_ffs_image.sh');
const HAVE_VERIFY = existsSync(VERIFY) && HAVE_TSK;

/** A host image that fails every write while `failing` is set (a dying disk). */
class FlakyDevice extends HostFileBlockDevice {
  failing = false;
  /** Host writes made. */
  writes = 0;
  override write(buf: Uint8Array, offset: number): void {
    if (this.failing) throw new Error('injected write failure');
    this.writes++;
    super.write(buf, offset);
  }
}

interface Env extends RwEnv<FlakyDevice> {
  ump: Ufsmount;
}

async function mount(img: string): Promise<Env> {
  const env = await mountImage(img, 0, new FlakyDevice(img));
  const ump = rumpvfs.vfsOf(env.k).mounts.find((m) => m.mntonname === '/mnt')!.data as Ufsmount;
  return { ...env, ump };
}

function put(k: Kernel, path: string, data: Uint8Array): void {
  const fd = k.proc.open(path, O_WRONLY | O_CREAT, 0o644);
  try {
    k.proc.write(fd, data);
  } finally {
    k.proc.close(fd);
  }
}

function get(k: Kernel, path: string, size: number): Uint8Array {
  const fd = k.proc.open(path, O_RDONLY);
  try {
    const b = new Uint8Array(size);
    let n = 0;
    for (let m = 1; m > 0 && n < size; n += m) m = k.proc.read(fd, b.subarray(n));
    return b.subarray(0, n);
  } finally {
    k.proc.close(fd);
  }
}

/** The image file's bytes at the first block of `path` (what a crash would leave there). */
function onImage(img: string, env: Env, path: string, len: number): { at: number; bytes: Buffer } {
  const nd = rumpvfs.namei(rumpvfs.vfsOf(env.k), env.k.proc, path, { op: rumpvfs.LOOKUP, follow: true });
  let ip: Inode;
  try {
    ip = nd.vp!.data as Inode;
  } finally {
    rumpvfs.nameiDone(nd);
  }
  const at = fsbtob(env.ump.fs, ip.din.db[0]!);
  const fd = openSync(img, 'r');
  try {
    const bytes = Buffer.alloc(len);
    readSync(fd, bytes, 0, len, at);
    return { at, bytes };
  } finally {
    closeSync(fd);
  }
}

function image(t: { path: string }, name: string): string {
  const img = join(t.path, name);
  newfsImage(img, { version: 1, endian: 'le', dev: 16 << 20 });
  return img;
}

describe('FFS file data staging', () => {
  it('holds fresh file data back, yet every read path sees it', async () => {
    const t = tempDir('stg-read');
    try {
      const img = image(t, 'r.img');
      const env = await mount(img);
      try {
        expect(env.ump.dev).toBeInstanceOf(StagedDevice);
        // Each returns the file's first `len` bytes (rounded up to whole fragments on the device).
        const frag = (len: number): number => Math.ceil(len / 1024) * 1024;
        const reads: Record<string, (path: string, len: number) => Uint8Array> = {
          'read(2)': (path, len) => get(env.k, path, len),
          'a direct device read': (path, len) => {
            const b = new Uint8Array(frag(len));
            env.ump.dev.read(b, onImage(img, env, path, 0).at);
            return b;
          },
          'the buffer cache': (path, len) => {
            const bp = env.ump.bio.bread(onImage(img, env, path, 0).at, frag(len));
            const b = bp.data.slice();
            env.ump.bio.brelse(bp);
            return b;
          },
        };
        let n = 0;
        for (const [how, read] of Object.entries(reads)) {
          // A few small files and a run of whole blocks, each staged (a read drains every run).
          // (The whole blocks of the large one follow each other on a fresh fs: one device read.)
          const files = [1000, 3072, 7000, 65536].map((size) => ({ path: `/mnt/f${n++}`, data: pattern(`${how}${size}`, size) }));
          for (const f of files) {
            put(env.k, f.path, f.data);
            const head = f.data.subarray(0, 1000);
            expect(onImage(img, env, f.path, head.length).bytes.equals(head), `${how}: ${f.path} is staged`).toBe(false);
            const got = read(f.path, f.data.length).subarray(0, f.data.length);
            expect(sha256(got), `${how}: ${f.path}`).toBe(sha256(f.data));
          }
        }
        // fsck reads the device as the mount sees it: after sync, consistent (only not marked clean).
        env.k.proc.sync();
        expect(fsck(env.ump.dev, { repair: false }).problems.filter((x) => x.kind !== 'clean-flag')).toEqual([]);
      } finally {
        env.done();
      }
      expect(runFsck(img, false).problems).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('a halt with RB_NOSYNC drops staged data with the delayed writes: the image is unchanged', async () => {
    const t = tempDir('stg-nosync');
    try {
      const img = image(t, 'n.img');
      const env = await mount(img);
      env.k.proc.sync();
      const data = pattern('nosync', 6000);
      put(env.k, '/mnt/staged', data);
      const before = readFileSync(img);
      expect(onImage(img, env, '/mnt/staged', 1024).bytes.equals(data.subarray(0, 1024))).toBe(false);
      env.k.halt(RB_NOSYNC);
      env.dev.close();
      expect(sha256(readFileSync(img))).toBe(sha256(before));
    } finally {
      t.cleanup();
    }
  });

  it('a failed write of staged data is EIO from the write that drains it, or else from the next fsync', async () => {
    const t = tempDir('stg-eio');
    try {
      const img = image(t, 'e.img');
      const env = await mount(img);
      try {
        const p = env.k.proc;
        // Staged, then the disk dies: fsync reports it (its data never reached the device).
        const fd = p.open('/mnt/a', O_WRONLY | O_CREAT, 0o644);
        p.write(fd, pattern('a', 5000));
        env.dev.failing = true;
        expect(() => p.fsync(fd)).toThrow(expect.objectContaining({ code: 'EIO' }));
        p.close(fd);
        env.dev.failing = false;
        p.sync();
        // Staged, and a write too large to stage drains it first: that write fails with EIO.
        put(env.k, '/mnt/b', pattern('b', 3000));
        env.dev.failing = true;
        expect(() => put(env.k, '/mnt/c', pattern('c', 2 << 20))).toThrow(expect.objectContaining({ code: 'EIO' }));
        env.dev.failing = false;
        // b's data was in that run: the next sync says so too, once.
        expect(() => p.sync()).toThrow(expect.objectContaining({ code: 'EIO' }));
        // Once the device works again, so does the file system.
        const d = pattern('d', 4000);
        put(env.k, '/mnt/d', d);
        p.sync();
        expect(sha256(get(env.k, '/mnt/d', d.length))).toBe(sha256(d));
      } finally {
        env.done();
      }
    } finally {
      t.cleanup();
    }
  });

  it('a tree copied in file by file (fsu put -r) reads back through fsck and independent readers', async () => {
    const t = tempDir('stg-tree');
    try {
      const src = join(t.path, 'src');
      mkdirSync(join(src, 'lost+found'), { recursive: true }); // newfs makes one
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let d = 0; d < 8; d++) {
        mkdirSync(join(src, `d${d}`), { recursive: true });
        for (let f = 0; f < 40; f++) writeFileSync(join(src, `d${d}`, `f${f}`), pattern(`${d}/${f}`, rnd(8193)));
      }
      const img = image(t, 't.img');
      const env = await mount(img);
      let filled = 0;
      try {
        const staged = env.ump.dev as StagedDevice;
        const fill = staged.gapFill!;
        staged.gapFill = (dst, off) => {
          const ok = fill(dst, off);
          if (ok) filled++;
          return ok;
        };
        for (let d = 0; d < 8; d++) {
          env.k.proc.mkdir(`/mnt/d${d}`, 0o755);
          for (let f = 0; f < 40; f++) {
            const rel = `d${d}/f${f}`;
            put(env.k, `/mnt/${rel}`, readFileSync(join(src, rel)));
          }
        }
        env.k.proc.sync();
        // Gathered: far fewer host writes than files, free fragments between them filled.
        expect(env.dev.writes).toBeLessThan(100);
        expect(filled).toBeGreaterThan(0);
      } finally {
        env.done();
      }
      expect(runFsck(img, false).problems).toEqual([]);
      if (HAVE_VERIFY) {
        const v = spawnSync(VERIFY, [img, src], { encoding: 'utf8', env: { ...process.env, CHECK_MODE: '0' }, timeout: 120_000 });
        expect(v.status, v.stderr).toBe(0);
      }
    } finally {
      t.cleanup();
    }
  });
});
