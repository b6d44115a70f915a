/**
 * Directories shrink again: when an entry is added, trailing chunks left empty by removals are
 * truncated away, as ufs_direnter truncates to ulr_endoff (ufsdirhash_enduseful). Checked on the
 * mounted file system (stat, readdir), by our fsck, by sleuthkit (fls), and under the log.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_LOG, O_CREAT, O_RDONLY, O_WRONLY, type Proc } from '@rumpts/librump';
import { runFsck } from './fsckhelpers.js';
import { tempDir } from './helpers.js';
import { HAVE_TSK, flsTree, mountImage } from './rwhelpers.js';
import { newfsImage } from './wapblhelpers.js';

/** Every name in a directory (getdents to the end). */
function readdir(p: Proc, path: string): string[] {
  const fd = p.open(path, O_RDONLY);
  const names: string[] = [];
  for (let ents; (ents = p.getdents(fd, 4096)).length > 0; ) for (const d of ents) names.push(d.name);
  p.close(fd);
  return names;
}

describe('directories shrink', () => {
  for (const [name, version, flags] of [
    ['UFS2', 2, 0],
    ['UFS1', 1, 0],
    ['UFS2 logged', 2, MNT_LOG],
  ] as const) {
    it(`${name}: emptied, then added to, a big directory gives its blocks back`, async () => {
      const t = tempDir('dirshrink');
      try {
        const img = join(t.path, 'img');
        newfsImage(img, { version, endian: 'le', dev: 32 << 20 });
        let env = await mountImage(img, flags);
        const p = env.k.proc;
        p.mkdir('/mnt/d', 0o755);
        const names = Array.from({ length: 3000 }, (_, i) => `entry-with-a-longish-name-${i}`);
        for (const n of names) p.close(p.open(`/mnt/d/${n}`, O_CREAT | O_WRONLY, 0o644));
        const full = p.stat('/mnt/d');
        expect(full.size).toBeGreaterThan(12 * 8192);
        const freeFull = p.statvfs('/mnt').bfree;
        // Keep the first few and the very last: the last chunk holds an entry, nothing shrinks yet.
        for (const n of names.slice(5, -1)) p.unlink(`/mnt/d/${n}`);
        p.close(p.open('/mnt/d/again', O_CREAT | O_WRONLY, 0o644));
        expect(p.stat('/mnt/d').size).toBe(full.size);
        // Remove the last one too: the next entry truncates the empty tail.
        p.unlink(`/mnt/d/${names.at(-1)!}`);
        p.close(p.open('/mnt/d/once-more', O_CREAT | O_WRONLY, 0o644));
        const small = p.stat('/mnt/d');
        expect(small.size).toBeLessThan(full.size / 4);
        expect(small.size % 512).toBe(0);
        expect(small.blocks).toBeLessThan(full.blocks);
        expect(p.statvfs('/mnt').bfree).toBeGreaterThan(freeFull);
        const want = [...names.slice(0, 5), 'again', 'once-more'].sort();
        expect(readdir(p, '/mnt/d').filter((e) => e !== '.' && e !== '..').sort()).toEqual(want);
        // It grows again as entries come.
        for (const n of names.slice(0, 400).map((x) => `${x}-b`)) p.close(p.open(`/mnt/d/${n}`, O_CREAT | O_WRONLY, 0o644));
        expect(p.stat('/mnt/d').size).toBeGreaterThan(small.size);
        env.done();
        expect(runFsck(img, false).problems.map((x) => x.message)).toEqual([]);
        // Remount: what is on disk says the same.
        env = await mountImage(img, flags);
        expect(readdir(env.k.proc, '/mnt/d').length).toBe(want.length + 400 + 2);
        env.done();
        if (HAVE_TSK) {
          const seen = [...flsTree(img, version === 1 ? 'ufs1' : 'ufs2').keys()].filter((k) => k.startsWith('d/'));
          expect(seen.length).toBe(want.length + 400);
        }
      } finally {
        t.cleanup();
      }
    }, 120_000);
  }
});
