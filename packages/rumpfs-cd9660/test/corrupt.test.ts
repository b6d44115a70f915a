/**
 * Damaged media: every failure is a RumpError with a clear errno (EINVAL at mount, EIO later),
 * never a crash or a hang — targeted damage first, then a seeded mutation run over the metadata.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kernel, MNT_RDONLY, RUMP_ETFS_BLK, isRumpError, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as cd9660 from '../src/index.js';
import { code, HAVE_MAKEFS, listDir, makefsIso, readAll, rumpTree, tempDir, writeTree } from './helpers.js';

const tmp = tempDir('corrupt');
afterAll(() => tmp.cleanup());
let pristine = new Uint8Array(0);
let rootExtent = 0;
beforeAll(() => {
  if (!HAVE_MAKEFS) return;
  writeTree(join(tmp.dir, 'src'));
  pristine = readFileSync(makefsIso(join(tmp.dir, 'src'), join(tmp.dir, 'good.iso')));
  rootExtent = Buffer.from(pristine).readUInt32LE(16 * 2048 + 156 + 2);
});

let seq = 0;
/** Boot a kernel with the (damaged) bytes as /dev/cd0 and try to mount them. */
async function tryMount(bytes: Uint8Array): Promise<{ k: Kernel; err: unknown }> {
  const path = join(tmp.dir, `img-${seq++}.iso`);
  writeFileSync(path, bytes);
  const k = await rump_init({ libraries: [rumpvfs, etfs, cd9660] });
  k.etfsRegister('/dev/cd0', path, RUMP_ETFS_BLK);
  k.proc.mkdir('/mnt', 0o755);
  try {
    k.proc.mount('cd9660', '/mnt', MNT_RDONLY, { fspec: '/dev/cd0' });
    return { k, err: null };
  } catch (e) {
    return { k, err: e };
  }
}

function damaged(edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(pristine);
  edit(b);
  return b;
}

describe.skipIf(!HAVE_MAKEFS)('damaged images', () => {
  it('no primary volume descriptor → EINVAL at mount', async () => {
    const { k, err } = await tryMount(damaged((b) => b.fill(0, 16 * 2048, 17 * 2048)));
    expect(isRumpError(err) && err.code).toBe('EINVAL');
    expect(String(err)).toMatch(/primary volume descriptor/);
    k.halt();
  });

  it('a bad logical block size → EINVAL naming it', async () => {
    const { k, err } = await tryMount(damaged((b) => b.writeUInt16LE(3000, 16 * 2048 + 128)));
    expect(isRumpError(err) && err.code).toBe('EINVAL');
    expect(String(err)).toMatch(/logical block size 3000/);
    k.halt();
  });

  it('a root extent past the end of the device → EIO', async () => {
    const { k, err } = await tryMount(damaged((b) => b.writeUInt32LE(0x7fffffff, 16 * 2048 + 156 + 2)));
    expect(isRumpError(err) && err.code).toBe('EIO');
    k.halt();
  });

  it('a directory record shorter than its fixed part → EIO on readdir, not a loop', async () => {
    // The third record of the root (the first real entry) gets length 5.
    const { k, err } = await tryMount(
      damaged((b) => {
        const at = rootExtent * 2048;
        const second = at + (b[at] ?? 0);
        b[second + (b[second] ?? 0)] = 5;
      }),
    );
    expect(err).toBeNull();
    let e: unknown;
    try {
      rumpTree(k, '/mnt');
    } catch (x) {
      e = x;
    }
    expect(isRumpError(e) && e.code).toBe('EIO');
    k.halt();
  });

  it('a damaged last record of a directory: names before it are still found, a missing name is EIO, lookup after lookup', async () => {
    const good = await tryMount(pristine);
    expect(good.err).toBeNull();
    const names = listDir(good.k, '/mnt').filter((n) => n !== '.' && n !== '..');
    expect(names.length).toBeGreaterThan(2);
    expect(code(() => good.k.proc.stat('/mnt/no-such-name'))).toBe('ENOENT');
    good.k.halt();
    const { k, err } = await tryMount(
      damaged((b) => {
        // The root's last record gets length 5 (shorter than a record's fixed part): the last one
        // of its last block (its size is in the root record of the primary volume descriptor).
        const rootSize = b.readUInt32LE(16 * 2048 + 156 + 10);
        const at = rootExtent * 2048 + (Math.ceil(rootSize / 2048) - 1) * 2048;
        let last = at;
        for (let off = at; off < at + 2048 && (b[off] ?? 0) > 0; off += b[off] ?? 0) last = off;
        b[last] = 5;
      }),
    );
    expect(err).toBeNull();
    for (let round = 0; round < 2; round++) {
      // Every name but the damaged record's is found (in record order the damaged one is last);
      // that one is EIO, not ENOENT.
      const codes = names.map((n) => code(() => k.proc.lstat(`/mnt/${n}`)));
      expect(codes.filter((c) => c === 'ok').length).toBe(names.length - 1);
      expect(codes.filter((c) => c !== 'ok')).toEqual(['EIO']);
      expect(code(() => k.proc.stat('/mnt/no-such-name'))).toBe('EIO');
    }
    k.halt();
  });

  it('a SUSP continuation (CE) that points at itself ends with EIO', async () => {
    const b = Buffer.from(pristine);
    // Find a CE entry in the root directory and aim it at its own area, forever.
    const at = rootExtent * 2048;
    const ce = b.indexOf('CE', at, 'latin1');
    expect(ce).toBeGreaterThan(at);
    const blk = b.readUInt32LE(ce + 4);
    const off = b.readUInt32LE(ce + 12);
    const area = blk * 2048 + off;
    // Write a CE at the start of the continuation area pointing back at that area.
    b.write('CE', area, 'latin1');
    b[area + 2] = 28;
    b[area + 3] = 1;
    b.writeUInt32LE(blk, area + 4);
    b.writeUInt32BE(blk, area + 8);
    b.writeUInt32LE(off, area + 12);
    b.writeUInt32BE(off, area + 16);
    b.writeUInt32LE(28, area + 20);
    b.writeUInt32BE(28, area + 24);
    const { k, err } = await tryMount(b);
    let e: unknown = err;
    if (!e) {
      try {
        rumpTree(k, '/mnt');
      } catch (x) {
        e = x;
      }
    }
    expect(isRumpError(e) && e.code).toBe('EIO');
    expect(String(e)).toMatch(/continuation/);
    k.halt();
  });

  it('seeded random damage to the metadata: only RumpErrors, always', async () => {
    // Deterministic xorshift: a failure reproduces.
    let x = 0x9e3779b9;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    // Metadata lives in the volume descriptors and the directory extents right after them.
    const metaEnd = Math.min(pristine.length, (rootExtent + 40) * 2048);
    let mounted = 0;
    for (let i = 0; i < 50; i++) {
      const b = Buffer.from(pristine);
      for (let j = 0; j < 8; j++) b[16 * 2048 + rnd(metaEnd - 16 * 2048)] = rnd(256);
      const { k, err } = await tryMount(b);
      if (err !== null) expect(isRumpError(err), err instanceof Error ? err.message : typeof err).toBe(true);
      else {
        mounted++;
        try {
          rumpTree(k, '/mnt');
          readAll(k, '/mnt/hello.txt');
        } catch (e) {
          expect(isRumpError(e), String(e)).toBe(true);
        }
      }
      k.halt();
    }
    expect(mounted).toBeGreaterThan(0);
  }, 60_000);
});
