/**
 * The libraries writing into a real FFS image (UFS1, made by Debian's makefs) mounted read-write
 * through ukfs, and the image then read by sleuthkit (fls/icat) — a reader that shares nothing with
 * ours. The git repository isomorphic-git wrote is rebuilt from the image by icat alone and must pass
 * the host git's fsck; the files tar-fs extracted must come out of icat byte for byte.
 *
 * Skipped (with the reason) where makefs or sleuthkit is missing, or while rumpfs-ffs cannot write.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as host from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import git from 'isomorphic-git';
import * as tarFs from 'tar-fs';
import { describe, expect, it } from 'vitest';
import { UkfsLib } from '@rumpts/ukfs';
import { createFs, type RumpFs } from '../src/index.js';
import { type FlsEntry, fls, hostTmp, icat, makeImage } from './helpers.js';

declare module 'tar-fs' {
  interface Options {
    fs?: RumpFs | typeof host;
  }
}

const HAVE_TOOLS = ['makefs', 'fls', 'icat'].every((t) => spawnSync(t, ['-V'], { stdio: 'ignore' }).error === undefined);

/** Can rumpfs-ffs write yet? (A colleague is adding read-write; until then mounts refuse writes.) */
async function ffsWritable(): Promise<string | undefined> {
  if (!HAVE_TOOLS) return 'makefs/sleuthkit not installed';
  const img = makeImage(hostTmp(), 2, 16);
  const lib = await UkfsLib.init();
  try {
    await lib.ensureFs('ffs');
    const h = lib.mount('ffs', img);
    h.mkdir('/probe', 0o755);
    return undefined;
  } catch (e) {
    return `rumpfs-ffs cannot write here: ${(e as Error).message}`;
  } finally {
    lib.halt();
  }
}
const skipReason = await ffsWritable();

/** Mount `img` read-write, run `work` with the facade, then release (strictly: no descriptor left open). */
async function withFfs(img: string, work: (fs: RumpFs) => Promise<void>): Promise<void> {
  const lib = await UkfsLib.init();
  try {
    await lib.ensureFs('ffs');
    const h = lib.mount('ffs', img);
    await work(createFs(h));
    h.release();
  } finally {
    lib.halt();
  }
}

describe.skipIf(skipReason !== undefined)(`libraries writing FFS, checked by sleuthkit${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('isomorphic-git commits into FFS; the repository rebuilt by icat passes git fsck', async () => {
    const work = hostTmp();
    const img = makeImage(work, 16);
    const author = { name: 'FFS', email: 'ffs@example.org', timestamp: 1_700_000_000, timezoneOffset: 0 };
    let head = '';
    await withFfs(img, async (fs) => {
      await git.init({ fs, dir: '/repo', defaultBranch: 'main' });
      for (let i = 0; i < 40; i++) fs.writeFileSync(`/repo/file${i}.txt`, `file ${i}\n`.repeat(i * 50 + 1));
      fs.mkdirSync('/repo/nested/dir', { recursive: true });
      fs.writeFileSync('/repo/nested/dir/blob.bin', Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff)));
      await git.add({ fs, dir: '/repo', filepath: '.' });
      await git.commit({ fs, dir: '/repo', message: 'into ffs', author });
      fs.writeFileSync('/repo/file3.txt', 'changed\n');
      await git.add({ fs, dir: '/repo', filepath: 'file3.txt' });
      head = await git.commit({ fs, dir: '/repo', message: 'second', author });
    });

    // rebuild the repository from the image with sleuthkit alone
    const tree = fls(img);
    const out = join(work, 'rebuilt');
    let files = 0;
    for (const [path, e] of tree) {
      if (!path.startsWith('repo/')) continue;
      const dst = join(out, path.slice('repo/'.length));
      if (e.type === 'd') host.mkdirSync(dst, { recursive: true });
      else if (e.type === 'r') {
        host.mkdirSync(dirname(dst), { recursive: true });
        host.writeFileSync(dst, icat(img, e.ino));
        files++;
      }
    }
    expect(files).toBeGreaterThan(80);
    const g = (...a: string[]): string => execFileSync('git', ['-C', out, ...a], { encoding: 'utf8', env: { ...process.env, HOME: out } });
    g('fsck', '--strict', '--no-progress');
    expect(g('rev-parse', 'HEAD').trim()).toBe(head);
    expect(g('log', '--format=%s').trim().split('\n')).toEqual(['second', 'into ffs']);
    expect(g('status', '--porcelain')).toBe('');
  });

  it('tar-fs extracts a GNU tar archive into FFS; icat gives back every file', async () => {
    const work = hostTmp();
    const src = join(work, 'src');
    const want = new Map<string, Buffer>();
    for (let i = 0; i < 30; i++) {
      const name = `d${i % 4}/f${i}.dat`;
      const body = Buffer.from(Array.from({ length: 1000 * i + 7 }, (_, j) => (i * 31 + j) & 0xff));
      host.mkdirSync(join(src, dirname(name)), { recursive: true });
      host.writeFileSync(join(src, name), body);
      want.set(name, body);
    }
    host.symlinkSync('d0/f0.dat', join(src, 'link'));
    const archive = join(work, 'a.tar');
    execFileSync('tar', ['-cf', archive, '-C', src, '.']);

    const img = makeImage(work, 16);
    await withFfs(img, (fs) => pipeline(host.createReadStream(archive), tarFs.extract('/x', { fs })));
    const tree = fls(img);
    for (const [name, body] of want) {
      const e = tree.get(`x/${name}`);
      expect(e?.type, name).toBe('r');
      expect(icat(img, (e as FlsEntry).ino).equals(body), name).toBe(true);
    }
    expect(tree.get('x/link')?.type).toBe('l');
    expect(tree.get('seed.txt')?.type).toBe('r');
  });
});
