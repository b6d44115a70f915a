/**
 * Writing the WAPBL log (MNT_LOG): where the log goes, what the superblock says while logging and
 * after a clean unmount, and round trips through our own replay — an image copied after a commit
 * (as a crash would leave it) mounts to exactly the state at that commit, and fsck finds it clean.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_LOG, O_CREAT, O_RDWR, O_WRONLY } from '@rumpts/librump';
import { MemoryBlockDevice } from '@rumpts/rumpdev-disk';
import { Ufsmount, ffs_iget, ondisk } from '../src/index.js';
import { SF_LOG } from '../src/wapbl/ffs_wapbl.js';
import { wapbl_plan } from '../src/wapbl/wapbl_replay.js';
import { pattern, tempDir } from './helpers.js';
import { ImageEditor, fileHash, runFsck } from './fsckhelpers.js';
import { mountImage } from './rwhelpers.js';
import { type NewfsImage, newfsImage, sbState, walkTree } from './wapblhelpers.js';

const MiB = 1 << 20;
const FS_DOWAPBL = 0x100;

const VARIANTS: (NewfsImage & { name: string; sbloc: number })[] = [
  { name: 'UFS2 LE', version: 2, endian: 'le', dev: 40 * MiB, fs: 32 * MiB, sbloc: 65536 },
  { name: 'UFS1 LE', version: 1, endian: 'le', dev: 40 * MiB, fs: 32 * MiB, sbloc: 8192 },
  { name: 'UFS1 BE 4K/512', version: 1, endian: 'be', dev: 24 * MiB, fs: 20 * MiB, sbloc: 8192, bsize: 4096, fsize: 512 },
];

/** Metadata-heavy changes: directories, files, renames, links, unlinks, a symlink. */
function churn(k: Awaited<ReturnType<typeof mountImage>>['k'], tag: string, n: number): void {
  const p = k.proc;
  p.mkdir(`/mnt/${tag}`, 0o755);
  for (let i = 0; i < n; i++) {
    const d = `/mnt/${tag}/d${i % 7}`;
    if (i < 7) p.mkdir(d, 0o755);
    const fd = p.open(`${d}/f${i}`, O_CREAT | O_WRONLY, 0o644);
    if (i % 3 === 0) p.pwrite(fd, pattern(`${tag}${i}`, 100 + 97 * (i % 60)), 0);
    p.close(fd);
    if (i % 5 === 1) p.rename(`${d}/f${i}`, `/mnt/${tag}/r${i}`);
    else if (i % 11 === 2) p.unlink(`${d}/f${i}`);
    else if (i % 13 === 3) p.link(`${d}/f${i}`, `/mnt/${tag}/l${i}`);
  }
  p.symlink(`${tag}/d0`, `/mnt/${tag}-link`);
}

describe('MNT_LOG: creating the log, logging, clean unmount', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: end-of-partition log; FS_DOWAPBL while mounted; empty log and clean fs after unmount`, async () => {
      const t = tempDir('wapblw');
      try {
        const img = join(t.path, 'img');
        newfsImage(img, v);
        const env = await mountImage(img, MNT_LOG);
        churn(env.k, 'a', 120);
        env.k.proc.sync();
        const during = sbState(img, v.sbloc);
        expect(during.flags & FS_DOWAPBL).toBe(FS_DOWAPBL);
        expect(during.clean).toBe(2); // FS_WASCLEAN while logging
        expect(during.journal.version).toBe(1);
        expect(during.journal.location).toBe(1); // END_PARTITION: the device has room after the fs
        const ss = 512;
        expect(during.journal.locs).toEqual([v.fs! / ss, (v.dev - v.fs!) / ss, ss, 0]);
        expect(during.header?.head).not.toBe(0); // the sync committed a transaction
        const tree = walkTree(env.k);
        env.done();
        const after = sbState(img, v.sbloc);
        expect(after.flags & FS_DOWAPBL).toBe(0);
        expect(after.clean).toBe(1);
        expect([after.header?.head, after.header?.tail]).toEqual([0, 0]);
        expect(after.header!.generation).toBeGreaterThan(during.header!.generation);
        expect(runFsck(img, false).problems).toEqual([]);
        // Remount (logged again: the log is reused, generations go on) and see the same tree.
        const env2 = await mountImage(img, MNT_LOG);
        expect(walkTree(env2.k)).toEqual(tree);
        env2.done();
        expect(sbState(img, v.sbloc).header!.generation).toBeGreaterThan(after.header!.generation);
        expect(sbState(img, v.sbloc).journal.locs).toEqual(during.journal.locs);
      } finally {
        t.cleanup();
      }
    });
  }

  it('no room after the fs: an in-filesystem log file (SF_LOG inode, contiguous, indirect blocks first)', async () => {
    const t = tempDir('wapblinfs');
    try {
      const img = join(t.path, 'img');
      newfsImage(img, { version: 2, endian: 'le', dev: 32 * MiB });
      const env = await mountImage(img, MNT_LOG);
      churn(env.k, 'x', 40);
      const tree = walkTree(env.k);
      env.done();
      const st = sbState(img, 65536);
      expect(st.journal.location).toBe(2);
      const [addr, count, blksize, ino] = st.journal.locs;
      expect(blksize).toBe(512);
      expect(count * blksize).toBe(MiB); // 32 MiB / 1024 → clamped up to 1 MiB
      const dev = new MemoryBlockDevice(new Uint8Array(readFileSync(img)));
      const ump = Ufsmount.open(dev);
      const ip = ffs_iget(ump, ino);
      expect(ip.din.flags & SF_LOG).toBe(SF_LOG);
      expect(ip.din.nlink).toBe(1);
      expect(ip.din.mode).toBe(0o100000);
      expect(ip.din.size).toBe(MiB);
      const fs = ump.fs;
      // Contiguous data starting at journallocs[0], the single indirect block just before it.
      expect(ondisk.fsbtob(fs, ip.din.db[0]!)).toBe(addr * blksize);
      for (let i = 1; i < 12; i++) expect(ip.din.db[i]).toBe(ip.din.db[0]! + i * fs.frag);
      expect(ip.din.ib[0]).toBe(ip.din.db[0]! - fs.frag);
      // Reused on the next mount; the tree is intact.
      const env2 = await mountImage(img, MNT_LOG);
      expect(walkTree(env2.k)).toEqual(tree);
      env2.done();
      expect(sbState(img, 65536).journal.locs).toEqual(st.journal.locs);
      // fsck knows the log inode (one link, no name) as NetBSD's fsck_ffs does: the image is clean.
      expect(runFsck(img, false).problems).toEqual([]);
      // Only that inode and only with SF_LOG: without the flag it is an unreferenced file again.
      const unflagged = join(t.path, 'unflagged');
      copyFileSync(img, unflagged);
      const ed = new ImageEditor(unflagged);
      ed.patchInode(ino, (d) => {
        d.flags &= ~SF_LOG;
      });
      ed.close();
      const found = runFsck(unflagged, false).problems;
      expect(found.map((x) => [x.kind, x.ino])).toContainEqual(['unref-file', ino]);
    } finally {
      t.cleanup();
    }
  });

  it('UFS1 in the old superblock layout: EINVAL "not journaling", nothing written', async () => {
    const t = tempDir('wapblold');
    try {
      const img = join(t.path, 'img');
      newfsImage(img, { version: 1, endian: 'le', dev: 8 * MiB, bsize: 4096, fsize: 512 });
      // Clear FS_FLAGS_UPDATED (fs_old_flags at 211).
      const b = readFileSync(img);
      b[8192 + 211] = b[8192 + 211]! & ~0x80;
      const { writeFileSync } = await import('node:fs');
      writeFileSync(img, b);
      const before = readFileSync(img);
      await expect(mountImage(img, MNT_LOG)).rejects.toMatchObject({ code: 'EINVAL' });
      expect(readFileSync(img).equals(before)).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});

describe('MNT_LOG: a crash after a commit replays to exactly the committed state', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: sync commits; later unsynced changes are not seen; the replayed image is fsck-clean`, async () => {
      const t = tempDir('wapblrt');
      try {
        const img = join(t.path, 'img');
        const crash = join(t.path, 'crash');
        newfsImage(img, v);
        const env = await mountImage(img, MNT_LOG);
        const p = env.k.proc;
        churn(env.k, 'a', 150);
        // An unlinked file still open: listed in the INODES record, freed by the replay.
        const fd = p.open('/mnt/a/open-unlinked', O_CREAT | O_RDWR, 0o644);
        p.pwrite(fd, pattern('ou', 30000), 0);
        p.unlink('/mnt/a/open-unlinked');
        p.sync();
        const committed = walkTree(env.k);
        copyFileSync(img, crash); // the disk as a crash right now would leave it
        churn(env.k, 'b', 60); // never committed
        p.close(fd);
        env.done();

        // The log holds the transaction: BLOCKS and an INODES record naming the open unlinked inode.
        const st = sbState(crash, v.sbloc);
        expect(st.flags & FS_DOWAPBL).toBe(FS_DOWAPBL);
        expect(st.header!.head).not.toBe(st.header!.tail);
        const raw = new Uint8Array(readFileSync(crash));
        const plan = wapbl_plan(new MemoryBlockDevice(raw), raw.subarray(v.sbloc, v.sbloc + 8192));
        expect(plan.blocks.size).toBeGreaterThan(0);
        expect(plan.inodes.length).toBe(1);

        // fsck -n replays the journal in memory (as fsck_ffs): the image stays as it is, and the only
        // finding is the unlinked inode the log lists (a mount frees it; fsck would clear it).
        const unlinkedIno = plan.inodes[0]!.inumber;
        const untouched = fileHash(crash);
        const fn = runFsck(crash, false);
        expect(fn.journal).toEqual({ replayed: 'memory', blocks: plan.blocks.size, inodes: [unlinkedIno] });
        expect(fn.problems.map((x) => [x.kind, x.ino])).toEqual([['unref-file', unlinkedIno]]);
        expect(fileHash(crash)).toBe(untouched);
        // fsck -y replays it to disk and clears that inode: the committed tree, then clean.
        const byFsck = join(t.path, 'by-fsck');
        copyFileSync(crash, byFsck);
        const fy = runFsck(byFsck, true);
        expect(fy.exitStatus).toBe(0);
        expect(fy.journal?.replayed).toBe('disk');
        expect(fy.problems.slice(0, 2).map((x) => x.kind)).toEqual(['journal', 'unref-file']);
        // (the cleared inode's blocks then go back to the maps in pass 5)
        expect(fy.problems.slice(2).every((x) => x.pass === 5 && x.repaired)).toBe(true);
        expect(sbState(byFsck, v.sbloc).flags & FS_DOWAPBL).toBe(0);
        expect(runFsck(byFsck, false).problems).toEqual([]);
        const env3 = await mountImage(byFsck);
        expect(walkTree(env3.k)).toEqual(committed);
        env3.done();
        // Our mount replays it too.
        const env2 = await mountImage(crash);
        expect(walkTree(env2.k)).toEqual(committed);
        env2.done();
        const fr = runFsck(crash, false);
        expect(fr.problems).toEqual([]);
        expect(sbState(crash, v.sbloc).flags & FS_DOWAPBL).toBe(0);
      } finally {
        t.cleanup();
      }
    });
  }

  it('a transaction larger than half the log is committed between operations, and every commit replays', async () => {
    const t = tempDir('wapblbig');
    try {
      const img = join(t.path, 'img');
      const crash = join(t.path, 'crash');
      // No room after the fs: a 1 MiB in-filesystem log.
      newfsImage(img, { version: 2, endian: 'le', dev: 32 * MiB });
      const env = await mountImage(img, MNT_LOG);
      // Thousands of creates dirty far more than the 1 MiB log holds.
      churn(env.k, 'big', 4000);
      env.k.proc.sync();
      const committed = walkTree(env.k);
      copyFileSync(img, crash);
      env.done();
      const st = sbState(crash, 65536);
      expect(st.header!.generation).toBeGreaterThan(4); // several commits
      const env2 = await mountImage(crash);
      expect(walkTree(env2.k)).toEqual(committed);
      env2.done();
      // The unnamed SF_LOG inode of the in-filesystem log is no finding (as NetBSD's fsck_ffs).
      expect(runFsck(crash, false).problems).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
