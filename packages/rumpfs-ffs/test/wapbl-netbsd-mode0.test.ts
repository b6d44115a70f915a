/**
 * A dirty log NetBSD left (test/fixtures/netbsd/ufs2-le-wapbl-mode0, see its README): its INODES
 * record names inode 257, allocated by ffs_valloc in one transaction and never initialised (mode 0)
 * before the commit. NetBSD's replay says "unable to cleanup inode 257" and leaves it allocated; we
 * say the same, give the same tree as NetBSD's manifest, and free the inode, so the result is clean.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MNT_LOG, MNT_RDONLY, S_IFBLK, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as ffs from '../src/index.js';
import { tempDir } from './helpers.js';
import { fileHash, runFsck } from './fsckhelpers.js';
import { type Entry, syscallManifest } from './manifest.js';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/netbsd/ufs2-le-wapbl-mode0');
const NETBSD: Entry[] = JSON.parse(readFileSync(`${FIXTURE}.json`, 'utf8')) as Entry[];

async function mounted(img: string, flags: number): Promise<{ manifest: Entry[]; console: string[] }> {
  const console: string[] = [];
  const k = await rump_init({ libraries: [rumpvfs, ffs], logger: (l) => console.push(l) });
  const dev = new HostFileBlockDevice(img, { readonly: (flags & MNT_RDONLY) !== 0 });
  const sw = rumpvfs.devswOf(k);
  const maj = sw.freeMajor();
  sw.attach(maj, { name: 'nbmode0', open: () => dev }, null, null);
  k.proc.mknod('/dev/ffs0', S_IFBLK | 0o600, rumpvfs.makedev(maj, 0));
  k.proc.mkdir('/mnt', 0o755);
  try {
    k.proc.mount('ffs', '/mnt', flags, { fspec: '/dev/ffs0' });
    return { manifest: syscallManifest(k, '/mnt'), console };
  } finally {
    k.halt();
    dev.close();
  }
}

describe('a NetBSD log naming a never-initialised inode', () => {
  it('read-write mounts (with and without MNT_LOG): NetBSD\'s message, NetBSD\'s tree, the inode freed, fsck clean', async () => {
    const t = tempDir('nbmode0');
    try {
      for (const flags of [0, MNT_LOG]) {
        const img = join(t.path, `img${flags}`);
        writeFileSync(img, gunzipSync(readFileSync(`${FIXTURE}.img.gz`)));
        const r = await mounted(img, flags);
        expect(r.console).toContain('ffs_wapbl_replay_finish: unable to cleanup inode 257');
        expect(r.manifest).toEqual(NETBSD);
        expect(runFsck(img, false).problems).toEqual([]);
      }
    } finally {
      t.cleanup();
    }
  });

  it('a read-only mount shows the same tree and writes nothing; fsck -n replays in memory and finds only the inode left allocated; -y repairs', async () => {
    const t = tempDir('nbmode0ro');
    try {
      const img = join(t.path, 'img');
      writeFileSync(img, gunzipSync(readFileSync(`${FIXTURE}.img.gz`)));
      const hash = fileHash(img);
      const r = await mounted(img, MNT_RDONLY);
      expect(r.manifest).toEqual(NETBSD);
      expect(fileHash(img)).toBe(hash);
      const n = runFsck(img, false);
      expect(n.journal).toEqual({ replayed: 'memory', blocks: 7, inodes: [257] });
      // What NetBSD's own replay leaves too: the inode is taken in the map but free in the table.
      expect([...new Set(n.problems.map((p) => p.kind))]).toEqual(['inode-map', 'cg-summary', 'cs-array', 'cstotal']);
      expect(fileHash(img)).toBe(hash);
      expect(runFsck(img, true).exitStatus).toBe(0);
      expect(runFsck(img, false).problems).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
