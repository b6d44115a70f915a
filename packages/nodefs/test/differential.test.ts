/**
 * The same script of node:fs calls run twice: on the host's real node:fs inside a temporary
 * directory, and on the facade over a tmpfs in a rump kernel. Results and error shapes (code,
 * syscall, path, dest, errno) must come out the same — the host's Node is the oracle.
 */
import * as hostFs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostTmp, tmpfsFs } from './helpers.js';

type Fs = Pick<
  typeof hostFs,
  | 'writeFileSync' | 'readFileSync' | 'appendFileSync' | 'openSync' | 'closeSync' | 'readSync' | 'writeSync' | 'fstatSync'
  | 'mkdirSync' | 'readdirSync' | 'statSync' | 'lstatSync' | 'chmodSync' | 'symlinkSync' | 'readlinkSync' | 'linkSync'
  | 'renameSync' | 'rmdirSync' | 'rmSync' | 'unlinkSync' | 'truncateSync' | 'ftruncateSync' | 'utimesSync' | 'accessSync'
  | 'existsSync' | 'copyFileSync' | 'realpathSync' | 'mkdtempSync'
> & { constants: { COPYFILE_EXCL: number; O_CREAT: number; O_RDWR: number; R_OK: number; W_OK: number } };

/** Outcome of one call: its value (paths made root-relative) or its error's Node fields. */
function outcome(root: string, fn: () => unknown): unknown {
  const rel = (v: unknown): unknown => (typeof v === 'string' && v.startsWith(root) ? `<root>${v.slice(root.length)}` : v);
  try {
    const v = fn();
    return { ok: Buffer.isBuffer(v) ? v.toString('hex') : rel(v) };
  } catch (e) {
    const x = e as { code?: string; syscall?: string; path?: string; dest?: string; errno?: number; name?: string };
    return { code: x.code, syscall: x.syscall, path: rel(x.path), dest: rel(x.dest), errno: x.errno, name: x.name };
  }
}

function script(fs: Fs, root: string): Record<string, unknown> {
  const r = (p: string): string => `${root}${p}`;
  const log: Record<string, unknown> = {};
  const run = (name: string, fn: () => unknown): void => {
    log[name] = outcome(root, fn);
  };
  run('writeFile', () => fs.writeFileSync(r('/a.txt'), 'hello'));
  run('appendFile', () => fs.appendFileSync(r('/a.txt'), ' world'));
  run('readFile utf8', () => fs.readFileSync(r('/a.txt'), 'utf8'));
  run('readFile buffer', () => fs.readFileSync(r('/a.txt')));
  run('readFile missing', () => fs.readFileSync(r('/nope')));
  run('readFile dir', () => fs.readFileSync(r('/')));
  run('writeFile wx existing', () => fs.writeFileSync(r('/a.txt'), 'x', { flag: 'wx' }));
  run('mkdir -p', () => fs.mkdirSync(r('/d/e/f'), { recursive: true }));
  run('mkdir -p again', () => fs.mkdirSync(r('/d/e/f'), { recursive: true }));
  run('mkdir -p through file', () => fs.mkdirSync(r('/a.txt/x'), { recursive: true }));
  run('mkdir existing', () => fs.mkdirSync(r('/d')));
  run('mkdir missing parent', () => fs.mkdirSync(r('/q/r')));
  run('writeFile deep', () => fs.writeFileSync(r('/d/e/f/g.bin'), Buffer.from([1, 2, 3])));
  run('readdir', () => fs.readdirSync(r('/')).sort());
  run('readdir types', () =>
    fs
      .readdirSync(r('/d/e'), { withFileTypes: true })
      .map((d) => [d.name, d.isDirectory(), d.isFile(), d.isSymbolicLink()])
      .sort(),
  );
  run('readdir recursive', () => fs.readdirSync(r('/d'), { recursive: true }).sort());
  run('readdir missing', () => fs.readdirSync(r('/nope')));
  run('readdir file', () => fs.readdirSync(r('/a.txt')));
  run('chmod', () => fs.chmodSync(r('/a.txt'), 0o640));
  run('stat', () => {
    const s = fs.statSync(r('/a.txt'));
    return [s.size, s.mode & 0o7777, s.isFile(), s.isDirectory(), s.nlink, typeof s.mtimeMs, s.birthtime instanceof Date];
  });
  run('stat missing', () => fs.statSync(r('/nope')));
  run('stat missing no throw', () => fs.statSync(r('/nope'), { throwIfNoEntry: false }));
  run('symlink', () => fs.symlinkSync('a.txt', r('/ln')));
  run('symlink existing', () => fs.symlinkSync('a.txt', r('/ln')));
  run('readlink', () => fs.readlinkSync(r('/ln')));
  run('readlink non-link', () => fs.readlinkSync(r('/a.txt')));
  run('lstat link', () => {
    const s = fs.lstatSync(r('/ln'));
    return [s.isSymbolicLink(), s.isFile(), s.size];
  });
  run('stat through link', () => fs.statSync(r('/ln')).size);
  run('realpath', () => fs.realpathSync(r('/ln')));
  run('realpath dots', () => fs.realpathSync(r('/d/e/../e/./f/g.bin')));
  run('link', () => fs.linkSync(r('/a.txt'), r('/hard')));
  run('nlink', () => fs.statSync(r('/a.txt')).nlink);
  run('link existing', () => fs.linkSync(r('/a.txt'), r('/hard')));
  run('rename', () => fs.renameSync(r('/hard'), r('/hard2')));
  run('rename missing', () => fs.renameSync(r('/nope'), r('/x')));
  run('rename over non-empty dir', () => fs.renameSync(r('/d/e'), r('/d')));
  run('rmdir non-empty', () => fs.rmdirSync(r('/d')));
  run('rmdir missing', () => fs.rmdirSync(r('/nope')));
  run('rm dir', () => fs.rmSync(r('/d')));
  run('rm force missing', () => fs.rmSync(r('/nope'), { force: true }));
  run('rm -r', () => fs.rmSync(r('/d'), { recursive: true }));
  run('exists after rm', () => fs.existsSync(r('/d')));
  run('unlink', () => fs.unlinkSync(r('/hard2')));
  run('unlink missing', () => fs.unlinkSync(r('/hard2')));
  run('truncate', () => fs.truncateSync(r('/a.txt'), 3));
  run('after truncate', () => fs.readFileSync(r('/a.txt'), 'latin1'));
  run('truncate missing', () => fs.truncateSync(r('/nope'), 3));
  run('utimes', () => fs.utimesSync(r('/a.txt'), new Date(1_600_000_000_123), 1_500_000_000.5));
  run('times', () => {
    const s = fs.statSync(r('/a.txt'));
    // Node goes through a float of seconds (1600000000.123 → …122.999 ms); the facade keeps whole ms exact
    return [Math.round(s.atimeMs), Math.round(s.mtimeMs), s.mtime.toISOString()];
  });
  run('utimes missing', () => fs.utimesSync(r('/nope'), 1, 1));
  run('access', () => fs.accessSync(r('/a.txt'), fs.constants.R_OK | fs.constants.W_OK));
  run('access missing', () => fs.accessSync(r('/nope')));
  run('exists', () => [fs.existsSync(r('/a.txt')), fs.existsSync(r('/nope'))]);
  run('copyFile', () => fs.copyFileSync(r('/a.txt'), r('/b.txt')));
  run('copied', () => [fs.readFileSync(r('/b.txt'), 'utf8'), fs.statSync(r('/b.txt')).mode & 0o777]);
  run('copyFile excl', () => fs.copyFileSync(r('/a.txt'), r('/b.txt'), fs.constants.COPYFILE_EXCL));
  run('copyFile missing', () => fs.copyFileSync(r('/nope'), r('/c.txt')));
  run('fd io', () => {
    const fd = fs.openSync(r('/io'), 'w+');
    const out: unknown[] = [];
    out.push(fs.writeSync(fd, Buffer.from('abcdef'), 1, 4, 10));
    out.push(fs.writeSync(fd, 'XY'));
    out.push(fs.writeSync(fd, 'Z', 20));
    const buf = Buffer.alloc(32);
    out.push(fs.readSync(fd, buf, 0, 32, 0), buf.toString('hex'));
    out.push(fs.readSync(fd, buf, { position: 10, length: 2 }), buf.subarray(0, 2).toString());
    fs.ftruncateSync(fd, 4);
    out.push(fs.fstatSync(fd).size);
    fs.closeSync(fd);
    return out;
  });
  run('numeric flags', () => {
    const fd = fs.openSync(r('/num'), fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600);
    fs.closeSync(fd);
    return fs.statSync(r('/num')).mode & 0o777;
  });
  run('append flag', () => {
    const fd = fs.openSync(r('/io'), 'a');
    fs.writeSync(fd, 'tail', 0);
    fs.closeSync(fd);
    return fs.readFileSync(r('/io'), 'hex');
  });
  run('close bad fd', () => fs.closeSync(999));
  run('open bad flag', () => fs.openSync(r('/a.txt'), 'rw'));
  return log;
}

describe('the facade against the host node:fs', () => {
  it('gives the same results and error shapes for the same script', async () => {
    const host = hostTmp();
    const expected = script(hostFs, host);
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/r');
    const actual = script(fs, '/r');
    // name is 'Error' for system errors and 'TypeError' for argument errors on both sides
    for (const k of Object.keys(expected)) expect.soft(actual[k], k).toEqual(expected[k]);
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
  });
});
