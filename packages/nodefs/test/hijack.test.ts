/**
 * The hijack on an unmodified program (test/fixtures/app.mjs, plain node:fs / fs/promises / require
 * / streams). It runs twice: on a host directory without the hijack (the oracle), and under
 * `node --import …/hijack` on /rump/… with RUMP_SERVER set. Outputs must agree; a separate client
 * then finds the files on the server, and nothing appeared on the host under /rump.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from '@rumpts/rumpclient';
import { createFs, type RumpFs } from '../src/index.js';
import { hostTmp } from './helpers.js';
import { DIST, startServer } from './server.js';

const APP = join(import.meta.dirname, 'fixtures', 'app.mjs');
const FSEXTRA_APP = join(import.meta.dirname, 'fixtures', 'fsextra-app.mjs');
/** isomorphic-git's own command-line tool: third-party code that does `require('fs')` and nothing else. */
const ISOGIT_CLI = join(dirname(createRequire(import.meta.url).resolve('isomorphic-git')), 'cli.cjs');

/** Copy a tree out of the facade onto the host (promises only: this facade is over the async client). */
async function copyOut(fs: RumpFs, from: string, to: string): Promise<void> {
  mkdirSync(to, { recursive: true });
  for (const d of await fs.promises.readdir(from, { withFileTypes: true })) {
    if (d.isDirectory()) await copyOut(fs, `${from}/${d.name}`, join(to, d.name));
    else writeFileSync(join(to, d.name), await fs.promises.readFile(`${from}/${d.name}`));
  }
}

function runApp(dir: string, hostFile: string, env: NodeJS.ProcessEnv, hijack: boolean, app = APP): Record<string, unknown> {
  const args = [...(hijack ? ['--import', join(DIST, 'hijack.js')] : []), app, dir, hostFile];
  const out = execFileSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.replaceAll(dir, '<dir>')) as Record<string, unknown>;
}

describe('node --import @rumpts/nodefs/hijack', () => {
  it('routes an unmodified program’s /rump paths to the server and leaves the host alone', async () => {
    const { url } = await startServer();
    const work = hostTmp();
    const hostFile = join(work, 'host.bin');
    writeFileSync(hostFile, Buffer.from(Array.from({ length: 200_000 }, (_, i) => i & 0xff)));

    const oracle = runApp(join(work, 'app'), hostFile, {}, false);
    const hijacked = runApp('/rump/mnt/app', hostFile, { RUMP_SERVER: url }, true);

    // what differs by design: kernel descriptors are shifted, and a rename out of /rump is EXDEV
    expect(hijacked['fdIsBig']).toBe(true);
    expect(hijacked['crossRename']).toBe('EXDEV');
    expect(oracle['crossRename']).toBe('ENOENT'); // on the host the target directory is just missing
    for (const k of Object.keys(oracle)) if (k !== 'fdIsBig' && k !== 'crossRename') expect(hijacked[k], k).toEqual(oracle[k]);

    const c = await connect(url);
    expect((await c.stat('/mnt/app/copied-from-host')).size).toBe(200_000);
    expect((await c.stat('/mnt/app/sub/deeper/moved.txt')).size).toBe(37);
    await c.disconnect();
    expect(existsSync('/rump')).toBe(false);
    expect(existsSync(join(work, 'app', 'hello.txt'))).toBe(true);
  });

  it('runs an unmodified fs-extra program (graceful-fs over the patched node:fs) the same as on the host', async () => {
    const { url } = await startServer();
    const oracle = runApp(join(hostTmp(), 'app'), '', {}, false, FSEXTRA_APP);
    const hijacked = runApp('/rump/mnt/app', '', { RUMP_SERVER: url }, true, FSEXTRA_APP);
    expect(hijacked).toEqual(oracle);
    const c = await connect(url);
    try {
      expect((await c.stat('/mnt/app/moved/b/c.txt')).size).toBe(4);
      await expect(c.stat('/mnt/app/empty')).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await c.disconnect();
    }
    expect(existsSync('/rump')).toBe(false);
  });

  it('runs isomorphic-git’s own CLI, unmodified, on a repository in the server', async () => {
    const { url } = await startServer();
    const env = { ...process.env, RUMP_SERVER: url };
    const hijacked = (...args: string[]): string =>
      execFileSync(process.execPath, ['--import', join(DIST, 'hijack.js'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const dir = '--dir=/rump/mnt/repo';
    hijacked(ISOGIT_CLI, 'init', dir);
    hijacked('-e', "require('fs').writeFileSync('/rump/mnt/repo/a.txt', 'hello from an unmodified CLI\\n')");
    hijacked(ISOGIT_CLI, 'add', dir, '--filepath=a.txt');
    const oid = (JSON.parse(hijacked(ISOGIT_CLI, 'commit', dir, '--message=first', '--author.name=Cli', '--author.email=cli@example.org')) as string).trim();
    const log = JSON.parse(hijacked(ISOGIT_CLI, 'log', dir)) as { oid: string }[];
    expect(log.map((e) => e.oid)).toEqual([oid]);

    // copy the repository out of the server and let the host's git judge it
    const client = await connect(url);
    const out = join(hostTmp(), 'repo');
    try {
      await copyOut(createFs(client), '/mnt/repo', out);
    } finally {
      await client.disconnect();
    }
    const git = (...a: string[]): string => execFileSync('git', ['-C', out, ...a], { encoding: 'utf8', env: { ...process.env, HOME: out } });
    git('fsck', '--strict', '--no-progress');
    expect(git('log', '--format=%H %an %s').trim()).toBe(`${oid} Cli first`);
    expect(git('show', 'HEAD:a.txt')).toBe('hello from an unmodified CLI\n');
    expect(existsSync('/rump')).toBe(false);
  });

  it('refuses to start without a reachable server, like rumphijack', () => {
    expect(() =>
      execFileSync(process.execPath, ['--import', join(DIST, 'hijack.js'), '-e', '0'], {
        env: { ...process.env, RUMP_SERVER: 'unix:///nonexistent/sock' },
        stdio: 'pipe',
      }),
    ).toThrow(/ENOENT/);
  });
});
