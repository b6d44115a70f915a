/**
 * Images written by NetBSD's own FFS (test/fixtures/netbsd, copied from NetBSD runs; see its README): what we read must
 * match, entry for entry, the manifests NetBSD produced by walking the same images.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '@rumpts/librump';
import { Ufsmount, ffs_dirwalk, ffs_getattr, ffs_iget, ffs_read, ffs_readlink } from '../src/index.js';
import type { Inode } from '../src/index.js';
import { FS_DOWAPBL } from '../src/ondisk/fs.js';
import { FileBlockDevice, tempDir } from './helpers.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/netbsd');

type Entry = Record<string, string | number>;

const TYPE: Record<number, string> = { [S_IFREG]: 'f', [S_IFDIR]: 'd', [S_IFLNK]: 'l', [S_IFIFO]: 'p', [S_IFCHR]: 'c', [S_IFBLK]: 'b' };

function sha256(ip: Inode): string {
  const h = createHash('sha256');
  const buf = new Uint8Array(65536);
  for (let off = 0; off < ip.size; ) {
    const n = ffs_read(ip, buf, off);
    expect(n).toBeGreaterThan(0);
    h.update(buf.subarray(0, n));
    off += n;
  }
  return h.digest('hex');
}

/** Walk the whole fs as NetBSD's manifest tool did (getdents + lstat + readlink + read). */
function manifest(ump: Ufsmount, full: boolean): Entry[] {
  const out: Entry[] = [];
  const visit = (ino: number, path: string): void => {
    const ip = ffs_iget(ump, ino);
    const va = ffs_getattr(ip);
    const type = TYPE[ip.mode & S_IFMT] ?? '?';
    const e: Entry = { path, type };
    if (full) {
      Object.assign(e, { size: va.size, mode: va.mode.toString(8).padStart(4, '0'), uid: va.uid, gid: va.gid, nlink: va.nlink });
      if (type === 'f') e['sha256'] = sha256(ip);
      if (type === 'l') e['target'] = ffs_readlink(ip);
      if (type === 'c' || type === 'b') e['rdev'] = va.rdev;
      Object.assign(e, { mtime_sec: va.mtime.sec, mtime_nsec: va.mtime.nsec });
    }
    e['ino'] = ino;
    out.push(e);
    if (type !== 'd') return;
    const kids: [string, number][] = [];
    ffs_dirwalk(ip, 0, (d) => {
      if (d.name !== '.' && d.name !== '..') kids.push([d.name, d.ino]);
      return true;
    });
    for (const [name, kino] of kids) visit(kino, path === '/' ? `/${name}` : `${path}/${name}`);
  };
  visit(2, '/');
  return out.sort((a, b) => Buffer.compare(Buffer.from(String(a['path'])), Buffer.from(String(b['path']))));
}

describe('NetBSD-written images match NetBSD manifests', () => {
  const tmp = tempDir('netbsd');
  afterAll(() => tmp.cleanup());
  const open = (name: string): Ufsmount => {
    const img = join(tmp.path, `${name}.img`);
    if (!existsSync(img)) writeFileSync(img, gunzipSync(readFileSync(join(FIXTURES, `${name}.img.gz`))));
    return Ufsmount.open(new FileBlockDevice(img));
  };
  const expected = (name: string): Entry[] => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Entry[];

  for (const name of ['ufs2-le-history', 'ufs1-be-history', 'ufs2-le-unclean']) {
    it(`${name}: every entry (type, size, mode, owner, links, sha256, target, rdev, mtime with nsec, ino)`, () => {
      const ump = open(name);
      // Debian makefs puts even the UFS2 superblock at 8192 (README): found by the 8192 probe.
      expect(ump.sbloc).toBe(8192);
      expect(ump.le).toBe(name.includes('-le-'));
      const want = expected(name);
      const got = manifest(ump, true);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    }, 60_000);
  }

  it('ufs1-le-wapbl-replay: the in-place metadata matches The Sleuth Kit (no log replay)', () => {
    const ump = open('ufs1-le-wapbl-replay');
    expect(ump.fs.flags & FS_DOWAPBL).toBe(FS_DOWAPBL);
    const want = expected('ufs1-le-wapbl-replay-in-place').map((e) => ({ ...e, path: String(e['path']).startsWith('/') ? e['path'] : `/${String(e['path'])}` }));
    const got = manifest(ump, false).filter((e) => e['path'] !== '/');
    expect(got).toEqual(want);
  });

});
