/**
 * Host trees holding names that are not valid UTF-8 (Latin-1 names of old archives): makefs -t ffs
 * copies them byte-exact (checked with sleuthkit in rumpfs-ffs); makefs -t msdos and put -r cannot
 * represent them (FAT long names are UTF-16, the kernel's names are text) and say so with EILSEQ,
 * naming the entry with its bad bytes escaped — put -r, as for any entry it cannot copy, goes on with
 * the rest and exits 1. A real U+FFFD (valid UTF-8) is an ordinary name everywhere.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsu } from './fsu-helpers.js';
import { tmp } from './helpers.js';

const at = (dir: string, ...parts: (string | number[])[]): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))]);

/**
 * The tree: plain names, a real U+FFFD, and (with `bad`) names that are not UTF-8 — a file whose
 * decoding is the real U+FFFD name's, a directory, and files among enough others for put -r's
 * read-ahead thread.
 */
function writeTree(root: string, bad: boolean): void {
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'many'));
  writeFileSync(join(root, 'plain.txt'), 'ok');
  writeFileSync(join(root, 'sub', 'caf\uFFFD.txt'), 'real');
  for (let i = 0; i < 100; i++) writeFileSync(join(root, 'many', `f${String(i).padStart(3, '0')}`), `file ${i}\n`.repeat(i));
  if (!bad) return;
  writeFileSync(at(root, 'sub/caf', [0xe9], '.txt'), 'latin-1');
  mkdirSync(at(root, 'd', [0xe9], 'j', [0xe0]));
  writeFileSync(at(root, 'd', [0xe9], 'j', [0xe0], '/inner.txt'), 'inner');
  writeFileSync(at(root, 'many/f050', [0xe9]), 'bad');
  writeFileSync(at(root, 'many/f070', [0xff, 0xfe]), 'bad');
}

/** Every entry under `root` as `path|type|content` lines, sorted. */
function listing(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(root, r);
    if (lstatSync(p).isDirectory()) out.push(`${r}|d`, ...listing(root, r));
    else out.push(`${r}|f|${readFileSync(p).toString('base64')}`);
  }
  return out;
}

describe('host names that are not valid UTF-8', () => {
  it('put -r: EILSEQ for each, with its bytes escaped; the rest copied, exit 1', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);
    const put = fsu(['put', '-r', img, src, '/x']);
    expect(put.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `fsu: ${src}/d\\xe9j\\xe0: the name is not valid UTF-8; not copied`,
      `fsu: ${src}/many/f050\\xe9: the name is not valid UTF-8; not copied`,
      `fsu: ${src}/many/f070\\xff\\xfe: the name is not valid UTF-8; not copied`,
      `fsu: ${src}/sub/caf\\xe9.txt: the name is not valid UTF-8; not copied`,
    ]);
    expect(put.code).toBe(1);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/x', out]);
    expect(get.stderr).toBe('');
    const want = join(d, 'want');
    writeTree(want, false);
    expect(listing(out)).toEqual(listing(want));
    expect(listing(out)).toContain(`sub/caf\uFFFD.txt|f|${Buffer.from('real').toString('base64')}`);
  });

  it('put -r of a tree without them copies a real U+FFFD name, exit 0', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, false);
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);
    const put = fsu(['put', '-r', img, src, '/x']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const out = join(d, 'out');
    expect(fsu(['get', '-r', img, '/x', out]).code).toBe(0);
    expect(listing(out)).toEqual(listing(src));
  });

  it('makefs -t msdos: one EILSEQ line naming the first such entry, and no image', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'fat.img');
    const r = fsu(['makefs', '-t', 'msdos', img, src]);
    expect(r.stderr).toBe(`fsu: ${img}: makefs: d\\xe9j\\xe0: the name is not valid UTF-8; a FAT long name cannot hold it\n`);
    expect(r.code).toBe(1);
    expect(existsSync(img)).toBe(false);
  });

  it('makefs (FFS): the tree is copied, names and all, and fsck finds the image clean', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'ffs.img');
    const r = fsu(['makefs', img, src]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // plain.txt, sub, many + 100 files, the real U+FFFD file, and the five names that are not UTF-8.
    expect(r.stdout).toContain(`${img}: 109 entries`);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);
  });
});
