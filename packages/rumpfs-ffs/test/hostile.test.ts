/**
 * Hostile images (issue 16, items 7 and 8), each fault planted by hand: cylinder group headers whose
 * map offsets or lengths lie (cg_freeoff, cg_ndblk, cg_clustersumoff, cg_nclusterblks), a superblock
 * with an impossible fs_contigsumsize, indirect pointers outside the file system met by truncate and
 * unlink, directory records a salvage cannot shorten, names no directory may hold, a lost root. The
 * kernel answers with RumpErrors (EIO, EFTYPE at mount) and kernel messages, never another exception,
 * and leaks no vnode reference (unmount works); fsck ends, repairs, and a second fsck finds nothing.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, isRumpError } from '@rumpts/librump';
import { ondisk } from '../src/index.js';
import { ImageEditor, runFsck } from './fsckhelpers.js';
import { makeImage, pattern, tempDir } from './helpers.js';
import { mountImage } from './rwhelpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'netbsd');

/** What a call threw: 'OK', a RumpError code, or the class name of anything else (a bug). */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return isRumpError(e) ? e.code : `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** Every entry of the tree through getdents, lstat and read; the codes of what failed. */
function walkCodes(p: { open(p: string, f: number): number; getdents(fd: number, n?: number): { name: string }[]; close(fd: number): void; lstat(p: string): { mode: number }; pread(fd: number, b: Uint8Array, o: number): number }, dir: string, codes: string[], depth = 0): void {
  let fd: number;
  try {
    fd = p.open(dir, O_RDONLY | O_DIRECTORY);
  } catch (e) {
    codes.push(isRumpError(e) ? e.code : String(e));
    return;
  }
  const names: string[] = [];
  try {
    for (let batch = p.getdents(fd, 8192); batch.length > 0; batch = p.getdents(fd, 8192)) names.push(...batch.map((d) => d.name));
  } catch (e) {
    codes.push(isRumpError(e) ? e.code : String(e));
  } finally {
    p.close(fd);
  }
  for (const n of names) {
    if (n === '.' || n === '..') continue;
    const path = `${dir}/${n}`;
    const c = outcome(() => {
      const st = p.lstat(path);
      if ((st.mode & 0o170000) === 0o040000 && depth < 20) walkCodes(p, path, codes, depth + 1);
      else if ((st.mode & 0o170000) === 0o100000) {
        const f = p.open(path, O_RDONLY);
        try {
          p.pread(f, new Uint8Array(65536), 0);
        } finally {
          p.close(f);
        }
      }
    });
    if (c !== 'OK') codes.push(c);
  }
}

describe('hostile FFS images', () => {
  const tmp = tempDir('hostile');
  let ufs2: string;
  let ufs1be: string;
  /** NetBSD's two-group UFS1 big-endian image. */
  let netbsd: string;
  beforeAll(() => {
    const src = join(tmp.path, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(src, 'd', `file-${i}`), pattern(`f${i}`, 100 + i * 50));
    writeFileSync(join(src, 'big'), pattern('big', 300 * 1024));
    ufs2 = join(tmp.path, 'ufs2.img');
    makeImage(src, ufs2, { version: 2, endian: 'le', bsize: 4096, fsize: 512, size: '4m' });
    ufs1be = join(tmp.path, 'ufs1be.img');
    makeImage(src, ufs1be, { version: 1, endian: 'be', bsize: 4096, fsize: 512, size: '4m' });
    netbsd = join(tmp.path, 'netbsd.img');
    writeFileSync(netbsd, gunzipSync(readFileSync(join(FIXTURES, 'ufs1-be-history.img.gz'))));
  });
  afterAll(() => tmp.cleanup());

  /** A copy of `img` changed by `fn`. */
  const variant = (img: string, name: string, fn: (ed: ImageEditor) => void): string => {
    const out = join(tmp.path, name);
    copyFileSync(img, out);
    const ed = new ImageEditor(out);
    try {
      fn(ed);
    } finally {
      ed.close();
    }
    return out;
  };

  const CG_LIES: [string, (cgp: ondisk.CgView) => void, RegExp][] = [
    ['cg_freeoff', (cgp) => cgp.set('freeoff', 0x7ffff000), /cg_freeoff .* outside/],
    ['cg_ndblk', (cgp) => cgp.set('ndblk', cgp.get('ndblk') * 4), /cg_ndblk \d+ is not \d+/],
    ['cg_clustersumoff', (cgp) => cgp.set('clustersumoff', -4000), /cg_clustersumoff .* outside/],
    ['cg_nclusterblks', (cgp) => cgp.set('nclusterblks', 0x7fffffff), /cg_nclusterblks 2147483647 is not/],
  ];

  it('a lying cylinder group header: EIO with a kernel message on the write path, no other exception, unmount works', async () => {
    for (const [field, lie, msg] of CG_LIES) {
      // Group 1 of NetBSD's image: the root (group 0) mounts, writing meets the damaged group.
      const img = variant(netbsd, `cg1-${field}.img`, (ed) => ed.patchCg(1, lie));
      const env = await mountImage(img);
      const p = env.k.proc;
      try {
        const results: string[] = [];
        // New top-level directories spread over the groups (ffs_dirpref), files follow them.
        for (let i = 0; i < 8; i++) {
          results.push(outcome(() => p.mkdir(`/mnt/new${i}`, 0o755)));
          results.push(outcome(() => {
            const fd = p.open(`/mnt/new${i}/f`, O_CREAT | O_WRONLY, 0o644);
            try {
              p.pwrite(fd, pattern(`w${i}`, 600_000), 0);
            } finally {
              p.close(fd);
            }
          }));
        }
        walkCodes(p, '/mnt', results);
        expect(results.filter((r) => r !== 'OK' && r !== 'EIO' && r !== 'ENOENT' && r !== 'EEXIST'), field).toEqual([]);
        expect(results, field).toContain('EIO');
        expect(env.k.msgbuf.some((m) => /^ffs: \/mnt: cylinder group 1: /.test(m) && msg.test(m)), `${field}: ${env.k.msgbuf.slice(-3).join(' | ')}`).toBe(true);
        p.unmount('/mnt');
      } finally {
        env.done();
      }
      // fsck rebuilds the header (the count it is never trusted for is not looped on), then nothing is left.
      const n = runFsck(img, false);
      expect(n.problems.some((q) => q.kind === 'cg-header'), field).toBe(true);
      expect(runFsck(img, true).exitStatus, field).toBe(0);
      const again = runFsck(img, false);
      expect(again.problems, field).toEqual([]);
    }
  }, 120_000);

  it('an impossible fs_contigsumsize is refused at mount (EFTYPE naming it)', async () => {
    for (const img of [ufs2, ufs1be]) {
      const bad = variant(img, 'contig.img', (ed) => {
        const b = readFileSync(ed.img);
        new DataView(b.buffer, b.byteOffset).setInt32(ed.ump.sbloc + ondisk.FS_FIELDS.contigsumsize[0], 100000, ed.fs.le);
        writeFileSync(ed.img, b);
      });
      await expect(mountImage(bad)).rejects.toThrow(/EFTYPE: ffs: superblock at byte \d+: fs_contigsumsize 100000 is not in \[0, 16\]/);
    }
  });

  it('truncate and unlink meet indirect pointers outside the file system: done, with kernel messages; unmount works; fsck converges', async () => {
    for (const img of [ufs2, ufs1be]) {
      const bad = variant(img, 'indir.img', (ed) => {
        const ino = ed.lookup('/big');
        const ib = ed.dinode(ino).ib[0]!;
        // Pointers 3 and 4 of the single indirect block point far past fs_size.
        const b = readFileSync(ed.img);
        const dv = new DataView(b.buffer, b.byteOffset);
        const at = ondisk.fsbtob(ed.fs, ib);
        for (const i of [3, 4]) {
          if (ed.fs.ufsVersion === 2) dv.setBigInt64(at + i * 8, 1n << 40n, ed.fs.le);
          else dv.setInt32(at + i * 4, 0x7ffffff0, ed.fs.le);
        }
        writeFileSync(ed.img, b);
      });
      const env = await mountImage(bad);
      const p = env.k.proc;
      try {
        expect(outcome(() => p.truncate('/mnt/big', 5000))).toBe('OK');
        expect(env.k.msgbuf.some((m) => /lies outside the file system: not freed/.test(m))).toBe(true);
        expect(outcome(() => p.unlink('/mnt/big'))).toBe('OK');
        p.unmount('/mnt');
      } finally {
        env.done();
      }
      expect(runFsck(bad, true).exitStatus).toBe(0);
      expect(runFsck(bad, false).problems).toEqual([]);
    }
  });

  it('a file whose freeing fails on unlink leaks no reference: the error is logged and unmount works', async () => {
    // The indirect block itself outside the file system: reading the file is EIO, unlinking it frees
    // what can be freed when the last reference goes.
    const bad = variant(ufs2, 'ib.img', (ed) => ed.patchInode(ed.lookup('/big'), (d) => {
      d.ib[0] = 0x7ffffff0;
    }));
    const env = await mountImage(bad);
    const p = env.k.proc;
    try {
      const fd = p.open('/mnt/big', O_RDONLY);
      expect(outcome(() => p.pread(fd, new Uint8Array(8192), 200_000))).toBe('EIO');
      p.close(fd);
      expect(outcome(() => p.unlink('/mnt/big'))).toBe('OK');
      expect(env.k.msgbuf.some((m) => m.includes('indirect block 2147483632 lies outside the file system'))).toBe(true);
      p.unmount('/mnt');
    } finally {
      env.done();
    }
  });

  it('fsck -y ends on a directory record a salvage cannot shorten to 12 bytes, and a second run is clean', () => {
    for (const img of [ufs2, ufs1be]) {
      // The last record of the first chunk of /d ends 8 bytes early: what follows is too short for
      // a record (the salvage NetBSD's fsck_readdir writes would be under DIRSIZ(0), then retried).
      const bad = variant(img, 'short.img', (ed) => ed.patchDirChunk(ed.lookup('/d'), (b, dv) => {
        const recs = ed.records(b, dv);
        const last = recs[recs.length - 1]!;
        dv.setUint16(last.off + 4, last.reclen - 8, ed.fs.le);
        b.fill(0xee, 504, 512);
      }));
      const n = runFsck(bad, false);
      expect(n.problems.some((q) => q.kind === 'dir-entry' && q.message.includes('only 8 bytes left'))).toBe(true);
      expect(runFsck(bad, true).exitStatus).toBe(0);
      expect(runFsck(bad, false).problems).toEqual([]);
    }
  });

  it('fsck on cg_nclusterblks = 2^31-1 reports it without looping on it, and -y repairs it', () => {
    const bad = variant(ufs2, 'ncl.img', (ed) => ed.patchCg(0, (cgp) => cgp.set('nclusterblks', 0x7fffffff)));
    const t0 = performance.now();
    const n = runFsck(bad, false);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(n.problems.map((q) => q.message)).toEqual([expect.stringMatching(/^CG 0: BAD HEADER \(cg_nclusterblks 2147483647 is not \d+\): REBUILD$/)]);
    expect(n.exitStatus).toBe(2);
    expect(runFsck(bad, true).exitStatus).toBe(0);
    expect(runFsck(bad, false).problems).toEqual([]);
  });

  it('names no directory may hold: lookup ignores them (with a kernel message), rmdir sees the directory as not empty; fsck removes them', async () => {
    // Two records of /d renamed: one to 'a/b', one to '..' (not the second record).
    const bad = variant(ufs2, 'names.img', (ed) => ed.patchDirChunk(ed.lookup('/d'), (b, dv) => {
      const recs = ed.records(b, dv);
      const [r2, r3] = [recs[2]!, recs[3]!];
      b[r2.off + 8 + 1] = 0x2f;
      dv.setUint8(r3.off + 7, 2);
      b.set([0x2e, 0x2e, 0, 0], r3.off + 8);
    }));
    const env = await mountImage(bad);
    const p = env.k.proc;
    try {
      const fd = p.open('/mnt/d', O_RDONLY | O_DIRECTORY);
      const names = p.getdents(fd, 65536).map((d) => d.name);
      p.close(fd);
      expect(names.slice(0, 2)).toEqual(['.', '..']);
      expect(names.filter((n) => n === '..' || n.includes('/'))).toEqual(['..']);
      expect(names).toHaveLength(30);
      expect(env.k.msgbuf.some((m) => m.startsWith('vfs: getdents: /mnt: directory') && m.includes("a name with '/'"))).toBe(true);
      expect(p.stat('/mnt/d/..').ino).toBe(2);
      // Everything else gone, the two bad entries still keep /d from being empty.
      for (const n of names.slice(2)) p.unlink(`/mnt/d/${n}`);
      expect(outcome(() => p.rmdir('/mnt/d'))).toBe('ENOTEMPTY');
      p.unmount('/mnt');
    } finally {
      env.done();
    }
    const y = runFsck(bad, true);
    const msgs = y.problems.map((q) => q.message);
    expect(msgs).toContain("BAD NAME I=5 DIR I=4 OFFSET 24: name has a '/' byte: REMOVE");
    expect(msgs).toContain("EXTRA '..' ENTRY DIR I=4 OFFSET 40: REMOVE");
    // The two inodes lost their only names: reconnected, nothing else in /d lost.
    expect(msgs.filter((m) => m.startsWith('UNREF FILE')).length).toBe(2);
    expect(msgs.some((m) => m.startsWith('DIRECTORY CORRUPTED'))).toBe(false);
    expect(runFsck(bad, false).problems).toEqual([]);
  });

  it('a lost root directory: fsck -y makes a new one and reconnects what it held to lost+found', async () => {
    const bad = variant(ufs1be, 'root.img', (ed) => ed.patchInode(ondisk.UFS_ROOTINO, (d) => {
      d.mode = 0;
      d.nlink = 0;
    }));
    await expect(mountImage(bad)).rejects.toThrow(/ENOENT|EIO|EFTYPE/);
    const y = runFsck(bad, true);
    expect(y.exitStatus).toBe(0);
    expect(y.problems.map((q) => q.message)).toContain('ROOT INODE 2 UNALLOCATED: ALLOCATE');
    expect(runFsck(bad, false).problems).toEqual([]);
    const env = await mountImage(bad);
    try {
      const fd = env.k.proc.open('/mnt/lost+found', O_RDONLY | O_DIRECTORY);
      const names = env.k.proc.getdents(fd, 65536).map((d) => d.name);
      env.k.proc.close(fd);
      // /d and /big, by inode number.
      expect(names.filter((n) => n.startsWith('#')).length).toBeGreaterThanOrEqual(2);
    } finally {
      env.done();
    }
  });
});
