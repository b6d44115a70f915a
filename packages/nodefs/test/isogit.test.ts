/**
 * isomorphic-git (which takes any node:fs-like `fs`) working on a tmpfs inside a rump kernel: init,
 * add, commit, branch, checkout. The repository is then copied out through the kernel's own system
 * calls and checked by the host's git (fsck, log, show): an independent reader of what was written.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as host from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
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

/** A pkt-line (git's protocol framing): 4 hex digits of length, then the payload. */
function pkt(line: string): string {
  return (line.length + 4).toString(16).padStart(4, '0') + line;
}

/**
 * Git's smart HTTP protocol for one repository, served by the host's `git upload-pack`: what a
 * `git clone http://…` talks to, and what isomorphic-git's http client speaks.
 */
async function serveRepo(repo: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const run = (args: string[], body?: Buffer): void => {
      const p = spawn('git', ['upload-pack', '--stateless-rpc', ...args, repo]);
      p.stdout.pipe(res);
      p.stdin.end(body);
    };
    if (req.method === 'GET' && req.url?.startsWith('/repo.git/info/refs?service=git-upload-pack')) {
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement', 'cache-control': 'no-cache' });
      res.write(`${pkt('# service=git-upload-pack\n')}0000`);
      run(['--advertise-refs']);
      return;
    }
    if (req.method === 'POST' && req.url === '/repo.git/git-upload-pack') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result', 'cache-control': 'no-cache' });
        run([], Buffer.concat(chunks));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`, server };
}

/** Every file of a work tree (not .git): path → contents, as the host sees it. */
function workTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of host.readdirSync(dir, { recursive: true }) as string[]) {
    if (name === '.git' || name.startsWith('.git/')) continue;
    const p = join(dir, name);
    const st = host.lstatSync(p);
    if (st.isSymbolicLink()) out[name] = `-> ${host.readlinkSync(p)}`;
    else if (st.isFile()) out[name] = `${(st.mode & 0o111) !== 0 ? 'x ' : ''}${host.readFileSync(p, 'utf8')}`;
  }
  return out;
}

describe('isomorphic-git clone over HTTP, into the facade and into a host directory', () => {
  it('clones, checks out a branch and commits: the same objects and work tree on both', async () => {
    // a host repository with history on two branches, an executable, a symlink, packed by gc
    const src = join(hostTmp(), 'origin');
    execFileSync('git', ['init', '-q', '-b', 'main', src]);
    const commit = (msg: string): void => void hostGit(src, '-c', 'user.name=Origin', '-c', 'user.email=o@example.org', 'commit', '-q', '-a', '-m', msg);
    host.writeFileSync(join(src, 'README'), 'origin\n');
    host.mkdirSync(join(src, 'bin'));
    host.writeFileSync(join(src, 'bin/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    host.symlinkSync('README', join(src, 'readme-link'));
    hostGit(src, 'add', '.');
    commit('first');
    hostGit(src, 'checkout', '-q', '-b', 'feature');
    host.writeFileSync(join(src, 'feature.txt'), 'only on feature\n'.repeat(2000));
    hostGit(src, 'add', '.');
    commit('feature work');
    hostGit(src, 'checkout', '-q', 'main');
    host.appendFileSync(join(src, 'README'), 'more\n');
    commit('second');
    hostGit(src, 'gc', '-q');
    const { url, server } = await serveRepo(src);
    try {
      const me = { name: 'Cloner', email: 'c@example.org', timestamp: 1_700_000_500, timezoneOffset: -60 };
      /** The same work, on whichever fs: clone, check out `feature`, change a file, commit. */
      const work = async (fs: RumpFs | typeof host, dir: string): Promise<string> => {
        await git.clone({ fs, http, dir, url });
        expect((await git.log({ fs, dir })).map((e) => e.commit.message.trim())).toEqual(['second', 'first']);
        await git.checkout({ fs, dir, ref: 'feature' });
        fs.writeFileSync(`${dir}/feature.txt`, 'rewritten in the clone\n');
        await git.add({ fs, dir, filepath: 'feature.txt' });
        return git.commit({ fs, dir, message: 'from the clone', author: me });
      };
      const hostDir = join(hostTmp(), 'clone');
      const expected = await work(host, hostDir);
      const { fs, handle } = await tmpfsFs();
      const actual = await work(fs, '/clone');
      // same tree, same parent, same author and time: the very same commit id
      expect(actual).toBe(expected);
      const out = join(hostTmp(), 'exported');
      exportTree(handle.proc, '/clone', out);
      hostGit(out, 'fsck', '--strict', '--no-progress');
      expect(hostGit(out, 'log', '--format=%H %s', 'HEAD').trim().split('\n')).toEqual(hostGit(hostDir, 'log', '--format=%H %s', 'HEAD').trim().split('\n'));
      expect(hostGit(out, 'branch', '--format=%(refname:short)').trim().split('\n').sort()).toEqual(['feature', 'main']);
      expect(workTree(out)).toEqual(workTree(hostDir));
      expect(workTree(out)['bin/run.sh']).toBe('x #!/bin/sh\necho run\n');
      expect(hostGit(out, 'status', '--porcelain')).toBe('');
    } finally {
      server.close();
    }
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
