/**
 * Real server processes: rump_server / rump_allserver started as a user would, talked to with the
 * client library and the rump.halt / rump.sysctl tools, halted. Unix sockets in temp dirs and tcp
 * on 127.0.0.1 only.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRumpError, O_CREAT, O_RDONLY, O_WRONLY } from '@rumpts/librump';
import { encodeDiskLabel, HostFileBlockDevice, makeDiskLabel } from '@rumpts/rumpdev-disk';
import { fsck } from '@rumpts/rumpfs-ffs';
import { ALL_LIBRARIES, bootServerKernel, connect, parseDrivespec, parseMountSpec, type RumpClient } from '../src/index.js';
import { BIN, PKG, run, RUNTIME_DIR, spawnServer, type Spawned, tempDir } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function temp(): string {
  const t = tempDir();
  cleanups.push(() => t.cleanup());
  return t.dir;
}

/** Start a foreground server; it is halted (or killed) after the test. */
async function server(bin: 'rump_server' | 'rump_allserver', args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Spawned & { url: string }> {
  const s = await spawnServer(bin, ['-s', ...args], cwd, env);
  cleanups.push(() => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });
  const m = /listening on (\S+)/.exec(s.stderr());
  if (!m?.[1]) throw new Error(`server did not start: ${s.stderr()}`);
  return { ...s, url: m[1] };
}

async function client(url: string, token?: string): Promise<RumpClient> {
  const c = await connect(url, token === undefined ? {} : { token });
  cleanups.push(() => c.destroy());
  return c;
}

const hasMakefs = spawnSync('makefs', [], { stdio: 'ignore' }).error === undefined;

describe('rump_server in the foreground (-s)', () => {
  it('serves on a relative unix path (mode 0600) with -c, -r, -v; rump.halt stops it and removes the socket', async () => {
    const dir = temp();
    const s = await server('rump_server', ['-c', '3', '-r', '32m', '-v', '-lrumpvfs', 'unix://sock'], dir);
    const sock = join(dir, 'sock');
    expect(s.url).toBe(`unix://${sock}`);
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const env = { RUMP_SERVER: 'unix://sock' };
    const r = await run('rump.sysctl', ['hw.ncpu', 'kern.rump.memlimit', 'kern.rump.verbose'], { cwd: dir, env });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe(`hw.ncpu = 3\nkern.rump.memlimit = ${32 * 1024 * 1024}\nkern.rump.verbose = 1\n`);
    expect((await run('rump.sysctl', ['-n', 'kern.hostname=rumpy'], { cwd: dir, env })).code).toBe(0);
    expect((await run('rump.sysctl', ['-n', 'kern.hostname'], { cwd: dir, env })).stdout).toBe('rumpy\n');
    const bad = await run('rump.sysctl', ['no.such'], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/rump.sysctl: no.such: ENOENT/);
    const h = await run('rump.halt', [], { cwd: dir, env });
    expect(h).toMatchObject({ code: 0 });
    expect(await s.exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(s.stderr()).toMatch(/halted/);
  }, 20_000);

  it('without -l there is no vfs: calls fail with ENOSYS, as in a bare NetBSD rump_server', async () => {
    const dir = temp();
    const s = await server('rump_server', ['unix://s'], dir);
    const c = await client(s.url);
    await expect(c.stat('/')).rejects.toMatchObject({ code: 'ENOSYS' });
    await c.reboot();
    expect(await s.exited).toBe(0);
  }, 20_000);

  it('tcp on 127.0.0.1 with a shared secret, and a warning about encryption', async () => {
    const dir = temp();
    const s = await server('rump_allserver', ['tcp://127.0.0.1:0/'], dir, { RUMP_SERVER_TOKEN: 'tok' });
    expect(s.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+\/$/);
    expect(s.stderr()).toMatch(/no encryption/);
    await expect(connect(s.url, { token: 'wrong' })).rejects.toMatchObject({ code: 'EAUTH' });
    const c = await client(s.url, 'tok');
    await c.mkdir('/tmp/x', 0o700);
    expect((await c.stat('/tmp/x')).mode & 0o777).toBe(0o700);
    const h = await run('rump.halt', [], { env: { RUMP_SERVER: s.url, RUMP_SERVER_TOKEN: 'tok' } });
    expect(h.code).toBe(0);
    expect(await s.exited).toBe(0);
  }, 20_000);
});

describe('tcp tokens (no RUMP_SERVER_TOKEN)', () => {
  it('a token is generated into a 0600 file the tools find from the URL; without it every tool is refused', async () => {
    const dir = temp();
    const s = await server('rump_allserver', ['tcp://127.0.0.1:0/'], dir);
    const m = /token in (\S+) \(mode 0600/.exec(s.stderr());
    expect(m?.[1]).toBe(join(RUNTIME_DIR, 'rumpts', `tcp-127.0.0.1-${/:(\d+)\/$/.exec(s.url)?.[1]}.token`));
    const file = m?.[1] as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const env = { RUMP_SERVER: s.url };
    const r = await run('rump.sysctl', ['-n', 'kern.ostype'], { env });
    expect(r).toMatchObject({ code: 0, stdout: 'NetBSD\n' });
    // another user (here: another runtime directory, no RUMP_SERVER_TOKEN) is refused before any call
    const elsewhere = temp();
    const denied = await run('rump.halt', [], { env: { ...env, XDG_RUNTIME_DIR: elsewhere } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^rump\.halt: init failed: .*EAUTH.*no token given.*set RUMP_SERVER_TOKEN/);
    const wrong = await run('rump.sysctl', ['kern.ostype'], { env: { ...env, RUMP_SERVER_TOKEN: 'guess' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/EAUTH/);
    expect(s.child.exitCode).toBeNull();
    expect((await run('rump.halt', [], { env })).code).toBe(0);
    expect(await s.exited).toBe(0);
    expect(existsSync(file)).toBe(false);
  }, 20_000);

  it('--insecure serves tcp without a token and says so', async () => {
    const dir = temp();
    const s = await server('rump_server', ['--insecure', 'tcp://127.0.0.1:0/'], dir);
    expect(s.stderr()).toMatch(/warning: --insecure: no token — any local user may use this kernel/);
    const c = await client(s.url, '');
    expect(await c.getpid()).toBeGreaterThan(0);
    await c.reboot();
    expect(await s.exited).toBe(0);
  }, 20_000);

  it('a detached tcp server: the parent prints where the token is', async () => {
    const dir = temp();
    const r = await run('rump_server', ['tcp://127.0.0.1:0/'], { cwd: dir });
    expect(r.code).toBe(0);
    const file = /token in (\S+) \(mode 0600/.exec(r.stderr)?.[1] as string;
    const port = /tcp-127\.0\.0\.1-(\d+)\.token$/.exec(file)?.[1];
    expect(port).toBeDefined();
    const env = { RUMP_SERVER: `tcp://127.0.0.1:${port}/` };
    expect((await run('rump.sysctl', ['-n', 'kern.ostype'], { env })).stdout).toBe('NetBSD\n');
    expect((await run('rump.halt', [], { env })).code).toBe(0);
    for (let i = 0; i < 100 && existsSync(file); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(file)).toBe(false);
  }, 20_000);
});

describe('rump.halt -d (RB_DUMP)', () => {
  /**
   * A server with a fresh FFS on a host image at /mnt, started with core dumps off; write a file,
   * then halt it with rump.halt `flags` (or 'kill': SIGKILL).
   */
  async function dumpAfterWrite(flags: string[] | 'kill'): Promise<{ img: string; halt: Awaited<ReturnType<typeof run>> | undefined; signal: NodeJS.Signals | null; content: Buffer }> {
    const dir = temp();
    const img = join(dir, 'disk.img');
    const child = spawn('/bin/sh', ['-c', 'ulimit -c 0; exec "$@"', 'sh', process.execPath, BIN.rump_allserver, '-s', '-d', 'key=/dev/dk,hostpath=disk.img,size=8m', '--newfs', '--mount', 'ffs:/dev/dk:/mnt', 'unix://sock'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
    let err = '';
    await new Promise<void>((res) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) res();
      });
      void exited.then(() => res());
    });
    const url = `unix://${join(dir, 'sock')}`;
    const c = await connect(url);
    const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 13) & 0xff));
    const fd = await c.open('/mnt/precious', O_CREAT | O_WRONLY, 0o644);
    expect(await c.write(fd, content)).toBe(content.length);
    await c.close(fd);
    c.destroy();
    if (flags === 'kill') child.kill('SIGKILL');
    const halt = flags === 'kill' ? undefined : await run('rump.halt', flags, { env: { RUMP_SERVER: url } });
    return { img, halt, signal: await exited, content };
  }

  /** /precious as a fresh kernel reads it from the image (mounted read-only), or the error code. */
  async function readBack(img: string, size: number): Promise<Buffer | string> {
    const { kernel: k } = await bootServerKernel({
      libraries: [...ALL_LIBRARIES],
      modules: [],
      drives: [parseDrivespec(`key=/dev/dk,hostpath=${img},size=host`)],
      mounts: [parseMountSpec('ffs:/dev/dk:/mnt:ro')],
      log: () => undefined,
    });
    try {
      const fd = k.proc.open('/mnt/precious', O_RDONLY);
      const back = new Uint8Array(size + 1);
      return Buffer.from(back.subarray(0, k.proc.read(fd, back)));
    } catch (e) {
      if (isRumpError(e)) return e.code;
      throw e;
    } finally {
      k.halt(0);
    }
  }

  it('syncs before the dump: the image is clean and holds the file', async () => {
    const { img, halt, signal, content } = await dumpAfterWrite(['-d']);
    expect(halt?.code).toBe(0);
    expect(signal).toBe('SIGABRT');
    const dev = new HostFileBlockDevice(img, { readonly: true });
    try {
      expect(fsck(dev, { repair: false })).toMatchObject({ clean: true, exitStatus: 0 });
    } finally {
      dev.close();
    }
    const back = await readBack(img, content.length);
    expect(Buffer.isBuffer(back) && back.equals(content)).toBe(true);
  }, 30_000);

  it('the control: a server killed without a sync (what RB_DUMP used to do) leaves the image unclean', async () => {
    const { img, signal } = await dumpAfterWrite('kill');
    expect(signal).toBe('SIGKILL');
    const dev = new HostFileBlockDevice(img, { readonly: true });
    try {
      expect(fsck(dev, { repair: false }).problems.map((p) => p.kind)).toContain('clean-flag');
    } finally {
      dev.close();
    }
  }, 30_000);
});

describe('detach mode', () => {
  it('the parent exits 0 once the child listens; the server keeps running until rump.halt', async () => {
    const dir = temp();
    const env = { RUMP_SERVER: `unix://${join(dir, 'sock')}` };
    cleanups.push(async () => {
      if (existsSync(join(dir, 'sock'))) await run('rump.halt', [], { env });
    });
    const r = await run('rump_allserver', ['unix://sock'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // listening already, no waiting
    const c = await client(env.RUMP_SERVER);
    expect(await c.getcwd()).toBe('/');
    c.destroy();
    expect((await run('rump.halt', [], { env })).code).toBe(0);
    for (let i = 0; i < 50 && existsSync(join(dir, 'sock')); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(join(dir, 'sock'))).toBe(false);
  }, 20_000);

  it('the parent reports the child\'s start-up error and exits 1', async () => {
    const dir = temp();
    const r = await run('rump_server', ['-lrumpvfs', '-d', 'key=/dk,hostpath=/nonexistent/dir/img,size=1m', 'unix://sock'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-d key=\/dk: etfs register: etfs hostpath open '\/nonexistent\/dir\/img'/);
    expect(existsSync(join(dir, 'sock'))).toBe(false);
    const r2 = await run('rump_server', ['-l', 'rumpdev_disk', 'unix://sock'], { cwd: dir });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/failed to load -libraries.*requires 'rumpvfs'/);
  }, 20_000);
});

describe('usage errors exit 1 before anything starts', () => {
  it.each([
    [['sock'], /invalid locator 'sock'/],
    [['tcp://127.0.0.1/'], /missing port specifier/],
    [['-d', 'key=/d,hostpath=x,size=1m,colour=red', 'unix://s'], /invalid token 'colour'/],
    [['-d', 'key=/d,hostpath=x', 'unix://s'], /incomplete drivespec/],
    [['-c', 'zero', 'unix://s'], /-c 'zero'/],
    [['-r', '12q', 'unix://s'], /-r total_ram: '12q' is not a number/],
    [['--mount', 'ffs:/dev/x', 'unix://s'], /expected TYPE:DEVICE:DIR/],
    [[], /missing required argument 'url'/],
    [['unix://a', 'unix://b'], /too many arguments/],
  ])('%j', async (args, msg) => {
    const dir = temp();
    const r = await run('rump_server', args, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(join(dir, 's'))).toBe(false);
  });

  it('rump.halt exits 1 when no server answers', async () => {
    const dir = temp();
    const r = await run('rump.halt', [], { env: { RUMP_SERVER: `unix://${join(dir, 'none')}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rump.halt: init failed/);
    const r2 = await run('rump.halt', [], { env: { RUMP_SERVER: '' } });
    expect(r2.stderr).toMatch(/RUMP_SERVER not set/);
  });
});

describe('-d drives, -m modules', () => {
  it('creates a missing host file 0644 and extends a short one; type=reg shows a host file', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'short.img'), 'abc');
    writeFileSync(join(dir, 'notes.txt'), 'host file contents\n');
    const s = await server('rump_allserver', [
      '-d', 'key=/dev/new,hostpath=new.img,size=2m',
      '-d', 'key=/dev/short,hostpath=short.img,size=1m,offset=4k',
      '-d', 'key=/notes,hostpath=notes.txt,type=reg',
      'unix://sock',
    ], dir);
    const st = statSync(join(dir, 'new.img'));
    expect(st.size).toBe(2 * 1024 * 1024);
    expect(st.mode & 0o777).toBe(0o644 & ~process.umask());
    expect(statSync(join(dir, 'short.img')).size).toBe(4096 + 1024 * 1024);
    expect(readFileSync(join(dir, 'short.img')).subarray(0, 3).toString()).toBe('abc');
    const c = await client(s.url);
    expect((await c.stat('/dev/new')).mode & 0o170000).toBe(0o060000);
    const fd = await c.open('/notes', O_RDONLY);
    const buf = new Uint8Array(100);
    const n = await c.read(fd, buf);
    expect(Buffer.from(buf.subarray(0, n)).toString()).toBe(readFileSync(join(dir, 'notes.txt'), 'utf8'));
    await c.reboot();
    expect(await s.exited).toBe(0);
  }, 20_000);

  it('-m loads a module file through etfs (needs -lrumpvfs), or by name', async () => {
    const dir = temp();
    const modfile = join(PKG, 'node_modules/@rumpts/rumpfs-tmpfs/dist/index.js');
    const s = await server('rump_server', ['-lrumpvfs', '-m', modfile, 'unix://sock'], dir);
    expect((await run('rump.sysctl', ['-n', 'vfs.generic.fstypes'], { env: { RUMP_SERVER: s.url } })).stdout).toMatch(/\btmpfs\b/);
    await (await client(s.url)).reboot();
    expect(await s.exited).toBe(0);
    const bad = await run('rump_server', ['-m', modfile, 'unix://sock2'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/module etfs register failed/);
  }, 20_000);
});

describe.skipIf(!hasMakefs)('an FFS disk made by makefs, mapped by -d, used through the client', () => {
  function makeTree(dir: string): Record<string, Buffer> {
    const files: Record<string, Buffer> = {};
    mkdirSync(join(dir, 'tree/sub'), { recursive: true });
    for (const [name, size] of [['a.txt', 10], ['sub/b.bin', 200_000], ['sub/c', 0]] as const) {
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = (i * 31 + name.length) & 0xff;
      writeFileSync(join(dir, 'tree', name), b);
      files[name] = b;
    }
    return files;
  }

  it('size=host, mounted read-only with --mount', async () => {
    const dir = temp();
    const files = makeTree(dir);
    execFileSync('makefs', ['-t', 'ffs', '-s', '4m', '-o', 'version=2', join(dir, 'ffs.img'), join(dir, 'tree')], { stdio: 'ignore' });
    const s = await server('rump_allserver', ['-d', 'key=/dev/dk,hostpath=ffs.img,size=host', '--mount', 'ffs:/dev/dk:/mnt:ro', 'unix://sock'], dir);
    const c = await client(s.url);
    for (const [name, want] of Object.entries(files)) {
      const fd = await c.open(`/mnt/${name}`, O_RDONLY);
      const got = new Uint8Array(want.length + 1);
      expect(await c.read(fd, got)).toBe(want.length);
      expect(Buffer.compare(got.subarray(0, want.length), want)).toBe(0);
      await c.close(fd);
    }
    await expect(c.open('/mnt/new', O_CREAT | O_WRONLY, 0o644)).rejects.toMatchObject({ code: 'EROFS' });
    expect((await c.statvfs('/mnt')).fstypename).toBe('ffs');
    await c.reboot();
    expect(await s.exited).toBe(0);
  }, 30_000);

  it('disklabel=a finds the partition inside a labelled image', async () => {
    const dir = temp();
    const files = makeTree(dir);
    const fsimg = join(dir, 'fs.img');
    execFileSync('makefs', ['-t', 'ffs', '-s', '4m', '-o', 'version=1', fsimg, join(dir, 'tree')], { stdio: 'ignore' });
    const fs = readFileSync(fsimg);
    const start = 128; // sectors
    const secs = Math.ceil(fs.length / 512);
    const label = makeDiskLabel({ secperunit: start + secs, partitions: { a: { offset: start, size: secs, fstype: 7 } } });
    const disk = join(dir, 'disk.img');
    const fd = openSync(disk, 'w');
    writeSync(fd, encodeDiskLabel(label), 0, undefined, 512);
    writeSync(fd, fs, 0, fs.length, start * 512);
    closeSync(fd);
    const s = await server('rump_allserver', ['-d', 'key=/dev/dka,hostpath=disk.img,disklabel=a', '--mount', 'ffs:/dev/dka:/mnt:ro', 'unix://sock'], dir);
    const c = await client(s.url);
    const st = await c.stat('/mnt/sub/b.bin');
    expect(st.size).toBe(files['sub/b.bin']?.length);
    await c.reboot();
    expect(await s.exited).toBe(0);
    const bad = await run('rump_allserver', ['-s', '-d', 'key=/dev/dkz,hostpath=disk.img,disklabel=z', 'unix://sock'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/partition 'z' not available/);
    const nolabel = await run('rump_allserver', ['-s', '-d', 'key=/dev/dka,hostpath=fs.img,disklabel=a', 'unix://sock'], { cwd: dir });
    expect(nolabel.code).toBe(1);
    expect(nolabel.stderr).toMatch(/disklabel not found/);
  }, 30_000);
});

describe('a client killed mid-write', () => {
  it('the server logs it, closes only that connection, and keeps what was written', async () => {
    const dir = temp();
    const s = await server('rump_allserver', ['unix://sock'], dir);
    const watcher = await client(s.url);
    const before = (await watcher.sysctl('kern.rump.nprocs')) as number;
    const script = `
      import { connect } from ${JSON.stringify(join(PKG, 'dist/index.js'))};
      import { O_CREAT, O_WRONLY } from '@rumpts/librump';
      const c = await connect(${JSON.stringify(s.url)});
      const fd = await c.open('/tmp/victim', O_CREAT | O_WRONLY, 0o644);
      const chunk = new Uint8Array(256 * 1024).fill(0x5a);
      await c.write(fd, chunk);
      process.stdout.write('wrote\\n');
      for (;;) {
        void c.write(fd, chunk);
        await new Promise((r) => setImmediate(r));
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: PKG, stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    await new Promise<void>((res) => child.stdout.on('data', (d: Buffer) => d.toString().includes('wrote') && res()));
    await new Promise((res) => setTimeout(res, 50));
    child.kill('SIGKILL');
    await new Promise((res) => child.on('exit', res));
    for (let i = 0; i < 100 && ((await watcher.sysctl('kern.rump.nprocs')) as number) !== before; i++) await new Promise((res) => setTimeout(res, 20));
    expect(await watcher.sysctl('kern.rump.nprocs')).toBe(before);
    const st = await watcher.stat('/tmp/victim');
    expect(st.size).toBeGreaterThanOrEqual(256 * 1024);
    expect(st.size % (256 * 1024)).toBe(0); // whole write requests only: a torn frame never reaches the kernel
    const fd = await watcher.open('/tmp/victim', O_RDONLY);
    const buf = new Uint8Array(st.size);
    expect(await watcher.read(fd, buf)).toBe(st.size);
    expect(buf.every((b) => b === 0x5a)).toBe(true);
    await watcher.reboot();
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(/vanished mid-request/);
  }, 30_000);
});
