/**
 * Write ordering without the log: a crash (here: a copy of the image file taken at a moment of
 * choice, as SIGKILL would leave it) never finds a file pointing at blocks given to another file.
 * The cases are the ones that broke: a fragment tail moved by an append (ffs_realloccg) whose old
 * fragments are taken at once by the next file, and the same for a directory's tail. Before the
 * fix the crashed image showed the appended file holding the next file's bytes.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { pattern, tempDir } from './helpers.js';
import { ImageEditor, runFsck } from './fsckhelpers.js';
import { type RwEnv, mountImage, sha256 } from './rwhelpers.js';
import { newfsImage } from './wapblhelpers.js';

const MiB = 1 << 20;

function put(env: RwEnv, path: string, data: Uint8Array, at = 0, fsync = false): void {
  const p = env.k.proc;
  const fd = p.open(path, O_CREAT | O_WRONLY, 0o644);
  p.pwrite(fd, data, at);
  if (fsync) p.fsync(fd);
  p.close(fd);
}

function get(env: RwEnv, path: string): Buffer {
  const p = env.k.proc;
  const fd = p.open(path, O_RDONLY);
  const parts: Buffer[] = [];
  const b = new Uint8Array(65536);
  for (let n; (n = p.read(fd, b)) > 0; ) parts.push(Buffer.from(b.subarray(0, n)));
  p.close(fd);
  return Buffer.concat(parts);
}

/** The first fragment of inode `path`'s block 0 in an image file. */
function firstFrag(img: string, path: string): number {
  const ed = new ImageEditor(img);
  try {
    return ed.dinode(ed.lookup(path)).db[0]!;
  } finally {
    ed.close();
  }
}

describe('without the log, freed blocks wait until nothing on disk points at them', () => {
  for (const v of [{ version: 2 as const, endian: 'le' as const }, { version: 1 as const, endian: 'be' as const }]) {
    it(`UFS${v.version} ${v.endian}: an append moves a fragment tail; the next file takes the old fragments; a crash shows each file its own bytes`, async () => {
      const t = tempDir('nologtail');
      try {
        const img = join(t.path, 'img');
        const crash = join(t.path, 'crash');
        newfsImage(img, { ...v, dev: 16 * MiB });
        const a0 = pattern('a before', 1500);
        const more = pattern('a appended', 3000);
        const b = pattern('b', 1000);
        const c = pattern('c takes the old tail', 1500);
        const env = await mountImage(img);
        put(env, '/mnt/a', a0, 0, true);
        put(env, '/mnt/b', b, 0, true); // right after a's two fragments: a cannot grow in place
        const aWas = firstFrag(img, '/a');
        put(env, '/mnt/a', more, a0.length); // the tail moves
        put(env, '/mnt/c', c); // and c gets a's old fragments
        copyFileSync(img, crash); // a crash now
        env.k.proc.sync();
        expect(firstFrag(img, '/c')).toBe(aWas);
        expect(firstFrag(img, '/a')).not.toBe(aWas);
        env.done();

        // The crashed image: no duplicate block, and after fsck -y every file holds its own bytes.
        expect(runFsck(crash, false).problems.filter((x) => x.kind === 'dup-block')).toEqual([]);
        expect(runFsck(crash, true).exitStatus).toBe(0);
        const e2 = await mountImage(crash);
        const a = get(e2, '/mnt/a');
        expect([sha256(a0), sha256(Buffer.concat([a0, more]))]).toContain(sha256(a));
        expect(get(e2, '/mnt/b')).toEqual(b);
        e2.done();
        expect(runFsck(crash, false).problems).toEqual([]);
      } finally {
        t.cleanup();
      }
    });
  }

  it('a directory whose tail moves keeps every name through a crash, and no file lands in its old fragments unseen', async () => {
    const t = tempDir('nologdir');
    try {
      const img = join(t.path, 'img');
      const crash = join(t.path, 'crash');
      newfsImage(img, { version: 2, endian: 'le', dev: 16 * MiB });
      const env = await mountImage(img);
      const p = env.k.proc;
      p.mkdir('/mnt/d', 0o755);
      put(env, '/mnt/x', pattern('x', 1000), 0, true); // after d's first fragment
      // Names enough to need a second chunk: d's tail moves (x holds the fragment after it).
      const names = Array.from({ length: 40 }, (_, i) => `entry-with-a-longish-name-${i}`);
      for (const n of names.slice(0, 20)) put(env, `/mnt/d/${n}`, pattern(n, 100));
      p.sync();
      const dWas = firstFrag(img, '/d');
      // Two chunks fit d's fragment; the third makes its tail move (x holds the fragment after it).
      for (const n of names.slice(20)) put(env, `/mnt/d/${n}`, pattern(n, 100));
      // A file that takes d's old fragment.
      put(env, '/mnt/y', pattern('y in the old dir tail', 1024));
      copyFileSync(img, crash); // a crash now: nothing synced since the first 20 names
      p.sync();
      expect(firstFrag(img, '/d')).not.toBe(dWas);
      // Some file took d's old fragment (a name added after the move, or y).
      expect(['/y', ...names.map((n) => `/d/${n}`)].some((f) => firstFrag(img, f) === dWas)).toBe(true);
      env.done();

      expect(runFsck(crash, false).problems.filter((x) => x.kind === 'dup-block' || x.kind === 'dir-entry')).toEqual([]);
      expect(runFsck(crash, true).exitStatus).toBe(0);
      const e2 = await mountImage(crash);
      // Every name synced is there with its bytes.
      for (const n of names.slice(0, 20)) expect(sha256(get(e2, `/mnt/d/${n}`))).toBe(sha256(pattern(n, 100)));
      e2.done();
    } finally {
      t.cleanup();
    }
  });
});
