/**
 * Damaged media: every failure is a RumpError with a clear errno (EINVAL at mount, EIO later),
 * never a crash or a hang — targeted damage first, then a seeded mutation run over the metadata
 * (boot sector, FATs, directories) with reads, writes, renames and removals on what mounts.
 * MSDOS_FUZZ sets the number of mutated FAT12 images (default 120; FAT32 images, 34 MiB each, get a third).
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kernel, O_CREAT, O_RDONLY, O_WRONLY, S_IFDIR, S_IFMT, isRumpError, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as rumpdevDisk from '@rumpts/rumpdev-disk';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as msdos from '../src/index.js';
import { mountImage, tempDir } from './helpers.js';
import { Rng } from './model.js';
import { Surgeon } from './surgeon.js';

const FUZZ = Number(process.env['MSDOS_FUZZ'] ?? 120);
const tmp = tempDir('corrupt');
afterAll(() => tmp.cleanup());
const pristine: Record<number, Buffer> = {};

beforeAll(async () => {
  for (const fat of [12, 32] as const) {
    const img = join(tmp.path, `base${fat}`);
    writeFileSync(img, new Uint8Array(0));
    truncateSync(img, fat === 32 ? 34 << 20 : 2 << 20);
    const dev = new HostFileBlockDevice(img);
    msdos.newfs_msdos(dev, { fatType: fat, sectorsPerCluster: 1 });
    dev.close();
    const m = await mountImage(img);
    const p = m.k.proc;
    p.mkdir('/mnt/dir', 0o755);
    p.mkdir('/mnt/dir/sub', 0o755);
    for (const [f, n] of [['/mnt/a.txt', 3000], ['/mnt/A Long Name.bin', 140_000], ['/mnt/dir/x', 700], ['/mnt/dir/sub/y y', 20000]] as const) {
      const fd = p.open(f, O_CREAT | O_WRONLY, 0o644);
      p.write(fd, new Uint8Array(n).fill(n & 0xff));
      p.close(fd);
    }
    m.done();
    pristine[fat] = readFileSync(img);
  }
});

/** Boot a kernel with the (damaged) bytes as a memory disk, /dev/ld0d, and try to mount it. */
async function tryMount(bytes: Uint8Array): Promise<{ k: Kernel; err: unknown }> {
  const k = await rump_init({ libraries: [rumpvfs, etfs, rumpdevDisk, msdos] });
  const unit = rumpdevDisk.disk_attach(k, new rumpdevDisk.MemoryBlockDevice(bytes.slice()), { nolabel: true });
  unit.mknodes();
  k.proc.mkdir('/mnt', 0o755);
  try {
    k.proc.mount('msdos', '/mnt', 0, { fspec: `/dev/${unit.name}d` });
    return { k, err: null };
  } catch (e) {
    return { k, err: e };
  }
}

function damaged(fat: 12 | 32, edit: (b: Buffer, s: Surgeon) => void): Buffer {
  const s = new Surgeon('', Buffer.from(pristine[fat]!));
  edit(s.b, s);
  return s.b;
}

/** Walk, read and change what is there, bounded; anything thrown must be a RumpError. */
function exercise(k: Kernel): void {
  const p = k.proc;
  let budget = 2000;
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!isRumpError(e)) throw e;
    }
  };
  const walk = (path: string, depth: number): void => {
    if (depth > 12 || budget-- <= 0) return;
    let names: string[] = [];
    guard(() => {
      const fd = p.open(path, O_RDONLY);
      try {
        for (let i = 0, b = p.getdents(fd, 256); b.length > 0 && i < 200; i++, b = p.getdents(fd, 256)) names.push(...b.map((e) => e.name));
      } finally {
        p.close(fd);
      }
    });
    names = names.filter((n) => n !== '.' && n !== '..').slice(0, 50);
    for (const n of names) {
      const child = `${path}/${n}`;
      guard(() => {
        const st = p.stat(child);
        if ((st.mode & S_IFMT) === S_IFDIR) walk(child, depth + 1);
        else {
          const fd = p.open(child, O_RDONLY);
          try {
            const buf = new Uint8Array(256 << 10);
            for (let i = 0; i < 8 && p.read(fd, buf) > 0; i++);
          } finally {
            p.close(fd);
          }
        }
      });
    }
  };
  walk('/mnt', 0);
  guard(() => {
    const fd = p.open('/mnt/new file.bin', O_CREAT | O_WRONLY, 0o644);
    try {
      p.write(fd, new Uint8Array(5000).fill(9));
    } finally {
      p.close(fd);
    }
  });
  guard(() => p.rename('/mnt/a.txt', '/mnt/dir/moved.txt'));
  guard(() => p.unlink('/mnt/A Long Name.bin'));
  guard(() => p.mkdir('/mnt/newdir', 0o755));
  guard(() => p.rmdir('/mnt/dir/sub'));
  guard(() => p.truncate('/mnt/dir/x', 100));
}

function expectCode(err: unknown, code: string, re?: RegExp): void {
  expect(isRumpError(err), String(err)).toBe(true);
  if (isRumpError(err)) {
    expect(err.code, err.message).toBe(code);
    if (re) expect(err.message).toMatch(re);
  }
}

describe('damaged images', () => {
  it('boot sector damage → EINVAL at mount, naming what is wrong', async () => {
    const cases: [(b: Buffer) => void, RegExp][] = [
      [(b) => b.writeUInt16LE(0, 510), /0x55AA/],
      [(b) => b.writeUInt16LE(1000, 11), /bytes per sector 1000/],
      [(b) => (b[13] = 3), /sectors per cluster 3/],
      [(b) => (b[16] = 0), /0 FATs/],
      [(b) => b.writeUInt32LE(0x7fffffff, 32), /past the end of the medium/],
      [(b) => b.writeUInt32LE(0, 36), /zero sectors per FAT/],
      [(b) => b.writeUInt32LE(0x0fffffff, 44), /root directory cluster/],
      [(b) => b.writeUInt16LE(0x0100, 42), /FAT32 version/],
    ];
    for (const [edit, re] of cases) {
      const { k, err } = await tryMount(damaged(32, (b) => edit(b)));
      expectCode(err, 'EINVAL', re);
      k.halt();
    }
  });

  it('a looping chain, a link to a free cluster and a size beyond the chain → EIO on read, the rest still works', async () => {
    const { k, err } = await tryMount(damaged(32, (_b, s) => {
      const big = s.chain(s.find('/A Long Name.bin').e.startCluster);
      s.fatSet(big[3]!, big[1]!);
      const y = s.chain(s.find('/dir/sub/y y').e.startCluster);
      s.fatSet(y[2]!, 0);
      const a = s.find('/a.txt');
      s.writeEntry(a.at, { ...a.e, fileSize: 5_000_000 });
    }));
    expect(err).toBeNull();
    const p = k.proc;
    const readAll = (f: string): void => {
      const fd = p.open(f, O_RDONLY);
      try {
        const buf = new Uint8Array(1 << 20);
        while (p.read(fd, buf) > 0);
      } finally {
        p.close(fd);
      }
    };
    for (const f of ['/mnt/A Long Name.bin', '/mnt/dir/sub/y y', '/mnt/a.txt']) {
      let e: unknown = null;
      try {
        readAll(f);
      } catch (x) {
        e = x;
      }
      expectCode(e, 'EIO');
    }
    readAll('/mnt/dir/x');
    k.halt();
  });

  it('a directory whose entry names its parent: walks end (ELOOP/ENAMETOOLONG or the bound), never hang', async () => {
    const { k, err } = await tryMount(damaged(32, (_b, s) => {
      const sub = s.find('/dir/sub');
      const dir = s.find('/dir');
      s.writeEntry(sub.at, { ...sub.e, startCluster: dir.e.startCluster });
    }));
    expect(err).toBeNull();
    exercise(k);
    k.halt();
  });

  for (const fat of [12, 32] as const) {
    const rounds = fat === 32 ? Math.ceil(FUZZ / 3) : FUZZ;
    it(`FAT${fat}: ${rounds} seeded mutations of the metadata: only RumpErrors`, async () => {
      const rng = new Rng(0xfa7 + fat);
      const base = pristine[fat]!;
      const g = new Surgeon('', base).g;
      const meta = (g.fatType === 32 ? g.dataStart + 8 * g.spc : g.dataStart + 8 * g.spc) * g.bps;
      for (let i = 0; i < rounds; i++) {
        const b = Buffer.from(base);
        const n = 1 + rng.int(8);
        for (let j = 0; j < n; j++) {
          const at = rng.int(4) === 0 ? rng.int(512) : rng.int(Math.min(meta, b.length));
          b[at] = rng.int(4) === 0 ? 0 : rng.int(4) === 0 ? 0xff : rng.int(256);
        }
        const { k, err } = await tryMount(b);
        try {
          if (err !== null) expect(isRumpError(err), `mutation ${i}: ${err instanceof Error ? err.message : JSON.stringify(err)}`).toBe(true);
          else exercise(k);
        } finally {
          k.halt();
        }
      }
    }, 120_000);
  }
});
