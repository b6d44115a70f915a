/**
 * NetBSD's own clients against our server, from the recordings (fixtures/sysproxy/README.md): the
 * client side of every recorded session is replayed against a rump_server of ours serving the same
 * FFS image the recordings used, and every answer is checked against NetBSD's, field by field.
 * Sessions that ran against one NetBSD server in a row run against one of ours in the same order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { rump_init, RUMP_ETFS_BLK } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as disk from '@rumpts/rumpdev-disk';
import * as ffs from '@rumpts/rumpfs-ffs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { RumpServer } from '../src/index.js';
import { compareCalls } from './sysproxy/compare.js';
import { replay } from './sysproxy/replay.js';
import { FIXTURES, loadTranscript } from './sysproxy/transcript.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** rump_server -lrumpvfs -lrumpfs_ffs -lrumpdev_disk -lrumpfs_tmpfs -d key=/dev/dk,hostpath=<copy of the image>,size=host unix://… */
async function netbsdLikeServer(): Promise<{ server: RumpServer; path: string; logs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'rsp-'));
  const img = join(dir, 'ffs.img');
  writeFileSync(img, gunzipSync(readFileSync(join(FIXTURES, 'ffs.img.gz'))));
  const kernel = await rump_init({ libraries: [rumpvfs, etfs, disk, ffs, tmpfs], logger: () => undefined });
  kernel.etfsRegister('/dev/dk', img, RUMP_ETFS_BLK);
  const logs: string[] = [];
  const path = join(dir, 'sock');
  const server = await RumpServer.listen({ kernel, url: `unix://${path}`, log: (l) => logs.push(l) });
  cleanups.push(async () => {
    await server.halt();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, path, logs };
}

/** Replay `names` in order against one fresh server; every difference from the recordings. */
async function run(names: readonly string[]): Promise<{ diffs: string[]; banners: string[]; server: RumpServer; logs: string[] }> {
  const s = await netbsdLikeServer();
  const diffs: string[] = [];
  const banners: string[] = [];
  for (const name of names) {
    const r = await replay(loadTranscript(name), s.path);
    banners.push(...r.banners);
    diffs.push(...compareCalls(r.calls, name));
  }
  return { diffs, banners, server: s.server, logs: s.logs };
}

describe('NetBSD librumpclient sessions replayed against our server', () => {
  it('basic: every call of spclient basic, its errors, sysctl and reboot', async () => {
    const r = await run(['basic']);
    expect(r.diffs).toEqual([]);
    expect(r.banners).toEqual([expect.stringMatching(/^RUMPSP-0\.4-NetBSD-[^/\n]+\/amd64\n$/)]);
    // reboot(0) was answered, then the server halted
    await r.server.exited;
  });

  it('multi: per-process descriptor tables across concurrent clients, then halt', async () => {
    const r = await run(['multi']);
    expect(r.diffs).toEqual([]);
    await r.server.exited;
  });

  it('fork, exec, raise and anonmmap, in a row on one server (pids as NetBSD numbers them)', async () => {
    const r = await run(['hijack-00-mount', 'fork', 'exec', 'raise', 'anonmmap', 'hijack-99-halt']);
    // /dev/sysmon is a NetBSD device rumpts does not have (that server ran with -lrumpdev_sysmon):
    // the open fails with ENOENT as on a NetBSD rump_server without the component, so the ioctl that
    // made the server ANONMMAP and COPYOUT the plist, and the close, find no descriptor (EBADF).
    // Nothing else of the four sessions differs.
    expect(r.diffs).toEqual([
      'anonmmap conn 1 reqno 2 (class 0 type 1 u 5): rsys_error recorded 0, ours 2',
      'anonmmap conn 1 reqno 2 (class 0 type 1 u 5): rsys_retval[0] recorded 3, ours 0',
      'anonmmap conn 1 reqno 3 (class 0 type 1 u 54): rsys_error recorded 0, ours 9',
      'anonmmap conn 1 reqno 3 (class 0 type 1 u 54): 3 one-way requests recorded (6,4,4), ours 0 ()',
      'anonmmap conn 1 reqno 4 (class 0 type 1 u 6): rsys_error recorded 0, ours 9',
    ]);
  });

  it('bigio: a 70000-byte write, read and pread (COPYIN in pieces, COPYOUT a page per frame)', async () => {
    const r = await run(['hijack-00-mount', 'bigio', 'hijack-99-halt']);
    expect(r.diffs).toEqual([]);
  });

  it('probe: bad handshakes, unknown syscalls and types, arbitrary reqnos, pipelining, prefork cookies, a disconnect mid-copy', async () => {
    const r = await run(['probe', 'hijack-99-halt']);
    // The probe works in the root file system (rumpfs, nothing mounted): NetBSD's rumpfs numbers its
    // nodes from another start than ours, so the file it made has another st_ino. Only that differs.
    expect(r.diffs).toEqual(['probe conn 4 reqno 11 (class 0 type 1 u 440) one-way #0 struct stat: st_ino recorded 10, ours 6']);
    // the client that hung up in the middle of mkdir's COPYINSTR left the server serving (conn 10 got its getpid)
    expect(r.logs.some((l) => /internal error/.test(l))).toBe(false);
  });

  it('our own sysproxy client as NetBSD answered it: tmpfs_args, readv/writev, utimensat, fork and exec, …', async () => {
    const r = await run(['rumpclient-ops']);
    // File-system numbers, not the protocol: NetBSD's tmpfs numbers its nodes by kernel address and
    // gives a symlink a page of blocks; its rumpfs root says MNT_ROOTFS and counts blocks and files
    // its own way (getvfsstat's first entry).
    const t = 'rumpclient-ops conn 1 reqno';
    expect(r.diffs).toEqual([
      `${t} 7 (class 0 type 1 u 356) one-way #0 struct statvfs: f_flag recorded 20480, ours 4096`,
      `${t} 7 (class 0 type 1 u 356) one-way #0 struct statvfs: f_blocks recorded 2, ours 0`,
      `${t} 7 (class 0 type 1 u 356) one-way #0 struct statvfs: f_files recorded 0, ours 4`,
      `${t} 17 (class 0 type 1 u 440) one-way #0 struct stat: st_ino recorded 648193022214, ours 3`,
      `${t} 21 (class 0 type 1 u 439) one-way #0 struct stat: st_ino recorded 648193022214, ours 3`,
      `${t} 24 (class 0 type 1 u 441) one-way #0 struct stat: st_ino recorded 648193022213, ours 4`,
      `${t} 24 (class 0 type 1 u 441) one-way #0 struct stat: st_blocks recorded 8, ours 1`,
      `${t} 26 (class 0 type 1 u 439) one-way #0 struct stat: st_ino recorded 648193022214, ours 3`,
      `${t} 28 (class 0 type 1 u 441) one-way #0 struct stat: st_ino recorded 648193022212, ours 5`,
      `${t} 37 (class 0 type 1 u 441) one-way #0 struct stat: st_ino recorded 648193022213, ours 4`,
      `${t} 37 (class 0 type 1 u 441) one-way #0 struct stat: st_blocks recorded 8, ours 1`,
    ]);
    await r.server.exited;
  });

  it('librumphijack: host tools (head, dd, readlink, wc, sh | dd with fork and exec, …) as NetBSD answered them', async () => {
    const names = [
      'hijack-00-mount', 'hijack-01-ls', 'hijack-02-cat', 'hijack-03-head', 'hijack-04-dd-read', 'hijack-05-readlink', 'hijack-06-wc', 'hijack-07-dd-write',
      'hijack-08-dd-readback', 'hijack-09-bash-redirect', 'hijack-10-touch', 'hijack-11-ln-s', 'hijack-12-rmdir-notempty', 'hijack-13-rm', 'hijack-14-mkdir',
      'hijack-15-cp', 'hijack-16-python-listdir', 'hijack-17-timeout-ls', 'hijack-99-halt',
    ];
    const r = await run(names);
    expect(r.diffs).toEqual([]);
  });
});
