/**
 * What a crash without the log leaves, and fsck's answer (as fsck_ffs's): an indirect block written
 * before the inode of a file being extended or truncated points past di_size ("PARTIALLY TRUNCATED
 * INODE": the pointers go, the file stays); a file unlinked while open has no name and no link left
 * (cleared, not put in lost+found).
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs, ondisk } from '../src/index.js';
import { pattern, tempDir } from './helpers.js';
import { ImageEditor, fileHash, runFsck } from './fsckhelpers.js';
import { type RwEnv, mountImage, sha256 } from './rwhelpers.js';

async function image(img: string, version: 1 | 2, endian: 'le' | 'be'): Promise<void> {
  const fd = openSync(img, 'w');
  ftruncateSync(fd, 16 << 20);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  newfs(dev, { version, endian, bsize: 4096, fsize: 512, density: 8192 });
  dev.close();
  const env = await mountImage(img);
  const p = env.k.proc;
  for (const [path, size] of [['/h', 70000], ['/f2', 9000]] as const) {
    const f = p.open(`/mnt${path}`, O_CREAT | O_WRONLY, 0o644);
    p.pwrite(f, pattern(path, size), 0);
    p.close(f);
  }
  env.done();
}

function read(env: RwEnv, path: string): Buffer {
  const p = env.k.proc;
  const fd = p.open(path, O_RDONLY);
  const parts: Buffer[] = [];
  const b = new Uint8Array(65536);
  for (let n; (n = p.read(fd, b)) > 0; ) parts.push(Buffer.from(b.subarray(0, n)));
  p.close(fd);
  return Buffer.concat(parts);
}

/** A whole free block of the last cylinder group. */
function freeBlock(ed: ImageEditor): number {
  const fs = ed.fs;
  const c = fs.ncg - 1;
  let found = -1;
  ed.patchCg(c, (cgp) => {
    const free = cgp.get('freeoff');
    const nblk = Math.floor(cgp.get('ndblk') / fs.frag);
    for (let b = nblk - 1; b >= 0 && found < 0; b--) {
      let all = true;
      for (let i = 0; i < fs.frag; i++) all &&= cgp.bit(free, b * fs.frag + i);
      if (all) found = ondisk.cgbase(fs, c) + b * fs.frag;
    }
  });
  if (found < 0) throw new Error('no free block');
  return found;
}

describe('fsck after a crash without the log', () => {
  for (const [version, endian] of [[2, 'le'], [1, 'be']] as const) {
    it(`UFS${version}-${endian}: a pointer past di_size inside an indirect block is zeroed; the file keeps its bytes`, async () => {
      const t = tempDir('fsckpartial');
      try {
        const img = join(t.path, 'img');
        await image(img, version, endian);
        const ed = new ImageEditor(img);
        const h = ed.lookup('/h');
        const ib = ed.dinode(h).ib[0]!;
        expect(ib).not.toBe(0);
        // 70,000 bytes of 4 KiB blocks: 12 direct, 6 through the indirect block; entry 10 is past the end.
        const extra = freeBlock(ed);
        const fs = ed.fs;
        ed.close();
        const raw = new HostFileBlockDevice(img);
        const b = new Uint8Array(fs.bsize);
        raw.read(b, ondisk.fsbtob(fs, ib));
        const dv = new DataView(b.buffer);
        if (version === 2) dv.setBigInt64(10 * 8, BigInt(extra), fs.le);
        else dv.setInt32(10 * 4, extra, fs.le);
        raw.write(b, ondisk.fsbtob(fs, ib));
        raw.close();

        const before = fileHash(img);
        const n = runFsck(img, false);
        expect(fileHash(img)).toBe(before);
        expect(n.problems.map((p) => [p.kind, p.ino])).toContainEqual(['size', h]);
        expect(n.problems.find((p) => p.kind === 'size')!.message).toMatch(/PARTIALLY TRUNCATED INODE/);
        const y = runFsck(img, true);
        expect(y.exitStatus).toBe(0);
        expect(runFsck(img, false).problems).toEqual([]);
        const env = await mountImage(img);
        expect(sha256(read(env, '/mnt/h'))).toBe(sha256(pattern('/h', 70000)));
        env.done();
      } finally {
        t.cleanup();
      }
    });
  }

  it('a file with no name and no link (unlinked while open) is cleared, not reconnected', async () => {
    const t = tempDir('fsckzerolink');
    try {
      const img = join(t.path, 'img');
      await image(img, 2, 'le');
      const ed = new ImageEditor(img);
      const ino = ed.lookup('/f2');
      ed.patchInode(ino, (d) => void (d.nlink = 0));
      ed.patchDirChunk(ondisk.UFS_ROOTINO, (buf, dv) => {
        const recs = ed.records(buf, dv);
        const i = recs.findIndex((r) => r.name === 'f2');
        const prev = recs[i - 1]!;
        dv.setUint16(prev.off + 4, prev.reclen + recs[i]!.reclen, ed.fs.le);
      });
      ed.close();
      const n = runFsck(img, false);
      expect(n.problems.map((p) => [p.kind, p.ino])).toContainEqual(['unref-file', ino]);
      expect(n.problems.find((p) => p.kind === 'unref-file')!.message).toMatch(/CLEAR/);
      expect(runFsck(img, true).exitStatus).toBe(0);
      expect(runFsck(img, false).problems).toEqual([]);
      const env = await mountImage(img);
      const lf = env.k.proc.open('/mnt/lost+found', O_RDONLY);
      expect(env.k.proc.getdents(lf, 4096).map((d) => d.name).filter((x) => x !== '.' && x !== '..')).toEqual([]);
      env.k.proc.close(lf);
      env.done();
    } finally {
      t.cleanup();
    }
  });
});
