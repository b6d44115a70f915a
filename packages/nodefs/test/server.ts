/** A rump_allserver (the @rumpts/server CLI) in a child process, with tmpfs mounted on /mnt. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { hostTmp } from './helpers.js';

const require = createRequire(import.meta.url);
const SERVER_PKG = dirname(require.resolve('@rumpts/server/package.json'));
export const RUMP_ALLSERVER = join(SERVER_PKG, 'dist/cli/rump_allserver.js');
/** The built package: the remote process runs its worker from dist (a worker cannot load .ts). */
export const DIST = join(import.meta.dirname, '..', 'dist');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/**
 * `tcp`: on 127.0.0.1 with the token the server generates, written under `dir` (XDG_RUNTIME_DIR);
 * the url printed is the one returned.
 */
export async function startServer(tcp = false): Promise<{ url: string; dir: string }> {
  const dir = hostTmp();
  let url = tcp ? 'tcp://127.0.0.1:0/' : `unix://${join(dir, 'sock')}`;
  const env = tcp ? { ...process.env, XDG_RUNTIME_DIR: dir } : process.env;
  const child = spawn(process.execPath, [RUMP_ALLSERVER, '-s', '--mount', 'tmpfs:tmpfs:/mnt', url], { stdio: ['ignore', 'ignore', 'pipe'], env });
  children.push(child);
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m?.[1]) {
        url = m[1];
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`rump_allserver exited ${code}: ${err}`)));
  });
  return { url, dir };
}
