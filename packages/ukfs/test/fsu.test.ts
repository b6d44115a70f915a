/** End-to-end: the fsu binary on images made by Debian's makefs. */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labeledImage, makefsImage, sourceTree, tmp } from './helpers.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'fsu.cjs');

function fsu(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('fsu on makefs images', () => {
  const t = tmp.bind(null);

  it('ls, ls -l, ls -R, cat, stat, find, du, df', () => {
    const d = t();
    const img = makefsImage(d, sourceTree(d));
    const ls = fsu(['ls', img]);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n').filter(Boolean)).toEqual(['dir', 'hello.txt', 'link']);
    const ll = fsu(['ls', '-l', img, '/']);
    expect(ll.stdout).toMatch(/^-rw-r--r-- +1 .* 18 .* hello\.txt$/m);
    expect(ll.stdout).toMatch(/^l.* link -> hello\.txt$/m);
    expect(ll.stdout).toMatch(/^d.* dir$/m);
    const lr = fsu(['ls', '-R', img]);
    expect(lr.stdout).toContain('/dir/sub:');
    expect(lr.stdout).toContain('deep.txt');
    expect(fsu(['cat', img, '/hello.txt', '/dir/sub/deep.txt']).stdout).toBe('hello from makefs\ndeep\n');
    const st = fsu(['stat', img, '/dir/data.bin']);
    expect(st.stdout).toMatch(/Size: 100000/);
    const found = fsu(['find', img, '/', '-type', 'f']).stdout.split('\n').filter(Boolean).sort();
    expect(found).toEqual(['/dir/data.bin', '/dir/sub/deep.txt', '/hello.txt']);
    expect(fsu(['find', img, '/', '-name', '*.txt']).stdout.split('\n').filter(Boolean).sort()).toEqual(['/dir/sub/deep.txt', '/hello.txt']);
    const du = fsu(['du', '-s', img]);
    expect(du.code).toBe(0);
    expect(Number(du.stdout.split('\t')[0])).toBeGreaterThanOrEqual(98); // 100000 bytes of data
    const df = fsu(['df', img]);
    expect(df.stdout).toMatch(/ ffs +\/$/m);
  });

  it('get -r IMAGE / OUT makes OUT a copy of the root; into an existing dir the source keeps its name', () => {
    const d = t();
    const src = sourceTree(d);
    const img = makefsImage(d, src, 1);
    const out = join(d, 'out');
    expect(fsu(['get', '-r', img, '/', out]).code).toBe(0);
    expect(readFileSync(join(out, 'hello.txt'), 'utf8')).toBe('hello from makefs\n');
    expect(readFileSync(join(out, 'dir', 'data.bin'))).toEqual(readFileSync(join(src, 'dir', 'data.bin')));
    expect(readlinkSync(join(out, 'link'))).toBe('hello.txt');
    expect(fsu(['get', '-r', img, '/dir', out]).code).toBe(0);
    expect(lstatSync(join(out, 'dir', 'sub')).isDirectory()).toBe(true);
    expect(fsu(['get', img, '/hello.txt', join(d, 'h.txt')]).code).toBe(0);
    expect(readFileSync(join(d, 'h.txt'), 'utf8')).toBe('hello from makefs\n');
    const nodir = fsu(['get', img, '/dir', join(d, 'x')]);
    expect(nodir.code).toBe(1);
    expect(nodir.stderr).toMatch(/^fsu: \/dir: is a directory/);
    expect(existsSync(join(d, 'x'))).toBe(false);
  });

  it('partition syntax, errors and exit codes', () => {
    const d = t();
    const fsimg = makefsImage(d, sourceTree(d));
    const disk = labeledImage(d, fsimg);
    expect(fsu(['cat', `${disk}%DISKLABEL:e%`, '/hello.txt']).stdout).toBe('hello from makefs\n');
    expect(fsu(['disklabel', disk]).stdout).toMatch(/^ e: +\d+ +64 +7$/m);
    const nolabel = fsu(['ls', `${fsimg}%DISKLABEL:a%`]);
    expect(nolabel.code).toBe(1);
    expect(nolabel.stderr).toMatch(/no disklabel/);
    const missing = fsu(['cat', fsimg, '/nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('fsu: /nope: No such file or directory\n');
    expect(fsu(['bogus']).code).toBe(2);
    expect(fsu(['ls']).code).toBe(2);
    expect(fsu(['chmod', fsimg, '9z', '/x']).code).toBe(2);
    expect(fsu(['ls', '-o', 'nonsense', fsimg]).code).toBe(2);
    const noimg = fsu(['ls', join(d, 'absent.img')]);
    expect(noimg.code).toBe(1);
    expect(noimg.stderr).toMatch(/absent\.img/);
    // Through a bin link (as pnpm exec and npm install it) the program runs too.
    const link = join(d, 'fsu');
    symlinkSync(bin, link);
    const viaLink = spawnSync(process.execPath, [link, 'ls', fsimg], { encoding: 'utf8', timeout: 60_000 });
    expect(viaLink.stdout).toContain('hello.txt');
    const help = fsu(['ls', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: fsu ls/);
  });
});

describe('fsu write commands (our newfs and Debian makefs images, checked by sleuthkit)', () => {
  const fls = (img: string, v: 1 | 2): string[] => {
    const r = spawnSync('fls', ['-r', '-p', '-f', `ufs${v}`, img], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .filter((l) => l.includes(':\t') && !/ \* \d+/.test(l)) // skip deleted entries ("d/d * 5:")
      .map((l) => l.split(':\t')[1] as string)
      .filter((p) => !p.startsWith('$Orphan'))
      .sort();
  };
  const icat = (img: string, v: 1 | 2, ino: string): string => spawnSync('icat', ['-f', `ufs${v}`, img, ino], { encoding: 'utf8' }).stdout;
  const haveSleuthkit = spawnSync('fls', ['-V'], { encoding: 'utf8' }).status === 0;

  it('newfs, put -r, mkdir -p, ln -s, chmod, chown, touch, mv, cp -r, write, rm -r, rmdir', () => {
    const d = tmp();
    const src = sourceTree(d);
    const img = join(d, 'new.img');
    const made = fsu(['newfs', '-O', '1', '-s', '8m', img]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/block size \d+, fragment size \d+/);
    expect(fsu(['put', '-r', img, src, '/tree']).code).toBe(0);
    expect(fsu(['mkdir', '-p', img, '/x/y/z']).code).toBe(0);
    expect(fsu(['ln', '-s', img, '../tree/hello.txt', '/x/hl']).code).toBe(0);
    expect(fsu(['chmod', img, '0600', '/tree/hello.txt']).code).toBe(0);
    expect(fsu(['chown', img, '12:34', '/tree/hello.txt']).code).toBe(0);
    expect(fsu(['touch', img, '/x/new']).code).toBe(0);
    expect(fsu(['mv', img, '/x/new', '/x/y']).code).toBe(0);
    expect(fsu(['cp', '-r', img, '/tree/dir', '/x/dircopy']).code).toBe(0);
    expect(fsu(['write', img, '/x/y/z/w.txt'], 'from stdin\n').code).toBe(0);
    expect(fsu(['rm', '-r', img, '/tree/dir']).code).toBe(0);
    expect(fsu(['rmdir', img, '/x/y/z']).code).toBe(1); // not empty
    const ll = fsu(['ls', '-l', img, '/tree']).stdout;
    expect(ll).toMatch(/^-rw------- +1 12 +34 +18 .* hello\.txt$/m);
    expect(fsu(['cat', img, '/x/y/z/w.txt']).stdout).toBe('from stdin\n');
    expect(fsu(['cat', img, '/x/hl']).stdout).toBe('hello from makefs\n'); // /x/../tree/hello.txt
    const expected = ['lost+found', 'tree', 'tree/hello.txt', 'tree/link', 'x', 'x/dircopy', 'x/dircopy/data.bin', 'x/dircopy/sub', 'x/dircopy/sub/deep.txt', 'x/hl', 'x/y', 'x/y/new', 'x/y/z', 'x/y/z/w.txt'];
    const found = fsu(['find', img, '/']).stdout.split('\n').filter(Boolean).map((p) => p.slice(1)).filter(Boolean).sort();
    expect(found).toEqual(expected);
    if (haveSleuthkit) {
      // An independent reader sees the same tree and the same bytes.
      expect(fls(img, 1)).toEqual(expected);
      const line = spawnSync('fls', ['-r', '-p', '-f', 'ufs1', img], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.endsWith('\tx/y/z/w.txt'));
      const ino = /(\d+):/.exec(line ?? '')?.[1] ?? '';
      expect(icat(img, 1, ino)).toBe('from stdin\n');
    }
  });

  it('changes a Debian makefs UFS2 image in place, and it stays readable', () => {
    const d = tmp();
    const img = makefsImage(d, sourceTree(d));
    expect(fsu(['write', img, '/added.txt'], 'added\n').code).toBe(0);
    expect(fsu(['rm', img, '/dir/data.bin']).code).toBe(0);
    expect(fsu(['cat', img, '/added.txt']).stdout).toBe('added\n');
    expect(fsu(['ls', img, '/dir']).stdout).toBe('sub\n');
    expect(fsu(['newfs', join(d, 'absent.img')]).code).toBe(1);
    expect(fsu(['newfs', '-O', '3', img]).code).toBe(2);
  });
});

describe('fsu makefs and fsck', () => {
  it('makefs builds an image of a host tree that sleuthkit and our fsck accept; fsck -n / -y exit statuses', () => {
    const d = tmp();
    const src = sourceTree(d);
    const img = join(d, 'built.img');
    const made = fsu(['makefs', '-O', '1', img, src]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/entries/);
    expect(fsu(['cat', img, '/dir/sub/deep.txt']).stdout).toBe('deep\n');
    const listed = spawnSync('fls', ['-r', '-p', '-f', 'ufs1', img], { encoding: 'utf8' });
    if (listed.status === 0) {
      const names = listed.stdout.split('\n').filter((l) => l.includes(':\t')).map((l) => l.split(':\t')[1]).filter((p) => !p?.startsWith('$Orphan')).sort();
      expect(names).toEqual(['dir', 'dir/data.bin', 'dir/sub', 'dir/sub/deep.txt', 'hello.txt', 'link']);
    }
    expect(fsu(['fsck', img]).code).toBe(0);
    // Mark the file system not clean (fs_clean, superblock byte 209; UFS1 superblock at 8192).
    const bytes = readFileSync(img);
    bytes[8192 + 209] = 0;
    writeFileSync(img, bytes);
    const found = fsu(['fsck', '-n', img]);
    expect(found.code).toBe(2);
    expect(readFileSync(img)[8192 + 209]).toBe(0); // -n wrote nothing
    expect(fsu(['fsck', '-y', img]).code).toBe(0);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);
    expect(fsu(['fsck', '-n', '-y', img]).code).toBe(2);
    expect(fsu(['fsck', join(d, 'absent.img')]).code).toBe(1);
    expect(fsu(['makefs', join(d, 'x.img'), join(d, 'nowhere')]).code).toBe(1);
  });
});

describe('fsu makefs on a large tree', () => {
  it('10,000 files whose tails fragment the image: fsu grows a short estimate and the result is complete and clean', () => {
    const d = tmp();
    const src = join(d, 'src');
    for (let i = 0; i < 100; i++) {
      mkdirSync(join(src, `dir${i}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(src, `dir${i}`, `file${f}.txt`), Buffer.alloc((i * 100 + f) % 8192, 0x61 + (f % 26)));
    }
    const img = join(d, 'big.img');
    const r = fsu(['makefs', img, src]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10100 entries/);
    expect(fsu(['fsck', img]).code).toBe(0);
    expect(fsu(['find', img, '/', '-type', 'f']).stdout.split('\n').filter(Boolean)).toHaveLength(10000);
    expect(fsu(['cat', img, '/dir80/file41.txt']).stdout).toBe('p'.repeat(8041));
  });
});
