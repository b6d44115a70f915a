/**
 * fsck_msdos against injected faults of every class it knows, on FAT12, FAT16 and FAT32 images
 * made and filled by us: dosfstools' fsck.fat -n must see each fault (so the fault is real), ours
 * must report it with -n (exit 2, nothing written) and repair it with -y, after which fsck.fat -n
 * and our own -n both call the image clean, and the files not hit by the fault read back intact.
 */
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { type FsckMsdosProblemKind, fsck_msdos, newfs_msdos } from '../src/index.js';
import { HAVE_FSCK_FAT, fsckFat, mountImage, tempDir } from './helpers.js';
import { Surgeon } from './surgeon.js';

const FILES: Record<string, number> = {
  '/small.txt': 100,
  '/A Long File Name.data': 20000,
  '/dir/nested file.bin': 70000,
  '/dir/sub/deep.txt': 5000,
  '/victim.bin': 9000,
  '/other.bin': 12000,
};

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

async function populate(img: string, bytes: number, fatType: 12 | 16 | 32): Promise<void> {
  writeFileSync(img, new Uint8Array(0));
  truncateSync(img, bytes);
  const dev = new HostFileBlockDevice(img);
  newfs_msdos(dev, { fatType, sectorsPerCluster: 1 });
  dev.close();
  const m = await mountImage(img);
  const p = m.k.proc;
  p.mkdir('/mnt/dir', 0o755);
  p.mkdir('/mnt/dir/sub', 0o755);
  let seed = 1;
  for (const [f, n] of Object.entries(FILES)) {
    const fd = p.open(`/mnt${f}`, O_CREAT | O_WRONLY, 0o644);
    p.write(fd, pattern(n, seed++));
    p.close(fd);
  }
  m.done();
}

async function readBack(img: string, skip: string[]): Promise<void> {
  const m = await mountImage(img, 0);
  try {
    let seed = 1;
    for (const [f, n] of Object.entries(FILES)) {
      const s = seed++;
      if (skip.includes(f)) continue;
      const fd = m.k.proc.open(`/mnt${f}`, O_RDONLY);
      const buf = new Uint8Array(n + 10);
      const got = m.k.proc.read(fd, buf);
      m.k.proc.close(fd);
      expect(got, f).toBe(n);
      expect(Buffer.from(buf.subarray(0, n)).equals(Buffer.from(pattern(n, s))), f).toBe(true);
    }
  } finally {
    m.done();
  }
}

interface Fault {
  name: string;
  kind: FsckMsdosProblemKind;
  fat?: (12 | 16 | 32)[];
  /** Files whose contents the fault (or its repair) may change. */
  hits: string[];
  inject(s: Surgeon): void;
}

const FAULTS: Fault[] = [
  { name: 'FAT copies differ', kind: 'fat-copies', hits: [], inject: (s) => s.fatSet(s.freeCluster(), 0x123, 1) },
  {
    name: 'chain broken by a free cluster', kind: 'fat-chain', hits: ['/victim.bin'],
    inject: (s) => {
      const c = s.chain(s.find('/victim.bin').e.startCluster);
      s.fatSet(c[1]!, 0);
    },
  },
  {
    name: 'chain link to an invalid cluster', kind: 'fat-chain', hits: ['/victim.bin'],
    inject: (s) => {
      const c = s.chain(s.find('/victim.bin').e.startCluster);
      s.fatSet(c[0]!, s.g.maxcluster + 1);
    },
  },
  {
    name: 'cross-linked files', kind: 'cross-link', hits: ['/victim.bin', '/other.bin'],
    inject: (s) => {
      const a = s.chain(s.find('/victim.bin').e.startCluster);
      const b = s.chain(s.find('/other.bin').e.startCluster);
      s.fatSet(b[b.length - 1]!, a[1]!);
    },
  },
  {
    name: 'lost clusters', kind: 'lost-clusters', hits: [],
    inject: (s) => {
      const c = s.freeCluster(s.g.maxcluster >> 1);
      s.fatSet(c, c + 1);
      s.fatSet(c + 1, s.g.fatType === 32 ? 0x0fffffff : s.g.fatType === 16 ? 0xffff : 0xfff);
    },
  },
  {
    name: 'size larger than the chain', kind: 'size', hits: ['/victim.bin'],
    inject: (s) => {
      const f = s.find('/victim.bin');
      s.writeEntry(f.at, { ...f.e, fileSize: 900000 });
    },
  },
  {
    name: 'chain longer than the size', kind: 'size', hits: ['/victim.bin'],
    inject: (s) => {
      const f = s.find('/victim.bin');
      s.writeEntry(f.at, { ...f.e, fileSize: 10 });
    },
  },
  {
    name: 'directory with a size', kind: 'size', hits: [],
    inject: (s) => {
      const f = s.find('/dir');
      s.writeEntry(f.at, { ...f.e, fileSize: 4096 });
    },
  },
  {
    name: 'bad characters in a short name', kind: 'dir-entry', hits: ['/small.txt'],
    inject: (s) => {
      const f = s.find('/small.txt');
      const name = f.e.name.slice();
      name[2] = 0x3f; // '?'
      s.writeEntry(f.at, { ...f.e, name });
    },
  },
  {
    name: 'long name with a wrong checksum', kind: 'long-name', hits: ['/A Long File Name.data'],
    inject: (s) => {
      const f = s.find('/A Long File Name.data');
      for (const at of f.lfn) s.b[at + 13] = (s.b[at + 13]! + 1) & 0xff;
    },
  },
  {
    name: "'..' naming the wrong cluster", kind: 'dot-entries', hits: [],
    inject: (s) => {
      const sub = s.find('/dir/sub');
      const at = s.clusterByte(sub.e.startCluster) + 32;
      s.b.writeUInt16LE(sub.e.startCluster, at + 26);
    },
  },
  {
    name: 'clean bit clear', kind: 'clean', fat: [16, 32], hits: [],
    inject: (s) => s.fatSet(1, s.fatGet(1) & ~(s.g.fatType === 32 ? 0x08000000 : 0x8000)),
  },
  {
    name: 'FSInfo free count wrong', kind: 'fsinfo', fat: [32], hits: [],
    inject: (s) => s.b.writeUInt32LE(12345, s.g.fsInfoSec * s.g.bps + 488),
  },
  {
    name: 'backup boot sector differs', kind: 'boot', fat: [32], hits: [],
    inject: (s) => {
      const o = s.g.backupSec * s.g.bps + 3;
      s.b[o] = s.b[o]! ^ 0x20;
    },
  },
];

for (const fat of [12, 16, 32] as const) {
  describe.skipIf(!HAVE_FSCK_FAT)(`fsck_msdos on FAT${fat}`, () => {
    const t = tempDir(`fsck${fat}`);
    const base = join(t.path, 'base');
    // The smallest images that are their type at 512-byte clusters: less to copy per case.
    const bytes = fat === 32 ? 34 << 20 : fat === 16 ? 4 << 20 : 2 << 20;
    beforeAll(async () => {
      await populate(base, bytes, fat);
    });
    afterAll(() => t.cleanup());

    it('a fresh image is clean to both', () => {
      expect(fsckFat(base).ok, fsckFat(base).out).toBe(true);
      const dev = new HostFileBlockDevice(base, { readonly: true });
      const r = fsck_msdos(dev);
      dev.close();
      expect(r.problems).toEqual([]);
      expect(r.exitStatus).toBe(0);
    });

    for (const f of FAULTS.filter((x) => !x.fat || x.fat.includes(fat))) {
      it(`${f.name}: found, repaired, then clean`, async () => {
        const img = join(t.path, `img-${f.kind}`);
        copyFileSync(base, img);
        const s = new Surgeon(img);
        f.inject(s);
        s.save();
        const before = fsckFat(img);
        expect(before.ok, `fsck.fat must see the fault:\n${before.out}`).toBe(false);
        const snapshot = readFileSync(img);
        const ro = new HostFileBlockDevice(img, { readonly: true });
        const check = fsck_msdos(ro);
        ro.close();
        expect(check.exitStatus).toBe(2);
        expect(check.problems.map((p) => p.kind)).toContain(f.kind);
        expect(readFileSync(img).equals(snapshot), '-n writes nothing').toBe(true);
        const rw = new HostFileBlockDevice(img);
        const fix = fsck_msdos(rw, { repair: true });
        rw.close();
        expect(fix.exitStatus, JSON.stringify(fix.problems)).toBe(0);
        expect(fix.repaired).toBe(true);
        const after = fsckFat(img);
        expect(after.ok, `fsck.fat after our repair:\n${after.out}`).toBe(true);
        const again = new HostFileBlockDevice(img, { readonly: true });
        const second = fsck_msdos(again);
        again.close();
        expect(second.problems).toEqual([]);
        await readBack(img, f.hits);
      });
    }
  });
}
