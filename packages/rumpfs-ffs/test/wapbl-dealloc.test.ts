/**
 * Deferred frees while logging (NetBSD's wapbl_register_deallocation): blocks and inodes freed in a
 * transaction stay allocated until it commits. File data goes straight to its blocks, outside the
 * log, so without this a block freed and handed to another file in the same transaction would —
 * after a crash before the commit — come back under its old owner holding the new owner's bytes.
 *
 * The crash images are copies of the device taken at two moments: before the transaction's commit
 * header (the replay gives the previous commit), and right after the header write but before the
 * checkpoint (the replay gives the transaction).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_LOG, O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { MemoryBlockDevice } from '@rumpts/rumpdev-disk';
import { Ufsmount, ffs_iget } from '../src/index.js';
import { journalExtent } from '../src/wapbl/wapbl_log.js';
import { pattern, tempDir } from './helpers.js';
import { runFsck } from './fsckhelpers.js';
import { type RwEnv, mountImage, sha256 } from './rwhelpers.js';
import { type NewfsImage, newfsImage, sbState } from './wapblhelpers.js';

const MiB = 1 << 20;
const SIZE = 50_000; // 7 blocks of 8 KiB, the last one a fragment run: every pointer direct

const VARIANTS: (NewfsImage & { name: string; sbloc: number })[] = [
  { name: 'UFS2 LE', version: 2, endian: 'le', dev: 40 * MiB, fs: 32 * MiB, sbloc: 65536 },
  { name: 'UFS1 BE', version: 1, endian: 'be', dev: 40 * MiB, fs: 32 * MiB, sbloc: 8192 },
];

function writeFile(env: RwEnv, path: string, data: Uint8Array): number {
  const p = env.k.proc;
  const fd = p.open(path, O_CREAT | O_WRONLY, 0o644);
  p.pwrite(fd, data, 0);
  const ino = p.fstat(fd).ino;
  p.close(fd);
  return ino;
}

function readFile(env: RwEnv, path: string): Buffer {
  const p = env.k.proc;
  const fd = p.open(path, O_RDONLY);
  const parts: Buffer[] = [];
  const b = new Uint8Array(65536);
  for (let n; (n = p.read(fd, b)) > 0; ) parts.push(Buffer.from(b.subarray(0, n)));
  p.close(fd);
  return Buffer.concat(parts);
}

/** The fragments inode `ino` maps in the image file (direct pointers: the files here are small). */
function blocksOf(img: string, ino: number): number[] {
  const ump = Ufsmount.open(new MemoryBlockDevice(new Uint8Array(readFileSync(img))));
  return ffs_iget(ump, ino).din.db.filter((a) => a !== 0);
}

/** Copy the image to `to` right after the next write of a log commit header (before the checkpoint). */
function snapshotAfterNextHeader(env: RwEnv, img: string, sbloc: number, to: string): { taken: () => boolean } {
  const ext = journalExtent(sbState(img, sbloc).journal, env.dev.size);
  const dev = env.dev;
  const write = dev.write.bind(dev);
  let taken = false;
  dev.write = (buf: Uint8Array, off: number): void => {
    write(buf, off);
    if (!taken && off >= ext.offset && off < ext.offset + 2 * ext.blksize) {
      copyFileSync(img, to);
      taken = true;
    }
  };
  return { taken: () => taken };
}

describe('MNT_LOG: frees wait for the commit of their transaction', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: a file removed and its space asked for again in one transaction survives a crash intact`, async () => {
      const t = tempDir('wapbldealloc');
      try {
        const img = join(t.path, 'img');
        const before = join(t.path, 'before-commit');
        const atHeader = join(t.path, 'at-header');
        newfsImage(img, v);
        const a = pattern('old file a', SIZE);
        const b = pattern('new file b', SIZE);
        const c = pattern('later c', SIZE);
        const env = await mountImage(img, MNT_LOG);
        const p = env.k.proc;
        const inoA = writeFile(env, '/mnt/a', a);
        p.sync(); // a is committed and checkpointed
        const blocksA = blocksOf(img, inoA);
        expect(blocksA.length).toBe(7);
        const freeBefore = p.statvfs('/mnt').bfree;

        // One transaction: a goes, b is made with the same size (the allocator's first choice would be a's blocks).
        p.unlink('/mnt/a');
        const inoB = writeFile(env, '/mnt/b', b);
        // Nothing freed yet: a's blocks still count as used.
        expect(p.statvfs('/mnt').bfree).toBeLessThan(freeBefore);
        copyFileSync(img, before); // a crash now: the transaction never committed
        const snap = snapshotAfterNextHeader(env, img, v.sbloc, atHeader);
        p.sync(); // commit: header, then checkpoint
        expect(snap.taken()).toBe(true);
        // Committed: a's space is back, and b took as much as a had.
        expect(p.statvfs('/mnt').bfree).toBe(freeBefore);
        expect(inoB).not.toBe(inoA);

        // After the commit a's inode and blocks are free again and are the next ones handed out.
        const inoC = writeFile(env, '/mnt/c', c);
        p.sync();
        env.done();
        const blocksB = blocksOf(img, inoB);
        expect(blocksB.filter((x) => blocksA.includes(x))).toEqual([]);
        expect(inoC).toBe(inoA);
        expect(blocksOf(img, inoC)[0]).toBe(blocksA[0]);
        expect(runFsck(img, false).problems).toEqual([]);

        // Crash before the commit: replay gives the previous commit — a with its own bytes, no b.
        const e1 = await mountImage(before);
        expect(sha256(readFile(e1, '/mnt/a'))).toBe(sha256(a));
        expect(() => e1.k.proc.lstat('/mnt/b')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
        e1.done();
        expect(runFsck(before, false).problems).toEqual([]);

        // Crash after the header, before the checkpoint: the home blocks are as before the commit,
        // the replay gives the transaction — no a, b with its bytes.
        expect(sbState(atHeader, v.sbloc).header!.head).not.toBe(sbState(atHeader, v.sbloc).header!.tail);
        const e2 = await mountImage(atHeader);
        expect(() => e2.k.proc.lstat('/mnt/a')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
        expect(sha256(readFile(e2, '/mnt/b'))).toBe(sha256(b));
        e2.done();
        expect(runFsck(atHeader, false).problems).toEqual([]);
      } finally {
        t.cleanup();
      }
    });
  }

  it('a full file system: space freed in the open transaction is given back by a commit instead of ENOSPC', async () => {
    const t = tempDir('wapblfull');
    try {
      const img = join(t.path, 'img');
      newfsImage(img, { version: 2, endian: 'le', dev: 12 * MiB, fs: 8 * MiB });
      const env = await mountImage(img, MNT_LOG);
      const p = env.k.proc;
      const st = p.statvfs('/mnt');
      // Nearly every free byte (the superuser may use the reserve) in one file.
      const big = pattern('fills the fs', Math.floor((st.bfree * st.frsize * 0.9) / 8192) * 8192);
      writeFile(env, '/mnt/big', big);
      p.sync();
      p.unlink('/mnt/big');
      const again = pattern('fills it again', big.length);
      writeFile(env, '/mnt/again', again);
      expect(sha256(readFile(env, '/mnt/again'))).toBe(sha256(again));
      env.done();
      expect(runFsck(img, false).problems).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
