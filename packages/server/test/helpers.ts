import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Kernel, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '@rumpts/etfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { RumpServer, type ServerOptions } from '../src/index.js';

export const PKG = resolve(import.meta.dirname, '..');
export const BIN = {
  rump_server: join(PKG, 'dist/bundle/rump_server.cjs'),
  rump_allserver: join(PKG, 'dist/bundle/rump_allserver.cjs'),
  'rump.halt': join(PKG, 'dist/bundle/rump.halt.cjs'),
  'rump.sysctl': join(PKG, 'dist/bundle/rump.sysctl.cjs'),
} as const;

/**
 * Token files of tcp servers started by the tests go to a private runtime directory, never to the
 * user's own (every spawned server and client inherits it).
 */
export const RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'rsrv-run-'));
process.env['XDG_RUNTIME_DIR'] = RUNTIME_DIR;
delete process.env['RUMP_SERVER_TOKEN'];
process.on('exit', () => rmSync(RUNTIME_DIR, { recursive: true, force: true }));

/** A short temp dir (unix socket paths are limited to 107 bytes). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rsrv-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface InProcess {
  server: RumpServer;
  kernel: Kernel;
  url: string;
  logs: string[];
  dir: string;
  stop(): Promise<void>;
}

/** A server in this process: rumpvfs + etfs + tmpfs, tmpfs mounted at /tmp. */
export async function startInProcess(opts: Partial<ServerOptions> = {}, url?: string): Promise<InProcess> {
  const t = tempDir();
  const kernel = await rump_init({ libraries: [rumpvfs, etfs, tmpfs], ncpu: 2, logger: () => undefined });
  try {
    kernel.proc.mkdir('/tmp', 0o777);
  } catch {
    // rumpfs may already have /tmp
  }
  kernel.proc.mount('tmpfs', '/tmp', 0, {});
  const logs: string[] = [];
  const server = await RumpServer.listen({ kernel, url: url ?? `unix://${join(t.dir, 'sock')}`, log: (l) => logs.push(l), ...opts });
  return {
    server,
    kernel,
    url: server.url.url,
    logs,
    dir: t.dir,
    async stop() {
      await server.halt(0);
      t.cleanup();
    },
  };
}

export interface Spawned {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Start a CLI server in the foreground (-s) and wait until it listens (or exits). */
export async function spawnServer(bin: keyof typeof BIN, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN[bin], ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolveReady) => {
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) resolveReady();
    });
    void exited.then(() => resolveReady());
  });
  return { child, stderr: () => err, exited };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a bin to completion (10 s bound). */
export function run(bin: keyof typeof BIN, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((r) => {
    execFile(process.execPath, [BIN[bin], ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 10_000 }, (e, stdout, stderr) => {
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      r({ code, stdout, stderr });
    });
  });
}
