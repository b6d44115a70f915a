/** `fsu --server URL <command> …`: the fs-utils commands against a running rump server. */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('a server that is not there is an operation error', async () => {
    const r = await fsu(['--server', 'unix:///nonexistent/sock', 'ls', '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fsu: /);
  });
});
