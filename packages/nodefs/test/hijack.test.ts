/**
 * The hijack on an unmodified program (test/fixtures/app.mjs, plain node:fs / fs/promises / require
 * / streams). It runs twice: on a host directory without the hijack (the oracle), and under
 * `node --import …/hijack` on /rump/… with RUMP_SERVER set. Outputs must agree; a separate client
 * then finds the files on the server, and nothing appeared on the host under /rump.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from '@rumpts/server';
import { hostTmp } from './helpers.js';
import { DIST, startServer } from './server.js';

const APP = join(import.meta.dirname, 'fixtures', 'app.mjs');

function runApp(dir: string, hostFile: string, env: NodeJS.ProcessEnv, hijack: boolean): Record<string, unknown> {
  const args = [...(hijack ? ['--import', join(DIST, 'hijack.js')] : []), APP, dir, hostFile];
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

  it('refuses to start without a reachable server, like rumphijack', () => {
    expect(() =>
      execFileSync(process.execPath, ['--import', join(DIST, 'hijack.js'), '-e', '0'], {
        env: { ...process.env, RUMP_SERVER: 'unix:///nonexistent/sock' },
        stdio: 'pipe',
      }),
    ).toThrow(/ENOENT/);
  });
});
