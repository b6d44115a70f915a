/**
 * fsu's type autodetection on damaged images (issue 16): an FFS image that FFS recognises but cannot
 * mount reports FFS's own error — not "no known file system" with cd9660's complaint — while an image
 * of no known type still says so, naming why each type refused it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makefsImage, sourceTree, tmp } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'fsu', 'main.js');
/** The repository root: every file system package can be loaded from there (cd9660 included). */
const REPO = resolve(here, '../../..');

function fsu(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, cwd: REPO });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of `img` with the 32-bit little-endian `v` at byte `off`. */
function patched(img: string, name: string, off: number, v: number): string {
  const b = readFileSync(img);
  b.writeInt32LE(v, off);
  const out = join(dirname(img), name);
  writeFileSync(out, b);
  return out;
}

describe('fsu autodetection reports the error of the type that recognised the image', () => {
  it('FFS with a damaged superblock or cylinder group: the FFS error, never cd9660’s', () => {
    const d = tmp();
    const img = makefsImage(d, sourceTree(d));
    // Debian makefs puts the UFS2 superblock at 8192: fs_bsize at +48, fs_nindir at +116.
    const sb = 8192;
    const badBsize = fsu(['ls', patched(img, 'bsize.img', sb + 48, 3000)]);
    expect(badBsize.code).toBe(1);
    expect(badBsize.stderr).toMatch(/^fsu: .*bsize\.img: ffs: no valid superblock \(.*fs_bsize 3000 is not a power of 2/);
    expect(badBsize.stderr).not.toMatch(/cd9660|no known file system/);
    const badNindir = fsu(['ls', patched(img, 'nindir.img', sb + 116, 5)]);
    expect(badNindir.code).toBe(1);
    expect(badNindir.stderr).toMatch(/^fsu: .*nindir\.img: ffs: superblock at byte 8192: fs_nindir 5 is not fs_bsize\/8/);
    expect(badNindir.stderr).not.toMatch(/cd9660|no known file system/);
    // The root inode lives in cylinder group 0, whose header is checked before it is read.
    const fs = readFileSync(img);
    const cblkno = fs.readInt32LE(sb + 12);
    const fsize = fs.readInt32LE(sb + 52);
    const badCg = fsu(['ls', patched(img, 'cg.img', cblkno * fsize + 4, 0x1234)]);
    expect(badCg.code).toBe(1);
    expect(badCg.stderr).toMatch(/^fsu: .*cg\.img: ffs: cylinder group 0: bad cg_magic 0x1234/);
    expect(badCg.stderr).not.toMatch(/cd9660|no known file system/);
  });

  it('an image of no known type still names why each type refused it; an ISO image is found', () => {
    const d = tmp();
    const junk = join(d, 'junk.img');
    writeFileSync(junk, Buffer.alloc(1 << 20, 0x5a));
    const r = fsu(['ls', junk]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no known file system on the image \(ffs: ffs: not an FFS file system .*; cd9660: .*not an ISO 9660 file system/);
    const src = join(d, 'isosrc');
    mkdirSync(src);
    writeFileSync(join(src, 'hello.txt'), 'hi\n');
    const iso = join(d, 'x.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', iso, src], { stdio: 'pipe' });
    const ls = fsu(['ls', iso]);
    expect(ls.stderr).toBe('');
    expect(ls.stdout.split('\n').filter(Boolean)).toEqual(['hello.txt']);
  });
});
