/**
 * isomorphic-git (which takes any node:fs-like `fs`) working on a tmpfs inside a rump kernel: init,
 * add, commit, branch, checkout. The repository is then copied out through the kernel's own system
 * calls and checked by the host's git (fsck, log, show): an independent reader of what was written.
 */
import { execFileSync } from 'node:child_process';
import * as host from 'node:fs';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import type { RumpFs } from '../src/index.js';
import { exportTree, hostTmp, kernelRead, tmpfsFs } from './helpers.js';

const author = { name: 'Rump Tester', email: 'rump@example.org', timestamp: 1_700_000_000, timezoneOffset: 0 };

function hostGit(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } });
}

describe('isomorphic-git on the facade', () => {
  it('inits, adds and commits into tmpfs; the host git reads the same history', async () => {
    const { fs, handle } = await tmpfsFs();
    const dir = '/repo';
    await git.init({ fs, dir, defaultBranch: 'main' });
    fs.mkdirSync(`${dir}/src/lib`, { recursive: true });
    fs.writeFileSync(`${dir}/README.md`, '# hello from a rump kernel\n');
    fs.writeFileSync(`${dir}/src/lib/data.bin`, Buffer.alloc(70_000, 0xa5));
    fs.symlinkSync('README.md', `${dir}/link`);
    await git.add({ fs, dir, filepath: '.' });
    const c1 = await git.commit({ fs, dir, message: 'first', author });

    fs.appendFileSync(`${dir}/README.md`, 'second line\n');
    await git.add({ fs, dir, filepath: 'README.md' });
    await git.remove({ fs, dir, filepath: 'src/lib/data.bin' });
    fs.unlinkSync(`${dir}/src/lib/data.bin`);
    const c2 = await git.commit({ fs, dir, message: 'second', author: { ...author, timestamp: author.timestamp + 60 } });

    const log = await git.log({ fs, dir });
    expect(log.map((e) => e.oid)).toEqual([c2, c1]);
    expect(await git.statusMatrix({ fs, dir })).toEqual([
      ['README.md', 1, 1, 1],
      ['link', 1, 1, 1],
    ]);
    // the ref file, read straight through the kernel
    expect(kernelRead(handle.proc, `${dir}/.git/refs/heads/main`).toString().trim()).toBe(c2);

    // copy out through the kernel and let the host's git judge
    const out = join(hostTmp(), 'repo');
    exportTree(handle.proc, dir, out);
    hostGit(out, 'fsck', '--strict', '--no-progress');
    expect(hostGit(out, 'log', '--format=%H %s').trim().split('\n')).toEqual([`${c2} second`, `${c1} first`]);
    expect(hostGit(out, 'show', `${c1}:README.md`)).toBe('# hello from a rump kernel\n');
    expect(hostGit(out, 'show', `${c2}:README.md`)).toBe('# hello from a rump kernel\nsecond line\n');
    expect(hostGit(out, 'cat-file', '-s', `${c1}:src/lib/data.bin`).trim()).toBe('70000');
    expect(hostGit(out, 'ls-tree', c1, 'link')).toMatch(/^120000 blob /);
    expect(hostGit(out, 'status', '--porcelain')).toBe('');
  });

  it('reads a repository the host git made, after the facade copied it in', async () => {
    const src = join(hostTmp(), 'src');
    execFileSync('git', ['init', '-q', '-b', 'trunk', src]);
    const files: Record<string, string> = { 'a.txt': 'alpha\n', 'dir/b.txt': 'beta\n' };
    for (const [name, body] of Object.entries(files)) {
      host.mkdirSync(dirname(join(src, name)), { recursive: true });
      host.writeFileSync(join(src, name), body);
    }
    hostGit(src, 'add', '.');
    hostGit(src, '-c', 'user.name=Host', '-c', 'user.email=host@example.org', 'commit', '-q', '-m', 'from host');
    hostGit(src, 'gc', '-q'); // packed objects and packed refs: the harder reading path
    const head = hostGit(src, 'rev-parse', 'HEAD').trim();

    const { fs } = await tmpfsFs();
    copyIn(fs, src, '/clone');
    const dir = '/clone';
    expect(await git.resolveRef({ fs, dir, ref: 'HEAD' })).toBe(head);
    const [entry] = await git.log({ fs, dir });
    expect(entry?.commit.message).toBe('from host\n');
    const { blob } = await git.readBlob({ fs, dir, oid: head, filepath: 'dir/b.txt' });
    expect(Buffer.from(blob).toString()).toBe('beta\n');
    // check out a new branch and modify: the work tree is written through the facade
    await git.branch({ fs, dir, ref: 'feature', checkout: true });
    fs.writeFileSync(`${dir}/a.txt`, 'changed\n');
    expect(await git.status({ fs, dir, filepath: 'a.txt' })).toBe('*modified');
    await git.checkout({ fs, dir, ref: 'trunk', force: true });
    expect(fs.readFileSync(`${dir}/a.txt`, 'utf8')).toBe('alpha\n');
  });
});

/** Copy a host tree into the rump fs with plain facade calls. */
function copyIn(fs: RumpFs, from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const d of host.readdirSync(from, { withFileTypes: true })) {
    const s = join(from, d.name);
    const t = `${to}/${d.name}`;
    if (d.isDirectory()) copyIn(fs, s, t);
    else if (d.isSymbolicLink()) fs.symlinkSync(host.readlinkSync(s), t);
    else fs.writeFileSync(t, host.readFileSync(s), { mode: host.statSync(s).mode & 0o777 });
  }
}
