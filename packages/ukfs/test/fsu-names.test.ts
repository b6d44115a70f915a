/**
 * Host trees holding names that are not valid UTF-8 (Latin-1 names of old archives). Names are bytes:
 * put -r enters such a name as librump's decodeName of its bytes, FFS keeps those bytes, and get -r
 * writes them back exactly — a tree goes in and out byte-identical, names that differ only in their
 * bad bytes stay apart (none overwrites another), and ls and messages show the bad bytes as \xNN.
 * makefs -t ffs copies them byte-exact too; makefs -t msdos cannot represent them (FAT long names are
 * UTF-16) and says so with EILSEQ. A real U+FFFD (valid UTF-8) is an ordinary name everywhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeName, nameText } from '@rumpts/librump';
import { FSU_BIN, fsu, sh } from './fsu-helpers.js';
import { tmp } from './helpers.js';

const at = (dir: string, ...parts: (string | number[])[]): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))]);

/**
 * The tree: plain names, a real U+FFFD, and (with `bad`) names that are not UTF-8 — a file whose
 * decoding is the real U+FFFD name's, two more that decode alike, a directory, a symbolic link
 * whose target is not UTF-8 either, and files among enough others for put -r's read-ahead thread.
 */
function writeTree(root: string, bad: boolean): void {
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'many'));
  writeFileSync(join(root, 'plain.txt'), 'ok');
  writeFileSync(join(root, 'sub', 'caf\uFFFD.txt'), 'real');
  for (let i = 0; i < 100; i++) writeFileSync(join(root, 'many', `f${String(i).padStart(3, '0')}`), `file ${i}\n`.repeat(i));
  if (!bad) return;
  writeFileSync(at(root, 'sub/caf', [0xe9], '.txt'), 'latin-1 e9');
  writeFileSync(at(root, 'sub/caf', [0xe8], '.txt'), 'latin-1 e8');
  mkdirSync(at(root, 'd', [0xe9], 'j', [0xe0]));
  writeFileSync(at(root, 'd', [0xe9], 'j', [0xe0], '/inner', [0xb5]), 'inner');
  writeFileSync(at(root, 'many/f050', [0xe9]), 'bad');
  writeFileSync(at(root, 'many/f070', [0xff, 0xfe]), 'bad');
  symlinkSync(Buffer.from([0x63, 0x61, 0x66, 0xe8, 0x2e, 0x74, 0x78, 0x74]), at(root, 'sub/l', [0xe8]));
}

/** Every entry under `root` as `path|type|content` lines, sorted; names by their exact bytes (bad ones as \xNN). */
function listing(root: string, rel: Buffer = Buffer.alloc(0)): string[] {
  const out: string[] = [];
  const dir = rel.length > 0 ? Buffer.concat([Buffer.from(`${root}/`), rel]) : Buffer.from(root);
  for (const name of readdirSync(dir, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b))) {
    const r = rel.length > 0 ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    const p = Buffer.concat([Buffer.from(`${root}/`), r]);
    const shown = nameText(decodeName(r));
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(`${shown}|d`, ...listing(root, r));
    else if (st.isSymbolicLink()) out.push(`${shown}|l|${readlinkSync(p, { encoding: 'buffer' }).toString('hex')}`);
    else out.push(`${shown}|f|${readFileSync(p).toString('base64')}`);
  }
  return out;
}

describe('host names that are not valid UTF-8', () => {
  it('put -r then get -r (FFS): the same tree, byte for byte, exit 0; ls shows the bad bytes as \\xNN', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);
    const put = fsu(['put', '-r', img, src, '/x']);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);
    const ls = fsu(['ls', img, '/x/sub']);
    expect(ls.stdout).toBe('caf\\xe8.txt\ncaf\\xe9.txt\ncaf\uFFFD.txt\nl\\xe8\n');
    expect(fsu(['ls', '-l', img, '/x/sub']).stdout).toMatch(/ l\\xe8 -> caf\\xe8\.txt\n$/);
    expect(fsu(['ls', img, '/x']).stdout).toBe('d\\xe9j\\xe0\nmany\nplain.txt\nsub\n');
    // find: -print for reading (\xNN), -print0 for xargs -0 (the exact bytes).
    // (in directory order, which follows the host's readdir: compared sorted)
    expect(fsu(['find', img, '/x/sub', '-name', 'caf*']).stdout.split('\n').sort()).toEqual(['', '/x/sub/caf\\xe8.txt', '/x/sub/caf\\xe9.txt', '/x/sub/caf\uFFFD.txt']);
    const print0 = Buffer.from(spawnSync(process.execPath, [FSU_BIN, 'find', img, '/x/sub', '-name', 'caf*', '-print0']).stdout);
    const entries: string[] = [];
    for (let at = 0; at < print0.length; at = print0.indexOf(0, at) + 1) entries.push(print0.subarray(at, print0.indexOf(0, at)).toString('hex'));
    expect(print0[print0.length - 1]).toBe(0);
    expect(entries.sort()).toEqual([Buffer.from('/x/sub/caf\xe8.txt', 'latin1'), Buffer.from('/x/sub/caf\xe9.txt', 'latin1'), Buffer.from('/x/sub/caf\uFFFD.txt')].map((x) => x.toString('hex')).sort());
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/x', out]);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    const got = listing(out);
    expect(got).toEqual(listing(src));
    // Three names that all decode as "caf\uFFFD.txt" are three files, each with its own data.
    expect(got).toContain(`sub/caf\\xe9.txt|f|${Buffer.from('latin-1 e9').toString('base64')}`);
    expect(got).toContain(`sub/caf\\xe8.txt|f|${Buffer.from('latin-1 e8').toString('base64')}`);
    expect(got).toContain(`sub/caf\uFFFD.txt|f|${Buffer.from('real').toString('base64')}`);
    expect(got).toContain(`d\\xe9j\\xe0/inner\\xb5|f|${Buffer.from('inner').toString('base64')}`);
  });

  it('a name given on the command line as bytes that are not UTF-8 names that very entry (cat, get, put, rm)', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);
    expect(fsu(['put', '-r', img, src, '/x']).code).toBe(0);
    mkdirSync(join(d, 'out'));
    const r = sh(
      [
        `fsu cat ${img} $'/x/sub/caf\\xe8.txt'; echo`,
        `fsu get ${img} $'/x/sub/caf\\xe9.txt' $'${d}/out/got\\xe9'`,
        `fsu put ${img} $'${src}/sub/caf\\xe8.txt' /single`,
        `fsu cat ${img} /single; echo`,
        `fsu rm ${img} $'/x/sub/caf\\xe9.txt'`,
        `fsu ls ${img} /x/sub`,
      ].join(' && '),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('latin-1 e8\nlatin-1 e8\ncaf\\xe8.txt\ncaf\uFFFD.txt\nl\\xe8\n');
    expect(readFileSync(at(join(d, 'out'), 'got', [0xe9]), 'utf8')).toBe('latin-1 e9');
  });

  it('a fifo whose name is not valid UTF-8 goes into FFS and comes back under the same bytes', () => {
    const d = tmp();
    const src = join(d, 'src');
    mkdirSync(src);
    execFileSync('mkfifo', [join(src, 'plain-fifo')]);
    renameSync(join(src, 'plain-fifo'), at(src, 'p', [0xe9]));
    writeFileSync(at(src, 'f', [0xe9]), 'data');
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);
    expect(fsu(['put', '-r', img, src, '/x']).stderr).toBe('');
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/x', out]);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    expect(readdirSync(out, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort()).toEqual([Buffer.from('f\xe9', 'latin1'), Buffer.from('p\xe9', 'latin1')].map((n) => n.toString('hex')));
    expect(lstatSync(at(out, 'p', [0xe9])).isFIFO()).toBe(true);
    expect(readFileSync(at(out, 'f', [0xe9]), 'utf8')).toBe('data');
  });

  it('put -r into FAT: EILSEQ for each such entry (FAT names are UTF-16), the rest copied, exit 1', () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'fat.img');
    expect(fsu(['newfs', '-t', 'msdos', '-s', '8m', img]).code).toBe(0);
    const put = fsu(['put', '-r', img, src, '/x']);
    const why = 'holds bytes that are not UTF-8; a FAT name cannot hold them';
    // Names that decode alike come in the host's readdir order: compared sorted.
    expect(put.stderr.split('\n').filter((l) => l !== '').sort()).toEqual([
      `fsu: /x/d\\xe9j\\xe0: msdosfs: 'd\\xe9j\\xe0' ${why}`,
      `fsu: /x/many/f050\\xe9: msdosfs: 'f050\\xe9' ${why}`,
      `fsu: /x/many/f070\\xff\\xfe: msdosfs: 'f070\\xff\\xfe' ${why}`,
      `fsu: /x/sub/caf\\xe8.txt: msdosfs: 'caf\\xe8.txt' ${why}`,
      `fsu: /x/sub/caf\\xe9.txt: msdosfs: 'caf\\xe9.txt' ${why}`,
      'fsu: /x/sub/l\\xe8: msdosfs: there are no symbolic links on a FAT file system',
    ]);
    expect(put.code).toBe(1);
    // dosfstools finds the image sound, and everything else is there: the tree without those names.
    execFileSync('fsck.fat', ['-n', img], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/x', out]);
    expect(get.stderr).toBe('');
    const want = join(d, 'want');
    writeTree(want, false);
    expect(listing(out)).toEqual(listing(want));
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
    // plain.txt, sub, many + 100 files, the real U+FFFD file, and the seven names that are not UTF-8.
    expect(r.stdout).toContain(`${img}: 111 entries`);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/', out]);
    expect(get.stderr).toBe('');
    expect(listing(out)).toEqual(listing(src));
  });

  it("get -r of an image NetBSD's makefs (Debian's) made from such a tree gives back the same tree", () => {
    const d = tmp();
    const src = join(d, 'src');
    writeTree(src, true);
    const img = join(d, 'nb.img');
    execFileSync('makefs', ['-t', 'ffs', '-B', 'le', '-o', 'version=2', '-s', '8m', img, src], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/', out]);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    expect(listing(out)).toEqual(listing(src));
    expect(listing(out)).toContain(`sub/caf\\xe8.txt|f|${Buffer.from('latin-1 e8').toString('base64')}`);
  });
});
