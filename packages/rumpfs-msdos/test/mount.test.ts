/**
 * Mount data (msdosfs_args) and what NetBSD's msdosfs makes of Unix attributes, each checked on the
 * volume by an independent reader where one exists: uid/gid/mask/dirmask, chmod as the read-only
 * attribute (mattrib), the gmtoff offset of stored times (mdir in UTC), short-name-only mounts, the
 * clean-shutdown bit, FSInfo, both FAT copies, read-only mounts and mount -u.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MNT_RDONLY, MNT_UPDATE, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, S_IFMT } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { MSDOSFSMNT_NOWIN95, MSDOSFSMNT_SHORTNAME, newfs_msdos, parseMsdosfsArgs } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MKFS_FAT, HAVE_MTOOLS, MTOOLS_ENV, fsckFat, mkfsFat, mountImage, tempDir, code } from './helpers.js';
import { Surgeon } from './surgeon.js';


let t: ReturnType<typeof tempDir>;
let img = '';
function fresh(fatType: 12 | 16 | 32 = 16, bytes = 32 << 20): void {
  writeFileSync(img, new Uint8Array(0));
  truncateSync(img, bytes);
  const dev = new HostFileBlockDevice(img);
  newfs_msdos(dev, { fatType });
  dev.close();
}
beforeEach(() => {
  t = tempDir('mount');
  img = join(t.path, 'img');
});
afterEach(() => t.cleanup());

describe('msdosfs_args', () => {
  it('checks every field and names the bad one', () => {
    expect(parseMsdosfsArgs({ fspec: '/dev/x' })).toEqual({ fspec: '/dev/x', uid: 0, gid: 0, mask: 0o755, dirmask: 0o755, flags: 0, gmtoff: 0 });
    expect(parseMsdosfsArgs({ fspec: '/dev/x', mask: 0o644 }).dirmask).toBe(0o644);
    for (const bad of [undefined, {}, { fspec: '' }, { fspec: 'x', uid: -1 }, { fspec: 'x', mask: 0o1000 }, { fspec: 'x', flags: 0x100 }, { fspec: 'x', flags: 8 },
      { fspec: 'x', flags: 3 }, { fspec: 'x', gmtoff: 1.5 }, { fspec: 'x', gmtoff: 100000 }, { fspec: 'x', what: 1 }]) {
      expect(code(() => parseMsdosfsArgs(bad)), JSON.stringify(bad)).toBe('EINVAL');
    }
  });

  it('owner, group and masks come from the mount; chown elsewhere is EINVAL', async () => {
    fresh();
    const m = await mountImage(img, 0, { uid: 1000, gid: 100, mask: 0o640, dirmask: 0o750 });
    const p = m.k.proc;
    p.close(p.open('/mnt/f', O_CREAT | O_RDWR, 0o666));
    p.mkdir('/mnt/d', 0o777);
    expect(p.stat('/mnt/f')).toMatchObject({ uid: 1000, gid: 100 });
    expect(p.stat('/mnt/f').mode & 0o7777).toBe(0o640);
    expect(p.stat('/mnt/d').mode & 0o7777).toBe(0o750);
    expect(code(() => p.chown('/mnt/f', 5, 100))).toBe('EINVAL');
    expect(code(() => p.chown('/mnt/f', 1000, 100))).toBe('ok');
    expect(code(() => p.symlink('f', '/mnt/l'))).toBe('EOPNOTSUPP');
    expect(code(() => p.link('/mnt/f', '/mnt/g'))).toBe('EOPNOTSUPP');
    expect(code(() => p.mkfifo('/mnt/p', 0o644))).toBe('EINVAL');
    expect(p.stat('/mnt/d').nlink).toBe(1);
    m.done();
  });

  it.skipIf(!HAVE_MTOOLS)('chmod toggles the read-only attribute, which mtools sees; a file made without write permission is read-only', async () => {
    fresh();
    const m = await mountImage(img);
    const p = m.k.proc;
    p.close(p.open('/mnt/rw.txt', O_CREAT | O_RDWR, 0o644));
    p.close(p.open('/mnt/ro.txt', O_CREAT | O_RDWR, 0o444));
    p.close(p.open('/mnt/toggled.txt', O_CREAT | O_RDWR, 0o644));
    p.chmod('/mnt/toggled.txt', 0o444);
    expect(p.stat('/mnt/ro.txt').mode & 0o777).toBe(0o555);
    expect(p.stat('/mnt/rw.txt').mode & 0o777).toBe(0o755);
    p.chmod('/mnt/ro.txt', 0o600); // the write bit is back: writable again, other bits ignored
    expect(p.stat('/mnt/ro.txt').mode & 0o777).toBe(0o755);
    p.chmod('/mnt/ro.txt', 0o400);
    m.done();
    const attrs = execFileSync('mattrib', ['-i', img, '::/*'], { env: MTOOLS_ENV, encoding: 'utf8' });
    const line = (n: string): string => attrs.split('\n').find((l) => l.toLowerCase().includes(n)) ?? '';
    expect(line('rw.txt')).not.toMatch(/R/);
    expect(line('ro.txt')).toMatch(/^\s*A?\s*R/);
    expect(line('toggled.txt')).toMatch(/R/);
  });

  it.skipIf(!HAVE_MTOOLS)('gmtoff: times are stored as local time east of UTC, and read back as the same instant', async () => {
    fresh();
    const when = Date.UTC(2023, 6, 14, 10, 20, 30) / 1000;
    const m = await mountImage(img, 0, { gmtoff: 7200 });
    const p = m.k.proc;
    p.close(p.open('/mnt/t.txt', O_CREAT | O_RDWR, 0o644));
    p.utimes('/mnt/t.txt', { sec: when, nsec: 0 }, { sec: when, nsec: 0 });
    expect(p.stat('/mnt/t.txt').mtime.sec).toBe(when);
    m.done();
    // mdir in UTC shows the stored wall-clock time: two hours ahead of the instant.
    const line = execFileSync('mdir', ['-i', img, '::/T.TXT'], { env: MTOOLS_ENV, encoding: 'utf8' }).split('\n').find((l) => l.startsWith('T ')) ?? '';
    expect(line).toMatch(/2023-07-14\s+12:20/);
    const again = await mountImage(img, MNT_RDONLY, { gmtoff: 7200 });
    expect(again.k.proc.stat('/mnt/t.txt').mtime.sec).toBe(when);
    again.done();
  });

  it('MSDOSFSMNT_SHORTNAME: 8.3 names only, shown in lower case; long names refused; NOWIN95 implies it', async () => {
    fresh();
    const m = await mountImage(img);
    const p = m.k.proc;
    p.close(p.open('/mnt/A Long Name.txt', O_CREAT | O_RDWR, 0o644));
    p.close(p.open('/mnt/Short.TXT', O_CREAT | O_RDWR, 0o644));
    m.done();
    for (const flags of [MSDOSFSMNT_SHORTNAME, MSDOSFSMNT_NOWIN95]) {
      const s = await mountImage(img, 0, { flags });
      const q = s.k.proc;
      expect(q.statvfs('/mnt').namemax).toBe(12);
      const fd = q.open('/mnt', O_RDONLY);
      const names = q.getdents(fd).map((d) => d.name).filter((n) => n !== '.' && n !== '..').sort();
      q.close(fd);
      expect(names).toEqual(['alongn~1.txt', 'short.txt']);
      expect(code(() => q.open('/mnt/another long name.txt', O_CREAT | O_RDWR, 0o644))).toBe('EINVAL');
      q.close(q.open('/mnt/new.c', O_CREAT | O_RDWR, 0o644));
      expect(code(() => q.stat('/mnt/NEW.C'))).toBe('ok');
      q.unlink('/mnt/new.c');
      s.done();
    }
  });
});

describe('on-disk housekeeping', () => {
  it('the clean bit is clear while mounted read-write and set again by unmount and by mount -u ro', async () => {
    for (const fat of [16, 32] as const) {
      fresh(fat, fat === 32 ? 40 << 20 : 32 << 20);
      const bit = fat === 32 ? 0x08000000 : 0x8000;
      expect(new Surgeon(img).fatGet(1) & bit).toBe(bit);
      const m = await mountImage(img);
      expect(new Surgeon(img).fatGet(1) & bit).toBe(0);
      m.k.proc.mount('msdos', '/mnt', MNT_UPDATE | MNT_RDONLY, undefined);
      expect(new Surgeon(img).fatGet(1) & bit).toBe(bit);
      m.k.proc.mount('msdos', '/mnt', MNT_UPDATE, undefined);
      expect(new Surgeon(img).fatGet(1) & bit).toBe(0);
      m.done();
      const s = new Surgeon(img);
      expect(s.fatGet(1) & bit).toBe(bit);
      expect(s.fatGet(1, 1)).toBe(s.fatGet(1, 0));
    }
  });

  it.skipIf(!HAVE_FSCK_FAT)('FSInfo holds the true free count and both FATs match after a busy session', async () => {
    fresh(32, 40 << 20);
    const m = await mountImage(img);
    const p = m.k.proc;
    for (let i = 0; i < 50; i++) {
      const fd = p.open(`/mnt/f${i}`, O_CREAT | O_WRONLY, 0o644);
      p.write(fd, new Uint8Array(1000 * i));
      p.close(fd);
    }
    for (let i = 0; i < 50; i += 3) p.unlink(`/mnt/f${i}`);
    const free = p.statvfs('/mnt').bfree;
    m.done();
    const s = new Surgeon(img);
    const fsinfoFree = s.b.readUInt32LE(s.g.fsInfoSec * s.g.bps + 488);
    expect(fsinfoFree).toBe(free);
    let counted = 0;
    for (let c = 2; c <= s.g.maxcluster; c++) if (s.fatGet(c) === 0) counted++;
    expect(counted).toBe(free);
    const fatBytes = s.g.fatSecs * s.g.bps;
    const f0 = s.g.resSectors * s.g.bps;
    expect(s.b.subarray(f0, f0 + fatBytes).equals(s.b.subarray(f0 + fatBytes, f0 + 2 * fatBytes))).toBe(true);
    expect(fsckFat(img).ok).toBe(true);
  });

  it.skipIf(!HAVE_MKFS_FAT || !HAVE_FSCK_FAT || !HAVE_MTOOLS)('before sync, early writes (file data, new directory clusters) land only in clusters free on the device', async () => {
    // Short names take 2 slots (a cluster holds 8 entries); these long ones 5 (entries run across clusters).
    for (const name of [(i: number) => `file${i}.dat`, (i: number) => `A Rather Long File Name ${i} of the tree.text`]) {
      mkfsFat(img, 40960, ['-F', '32', '-s', '1']);
      const m = await mountImage(img);
      const p = m.k.proc;
      const before = readFileSync(img);
      p.mkdir('/mnt/d', 0o755);
      const data = (i: number): Uint8Array => new Uint8Array(40000 - i).map((_, j) => (i * 7 + j) & 0xff);
      for (let i = 0; i < 60; i++) {
        const fd = p.open(`/mnt/d/${name(i)}`, O_CREAT | O_WRONLY, 0o644);
        p.write(fd, data(i));
        p.close(fd);
      }
      const early = readFileSync(img);
      m.done();
      const s0 = new Surgeon(img, before);
      const data0 = s0.clusterByte(2);
      expect(early.subarray(0, data0).equals(before.subarray(0, data0))).toBe(true);
      for (let c = 2; c <= s0.g.maxcluster; c++) {
        if (s0.fatGet(c) === 0) continue;
        const at = s0.clusterByte(c);
        expect(early.subarray(at, at + s0.g.bpc).equals(before.subarray(at, at + s0.g.bpc))).toBe(true);
      }
      // d's full directory clusters went out with the file data around them, as they are at the end
      // (stagedev.ts: filled gaps, then written into the staged run, so the sync has none left to write).
      const s = new Surgeon(img);
      const dirClusters = s.chain(s.find('/d').e.startCluster);
      expect(dirClusters.length).toBeGreaterThan(4);
      const same = (c: number): boolean => early.subarray(s.clusterByte(c), s.clusterByte(c) + s.g.bpc).equals(s.b.subarray(s.clusterByte(c), s.clusterByte(c) + s.g.bpc));
      const middle = dirClusters.slice(1, -1);
      expect(middle.filter(same).length, name(0)).toBeGreaterThanOrEqual(middle.length / 2);
      expect(fsckFat(img).ok).toBe(true);
      for (const i of [0, 31, 59]) {
        const got = execFileSync('mtype', ['-i', img, `::/d/${name(i)}`], { env: MTOOLS_ENV });
        expect(got.equals(Buffer.from(data(i)))).toBe(true);
      }
    }
  });

  it('read-only: every change is EROFS and the image is not written', async () => {
    fresh();
    const m0 = await mountImage(img);
    const p0 = m0.k.proc;
    const fd0 = p0.open('/mnt/f', O_CREAT | O_WRONLY, 0o644);
    p0.write(fd0, new Uint8Array(10).fill(1));
    p0.close(fd0);
    p0.mkdir('/mnt/d', 0o755);
    m0.done();
    const before = readFileSync(img);
    const m = await mountImage(img, MNT_RDONLY);
    const p = m.k.proc;
    expect(code(() => p.open('/mnt/g', O_CREAT | O_RDWR, 0o644))).toBe('EROFS');
    expect(code(() => p.open('/mnt/f', O_WRONLY))).toBe('EROFS');
    expect(code(() => p.unlink('/mnt/f'))).toBe('EROFS');
    expect(code(() => p.rename('/mnt/f', '/mnt/h'))).toBe('EROFS');
    expect(code(() => p.rmdir('/mnt/d'))).toBe('EROFS');
    expect(code(() => p.utimes('/mnt/f', null, null))).toBe('EROFS');
    const fd = p.open('/mnt/f', O_RDONLY);
    expect(p.read(fd, new Uint8Array(20))).toBe(10);
    p.close(fd);
    expect(p.stat('/mnt/d').mode & S_IFMT).toBe(0o040000);
    m.done();
    expect(readFileSync(img).equals(before)).toBe(true);
  });
});
