/**
 * Issue 16, host side: an image is hostile input. Directory entries whose names are empty, `.`, `..`,
 * or hold `/` or NUL are refused by name and the rest is copied; nothing is ever written outside the
 * destination, through symbolic links already there or made from the image.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsu } from './fsu-helpers.js';
import { makefsImage, tmp } from './helpers.js';

/**
 * Rewrite the name of the one directory entry called `from` (FFS `struct direct`: d_namlen is the byte
 * before the name, the name is NUL-padded) to `to` of the same length, or to an empty name (d_namlen 0).
 */
function renameEntry(img: Buffer, from: string, to: string | null): void {
  const f = Buffer.from(from);
  const hits: number[] = [];
  for (let i = img.indexOf(f); i >= 0; i = img.indexOf(f, i + 1)) if (img[i - 1] === f.length && img[i + f.length] === 0) hits.push(i);
  expect(hits, from).toHaveLength(1);
  const at = hits[0] as number;
  if (to === null) img[at - 1] = 0;
  else {
    expect(Buffer.byteLength(to)).toBe(f.length);
    img.write(to, at, 'latin1');
  }
}

describe('fsu get with a crafted image', () => {
  it('refuses bad names by name, copies the rest, and writes nothing outside the destination', () => {
    const d = tmp();
    const src = join(d, 'src');
    const outside = join(d, 'outside');
    mkdirSync(join(src, 'sub'), { recursive: true });
    mkdirSync(outside);
    // Names of the same lengths as the hostile ones they become.
    const evil: [string, string | null][] = [
      ['ESCAPE0001', '../victim1'],
      ['DEEPESCAPE000000000000', '../../../../../victim2'],
      ['A_B', 'a/b'],
      ['NUL', 'n\0l'],
      ['Q', '.'],
      ['ZZ', '..'],
      ['EMPTYNAME', null],
    ];
    for (const [n] of evil) writeFileSync(join(src, n), `payload ${n}\n`);
    writeFileSync(join(src, 'sub', 'SUBESCAPE1'), 'payload\n');
    writeFileSync(join(src, 'good.txt'), 'good\n');
    writeFileSync(join(src, 'sub', 'also-good.txt'), 'also good\n');
    const img = makefsImage(d, src, 1);
    const bytes = readFileSync(img);
    for (const [from, to] of evil) renameEntry(bytes, from, to);
    renameEntry(bytes, 'SUBESCAPE1', '../../vic3');
    writeFileSync(img, bytes);
    // Victims where the escapes point (out/x/../victim1 is d/victim1, and so on).
    const out = join(d, 'out');
    for (const v of ['victim1', 'victim2', 'vic3']) writeFileSync(join(d, v), 'original\n');

    const r = fsu(['get', '-r', img, '/', out]);
    // The kernel skips each entry no directory may hold, saying so on the console (fsu's standard
    // error, as a NetBSD rump kernel's), and fsu ends with status 1: the copy is incomplete.
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^fsu: kernel: /);
    const skipped = lines.filter((l) => l.includes('vfs: getdents: '));
    for (const name of ['../victim1', '../../../../../victim2', 'a/b', 'n\0l', '.', '..', '']) {
      expect(skipped.filter((l) => l.includes(`entry ${JSON.stringify(name)} `) && l.includes(' skipped: ')), name).toHaveLength(1);
    }
    expect(skipped.filter((l) => l.includes('entry "../../vic3" '))).toHaveLength(1);
    expect(skipped).toHaveLength(8);
    // Messages name the image, not the mount point inside fsu's kernel.
    for (const line of lines) expect(line.startsWith(`fsu: kernel: `) && line.includes(`${img}: `) && !line.includes('/fsu:'), line).toBe(true);
    for (const v of ['victim1', 'victim2', 'vic3']) expect(readFileSync(join(d, v), 'utf8')).toBe('original\n');
    expect(readdirSync(d).sort()).toEqual(['ffs.img', 'out', 'outside', 'src', 'vic3', 'victim1', 'victim2']);
    expect(readFileSync(join(out, 'good.txt'), 'utf8')).toBe('good\n');
    expect(readFileSync(join(out, 'sub', 'also-good.txt'), 'utf8')).toBe('also good\n');
    expect(readdirSync(out).sort()).toEqual(['good.txt', 'sub']);
  });

  it('never writes through a symbolic link: one in the destination, or one the image makes', () => {
    const d = tmp();
    const src = join(d, 'src');
    const outside = join(d, 'outside');
    mkdirSync(join(src, 'etc'), { recursive: true });
    mkdirSync(join(src, 'LNKDIR02'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'passwd'), 'host passwd\n');
    writeFileSync(join(src, 'etc', 'passwd'), 'image passwd\n');
    writeFileSync(join(src, 'file.txt'), 'image file\n');
    writeFileSync(join(src, 'LNKDIR02', 'passwd'), 'image passwd 2\n');
    // In the image: a symlink LNKDIR01 -> outside, then a directory of the same name holding passwd.
    symlinkSync(outside, join(src, 'LNKDIR01'));
    const img = makefsImage(d, src, 2);
    const bytes = readFileSync(img);
    renameEntry(bytes, 'LNKDIR02', 'LNKDIR01');
    writeFileSync(img, bytes);

    // A destination that already holds links to the outside where the image has a directory and a file.
    const out = join(d, 'out');
    mkdirSync(out);
    symlinkSync(outside, join(out, 'etc'));
    symlinkSync(join(outside, 'passwd'), join(out, 'file.txt'));
    const r = fsu(['get', '-r', img, '/', join(out, 'copy')]);
    expect(r.code).toBe(0); // out/copy is new: nothing in the way yet
    const again = fsu(['get', '-r', img, '/etc', '/file.txt', '/LNKDIR01', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`fsu: ${join(out, 'etc')}: a symbolic link is in the way; not copying a directory through it\n`);
    expect(again.stderr).toContain(`fsu: ${join(out, 'file.txt')}: a symbolic link is in the way; not writing through it\n`);
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('host passwd\n');
    expect(readdirSync(outside)).toEqual(['passwd']);
    // The image's own symlink is copied as a link (its duplicate-named directory never reached through it).
    expect(readlinkSync(join(out, 'LNKDIR01'))).toBe(outside);
    expect(lstatSync(join(out, 'copy', 'LNKDIR01')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(out, 'copy', 'etc', 'passwd'), 'utf8')).toBe('image passwd\n');
    expect(existsSync(join(outside, 'LNKDIR01'))).toBe(false);
  });
});
