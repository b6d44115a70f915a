/**
 * Device nodes in an untrusted image (issue 16 item 3): images are mounted nodev,nosuid by default,
 * so a device node naming the rumpblk major reaches no other mapped image — unless the user asks
 * (`{ dev: true }`, `fsu -o dev`). The images are Debian makefs's, device nodes from an mtree spec.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MNT_NODEV, MNT_NOSUID, MNT_RDONLY, O_RDONLY } from '@rumpts/librump';
import { RUMPBLK_DEVMAJOR } from '@rumpts/etfs';
import { major, makedev, minor } from '@rumpts/rumpvfs';
import { UkfsLib, ukfsMountFlags } from '../src/index.js';
import { tmp } from './helpers.js';

const MINORS = 16;
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'OK';
};

/** An FFS image whose root holds `disk<N>` (b 197 N) and `rdisk<N>` (c 197 N) for every rumpblk minor, and a setuid file. */
function deviceImage(root: string): string {
  const src = join(root, 'devsrc');
  mkdirSync(src);
  writeFileSync(join(src, 'prog'), '#!/bin/sh\n');
  const lines = ['/set type=file uid=0 gid=0 mode=0644', '. type=dir mode=0755', 'prog type=file mode=04755'];
  for (let m = 0; m < MINORS; m++) {
    lines.push(`disk${m} type=block mode=0600 device=netbsd,${RUMPBLK_DEVMAJOR},${m}`);
    lines.push(`rdisk${m} type=char mode=0600 device=netbsd,${RUMPBLK_DEVMAJOR},${m}`);
  }
  writeFileSync(join(root, 'spec'), `${lines.join('\n')}\n`);
  const img = join(root, 'devices.img');
  execFileSync('makefs', ['-t', 'ffs', '-o', 'version=2', '-F', join(root, 'spec'), '-s', '2m', img, src], { stdio: 'pipe' });
  return img;
}

/** A second image, the victim: a file with a marker. */
function victimImage(root: string): string {
  const src = join(root, 'victimsrc');
  mkdirSync(src);
  writeFileSync(join(src, 'secret.txt'), 'VICTIM-IMAGE-SECRET\n'.repeat(100));
  const img = join(root, 'victim.img');
  execFileSync('makefs', ['-t', 'ffs', '-o', 'version=1', '-s', '2m', img, src], { stdio: 'pipe' });
  return img;
}

describe('images are mounted nodev,nosuid unless asked', () => {
  it('a device node in an image cannot read another mapped image (ENXIO); with { dev: true } it can', async () => {
    const t = tmp();
    const devImg = deviceImage(t);
    const victim = victimImage(t);
    const victimBytes = readFileSync(victim);
    const lib = await UkfsLib.init();
    try {
      await lib.ensureFs('ffs');
      const v = lib.mount('ffs', victim, { flags: MNT_RDONLY, mountpath: '/victim' });
      const vdev = lib.kernel.proc.stat(v.info.etfsKey ?? '').rdev;
      expect(major(vdev)).toBe(RUMPBLK_DEVMAJOR);
      const a = lib.mount('ffs', devImg, { flags: MNT_RDONLY, mountpath: '/a' });
      expect(a.statvfs().flag & (MNT_NODEV | MNT_NOSUID)).toBe(MNT_NODEV | MNT_NOSUID);
      expect(a.stat(`/disk${minor(vdev)}`).rdev).toBe(vdev);
      for (let m = 0; m < MINORS; m++) {
        expect(code(() => a.open(`/disk${m}`, O_RDONLY))).toBe('ENXIO');
        expect(code(() => a.open(`/rdisk${m}`, O_RDONLY))).toBe('ENXIO');
      }
      // Nor can a device node of the image be mounted (NetBSD opens it through spec_open too).
      lib.kernel.proc.mkdir('/m');
      expect(code(() => lib.kernel.proc.mount('ffs', '/m', MNT_RDONLY, { fspec: `/a/disk${minor(vdev)}` }))).toBe('ENXIO');
      // set-id bits are still what the image says; a nosuid mount only stops them from counting.
      expect(a.stat('/prog').mode & 0o7777).toBe(0o4755);
      a.release(0);

      // Asked for: the image's node reaches the victim's raw bytes.
      const trusted = lib.mount('ffs', devImg, { flags: MNT_RDONLY, mountpath: '/a', dev: true, suid: true });
      expect(trusted.statvfs().flag & (MNT_NODEV | MNT_NOSUID)).toBe(0);
      const fd = trusted.open(`/disk${minor(vdev)}`, O_RDONLY);
      const buf = new Uint8Array(65536);
      expect(trusted.readFd(fd, 0, buf)).toBe(buf.length);
      trusted.close(fd);
      expect(Buffer.from(buf).equals(victimBytes.subarray(0, buf.length))).toBe(true);
      trusted.release(0);
      v.release(0);
    } finally {
      lib.halt();
    }
  });

  it('ukfsMountFlags adds nodev,nosuid to whatever the caller gives, unless dev/suid', () => {
    expect(ukfsMountFlags({})).toBe(MNT_NODEV | MNT_NOSUID);
    expect(ukfsMountFlags({ flags: MNT_RDONLY })).toBe(MNT_RDONLY | MNT_NODEV | MNT_NOSUID);
    expect(ukfsMountFlags({ dev: true })).toBe(MNT_NOSUID);
    expect(ukfsMountFlags({ suid: true, dev: true })).toBe(0);
    expect(ukfsMountFlags({ flags: MNT_NODEV, dev: true })).toBe(MNT_NODEV | MNT_NOSUID);
    expect(makedev(RUMPBLK_DEVMAJOR, 0)).toBe(RUMPBLK_DEVMAJOR << 8);
  });
});

describe('fsu -o dev', () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'fsu', 'main.js');
  const fsu = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { timeout: 60_000, maxBuffer: 16 << 20 });

  it('fsu cat of an image device node is refused by default; -o dev reads the raw image', () => {
    const t = tmp();
    const img = deviceImage(t);
    // The only image of an fsu run is rumpblk minor 0: disk0 is that image's own disk.
    const def = fsu(['cat', img, '/disk0']);
    expect(def.status).toBe(1);
    expect(def.stdout.length).toBe(0);
    expect(def.stderr.toString()).toMatch(/^fsu: \/disk0: device special file on a file system mounted nodev/m);
    // Into a file: fsu's stdout is written synchronously there (see the report on `fsu cat` into a pipe).
    const outPath = join(t, 'disk0.raw');
    const out = openSync(outPath, 'w');
    const opened = spawnSync(process.execPath, [bin, 'cat', '-o', 'dev', img, '/disk0'], { timeout: 60_000, stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    expect(opened.stderr.toString()).toBe('');
    expect(opened.status).toBe(0);
    expect(readFileSync(outPath).equals(readFileSync(img))).toBe(true);
    expect(fsu(['cat', '-o', 'dev,nodev', img, '/disk0']).status).toBe(1);
    expect(fsu(['cat', '-o', 'bogus', img, '/disk0']).status).toBe(2);
  });
});

describe('fsu get and set-id bits', () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'fsu', 'main.js');
  const fsu = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  const modeOf = (p: string): number => statSync(p).mode & 0o7777;

  it('never makes a set-user-id or set-group-id host file: cp -R without -p (the owner is not kept), nosuid or not', () => {
    const t = tmp();
    const src = join(t, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    for (const f of ['prog', 'gprog', 'd/inner']) writeFileSync(join(src, f), `#!/bin/sh\necho ${f}\n`);
    const spec = ['/set type=file uid=0 gid=0 mode=0644', '. type=dir mode=0755', 'prog type=file mode=04755', 'gprog type=file mode=02755', 'd type=dir mode=02775', 'inner type=file mode=04711', '..'];
    writeFileSync(join(t, 'spec'), `${spec.join('\n')}\n`);
    const img = join(t, 'setid.img');
    execFileSync('makefs', ['-t', 'ffs', '-o', 'version=2', '-F', join(t, 'spec'), '-s', '2m', img, src], { stdio: 'pipe' });
    // The image holds the bits (stat shows them, as NetBSD's stat does on a nosuid mount).
    expect(fsu(['stat', img, '/prog']).stdout).toContain('4755');
    for (const [i, opts] of [[], ['-o', 'suid']].entries()) {
      const out = join(t, `out${i}`);
      mkdirSync(out);
      expect(fsu(['get', ...opts, img, '/prog', join(out, 'one')]).status).toBe(0);
      expect(fsu(['get', ...opts, img, '/gprog', out]).status).toBe(0);
      expect(fsu(['get', '-r', ...opts, img, '/d', join(out, 'tree')]).status).toBe(0);
      expect(readFileSync(join(out, 'one'), 'utf8')).toBe('#!/bin/sh\necho prog\n');
      expect(modeOf(join(out, 'one'))).toBe(0o755);
      expect(modeOf(join(out, 'gprog'))).toBe(0o755);
      expect(modeOf(join(out, 'tree')) & 0o7000).toBe(0);
      expect(modeOf(join(out, 'tree/inner'))).toBe(0o711);
    }
  });
});
