/**
 * WAPBL replay against NetBSD's own log: ufs1-le-wapbl-replay holds committed, unreplayed transactions
 * written by NetBSD's WAPBL; after our replay the tree must be exactly what NetBSD saw after its own
 * replay (ufs1-le-wapbl-replay-after-replay.json), and the log header must read as the README says.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Kernel, MNT_RDONLY } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { MemoryBlockDevice } from '@rumpts/rumpdev-disk';
import { type Entry, kernelWith, syscallManifest } from './manifest.js';
import { decodeJournalLoc, planReplay } from '../src/wapbl/wapbl_log.js';
import { ReplayOverlayDevice, wapbl_plan, wapbl_replay_write } from '../src/wapbl/wapbl_replay.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/netbsd');
const IMG = join(FIXTURES, 'ufs1-le-wapbl-replay.img.gz');
const SBLOCK = 8192;
const FS_DOWAPBL = 0x100;

async function mountDevice(dev: BlockDevice): Promise<Kernel> {
  const k = await kernelWith({ img: dev });
  k.proc.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/img' });
  return k;
}

const manifest = (k: Kernel): Entry[] => syscallManifest(k, '/mnt');

/** The fields a manifest entry has, in the manifest's own keys. */
function project(e: Entry, keys: string[]): Entry {
  return Object.fromEntries(keys.filter((k) => k in e).map((k) => [k, e[k] as string | number]));
}

describe('WAPBL replay of a log written by NetBSD', () => {
  const image = (): Uint8Array => new Uint8Array(gunzipSync(readFileSync(IMG)));

  it('reads the journal location and the current header', () => {
    const img = image();
    const sb = img.subarray(SBLOCK, SBLOCK + 1376);
    const j = decodeJournalLoc(sb);
    // README: fs_journal_version 1, location 2 (in the file system), journallocs [1120, 2048, 512, 3].
    expect(j).toEqual({ version: 1, location: 2, flags: 0, locs: [1120, 2048, 512, 3] });
    const logStart = 1120 * 512;
    const plan = planReplay((off, len) => img.subarray(logStart + off, logStart + off + len), 2048 * 512);
    expect(plan.header).toMatchObject({ generation: 5, head: 74240, tail: 19456, circOff: 1024, circSize: 1047552, logBshift: 9, fsBshift: 9 });
    expect(plan.records).toBeGreaterThan(0);
    const logged = [...plan.blocks.values()].reduce((s, b) => s + b.len, 0);
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThan(74240 - 19456); // record headers take the rest
  });

  it('after replay to the device, the tree is what NetBSD saw after its own replay', async () => {
    const img = image();
    const dev = new MemoryBlockDevice(img);
    const sb = img.subarray(SBLOCK, SBLOCK + 1376);
    const plan = wapbl_plan(dev, sb);
    expect(wapbl_replay_write(dev, plan)).toBe(plan.blocks.size);
    // What NetBSD does after a read-write replay: FS_DOWAPBL cleared, the fs marked clean.
    const dv = new DataView(img.buffer, img.byteOffset + SBLOCK);
    dv.setUint32(1312, dv.getUint32(1312, true) & ~FS_DOWAPBL, true);
    img[SBLOCK + 209] = 1;
    const k = await mountDevice(dev);
    const ours = manifest(k);
    const theirs = JSON.parse(readFileSync(join(FIXTURES, 'ufs1-le-wapbl-replay-after-replay.json'), 'utf8')) as Entry[];
    expect(ours.length).toBe(theirs.length);
    const keys = Object.keys(theirs[0] ?? {});
    expect(ours.map((e) => project(e, keys))).toEqual(theirs.map((e) => project(e, keys)));
    k.halt();
  });

  it('a read-only view through the in-memory overlay matches too, and writes nothing', async () => {
    const img = image();
    const before = createHash('sha256').update(img).digest('hex');
    const dev = new MemoryBlockDevice(img);
    const plan = wapbl_plan(dev, img.subarray(SBLOCK, SBLOCK + 1376));
    const overlay = new ReplayOverlayDevice(dev, plan);
    // The overlay's own superblock still says FS_DOWAPBL; mount with the flag cleared in a copy of the sb sector only.
    const sbSector = new Uint8Array(512);
    overlay.read(sbSector, SBLOCK + 1024);
    const view: BlockDevice = {
      secsize: overlay.secsize,
      size: overlay.size,
      readonly: true,
      read(buf, off) {
        overlay.read(buf, off);
        const at = SBLOCK + 1312;
        if (off <= at && at + 4 <= off + buf.length) {
          const v = new DataView(buf.buffer, buf.byteOffset);
          v.setUint32(at - off, v.getUint32(at - off, true) & ~FS_DOWAPBL, true);
        }
      },
      write: () => overlay.write(),
      flush: () => {},
    };
    const k = await mountDevice(view);
    const theirs = JSON.parse(readFileSync(join(FIXTURES, 'ufs1-le-wapbl-replay-after-replay.json'), 'utf8')) as Entry[];
    const keys = Object.keys(theirs[0] ?? {});
    expect(manifest(k).map((e) => project(e, keys))).toEqual(theirs.map((e) => project(e, keys)));
    k.halt();
    expect(createHash('sha256').update(img).digest('hex')).toBe(before);
  });
});

describe('WAPBL replay at mount time', () => {
  const image = (): Uint8Array => new Uint8Array(gunzipSync(readFileSync(IMG)));
  const theirs = (): Entry[] => JSON.parse(readFileSync(join(FIXTURES, 'ufs1-le-wapbl-replay-after-replay.json'), 'utf8')) as Entry[];

  it('a read-only mount replays to memory: NetBSD\'s after-replay tree, the image untouched', async () => {
    const img = image();
    const before = createHash('sha256').update(img).digest('hex');
    const dev = new MemoryBlockDevice(img);
    const k = await mountDevice(dev);
    const keys = Object.keys(theirs()[0] ?? {});
    expect(manifest(k).map((e) => project(e, keys))).toEqual(theirs().map((e) => project(e, keys)));
    expect(k.msgbuf.join('\n')).toMatch(/replaying log to memory/);
    k.halt();
    expect(createHash('sha256').update(img).digest('hex')).toBe(before);
  });

  it('a read-write mount replays to disk, clears FS_DOWAPBL and leaves a clean fs', async () => {
    const img = image();
    const dev = new MemoryBlockDevice(img);
    const k = await kernelWith({ img: dev });
    k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/img' });
    expect(k.msgbuf.join('\n')).toMatch(/replaying log to disk/);
    k.proc.unmount('/mnt', 0);
    k.halt();
    const dv = new DataView(img.buffer, img.byteOffset + SBLOCK);
    expect(dv.getUint32(1312, true) & FS_DOWAPBL).toBe(0);
    expect(img[SBLOCK + 209]).toBe(1); // fs_clean
    // A fresh read-only mount of the replayed image sees NetBSD's tree, with no log involved.
    const k2 = await mountDevice(new MemoryBlockDevice(img));
    const keys = Object.keys(theirs()[0] ?? {});
    expect(manifest(k2).map((e) => project(e, keys))).toEqual(theirs().map((e) => project(e, keys)));
    expect(k2.msgbuf.join('\n')).not.toMatch(/replaying/);
    k2.halt();
  });
});

describe('WAPBL log sanity', () => {
  it('garbage where a log should be is EFTYPE, not a crash', () => {
    const junk = new Uint8Array(1 << 16).map((_, i) => (i * 7919) & 0xff);
    expect(() => planReplay((off, len) => junk.subarray(off, off + len), junk.length)).toThrow(expect.objectContaining({ code: 'EFTYPE' }));
  });
});
