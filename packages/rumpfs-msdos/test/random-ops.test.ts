/**
 * Random operation sequences against a model (a host temp dir), on FAT12, FAT16 and FAT32 images of
 * our newfs_msdos: after the run our mount holds the model's tree; after unmount fsck.fat -n calls
 * the image clean, mtools (`mcopy -s -m`) reads back exactly the model's tree, and a fresh
 * read-only mount of ours too. MSDOS_SEED / MSDOS_NOPS repeat or lengthen a run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_RDONLY } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs_msdos } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MTOOLS, MTOOLS_ENV, fsckFat, mountImage, tempDir } from './helpers.js';
import { type Limits, Rng, runOps } from './model.js';
import { type Node, entries, hostTree, mountedTree } from './tree.js';

const SEED = Number(process.env['MSDOS_SEED'] ?? Date.now() % 1_000_000);
const NOPS = Number(process.env['MSDOS_NOPS'] ?? 300);

const BIG: Limits = {
  sizes: [0, 1, 100, 511, 4096, 5000, 20000, 70000, 300000],
  offsets: [0, 0, 1, 1000, 8192, 65536, 100000, 1 << 20],
  truncates: [0, 1, 700, 4096, 9000, 100000, 2 << 20],
};
const SMALL: Limits = { sizes: [0, 1, 100, 511, 4096, 5000, 20000], offsets: [0, 0, 1, 1000, 8192, 30000], truncates: [0, 1, 700, 4096, 9000, 50000] };

const VARIANTS = [
  { fat: 12, bytes: 12 << 20, spc: 8, lim: SMALL },
  { fat: 16, bytes: 48 << 20, spc: 2, lim: BIG },
  { fat: 32, bytes: 80 << 20, spc: 1, lim: BIG },
] as const;

/** The expected tree: the model's, with modification times only where utimes set them last. */
function expected(model: string, times: Map<string, number>): Map<string, Node> {
  const t = hostTree(model);
  for (const [k, v] of t) t.set(k, { ...v, mtime: v.dir ? 0 : (times.get(k) ?? -1) });
  return t;
}

function comparable(t: Map<string, Node>, times: Map<string, number>): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const [k, v] of t) out.set(k, { ...v, mtime: v.dir ? 0 : times.has(k) ? v.mtime : -1 });
  return out;
}

describe.skipIf(!(HAVE_FSCK_FAT && HAVE_MTOOLS))('random operations against a model', () => {
  for (const v of VARIANTS) {
    it(`FAT${v.fat}: ${NOPS} ops (seed ${SEED})`, async () => {
      const t = tempDir(`rand${v.fat}`);
      const ops: string[] = [];
      try {
        const model = join(t.path, 'model');
        mkdirSync(model);
        const img = join(t.path, 'img');
        writeFileSync(img, new Uint8Array(0));
        truncateSync(img, v.bytes);
        const dev = new HostFileBlockDevice(img);
        newfs_msdos(dev, { fatType: v.fat, sectorsPerCluster: v.spc });
        dev.close();
        const times = new Map<string, number>();
        const m = await mountImage(img);
        try {
          runOps(m.k, '/mnt', model, new Rng(SEED * 3 + v.fat), NOPS, v.lim, times, ops);
          expect(entries(comparable(mountedTree(m.k.proc, '/mnt'), times))).toEqual(entries(expected(model, times)));
        } finally {
          m.done();
        }
        const f = fsckFat(img);
        expect(f.ok, f.out).toBe(true);
        const out = join(t.path, 'out');
        mkdirSync(out);
        execFileSync('mcopy', ['-s', '-m', '-n', '-i', img, '::', `${out}/`], { env: { ...MTOOLS_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
        expect(entries(comparable(hostTree(out), times))).toEqual(entries(expected(model, times)));
        const ro = await mountImage(img, MNT_RDONLY);
        try {
          expect(entries(comparable(mountedTree(ro.k.proc, '/mnt'), times))).toEqual(entries(expected(model, times)));
        } finally {
          ro.done();
        }
      } catch (e) {
        throw new Error(`seed ${SEED} (MSDOS_SEED=${SEED}): ${(e as Error).message}\nlast ops: ${ops.slice(-12).join('; ')}`, { cause: e });
      } finally {
        t.cleanup();
      }
    }, 120_000);
  }
});
