/**
 * The differential scripts: the same node:fs calls run on the host's real node:fs and on the facade
 * (over tmpfs, over a rump server); values and error shapes (code, syscall, path, dest, errno, name)
 * must come out the same — the host's Node is the oracle.
 */
import type * as hostFs from 'node:fs';
import * as realFs from 'node:fs';

/** The host's own constants and classes: the facade must take and pass them. */
const C = realFs.constants;
const BigIntStatsClass = (Object.getPrototypeOf(realFs.statSync('/', { bigint: true })) as { constructor: new () => unknown }).constructor;

export type Fs = Pick<
  typeof hostFs,
  | 'writeFileSync' | 'readFileSync' | 'appendFileSync' | 'openSync' | 'closeSync' | 'readSync' | 'writeSync' | 'fstatSync'
  | 'mkdirSync' | 'readdirSync' | 'statSync' | 'lstatSync' | 'chmodSync' | 'symlinkSync' | 'readlinkSync' | 'linkSync'
  | 'renameSync' | 'rmdirSync' | 'rmSync' | 'unlinkSync' | 'truncateSync' | 'ftruncateSync' | 'utimesSync' | 'accessSync'
  | 'existsSync' | 'copyFileSync' | 'realpathSync' | 'mkdtempSync' | 'opendirSync' | 'opendir' | 'readFile' | 'stat' | 'exists' | 'mkdir'
  | 'write' | 'read' | 'open' | 'close' | 'readdir' | 'createReadStream' | 'createWriteStream' | 'cpSync' | 'cp' | 'statfsSync' | 'rm' | 'rmdir'
> & {
  constants: { COPYFILE_EXCL: number; O_CREAT: number; O_RDWR: number; R_OK: number; W_OK: number; O_EXCL: number; O_TRUNC: number; O_APPEND: number };
  promises: Pick<
    typeof hostFs.promises,
    'writeFile' | 'appendFile' | 'readFile' | 'mkdir' | 'readdir' | 'stat' | 'rename' | 'copyFile' | 'access' | 'rmdir' | 'realpath' | 'open' | 'opendir'
    | 'rm' | 'cp' | 'statfs' | 'lstat' | 'readlink' | 'symlink'
  >;
};

/** Outcome of one call: its value (paths made root-relative) or its error's Node fields. */
export function outcome(root: string, fn: () => unknown): unknown {
  const rel = (v: unknown): unknown =>
    typeof v === 'string' ? v.replaceAll(root, '<root>') : Array.isArray(v) ? v.map(rel) : v;
  try {
    const v = fn();
    return { ok: Buffer.isBuffer(v) ? v.toString('hex') : rel(v) };
  } catch (e) {
    const x = e as { code?: string; syscall?: string; path?: string; dest?: string; errno?: number; name?: string; message?: string };
    return { code: x.code, syscall: x.syscall, path: rel(x.path), dest: rel(x.dest), errno: x.errno, name: x.name, message: rel(x.message) };
  }
}

export function script(fs: Fs, root: string): Record<string, unknown> {
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
  run('symlink loop', () => (fs.symlinkSync('loop2', r('/loop1')), fs.symlinkSync('loop1', r('/loop2'))));
  run('stat loop', () => fs.statSync(r('/loop1')));
  run('bigint stat', () => {
    const s = fs.statSync(r('/a.txt'), { bigint: true });
    return [typeof s.size, s.size.toString(), typeof s.mtimeNs, s.isFile()];
  });
  run('readdir buffer', () => fs.readdirSync(r('/'), { encoding: 'buffer' }).map((b) => b.toString('hex')).sort());
  run('mkdtemp', () => {
    const d = fs.mkdtempSync(r('/tmp-'));
    return [d.startsWith(r('/tmp-')), d.length - r('/tmp-').length, fs.statSync(d).mode & 0o777];
  });
  run('opendirSync', () => {
    const d = fs.opendirSync(r('/'));
    const names: [string, boolean][] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) names.push([e.name.startsWith('tmp-') ? 'tmp-*' : e.name, e.isDirectory()]);
    d.closeSync();
    return [names.sort(), d.path];
  });
  run('opendirSync missing', () => fs.opendirSync(r('/nope')));
  run('dir closed twice', () => {
    const d = fs.opendirSync(r('/'));
    d.closeSync();
    d.closeSync();
  });
  run('close bad fd', () => fs.closeSync(999));
  run('open bad flag', () => fs.openSync(r('/a.txt'), 'rw'));

  // ---- node:fs's own classes, constants and flags ----
  run('Stats is fs.Stats', () => {
    const s = fs.statSync(r('/a.txt'));
    return [s instanceof realFs.Stats, Object.keys(s), s.isFile(), s.atime instanceof Date];
  });
  run('BigIntStats class', () => {
    const s = fs.lstatSync(r('/ln'), { bigint: true });
    return [s instanceof BigIntStatsClass, Object.keys(s), s.isSymbolicLink(), typeof s.mtimeNs];
  });
  run('Dirent is fs.Dirent', () =>
    fs
      .readdirSync(r('/'), { withFileTypes: true })
      .filter((d) => d.name === 'a.txt')
      .map((d) => [d instanceof realFs.Dirent, Object.keys(d), d.isFile(), d.parentPath, d.path]),
  );
  run('host O_CREAT|O_EXCL on existing', () => fs.openSync(r('/a.txt'), C.O_WRONLY | C.O_CREAT | C.O_EXCL));
  run('host O_TRUNC and O_APPEND', () => {
    const fd = fs.openSync(r('/t.txt'), C.O_RDWR | C.O_CREAT | C.O_TRUNC, 0o640);
    fs.writeSync(fd, 'abcdef');
    fs.closeSync(fd);
    fs.closeSync(fs.openSync(r('/t.txt'), C.O_WRONLY | C.O_TRUNC));
    const a = fs.openSync(r('/t.txt'), C.O_WRONLY | C.O_APPEND);
    fs.writeSync(a, 'xy');
    fs.writeSync(a, 'z');
    fs.closeSync(a);
    return [fs.readFileSync(r('/t.txt'), 'utf8'), fs.statSync(r('/t.txt')).mode & 0o777];
  });
  run('host O_DIRECTORY on a file', () => fs.openSync(r('/a.txt'), C.O_RDONLY | C.O_DIRECTORY));
  run('host O_NOFOLLOW on a link', () => fs.openSync(r('/ln'), C.O_RDONLY | C.O_NOFOLLOW));
  run('host O_SYNC', () => fs.closeSync(fs.openSync(r('/a.txt'), C.O_RDONLY | C.O_SYNC)));
  run('writeFile numeric flag', () => {
    fs.writeFileSync(r('/t.txt'), '!', { flag: (C.O_WRONLY | C.O_APPEND) as unknown as string });
    return fs.readFileSync(r('/t.txt'), 'utf8');
  });
  run('constants', () => [fs.constants.O_CREAT, fs.constants.O_EXCL, fs.constants.O_TRUNC, fs.constants.O_APPEND]);

  // ---- rm and rmdir as node:fs ----
  const tree = (top: string): void => {
    fs.mkdirSync(r(`${top}/a/b`), { recursive: true });
    fs.writeFileSync(r(`${top}/a/b/c.txt`), 'c');
    fs.writeFileSync(r(`${top}/f`), 'f');
    fs.symlinkSync('a', r(`${top}/link`));
  };
  tree('/rmt');
  run('rm missing', () => fs.rmSync(r('/nope')));
  run('rm -r missing', () => fs.rmSync(r('/nope'), { recursive: true }));
  run('rm -rf missing', () => fs.rmSync(r('/nope'), { recursive: true, force: true }));
  run('rm through a file', () => fs.rmSync(r('/a.txt/x')));
  run('rm -f through a file', () => fs.rmSync(r('/a.txt/x'), { force: true }));
  run('rm -rf through a file', () => fs.rmSync(r('/a.txt/x'), { force: true, recursive: true }));
  run('rm a link to a dir', () => [fs.rmSync(r('/rmt/link')), fs.existsSync(r('/rmt/a/b/c.txt'))]);
  run('rm -r a tree', () => [fs.rmSync(r('/rmt'), { recursive: true }), fs.existsSync(r('/rmt'))]);
  run('rm force: 1', () => fs.rmSync(r('/a.txt'), { force: 1 } as unknown as { force: boolean }));
  run('rm maxRetries: -1', () => fs.rmSync(r('/a.txt'), { maxRetries: -1 }));
  run('rm retryDelay: 1.5', () => fs.rmSync(r('/a.txt'), { retryDelay: 1.5 }));
  run('rm options: string', () => fs.rmSync(r('/a.txt'), 'x' as unknown as object));
  run('rmdir -r a file', () => fs.rmdirSync(r('/b.txt'), { recursive: true }));
  run('rmdir -r missing', () => fs.rmdirSync(r('/nope'), { recursive: true }));
  tree('/rmt2');
  run('rmdir -r a tree', () => [fs.rmdirSync(r('/rmt2'), { recursive: true }), fs.existsSync(r('/rmt2'))]);

  // ---- cp as node:fs ----
  fs.mkdirSync(r('/cps/d/sub'), { recursive: true });
  fs.writeFileSync(r('/cps/d/f.txt'), 'file f', { mode: 0o640 });
  fs.writeFileSync(r('/cps/d/sub/g.txt'), 'file g');
  fs.symlinkSync('f.txt', r('/cps/d/rel'));
  fs.symlinkSync(r('/cps/d/sub'), r('/cps/d/abs'));
  fs.utimesSync(r('/cps/d/f.txt'), 1_000_000_000, 1_100_000_000);
  const list = (top: string): unknown[] =>
    (fs.readdirSync(r(top), { recursive: true }) as string[]).sort().map((n) => {
      const p = r(`${top}/${n}`);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) return [n, 'link', fs.readlinkSync(p)];
      if (st.isDirectory()) return [n, 'dir', st.mode & 0o777];
      return [n, 'file', st.mode & 0o777, fs.readFileSync(p, 'utf8')];
    });
  run('cp a file', () => [fs.cpSync(r('/cps/d/f.txt'), r('/cps/out/f.txt')), list('/cps/out')]);
  run('cp a dir without recursive', () => fs.cpSync(r('/cps/d'), r('/cps/o2')));
  run('cp -r', () => [fs.cpSync(r('/cps/d'), r('/cps/o3'), { recursive: true }), list('/cps/o3')]);
  run('cp -r verbatimSymlinks', () => [fs.cpSync(r('/cps/d'), r('/cps/o4'), { recursive: true, verbatimSymlinks: true }), list('/cps/o4')]);
  run('cp -r dereference', () => [fs.cpSync(r('/cps/d'), r('/cps/o5'), { recursive: true, dereference: true }), list('/cps/o5')]);
  run('cp -r onto a copy', () => {
    fs.mkdirSync(r('/cps/plain/in'), { recursive: true });
    fs.writeFileSync(r('/cps/plain/in/x'), 'x1');
    fs.cpSync(r('/cps/plain'), r('/cps/plaincopy'), { recursive: true });
    fs.writeFileSync(r('/cps/plain/in/x'), 'x2');
    fs.writeFileSync(r('/cps/plaincopy/in/x'), 'stale');
    fs.cpSync(r('/cps/plain'), r('/cps/plaincopy'), { recursive: true });
    return list('/cps/plaincopy');
  });
  run('cp a link onto a link to the same place', () => fs.cpSync(r('/cps/d/rel'), r('/cps/o3/rel')));
  run('cp onto itself', () => fs.cpSync(r('/cps/d/f.txt'), r('/cps/d/f.txt')));
  run('cp into itself', () => fs.cpSync(r('/cps/d'), r('/cps/d/sub/x'), { recursive: true }));
  run('cp a dir onto a file', () => fs.cpSync(r('/cps/d'), r('/cps/out/f.txt'), { recursive: true }));
  run('cp a file onto a dir', () => fs.cpSync(r('/cps/d/f.txt'), r('/cps/o3')));
  run('cp errorOnExist', () => fs.cpSync(r('/cps/d/sub/g.txt'), r('/cps/out/f.txt'), { force: false, errorOnExist: true }));
  run('cp force: false', () => [fs.cpSync(r('/cps/d/sub/g.txt'), r('/cps/out/f.txt'), { force: false }), fs.readFileSync(r('/cps/out/f.txt'), 'utf8')]);
  run('cp filter', () => [fs.cpSync(r('/cps/d'), r('/cps/o6'), { recursive: true, filter: (src) => !src.endsWith('g.txt') }), list('/cps/o6')]);
  run('cp filter promise', () => fs.cpSync(r('/cps/d'), r('/cps/o7'), { recursive: true, filter: (() => Promise.resolve(true)) as unknown as () => boolean }));
  run('cp preserveTimestamps', () => {
    fs.cpSync(r('/cps/d/f.txt'), r('/cps/o8/f.txt'), { preserveTimestamps: true });
    return [fs.statSync(r('/cps/o8/f.txt')).mtimeMs, fs.statSync(r('/cps/o8/f.txt')).mode & 0o777];
  });
  run('cp missing', () => fs.cpSync(r('/cps/nope'), r('/cps/o9')));
  run('cp force: 1', () => fs.cpSync(r('/cps/d/f.txt'), r('/cps/o9'), { force: 1 } as unknown as { force: boolean }));
  run('cp dereference + verbatimSymlinks', () => fs.cpSync(r('/cps/d/f.txt'), r('/cps/o9'), { dereference: true, verbatimSymlinks: true }));
  run('cp mode excl', () => fs.cpSync(r('/cps/d/f.txt'), r('/cps/out/f.txt'), { mode: C.COPYFILE_EXCL, force: false, errorOnExist: false }));

  // ---- statfs and recursive opendir ----
  run('statfs', () => {
    const s = fs.statfsSync(r('/'));
    return [Object.keys(s), typeof s.bsize, s.bsize > 0, s.blocks >= s.bfree, s.bfree >= s.bavail, s.files >= s.ffree];
  });
  run('statfs bigint', () => Object.values(fs.statfsSync(r('/'), { bigint: true })).map((v) => typeof v));
  run('statfs missing', () => fs.statfsSync(r('/nope')));
  run('opendirSync recursive', () => {
    const d = fs.opendirSync(r('/cps/d'), { recursive: true });
    const out: string[] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(`${e.parentPath}|${e.name}|${e.isDirectory()}`);
    d.closeSync();
    return out.sort();
  });
  return log;
}


/** Outcome of an async call: its value, or its error's Node fields. */
async function outcomeAsync(root: string, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const v = await fn();
    return outcome(root, () => v);
  } catch (e) {
    return errorFields(root, e);
  }
}

/** The Node fields of an error, as outcome() reports a thrown one. */
function errorFields(root: string, e: unknown): unknown {
  return outcome(root, () => {
    throw e instanceof Error ? e : new Error(String(e));
  });
}

/** Call a callback-style function; resolve with [callbackRanBeforeReturn, ...callback args]. */
function viaCallback(call: (cb: (...args: unknown[]) => void) => void): Promise<unknown[]> {
  return new Promise((resolve) => {
    let returned = false;
    call((...args) => resolve([!returned, ...args]));
    returned = true;
  });
}

/** Callbacks, fs.promises, FileHandle and streams, for the same comparison. */
export async function asyncScript(fs: Fs, root: string): Promise<Record<string, unknown>> {
  const r = (p: string): string => `${root}${p}`;
  const p = fs.promises;
  const log: Record<string, unknown> = {};
  const run = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    log[name] = await outcomeAsync(root, fn);
  };
  const errOf = (e: unknown): unknown => (e === null ? null : errorFields(root, e));
  await run('p.writeFile', () => p.writeFile(r('/p.txt'), 'promised'));
  await run('p.appendFile', () => p.appendFile(r('/p.txt'), '!'));
  await run('p.readFile', () => p.readFile(r('/p.txt'), 'utf8'));
  await run('p.writeFile iterables', async () => {
    const { Readable } = await import('node:stream');
    await p.writeFile(r('/it.txt'), ['a', Buffer.from('b'), 'c']);
    await p.writeFile(
      r('/it.txt'),
      (async function* () {
        yield await Promise.resolve('d');
        yield Buffer.from('é');
      })(),
      { flag: 'a' },
    );
    await p.writeFile(r('/it.txt'), Readable.from(['f', 'g']), { flag: 'a' });
    return p.readFile(r('/it.txt'), 'utf8');
  });
  await run('p.readFile missing', () => p.readFile(r('/none')));
  await run('p.mkdir -p', () => p.mkdir(r('/pd/x/y'), { recursive: true }));
  await run('p.readdir types', async () => (await p.readdir(r('/pd'), { withFileTypes: true })).map((d) => [d.name, d.isDirectory(), d.parentPath]));
  await run('p.stat', async () => {
    const s = await p.stat(r('/p.txt'));
    return [s.size, s.isFile()];
  });
  await run('p.rename', () => p.rename(r('/p.txt'), r('/pd/p.txt')));
  await run('p.copyFile', () => p.copyFile(r('/pd/p.txt'), r('/pd/q.txt')));
  await run('p.access missing', () => p.access(r('/p.txt')));
  await run('p.rm non-empty', () => p.rmdir(r('/pd')));
  await run('p.realpath', () => p.realpath(r('/pd/x/../q.txt')));
  await run('filehandle', async () => {
    const h = await p.open(r('/fh.bin'), 'w+');
    const out: unknown[] = [];
    out.push((await h.write(Buffer.from('0123456789'))).bytesWritten);
    out.push((await h.write('abc', 2)).bytesWritten);
    const b = Buffer.alloc(6);
    const got = await h.read(b, 0, 6, 1);
    out.push(got.bytesRead, b.toString());
    out.push((await h.stat()).size);
    await h.truncate(4);
    out.push((await h.readFile('utf8')).length);
    await h.close();
    out.push(await h.read(b, 0, 1, 0).then(() => 'read after close', (e: NodeJS.ErrnoException) => e.code));
    return out;
  });
  await run('p.readFile handle', async () => {
    const h = await p.open(r('/fh.bin'), 'r');
    try {
      return await p.readFile(h, 'latin1');
    } finally {
      await h.close();
    }
  });
  await run('cb readFile', async () => {
    const [sync, err, data] = await viaCallback((cb) => fs.readFile(r('/fh.bin'), 'utf8', cb));
    return [sync, err, data];
  });
  await run('cb stat missing', async () => {
    const [sync, err] = await viaCallback((cb) => fs.stat(r('/none'), cb));
    return [sync, errOf(err)];
  });
  await run('cb exists', async () => {
    const a = await viaCallback((cb) => fs.exists(r('/fh.bin'), cb));
    const b = await viaCallback((cb) => fs.exists(r('/none'), cb));
    return [a, b];
  });
  await run('cb mkdir -p', async () => viaCallback((cb) => fs.mkdir(r('/cb/a'), { recursive: true }, cb)));
  await run('cb open write read close', async () => {
    const [, e1, fd] = await viaCallback((cb) => fs.open(r('/cb/f'), 'w+', cb));
    const [, e2, n, buf] = await viaCallback((cb) => fs.write(fd as number, Buffer.from('hello'), 0, 5, null, cb));
    const into = Buffer.alloc(5);
    const [, e3, m] = await viaCallback((cb) => fs.read(fd as number, into, 0, 5, 0, cb));
    const [, e4] = await viaCallback((cb) => fs.close(fd as number, cb));
    return [e1, e2, n, Buffer.isBuffer(buf), e3, m, into.toString(), e4];
  });
  await run('cb readdir missing', async () => {
    const [sync, err] = await viaCallback((cb) => fs.readdir(r('/none'), cb));
    return [sync, errOf(err)];
  });
  await run('streams', async () => {
    const { pipeline } = await import('node:stream/promises');
    await pipeline(fs.createReadStream(r('/fh.bin'), { start: 1, end: 2 }), fs.createWriteStream(r('/cb/s'), { flags: 'a' }));
    await pipeline(fs.createReadStream(r('/fh.bin')), fs.createWriteStream(r('/cb/s'), { flags: 'a' }));
    const chunks: Buffer[] = [];
    for await (const c of fs.createReadStream(r('/cb/s'), { highWaterMark: 2 })) chunks.push(c as Buffer);
    return [chunks.length, Buffer.concat(chunks).toString()];
  });
  await run('p.opendir for await', async () => {
    const names: string[] = [];
    for await (const e of await p.opendir(r('/cb'))) names.push(`${e.name}:${e.isFile()}:${e.parentPath}`);
    return names.sort();
  });
  await run('p.opendir missing', () => p.opendir(r('/none')));
  await run('cb opendir', async () => {
    const [sync, err, dir] = await viaCallback((cb) => fs.opendir(r('/cb'), cb));
    const d = dir as hostFs.Dir;
    const first = await viaCallback((cb) => d.read(cb));
    await d.close();
    const afterClose = await d.read().then(
      () => 'read',
      (e: NodeJS.ErrnoException) => e.code,
    );
    return [sync, err, (first[2] as hostFs.Dirent | null) !== null, afterClose];
  });
  await run('stream missing', () =>
    new Promise((resolve) => {
      const s = fs.createReadStream(r('/none'));
      s.on('error', (e) => resolve(errOf(e)));
    }),
  );

  // ---- rm, rmdir, cp, statfs, opendir recursive: the asynchronous forms ----
  const viaCb = async (call: (cb: (...args: unknown[]) => void) => void): Promise<unknown> => {
    const [sync, err] = await viaCallback(call);
    return [sync, errOf(err)];
  };
  await p.mkdir(r('/ar/a/b'), { recursive: true });
  await p.writeFile(r('/ar/a/b/c.txt'), 'c');
  await p.writeFile(r('/ar/f'), 'f');
  await p.symlink('a', r('/ar/link'));
  await run('cb rm missing', () => viaCb((cb) => fs.rm(r('/none'), cb)));
  await run('cb rm a dir', () => viaCb((cb) => fs.rm(r('/ar'), cb)));
  await run('p.rm -rf through a file', () => p.rm(r('/ar/f/x'), { recursive: true, force: true }));
  await run('p.rm -f missing', () => p.rm(r('/none'), { force: true }));
  await run('p.rm a link', async () => [await p.rm(r('/ar/link')), (await p.stat(r('/ar/a'))).isDirectory()]);
  await run('p.rm -r', async () => [await p.rm(r('/ar'), { recursive: true }), await p.access(r('/ar')).catch((e: NodeJS.ErrnoException) => e.code)]);
  await run('p.rm bad options', () => p.rm(r('/none'), { force: 'yes' } as unknown as { force: boolean }));
  await run('cb rmdir -r a file', () => viaCb((cb) => fs.rmdir(r('/fh.bin'), { recursive: true }, cb)));
  await run('p.rmdir -r a file', () => p.rmdir(r('/fh.bin'), { recursive: true }));
  await run('p.rmdir -r missing', () => p.rmdir(r('/none'), { recursive: true }));
  await p.mkdir(r('/ac/d/sub'), { recursive: true });
  await p.writeFile(r('/ac/d/f.txt'), 'f', { mode: 0o600 });
  await p.writeFile(r('/ac/d/sub/g.txt'), 'g');
  await p.symlink('sub/g.txt', r('/ac/d/ln'));
  const walk = async (top: string): Promise<unknown[]> =>
    Promise.all(
      (await p.readdir(r(top), { recursive: true })).sort().map(async (n) => {
        const st = await p.lstat(r(`${top}/${n}`));
        return [n, st.isSymbolicLink() ? await p.readlink(r(`${top}/${n}`)) : st.isDirectory() ? 'dir' : (await p.readFile(r(`${top}/${n}`), 'utf8')) + (st.mode & 0o777).toString(8)];
      }),
    );
  await run('p.cp -r with an async filter', async () => {
    await p.cp(r('/ac/d'), r('/ac/o1'), { recursive: true, filter: async (src: string) => Promise.resolve(!src.endsWith('g.txt')) });
    return walk('/ac/o1');
  });
  await run('cb cp -r', async () => [await viaCb((cb) => fs.cp(r('/ac/d'), r('/ac/o2'), { recursive: true }, cb)), await walk('/ac/o2')]);
  await run('cb cp a dir without recursive', () => viaCb((cb) => fs.cp(r('/ac/d'), r('/ac/o3'), cb)));
  await run('p.cp into itself', () => p.cp(r('/ac/d'), r('/ac/d/sub/in'), { recursive: true }));
  await run('p.cp bad options', () => p.cp(r('/ac/d'), r('/ac/o4'), { recursive: 'yes' } as unknown as { recursive: boolean }));
  await run('p.statfs', async () => {
    const s = await p.statfs(r('/'));
    return [Object.keys(s), s.bavail <= s.bfree];
  });
  await run('p.opendir recursive', async () => {
    const out: string[] = [];
    for await (const e of await p.opendir(r('/ac/d'), { recursive: true })) out.push(`${e.parentPath}|${e.name}`);
    return out.sort();
  });
  return log;
}
