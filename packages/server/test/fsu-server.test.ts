/** `fsu --server URL <command> …`: the fs-utils commands against a running rump server. */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG, startInProcess } from './helpers.js';

const require = createRequire(import.meta.url);
const ukfsDir = dirname(require.resolve('@rumpts/ukfs/package.json'));
const FSU = join(ukfsDir, (JSON.parse(readFileSync(join(ukfsDir, 'package.json'), 'utf8')) as { bin: { fsu: string } }).bin.fsu);

function fsu(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((r) => {
    const child = execFile(process.execPath, [FSU, ...args], { cwd: PKG, timeout: 30_000, env: { ...process.env, ...env } }, (e, stdout, stderr) => {
      r({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('fsu --server', () => {
  it('put, ls, cat, mkdir -p, mv, write, get, rm -r, df against a server', async () => {
    const s = await startInProcess();
    try {
      const host = join(s.dir, 'host');
      mkdirSync(join(host, 'sub'), { recursive: true });
      writeFileSync(join(host, 'a.txt'), 'alpha\n');
      writeFileSync(join(host, 'sub', 'b.txt'), 'beta\n');
      expect((await fsu(['--server', s.url, 'put', '-r', host, '/tmp/copy'])).code).toBe(0);
      expect((await fsu(['--server', s.url, 'ls', '/tmp/copy'])).stdout).toBe('a.txt\nsub\n');
      expect((await fsu(['--server', s.url, 'cat', '/tmp/copy/sub/b.txt'])).stdout).toBe('beta\n');
      expect((await fsu(['--server', s.url, 'mkdir', '-p', '/tmp/x/y/z'])).code).toBe(0);
      expect((await fsu(['--server', s.url, 'mv', '/tmp/copy/a.txt', '/tmp/x/y'])).code).toBe(0);
      expect((await fsu(['--server', s.url, 'write', '-a', '/tmp/x/y/a.txt'], 'more\n')).code).toBe(0);
      const out = join(s.dir, 'out.txt');
      expect((await fsu(['--server', s.url, 'get', '/tmp/x/y/a.txt', out])).code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('alpha\nmore\n');
      // The same files seen from inside the server's kernel.
      expect(s.kernel.proc.stat('/tmp/x/y/a.txt').size).toBe(11);
      expect((await fsu(['--server', s.url, 'rm', '-r', '/tmp/copy'])).code).toBe(0);
      expect(() => s.kernel.proc.stat('/tmp/copy')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect((await fsu(['--server', s.url, 'df'])).stdout).toMatch(/rumpfs|tmpfs/);
      const missing = await fsu(['--server', s.url, 'cat', '/tmp/nope']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('fsu: /tmp/nope: No such file or directory\n');
      expect((await fsu(['--server', s.url, 'disklabel'])).code).toBe(2);
    } finally {
      await s.stop();
    }
  });

  for (const protocol of ['rumpts', 'sysproxy']) {
    it(`${protocol}: names that are not valid UTF-8 go through put -r and get -r as their exact bytes`, async () => {
      const s = await startInProcess();
      try {
        const host = join(s.dir, 'host');
        const at = (...parts: (string | number[])[]): Buffer => Buffer.concat([Buffer.from(`${host}/`), ...parts.map((p) => Buffer.from(p))]);
        mkdirSync(host);
        writeFileSync(at('caf', [0xe9]), 'e9');
        writeFileSync(at('caf', [0xe8]), 'e8');
        writeFileSync(at('caf\uFFFD'), 'real');
        mkdirSync(at('d', [0xff]));
        writeFileSync(at('d', [0xff], '/x', [0xe0]), 'inner');
        const env = { RUMP_PROTOCOL: protocol };
        const put = await fsu(['--server', s.url, 'put', '-r', host, '/tmp/n'], undefined, env);
        expect(put.stderr).toBe('');
        expect((await fsu(['--server', s.url, 'ls', '/tmp/n'], undefined, env)).stdout).toBe('caf\\xe8\ncaf\\xe9\ncaf\uFFFD\nd\\xff\n');
        expect(s.kernel.proc.stat('/tmp/n/d\uDCFF/x\uDCE0').size).toBe(5);
        const out = join(s.dir, 'out');
        const get = await fsu(['--server', s.url, 'get', '-r', '/tmp/n', out], undefined, env);
        expect(get.stderr).toBe('');
        const back = (p: Buffer): string => readFileSync(Buffer.concat([Buffer.from(`${out}/`), p]), 'utf8');
        expect(readdirSync(out, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort()).toEqual(readdirSync(host, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort());
        expect([back(Buffer.from('caf\xe9', 'latin1')), back(Buffer.from('caf\xe8', 'latin1')), back(Buffer.from('caf\uFFFD')), back(Buffer.from('d\xff/x\xe0', 'latin1'))]).toEqual(['e9', 'e8', 'real', 'inner']);
      } finally {
        await s.stop();
      }
    });
  }

  it('tcp: fsu reads the token file the server wrote; without it the server refuses', async () => {
    const s = await startInProcess({}, 'tcp://127.0.0.1:0/');
    try {
      expect(s.server.tokenFile).toBeDefined();
      expect((await fsu(['--server', s.url, 'mkdir', '/tmp/over-tcp'])).code).toBe(0);
      expect((await fsu(['--server', s.url, 'ls', '/tmp'])).stdout).toBe('over-tcp\n');
      const denied = await fsu(['--server', s.url, 'ls', '/tmp'], undefined, { XDG_RUNTIME_DIR: s.dir });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^fsu: .*no token given.*set RUMP_SERVER_TOKEN/);
    } finally {
      await s.stop();
    }
  });

  it('RUMP_PROTOCOL=sysproxy: the same commands over NetBSD\'s protocol', async () => {
    const s = await startInProcess();
    try {
      const env = { RUMP_PROTOCOL: 'sysproxy' };
      expect((await fsu(['--server', s.url, 'write', '/tmp/sp.txt'], 'over sysproxy\n', env)).code).toBe(0);
      expect((await fsu(['--server', s.url, 'mkdir', '-p', '/tmp/d/e'], undefined, env)).code).toBe(0);
      expect((await fsu(['--server', s.url, 'ls', '/tmp'], undefined, env)).stdout).toBe('d\nsp.txt\n');
      expect((await fsu(['--server', s.url, 'cat', '/tmp/sp.txt'], undefined, env)).stdout).toBe('over sysproxy\n');
      expect(s.kernel.proc.stat('/tmp/d/e').mode & 0o170000).toBe(0o040000);
      const bad = await fsu(['--server', s.url, 'ls', '/tmp'], undefined, { RUMP_PROTOCOL: 'nfs' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/RUMP_PROTOCOL must be rumpts or sysproxy/);
    } finally {
      await s.stop();
    }
  });

  it('a server that is not there is an operation error', async () => {
    const r = await fsu(['--server', 'unix:///nonexistent/sock', 'ls', '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fsu: /);
  });
});
