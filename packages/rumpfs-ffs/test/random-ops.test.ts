/**
 * Random operation sequences against a model (a host temp dir) on images made by Debian's makefs,
 * UFS1 and UFS2 in both byte orders. After unmount the image is read back by a fresh read-only
 * mount, and by sleuthkit (fls/icat) where it can read the variant, and must hold the model's tree.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_RDONLY } from '@rumpts/librump';
import { HAVE_MAKEFS, makeImage, tempDir } from './helpers.js';
import { Rng, compareMounted, modelPaths, runOps } from './model.js';
import { HAVE_TSK, flsTree, icatHash, mountImage, sha256 } from './rwhelpers.js';

const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);
const NOPS = Number(process.env['FFS_NOPS'] ?? 400);

const VARIANTS = [
  { version: 1, endian: 'le' },
  { version: 1, endian: 'be' },
  { version: 2, endian: 'le' },
  { version: 2, endian: 'be' },
] as const;

describe.skipIf(!HAVE_MAKEFS)('random operations against a model', () => {
  for (const v of VARIANTS) {
    it(`UFS${v.version}-${v.endian}: ${NOPS} ops (seed ${SEED})`, async () => {
      const t = tempDir(`rand${v.version}${v.endian}`);
      try {
        const model = join(t.path, 'model');
        mkdirSync(model);
        const img = join(t.path, 'img');
        makeImage(model, img, { version: v.version, endian: v.endian, bsize: 8192, fsize: 1024, size: '48m', density: 16384 });
        const rng = new Rng(SEED * 4 + v.version * 2 + (v.endian === 'be' ? 1 : 0));
        const env = await mountImage(img);
        // Host symlinks are 0777 whatever the umask; with umask 0 ours are too, so modes compare.
        env.k.proc.umask(0);
        const ops: string[] = [];
        try {
          runOps(env.k, '/mnt', model, rng, NOPS, () => compareMounted(env.k, '/mnt', model), ops);
          compareMounted(env.k, '/mnt', model);
        } catch (e) {
          throw new Error(`seed ${SEED} (FFS_SEED=${SEED}): ${(e as Error).message}\nlast ops: ${ops.slice(-10).join('; ')}`, { cause: e });
        } finally {
          env.done();
        }
        // A fresh kernel reads back exactly the model.
        const ro = await mountImage(img, MNT_RDONLY);
        try {
          compareMounted(ro.k, '/mnt', model);
        } finally {
          ro.done();
        }
        if (HAVE_TSK && v.version === 1) {
          const tree = flsTree(img, 'ufs1');
          const want = modelPaths(model);
          const got = [...tree.keys()].filter((p) => !p.startsWith('$OrphanFiles')).sort();
          expect(got).toEqual([...want.files, ...want.dirs, ...want.links].sort());
          for (const f of want.files) expect(icatHash(img, 'ufs1', tree.get(f)!.ino), f).toBe(sha256(readFileSync(join(model, f))));
        }
      } finally {
        const keep = process.env['FFS_KEEP'];
        if (keep) cpSync(t.path, join(keep, `ufs${v.version}-${v.endian}`), { recursive: true, verbatimSymlinks: true });
        t.cleanup();
      }
    }, 120_000);
  }
});
