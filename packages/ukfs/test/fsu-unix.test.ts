/**
 * fsu behaves like the Unix tools it imitates (issue 18): every operand tried, errors that name their
 * path, one-line usage errors, ls/find/chmod checked against GNU ls/find/chmod on the same tree, -o as
 * written, and tools that leave nothing half-made behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsu } from './fsu-helpers.js';
import { makefsImage, sourceTree, tmp } from './helpers.js';

const tokens = (line: string): string[] => line.trim().split(/\s+/);

describe('fsu goes on after a bad operand', () => {
  it('cat, ls, rm, stat, mkdir, chmod, touch: exit 1, one line naming each bad path, the rest done', () => {
    const d = tmp();
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '4m', img]).code).toBe(0);
    expect(fsu(['write', img, '/a'], 'alpha\n').code).toBe(0);
    expect(fsu(['mkdir', img, '/dir']).code).toBe(0);

    const cat = fsu(['cat', img, '/nope', '/a', '/dir']);
    expect(cat.stdout).toBe('alpha\n');
    expect(cat.stderr).toMatch(/^fsu: \/nope: No such file or directory\nfsu: \/dir: [^\n]*directory\n$/);
    expect(cat.code).toBe(1);
    const ls = fsu(['ls', img, '/nope', '/a']);
    expect(ls.stdout).toBe('/a\n');
    expect(ls.stderr).toBe('fsu: /nope: No such file or directory\n');
    expect(ls.code).toBe(1);
    const stat = fsu(['stat', img, '/nope', '/a']);
    expect(stat.stdout).toMatch(/File: \/a\n/);
    expect(stat.code).toBe(1);
    const mkdir = fsu(['mkdir', img, '/dir', '/new', '/x/y']);
    expect(mkdir.stderr).toMatch(/^fsu: \/dir: File exists\nfsu: \/x\/y: [^\n]+\n$/);
    expect(mkdir.code).toBe(1);
    const chmod = fsu(['chmod', img, '600', '/nope', '/a']);
    expect(chmod.code).toBe(1);
    expect(fsu(['stat', img, '/a']).stdout).toMatch(/Mode: 0600/);
    const touch = fsu(['touch', img, '/x/y', '/t']);
    expect(touch.stderr).toMatch(/^fsu: \/x\/y: [^\n]+\n$/);
    expect(touch.code).toBe(1);
    const rm = fsu(['rm', img, '/nope', '/a', '/dir', '/t']);
    expect(rm.stderr).toBe('fsu: /nope: No such file or directory\nfsu: /dir: is a directory (use -r)\n');
    expect(rm.code).toBe(1);
    expect(fsu(['ls', img]).stdout).toBe('dir\nlost+found\nnew\n');
    expect(fsu(['rm', '-f', img, '/nope']).code).toBe(0);
    const rmdir = fsu(['rmdir', img, '/nope', '/new']);
    expect(rmdir.stderr).toBe('fsu: /nope: No such file or directory\n');
    expect(fsu(['ls', img]).stdout).toBe('dir\nlost+found\n');
  });

  it('cp -r into a full image: one line per file that did not fit, no stack trace, the rest copied', () => {
    const d = tmp();
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '4m', img]).code).toBe(0);
    const src = join(d, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a-small'), 'small\n');
    writeFileSync(join(src, 'b-big'), Buffer.alloc(2_500_000, 1));
    writeFileSync(join(src, 'c-small'), 'small too\n');
    expect(fsu(['put', '-r', img, src, '/src']).code).toBe(0);
    const cp = fsu(['cp', '-r', img, '/src', '/copy']);
    expect(cp.code).toBe(1);
    expect(cp.stderr).toMatch(/^fsu: \/src\/b-big: [^\n]*full[^\n]*\n$/);
    expect(fsu(['cat', img, '/copy/a-small', '/copy/c-small']).stdout).toBe('small\nsmall too\n');
    // A directory is never copied into itself.
    const self = fsu(['cp', '-r', img, '/src', '/src/inner']);
    expect(self.stderr).toMatch(/^fsu: \/src\/inner: cannot copy a directory into itself\n/m);
    expect(self.stderr).not.toMatch(/\n {4}at /);
  });

  it('an image argument that is no image says what it is', () => {
    const d = tmp();
    writeFileSync(join(d, 'empty'), '');
    expect(fsu(['ls', d]).stderr).toBe(`fsu: ${d}: is a directory, not a file-system image\n`);
    expect(fsu(['ls', '/dev/null']).stderr).toBe('fsu: /dev/null: is a character device, not a file-system image\n');
    expect(fsu(['ls', join(d, 'empty')]).stderr).toBe(`fsu: ${join(d, 'empty')}: is an empty file, not a file-system image\n`);
    expect(fsu(['fsck', d]).stderr).toBe(`fsu: ${d}: is a directory, not a file-system image\n`);
    expect(fsu(['disklabel', '/dev/null']).stderr).toBe('fsu: /dev/null: is a character device, not a file-system image\n');
    const missing = fsu(['ls', join(d, 'absent')]);
    expect(missing.stderr).toBe(`fsu: ${join(d, 'absent')}: No such file or directory\n`);
    expect(missing.code).toBe(1);
  });
});

describe('fsu options as written', () => {
  it('-o rw mounts read-write for a reading command, -o ro makes writes fail; df takes paths', () => {
    const d = tmp();
    const src = join(d, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'f'), 'hi\n');
    utimesSync(join(src, 'f'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    const img = makefsImage(d, src);
    const atime = (): string => /Access: (\S+)/.exec(fsu(['stat', img, '/f']).stdout)?.[1] ?? '';
    const before = atime();
    expect(before).toMatch(/^2001-02-03T04:05:06/);
    expect(fsu(['cat', img, '/f']).stdout).toBe('hi\n');
    expect(atime()).toBe(before); // read-only mount: access time kept
    expect(fsu(['cat', '-o', 'rw', img, '/f']).stdout).toBe('hi\n');
    expect(atime()).not.toBe(before); // read-write: the read set it
    const ro = fsu(['touch', '-o', 'ro', img, '/g']);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/^fsu: \/g: /);
    expect(fsu(['ls', img]).stdout).not.toMatch(/^g$/m);
    const df = fsu(['df', img, '/', '/sub']);
    expect(df.code).toBe(0);
    const rows = df.stdout.trim().split('\n').slice(1).map(tokens);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.[0]).toBe(img);
    expect(rows[0]?.slice(-2)).toEqual(['ffs', '/']);
    expect(rows[1]).toEqual(rows[0]);
  });

  it('usage errors are one line and a hint (exit 2); --version; help tells -t from ls -t', () => {
    const d = tmp();
    const img = makefsImage(d, sourceTree(d));
    const cases: [string[], RegExp][] = [
      [['ls'], /^fsu: missing required argument 'image'\nTry 'fsu ls --help' for more information\.\n$/],
      [['ls', '-Z', img], /^fsu: unknown option '-Z'\nTry 'fsu ls --help' for more information\.\n$/],
      [['chmod', img, 'u+q', '/hello.txt'], /^fsu: bad mode 'u\+q' .*\nTry 'fsu chmod --help' for more information\.\n$/],
      [['find', img, '/', '-bogus'], /^fsu: find: unknown primary or operator '-bogus'\nTry 'fsu find --help' for more information\.\n$/],
      [['lss', img], /^fsu: unknown command 'lss'\n(\(Did you mean ls\?\)\n)?Try 'fsu --help' for more information\.\n$/],
      [[], /^fsu: missing command\nTry 'fsu --help' for more information\.\n$/],
      [['get', img, '/hello.txt'], /^fsu: get needs a source and a destination\nTry 'fsu get --help' for more information\.\n$/],
    ];
    for (const [args, re] of cases) {
      const r = fsu(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const v = fsu(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`fsu (@rumpts/ukfs) ${pkg.version}\n`);
    const help = fsu(['ls', '--help']).stdout;
    expect(help).toMatch(/-t, --type <fstype> +file-system type/);
    expect(help).toMatch(/not ls's -t/);
  });
});

describe('fsu ls, find, chmod, chown against the Unix tools', () => {
  it('ls -l matches GNU ls -ln on the same tree (dates in local time), with total, -a and -d', () => {
    const d = tmp();
    const src = join(d, 'src');
    mkdirSync(join(src, 'dir'), { recursive: true });
    writeFileSync(join(src, 'old.txt'), 'old\n');
    writeFileSync(join(src, 'recent.txt'), 'recent, bigger\n');
    writeFileSync(join(src, 'future.txt'), 'future\n');
    symlinkSync('recent.txt', join(src, 'link'));
    chmodSync(join(src, 'old.txt'), 0o4751);
    utimesSync(join(src, 'old.txt'), new Date('2001-02-03T23:45:00Z'), new Date('2001-02-03T23:45:00Z'));
    const recent = new Date(Date.now() - 20 * 86400_000);
    utimesSync(join(src, 'recent.txt'), recent, recent);
    const future = new Date(Date.now() + 400 * 86400_000);
    utimesSync(join(src, 'future.txt'), future, future);
    const img = makefsImage(d, src);
    const env = { ...process.env, TZ: 'Asia/Kolkata', LC_ALL: 'C' }; // +05:30: the day and minute move
    const ours = fsu(['ls', '-l', img, '/'], undefined, { env });
    expect(ours.code).toBe(0);
    const gnu = execFileSync('ls', ['-ln', src], { encoding: 'utf8', env });
    const rows = (s: string): Map<string, string[]> => new Map(s.trim().split('\n').filter((l) => !l.startsWith('total') && !l.startsWith('d')).map((l) => [tokens(l)[8] as string, tokens(l)]));
    const theirs = rows(gnu);
    for (const [name, t] of rows(ours.stdout)) expect(t, name).toEqual(theirs.get(name));
    expect(rows(ours.stdout).size).toBe(4);
    // total: the listed entries' 512-byte blocks in KiB, rounded up.
    const stats = fsu(['stat', img, ...['dir', 'future.txt', 'link', 'old.txt', 'recent.txt'].map((n) => `/${n}`)]).stdout;
    const blocks = [...stats.matchAll(/Blocks: (\d+)/g)].map((m) => Number(m[1]));
    expect(blocks).toHaveLength(5);
    expect(ours.stdout.split('\n')[0]).toBe(`total ${Math.ceil(blocks.reduce((a, b) => a + b, 0) / 2)}`);
    // -a lists . and .. first; -d lists a directory itself.
    expect(fsu(['ls', '-a', img, '/dir']).stdout).toBe('.\n..\n');
    const la = fsu(['ls', '-la', img, '/dir']).stdout.split('\n');
    expect(la[0]).toMatch(/^total \d+$/);
    expect(tokens(la[1] ?? '').at(-1)).toBe('.');
    expect(tokens(la[2] ?? '').at(-1)).toBe('..');
    expect(fsu(['ls', '-d', img, '/dir', '/']).stdout).toBe('/\n/dir\n');
    expect(fsu(['ls', '-ld', img, '/dir']).stdout).toMatch(/^drwxr-xr-x +2 .* \/dir\n$/);
  });

  it('find -maxdepth/-mindepth/-type/-name/-print/-print0 prints what GNU find prints', () => {
    const d = tmp();
    const src = sourceTree(d);
    mkdirSync(join(src, 'dir', 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'dir', 'sub', 'deeper', 'x.txt'), 'x\n');
    writeFileSync(join(src, 'dir', 'Notes.TXT'), 'n\n');
    const img = makefsImage(d, src);
    const exprs = [
      ['-maxdepth', '1'],
      ['-mindepth', '2', '-type', 'f'],
      ['-name', '*.txt', '-print'],
      ['-type', 'd', '-name', 's*'],
      ['-mindepth', '1', '-maxdepth', '2', '!', '-type', 'd'],
      ['-iname', '*.txt'],
      ['-type', 'l'],
    ];
    for (const e of exprs) {
      const gnu = execFileSync('find', ['.', ...e], { cwd: src, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((p) => (p === '.' ? '/' : p.slice(1)))
        .sort();
      const ours = fsu(['find', img, '/', ...e]);
      expect(ours.code, e.join(' ')).toBe(0);
      expect(ours.stdout.split('\n').filter(Boolean).sort(), e.join(' ')).toEqual(gnu);
    }
    expect(fsu(['find', img, '/dir/sub', '-type', 'f', '-print0']).stdout).toBe('/dir/sub/deep.txt\0/dir/sub/deeper/x.txt\0');
    // Several start points, one missing: reported, the others walked.
    const two = fsu(['find', img, '/nope', '/dir/sub/deeper']);
    expect(two.stdout).toBe('/dir/sub/deeper\n/dir/sub/deeper/x.txt\n');
    expect(two.stderr).toBe('fsu: /nope: No such file or directory\n');
    expect(two.code).toBe(1);
  });

  it('chmod symbolic modes give what GNU chmod gives; chown takes numbers and says why names cannot work', () => {
    const d = tmp();
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '4m', img]).code).toBe(0);
    const specs = ['u+x,go-w', 'a=rX', 'g=u,o-r', 'o+t,u+s,g+s', '+x', '=r', 'ug+rw,o=', '0750'];
    const host = join(d, 'host');
    mkdirSync(host);
    const paths: string[] = [];
    for (const i of specs.keys()) {
      for (const kind of ['f', 'd']) {
        const p = join(host, `${kind}${i}`);
        if (kind === 'f') writeFileSync(p, '');
        else mkdirSync(p);
        chmodSync(p, kind === 'f' ? 0o644 : 0o755);
        paths.push(`/${kind}${i}`);
      }
    }
    expect(fsu(['put', '-r', img, host, '/h']).code).toBe(0);
    expect(fsu(['chmod', img, '644', ...specs.map((_s, i) => `/h/f${i}`)]).code).toBe(0); // put applied the umask
    for (const [i, spec] of specs.entries()) {
      execFileSync('chmod', [spec, join(host, `f${i}`), join(host, `d${i}`)]);
      const r = fsu(['chmod', img, spec, `/h/f${i}`, `/h/d${i}`]);
      expect(r.stderr, spec).toBe('');
    }
    const modes = fsu(['stat', img, ...paths.map((p) => `/h${p}`)]).stdout.match(/Mode: (\d+)/g)?.map((m) => parseInt(m.slice(6), 8));
    expect(modes).toEqual(paths.map((p) => statSync(join(host, p)).mode & 0o7777));

    expect(fsu(['chown', img, '12:34', '/h/f0']).code).toBe(0);
    expect(fsu(['chown', img, ':56', '/h/f0']).code).toBe(0);
    expect(fsu(['stat', img, '/h/f0']).stdout).toMatch(/Uid: 12 {2}Gid: 56/);
    const named = fsu(['chown', img, 'root:wheel', '/h/f0']);
    expect(named.code).toBe(1);
    expect(named.stderr).toBe("fsu: chown: 'root': not a numeric user id; an image has no password or group file to look names up in\n");
  });
});

describe('fsu refuses and cleans up', () => {
  it('rm -r IMAGE / refuses before removing anything; . and .. too', () => {
    const d = tmp();
    const img = makefsImage(d, sourceTree(d));
    const r = fsu(['rm', '-r', img, '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('fsu: /: refusing to remove the root directory\n');
    const dots = fsu(['rm', '-r', img, '/dir/..', '/dir/sub/.', '//']);
    expect(dots.stderr).toBe("fsu: /dir/..: refusing to remove '.' or '..'\nfsu: /dir/sub/.: refusing to remove '.' or '..'\nfsu: //: refusing to remove the root directory\n");
    expect(fsu(['find', img, '/', '-type', 'f']).stdout.split('\n').filter(Boolean).sort()).toEqual(['/dir/data.bin', '/dir/sub/deep.txt', '/hello.txt']);
    // The other operands are still removed.
    expect(fsu(['rm', '-r', img, '/dir', '/']).code).toBe(1);
    expect(fsu(['ls', img]).stdout).toBe('hello.txt\nlink\n');
  });

  it('a failed newfs or makefs leaves no new file, and an existing image as it was', () => {
    const d = tmp();
    const src = sourceTree(d);
    const existing = makefsImage(d, src);
    const before = readFileSync(existing);
    const fail = (args: string[]): void => {
      const r = fsu(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
    };
    fail(['newfs', '-s', '100k', join(d, 'new.img')]);
    fail(['newfs', '-s', '8m', '-b', '3000', join(d, 'new.img')]);
    fail(['newfs', '-s', '64m', '-b', '3000', existing]); // would have grown it first
    fail(['makefs', '-s', '64k', join(d, 'new.img'), src]);
    fail(['makefs', '-s', '64k', existing, src]);
    expect(readFileSync(existing).equals(before)).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['ffs.img', 'src']);
    // A makefs that works replaces the image whole.
    expect(fsu(['makefs', existing, join(src, 'dir')]).code).toBe(0);
    expect(fsu(['ls', existing]).stdout).toBe('data.bin\nsub\n');
    expect(readdirSync(d).sort()).toEqual(['ffs.img', 'src']);
    expect(existsSync(join(d, 'new.img'))).toBe(false);
    expect(spawnSync('fls', ['-V']).status === 0 ? spawnSync('fls', ['-f', 'ufs2', existing], { encoding: 'utf8' }).stdout : 'data.bin sub').toMatch(/data\.bin[\s\S]*sub/);
  });
});
