/**
 * Images made by the real tools from a tree this test writes, mounted through an etfs block device
 * and read back through the system calls: every name, type, mode, symlink target and byte must
 * match the source tree as the host sees it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DT_DIR, DT_LNK, DT_REG, MNT_RDONLY, O_RDONLY, S_IFMT, S_IFDIR } from '@rumpts/librump';
import { major, minor } from '@rumpts/rumpvfs';
import { ISOFSMNT_GENS, ISOFSMNT_NOCASETRANS, ISOFSMNT_NOJOLIET, ISOFSMNT_NORRIP } from '../src/index.js';
import { code, type Entry, HAVE_MAKEFS, HAVE_XORRISO, hostTree, listDir, makefsIso, mountImage, readAll, rumpTree, tempDir, writeTree, xorrisoIso } from './helpers.js';

const tmp = tempDir('image');
const SRC = join(tmp.dir, 'src');
const FLAT = join(tmp.dir, 'flat');
afterAll(() => tmp.cleanup());
beforeAll(() => {
  writeTree(SRC);
  writeTree(FLAT, { deep: false });
});

describe.skipIf(!HAVE_MAKEFS)('makefs -t cd9660 -o rockridge', () => {
  let image = '';
  beforeAll(() => {
    image = makefsIso(SRC, join(tmp.dir, 'makefs-rr.iso'));
  });

  it('reads back the whole source tree byte for byte (names, types, modes, targets, data, mtimes)', async () => {
    const k = await mountImage(image);
    const all = rumpTree(k, '/mnt');
    // makefs moves directories deeper than 8 levels to /.rr_moved and marks them with CL/PL but
    // writes no RE entry, so that directory shows (xorriso lists it too); the rest is the source.
    const got = all.filter((e) => !e.path.startsWith('/.rr_moved'));
    const want = hostTree(SRC);
    expect(got.map((e) => e.path)).toEqual(want.map((e) => e.path));
    expect(got).toEqual(want);
    if (HAVE_XORRISO) {
      const out = execFileSync('xorriso', ['-indev', image, '-find', '/'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const paths = [...out.matchAll(/^'(.*)'$/gm)].map((m) => m[1]!).sort();
      expect(all.map((e) => e.path).sort()).toEqual(paths);
    }
    k.halt();
  });

  it('getdents in tiny batches resumes exactly; d_fileno and d_type agree with lstat', async () => {
    const k = await mountImage(image);
    const p = k.proc;
    for (const dir of ['/mnt', '/mnt/many', '/mnt/sub']) {
      const fd = p.open(dir, O_RDONLY);
      const seen: string[] = [];
      for (let ents; (ents = p.getdents(fd, 256)).length > 0; ) {
        for (const d of ents) {
          seen.push(d.name);
          // The root's '..' entry is the medium's own; lstat('/mnt/..') crosses the mount point.
          if (dir === '/mnt' && d.name === '..') continue;
          const st = p.lstat(`${dir}/${d.name}`);
          expect(d.fileno, `${dir}/${d.name}`).toBe(st.ino);
          const want = (st.mode & S_IFMT) === S_IFDIR ? DT_DIR : st.mode & 0o120000 && (st.mode & S_IFMT) === 0o120000 ? DT_LNK : DT_REG;
          expect(d.type, `${dir}/${d.name}`).toBe(want);
        }
      }
      p.close(fd);
      expect(seen.slice(0, 2)).toEqual(['.', '..']);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(listDir(k, dir).length);
    }
    // '..' of a subdirectory is its parent; '..' of the root crosses the mount point.
    expect(p.stat('/mnt/sub/inner/..').ino).toBe(p.stat('/mnt/sub').ino);
    expect(p.stat('/mnt/..').ino).toBe(p.stat('/').ino);
    k.halt();
  });

  it('follows symlinks and a path deeper than eight levels', async () => {
    const k = await mountImage(image);
    expect(readAll(k, '/mnt/sub/up').toString()).toBe('hello, cd9660\n');
    expect(readAll(k, '/mnt/dotted').toString()).toBe('inner\n');
    expect(readAll(k, '/mnt/deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/bottom.txt').toString()).toBe('ten levels down\n');
    expect(k.proc.stat('/mnt/deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/..').ino).toBe(k.proc.stat('/mnt/deep/d1/d2/d3/d4/d5/d6/d7/d8/d9').ino);
    expect(code(() => k.proc.stat('/mnt/dangling'))).toBe('ENOENT');
    expect(code(() => k.proc.stat('/mnt/nonexistent'))).toBe('ENOENT');
    expect(code(() => k.proc.stat('/mnt/hello.txt/x'))).toBe('ENOTDIR');
    k.halt();
  });

  it('is read-only: a read-write mount is EROFS, and so is every change on a mounted one', async () => {
    const k = await mountImage(image);
    const p = k.proc;
    p.mkdir('/rw', 0o755);
    expect(code(() => p.mount('cd9660', '/rw', 0, { fspec: '/dev/cd0' }))).toBe('EROFS');
    expect(code(() => p.mkdir('/mnt/new', 0o755))).toBe('EROFS');
    expect(code(() => p.unlink('/mnt/hello.txt'))).toBe('EROFS');
    expect(code(() => p.rename('/mnt/hello.txt', '/mnt/moved'))).toBe('EROFS');
    expect(code(() => p.chmod('/mnt/hello.txt', 0o777))).toBe('EROFS');
    expect(code(() => p.open('/mnt/hello.txt', 2))).toBe('EROFS');
    expect(code(() => p.symlink('x', '/mnt/newlink'))).toBe('EROFS');
    k.halt();
  });

  it('statvfs names the type and counts the volume in logical blocks', async () => {
    const k = await mountImage(image);
    const sv = k.proc.statvfs('/mnt');
    expect(sv.fstypename).toBe('cd9660');
    expect(sv.mntfromname).toBe('/dev/cd0');
    expect(sv.bsize).toBe(2048);
    // xorriso reads the volume size independently from the same PVD field.
    if (HAVE_XORRISO) {
      const out = execFileSync('xorriso', ['-indev', image, '-pvd_info'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const m = /Volume size\s*:\s*(\d+)/i.exec(out);
      if (m) expect(sv.blocks).toBe(Number(m[1]));
    }
    expect(sv.bfree).toBe(0);
    expect((sv.flag & MNT_RDONLY) !== 0).toBe(true);
    k.halt();
  });

  it('ISOFSMNT_NORRIP shows the ISO 9660 names xorriso lists without Rock Ridge', async () => {
    const k = await mountImage(image, 0, { flags: ISOFSMNT_NORRIP });
    const got = listDir(k, '/mnt').filter((n) => n !== '.' && n !== '..').sort();
    if (HAVE_XORRISO) {
      const out = execFileSync('xorriso', ['-read_fs', 'norock', '-indev', image, '-lsl', '/'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const isoNames = [...out.matchAll(/'([^']+)'\s*$/gm)].map((m) => m[1]!.replace(/;\d*$/, '').replace(/\.$/, '').toLowerCase()).sort();
      expect(got).toEqual(isoNames);
    }
    // Without Rock Ridge everything is r-x for all, owned by root.
    const st = k.proc.stat('/mnt/hello.txt');
    expect(st.mode & 0o7777).toBe(0o555);
    expect(readAll(k, '/mnt/hello.txt').toString()).toBe('hello, cd9660\n');
    k.halt();
  });

  it('ISOFSMNT_GENS keeps the ;version suffix; ISOFSMNT_NOCASETRANS the upper case', async () => {
    const k = await mountImage(image, 0, { flags: ISOFSMNT_NORRIP | ISOFSMNT_GENS });
    const names = listDir(k, '/mnt').filter((n) => n !== '.' && n !== '..');
    expect(names).toContain('hello.txt;1');
    k.halt();
    const k2 = await mountImage(image, 0, { flags: ISOFSMNT_NORRIP | ISOFSMNT_NOCASETRANS });
    expect(listDir(k2, '/mnt')).toContain('HELLO.TXT');
    k2.halt();
  });
});

/** Device nodes and a fifo in a source tree. */
function writeSpecials(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  const ok = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  return ok('mkfifo', [join(dir, 'fifo')]) && ok('mknod', [join(dir, 'null'), 'c', '1', '3']) && ok('mknod', [join(dir, 'sda1'), 'b', '8', '1']);
}

const IS_ROOT = process.getuid?.() === 0;

describe.skipIf(!HAVE_MAKEFS || !IS_ROOT)('Rock Ridge device nodes and fifos (PX type, PN numbers; mknod needs root)', () => {
  it('shows them with the host\'s types and major/minor numbers', async () => {
    const dir = join(tmp.dir, 'specials');
    expect(writeSpecials(dir)).toBe(true);
    const image = makefsIso(dir, join(tmp.dir, 'specials.iso'));
    const k = await mountImage(image);
    for (const name of ['fifo', 'null', 'sda1']) {
      const host = lstatSync(join(dir, name));
      const st = k.proc.lstat(`/mnt/${name}`);
      expect(st.mode & S_IFMT, name).toBe(host.mode & S_IFMT);
      expect(st.mode & 0o7777, name).toBe(host.mode & 0o7777);
      if (name !== 'fifo') {
        // Linux dev_t for small numbers is major << 8 | minor, as the host's stat reports it.
        expect([major(st.rdev), minor(st.rdev)], name).toEqual([(host.rdev >> 8) & 0xfff, host.rdev & 0xff]);
      }
    }
    k.halt();
  });
});

describe.skipIf(!HAVE_MAKEFS)('makefs -t cd9660 without Rock Ridge', () => {
  it('shows lower-cased ISO names and reads every file the source has under such a name', async () => {
    const image = makefsIso(FLAT, join(tmp.dir, 'makefs-plain.iso'), false);
    const k = await mountImage(image);
    const names = listDir(k, '/mnt').filter((n) => n !== '.' && n !== '..');
    expect(names).toContain('hello.txt');
    expect(names.every((n) => n === n.toLowerCase() && !n.includes(';'))).toBe(true);
    expect(readAll(k, '/mnt/hello.txt').toString()).toBe('hello, cd9660\n');
    expect(readAll(k, '/mnt/big.bin')).toEqual(hostTree(FLAT).find((e) => e.path === '/big.bin')?.data);
    k.halt();
  });
});

describe.skipIf(!HAVE_XORRISO)('xorriso -as mkisofs -R', () => {
  it('reads back the whole source tree byte for byte', async () => {
    const image = xorrisoIso(SRC, join(tmp.dir, 'xorriso.iso'));
    const k = await mountImage(image);
    expect(rumpTree(k, '/mnt', 300)).toEqual(hostTree(SRC));
    k.halt();
  });
});

/** A tree Joliet can hold: no symlinks, names up to 64 UCS-2 characters, mixed case and Unicode. */
function writeJolietTree(root: string): void {
  mkdirSync(join(root, 'Sub Dir/Nested'), { recursive: true });
  writeFileSync(join(root, 'ReadMe.TXT'), 'Joliet keeps case\n');
  writeFileSync(join(root, 'A long name with spaces, sixty characters long..........txt'), randomBytes(5000));
  writeFileSync(join(root, 'caf\u00e9 \u65e5\u672c\u8a9e.bin'), randomBytes(70_000));
  writeFileSync(join(root, 'Sub Dir/Nested/deep file.dat'), 'nested\n');
  writeFileSync(join(root, 'Sub Dir/empty'), '');
}

/** Paths, types and file bytes only: what survives without Rock Ridge. */
const shape = (es: Entry[]): { path: string; type: string; data?: Buffer }[] =>
  es.map((e) => (e.data ? { path: e.path, type: e.type, data: e.data } : { path: e.path, type: e.type }));

describe.skipIf(!HAVE_XORRISO)('Joliet (xorriso -joliet on)', () => {
  const JT = join(tmp.dir, 'joliet-src');
  beforeAll(() => writeJolietTree(JT));

  it('without Rock Ridge, the Joliet tree gives the source names with their case, and the same bytes', async () => {
    const image = join(tmp.dir, 'joliet.iso');
    // xorriso writes Rock Ridge unless told not to (its mkisofs mode always does).
    execFileSync('xorriso', ['-rockridge', 'off', '-joliet', 'on', '-outdev', image, '-map', JT, '/'], { stdio: 'pipe' });
    const k = await mountImage(image);
    const got = rumpTree(k, '/mnt');
    expect(shape(got)).toEqual(shape(hostTree(JT)));
    expect(got.filter((e) => e.mode !== 0o555)).toEqual([]);
    k.halt();
    // ISOFSMNT_NOJOLIET: the primary tree's 8.3-style names, lower-cased.
    const k2 = await mountImage(image, 0, { flags: ISOFSMNT_NOJOLIET });
    const names = listDir(k2, '/mnt').filter((n) => n !== '.' && n !== '..');
    expect(names).toContain('readme.txt');
    expect(names).not.toContain('ReadMe.TXT');
    k2.halt();
  });

  it('with Rock Ridge too (-R -J), Rock Ridge wins; ISOFSMNT_NORRIP falls back to Joliet', async () => {
    const image = join(tmp.dir, 'rr-joliet.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-o', image, JT], { stdio: 'pipe' });
    const k = await mountImage(image);
    expect(rumpTree(k, '/mnt')).toEqual(hostTree(JT));
    k.halt();
    const k2 = await mountImage(image, 0, { flags: ISOFSMNT_NORRIP });
    expect(shape(rumpTree(k2, '/mnt'))).toEqual(shape(hostTree(JT)));
    k2.halt();
  });
});
