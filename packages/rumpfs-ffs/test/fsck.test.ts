/**
 * fsck: images from Debian's makefs, from our newfs, and images our read-write path changed are
 * clean; each fault class injected into an unmounted image is found by -n (which writes nothing),
 * repaired by -y, and then -n is clean; the repaired image is listed by sleuthkit as expected.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_WRONLY } from '@rumpts/librump';
import { HostFileBlockDevice, MemoryBlockDevice } from '@rumpts/rumpdev-disk';
import { fsck, newfs, ondisk } from '../src/index.js';
import { HAVE_MAKEFS, makeImage, pattern, tempDir, writeTree } from './helpers.js';
import { ImageEditor, fileHash, runFsck } from './fsckhelpers.js';
import { Rng, runOps } from './model.js';
import { HAVE_TSK, flsTree, icatHash, mountImage, sha256 } from './rwhelpers.js';

const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);

function blankImage(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

function newfsImage(path: string, version: 1 | 2, endian: 'le' | 'be', bytes = 24 << 20): void {
  blankImage(path, bytes);
  const dev = new HostFileBlockDevice(path);
  newfs(dev, { version, endian, bsize: 4096, fsize: 512, density: 8192 });
  dev.close();
}

/** Files the fault tests use, written through the kernel. */
async function populate(img: string): Promise<void> {
  const env = await mountImage(img);
  const p = env.k.proc;
  try {
    const put = (path: string, data: Uint8Array): void => {
      const fd = p.open(`/mnt${path}`, O_CREAT | O_WRONLY, 0o644);
      p.pwrite(fd, data, 0);
      p.close(fd);
    };
    p.mkdir('/mnt/d1', 0o755);
    p.mkdir('/mnt/d2', 0o755);
    p.mkdir('/mnt/d2/sub', 0o755);
    put('/d1/f1', pattern('f1', 20000));
    put('/d1/f2', pattern('f2', 9000));
    put('/d1/f3', pattern('f3', 300));
    put('/d2/sub/g', pattern('g', 100));
    put('/h', pattern('h', 70000));
    p.link('/mnt/h', '/mnt/d1/hlink');
    p.symlink('d1/f1', '/mnt/sl');
  } finally {
    env.done();
  }
}

describe('fsck on consistent images', () => {
  it.skipIf(!HAVE_MAKEFS)('Debian makefs images are clean (UFS1/UFS2, both byte orders, several block sizes)', () => {
    const t = tempDir('fsckmk');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      writeTree(src, { bsize: 4096, big: false, bigdir: 600 });
      for (const version of [1, 2] as const) {
        for (const endian of ['le', 'be'] as const) {
          for (const [bsize, fsize] of [[4096, 512], [8192, 1024], [16384, 4096]] as const) {
            const img = join(t.path, `mk${version}${endian}${bsize}`);
            makeImage(src, img, { version, endian, bsize, fsize, size: '40m' });
            const r = runFsck(img, false);
            expect(r.problems.map((x) => x.message), `UFS${version}-${endian} ${bsize}/${fsize}`).toEqual([]);
            expect(r.exitStatus).toBe(0);
            expect(r.clean).toBe(true);
          }
        }
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);

  for (const version of [1, 2] as const) {
    for (const endian of ['le', 'be'] as const) {
      it(`newfs UFS${version}-${endian} is clean, and stays clean after random ops through the kernel (seed ${SEED})`, async () => {
        const t = tempDir(`fsckrw${version}${endian}`);
        try {
          const img = join(t.path, 'img');
          newfsImage(img, version, endian);
          expect(runFsck(img, false).problems).toEqual([]);
          const model = join(t.path, 'model');
          mkdirSync(join(model, 'lost+found'), { recursive: true });
          const env = await mountImage(img);
          env.k.proc.umask(0);
          try {
            runOps(env.k, '/mnt', model, new Rng(SEED * 13 + version * 2 + (endian === 'be' ? 1 : 0)), 300);
          } finally {
            env.done();
          }
          const r = runFsck(img, false);
          expect(r.problems.map((x) => x.message), `seed ${SEED}`).toEqual([]);
          expect(r.exitStatus).toBe(0);
        } finally {
          t.cleanup();
        }
      }, 120_000);
    }
  }

  it.skipIf(!HAVE_MAKEFS)(`Debian makefs images changed by random ops are clean (seed ${SEED})`, async () => {
    const t = tempDir('fsckmkrw');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      writeTree(src, { bsize: 8192, big: false, bigdir: 200 });
      for (const version of [1, 2] as const) {
        const img = join(t.path, `img${version}`);
        makeImage(src, img, { version, endian: version === 1 ? 'be' : 'le', bsize: 8192, fsize: 1024, size: '40m' });
        const env = await mountImage(img);
        try {
          const p = env.k.proc;
          for (let i = 0; i < 50; i++) {
            const fd = p.open(`/mnt/bigdir/new${i}`, O_CREAT | O_WRONLY, 0o644);
            p.pwrite(fd, pattern(`n${i}`, (i * 997) % 30000), 0);
            p.close(fd);
          }
          for (let i = 0; i < 200; i += 3) p.unlink(`/mnt/bigdir/e${i + 1}`);
          p.rename('/mnt/files', '/mnt/deep/files2');
          p.truncate('/mnt/files_gone', 0);
        } catch {
          // files_gone does not exist: the ops before it are what matter.
        } finally {
          env.done();
        }
        expect(runFsck(img, false).problems.map((x) => x.message)).toEqual([]);
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);
});

interface Fault {
  name: string;
  /** Problem kinds -n must report (others may come along). */
  expect: string[];
  inject(ed: ImageEditor): void;
  /** After repair: paths sleuthkit must (not) list. */
  after?(tree: Map<string, { type: string; ino: number }>, ed: ImageEditor, img: string, ufs: 'ufs1' | 'ufs2'): void;
}

/** Remove the record named `name` from a chunk by merging it into the one before. */
function unlinkRecord(ed: ImageEditor, dirIno: number, name: string): number {
  let victim = 0;
  ed.patchDirChunk(dirIno, (b, dv) => {
    const recs = ed.records(b, dv);
    const i = recs.findIndex((r) => r.name === name);
    if (i <= 0) throw new Error(`${name} is not a mergeable record`);
    const prev = recs[i - 1]!;
    victim = recs[i]!.ino;
    dv.setUint16(prev.off + 4, prev.reclen + recs[i]!.reclen, ed.fs.le);
  });
  return victim;
}

const FAULTS: Fault[] = [
  {
    name: 'a wrong link count',
    expect: ['link-count'],
    inject: (ed) => ed.patchInode(ed.lookup('/d1/f1'), (d) => void (d.nlink += 2)),
  },
  {
    name: 'a used block marked free',
    expect: ['block-map'],
    inject: (ed) => {
      const a = ed.dinode(ed.lookup('/h')).db[2]!;
      const c = ondisk.dtog(ed.fs, a);
      ed.patchCg(c, (cgp) => {
        const rel = a - ondisk.cgbase(ed.fs, c);
        for (let i = 0; i < ed.fs.frag; i++) cgp.setBit(cgp.get('freeoff'), rel + i);
      });
    },
  },
  {
    name: 'a free block marked used',
    expect: ['block-map'],
    inject: (ed) => {
      const c = ed.fs.ncg - 1;
      ed.patchCg(c, (cgp) => {
        const free = cgp.get('freeoff');
        const nblk = Math.floor(cgp.get('ndblk') / ed.fs.frag);
        for (let b = nblk - 1; b >= 0; b--) {
          let all = true;
          for (let i = 0; i < ed.fs.frag; i++) all &&= cgp.bit(free, b * ed.fs.frag + i);
          if (all) {
            for (let i = 0; i < ed.fs.frag; i++) cgp.clrBit(free, b * ed.fs.frag + i);
            return;
          }
        }
        throw new Error('no free block');
      });
    },
  },
  {
    name: 'a wrong cylinder group summary',
    expect: ['cg-summary'],
    inject: (ed) => ed.patchCg(0, (cgp) => cgp.add('cs_nbfree', 3)),
  },
  {
    name: 'a bad directory entry',
    expect: ['dir-entry'],
    inject: (ed) =>
      ed.patchDirChunk(ed.lookup('/d1'), (b, dv) => {
        const r = ed.records(b, dv).find((x) => x.name === 'f2')!;
        dv.setUint16(r.off + 4, 6, ed.fs.le);
      }),
    after: (tree) => {
      expect(tree.has('d1/f2')).toBe(false);
      expect([...tree.keys()].some((p) => p.startsWith('lost+found/#'))).toBe(true);
    },
  },
  {
    name: 'an orphan inode (a file whose name is gone)',
    expect: ['unref-file'],
    inject: (ed) => void unlinkRecord(ed, ed.lookup('/d1'), 'f2'),
    after: (tree, _ed, img, ufs) => {
      const lf = [...tree.keys()].filter((p) => p.startsWith('lost+found/#'));
      expect(lf).toHaveLength(1);
      expect(icatHash(img, ufs, tree.get(lf[0]!)!.ino)).toBe(sha256(pattern('f2', 9000)));
    },
  },
  {
    name: 'an orphan directory',
    expect: ['unref-dir'],
    inject: (ed) => void unlinkRecord(ed, ondisk.UFS_ROOTINO, 'd2'),
    after: (tree) => {
      const lf = [...tree.keys()].filter((p) => /^lost\+found\/#\d+\/sub\/g$/.test(p));
      expect(lf).toHaveLength(1);
    },
  },
  {
    name: 'a duplicate block',
    expect: ['dup-block'],
    inject: (ed) => {
      const a = ed.dinode(ed.lookup('/d1/f1')).db[0]!;
      ed.patchInode(ed.lookup('/d1/f2'), (d) => void (d.db[0] = a));
    },
    after: (tree) => {
      expect(tree.has('d1/f1')).toBe(false);
      expect(tree.has('d1/f2')).toBe(false);
      expect(tree.has('d1/f3')).toBe(true);
    },
  },
];

describe('fsck finds and repairs injected faults', () => {
  for (const [version, endian] of [[2, 'le'], [1, 'be']] as const) {
    for (const f of FAULTS) {
      it(`UFS${version}-${endian}: ${f.name}`, async () => {
        const t = tempDir('fsckfault');
        try {
          const img = join(t.path, 'img');
          newfsImage(img, version, endian);
          await populate(img);
          expect(runFsck(img, false).problems).toEqual([]);
          const ed = new ImageEditor(img);
          try {
            f.inject(ed);
          } finally {
            ed.close();
          }
          const before = fileHash(img);
          const n = runFsck(img, false);
          expect(fileHash(img), '-n must not write').toBe(before);
          expect(n.clean).toBe(false);
          expect(n.exitStatus).toBe(2);
          for (const k of f.expect) expect(n.problems.map((p) => p.kind)).toContain(k);
          const y = runFsck(img, true);
          expect(y.repaired).toBe(true);
          expect(y.exitStatus, y.problems.filter((p) => !p.repaired).map((p) => p.message).join('; ')).toBe(0);
          const again = runFsck(img, false);
          expect(again.problems.map((p) => p.message)).toEqual([]);
          expect(again.exitStatus).toBe(0);
          const ufs = version === 1 ? 'ufs1' : 'ufs2';
          if (HAVE_TSK) {
            const tree = flsTree(img, ufs);
            expect([...tree.keys()].filter((p) => p.startsWith('$OrphanFiles/'))).toEqual([]);
            expect(tree.get('d2/sub/g') ?? [...tree.keys()].find((p) => p.endsWith('/sub/g'))).toBeDefined();
            if (tree.has('h')) expect(icatHash(img, ufs, tree.get('h')!.ino)).toBe(sha256(pattern('h', 70000)));
            const ed2 = new ImageEditor(img);
            try {
              f.after?.(tree, ed2, img, ufs);
            } finally {
              ed2.close();
            }
          }
        } finally {
          t.cleanup();
        }
      }, 60_000);
    }
  }
});

describe('fsck on corrupt images', () => {
  it(`never throws or hangs, and -y leaves an image -n finds clean (seed ${SEED})`, async () => {
    const t = tempDir('fsckfuzz');
    try {
      const img = join(t.path, 'img');
      newfsImage(img, 2, 'le', 8 << 20);
      await populate(img);
      const base = new Uint8Array(readFileSync(img));
      const rng = new Rng(SEED);
      const ed = new ImageEditor(img);
      const fs = ed.fs;
      const dirblk = (path: string): number => ondisk.fsbtob(fs, ed.dinode(ed.lookup(path)).db[0]!);
      // Metadata areas: cg 0's header, its first inodes, the root's and d1's directory blocks.
      const areas = [
        [ondisk.fsbtob(fs, ondisk.cgtod(fs, 0)), fs.cgsize],
        [ondisk.fsbtob(fs, ondisk.cgimin(fs, 0)), 24 * 256],
        [dirblk('/'), 512],
        [dirblk('/d1'), 512],
      ] as const;
      ed.close();
      let cleanAfter = 0;
      const N = Number(process.env['FFS_FSCK_FUZZ'] ?? 60);
      for (let i = 0; i < N; i++) {
        const bytes = base.slice();
        const [off, len] = rng.pick(areas);
        for (let k = 0; k < 1 + rng.int(8); k++) bytes[off + rng.int(len)] = rng.int(256);
        const dev = new MemoryBlockDevice(bytes);
        const y = fsck(dev, { repair: true });
        expect([0, 2, 8]).toContain(y.exitStatus);
        const n = fsck(new MemoryBlockDevice(bytes, { readonly: true }), { repair: false });
        if (y.exitStatus === 0) {
          expect(n.problems.map((p) => p.message), `case ${i} seed ${SEED}; -y said: ${y.problems.map((p) => p.message).join(" | ")}`).toEqual([]);
          cleanAfter++;
        }
      }
      expect(cleanAfter).toBeGreaterThan(0);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
