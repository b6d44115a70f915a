/**
 * The README, done as a newcomer would, on a fresh clone of this checkout (its HEAD commit): every
 * fenced code block of the README is taken from the file and run, in order, so a README change
 * that breaks a step fails here. Nothing is hard-coded that the README could drift from except what
 * each step must show (the files and outputs it names).
 *
 * Time: the clone installs offline from the pnpm store and builds from this checkout's turbo cache;
 * the npm steps (a plugin, an app on the packed tarballs) use npm's cache or the registry.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');

interface Block {
  lang: string;
  code: string;
  /** The README text between the previous block and this one. */
  before: string;
}

/** The fenced code blocks of a markdown file, in order. */
function codeBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    out.push({ lang: m[1] ?? '', code: m[2] ?? '', before: md.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  return out;
}

/** The environment a newcomer's shell has: no test runner's variables, no RUMP_SERVER. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|TEST|RUMP_SERVER|npm_|PNPM_|TURBO_)/i.test(k) || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', NO_COLOR: '1', ...extra };
}

interface Ran {
  status: number | null;
  out: string;
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv, timeout = 240_000): Ran {
  const r = spawnSync('sh', ['-ec', script], { cwd, env, encoding: 'utf8', timeout });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `pnpm start` in the background (its own process group), resolved once the server listens. */
class MainJob {
  readonly child: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('pnpm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const add = (d: Buffer): void => {
      this.log += d.toString();
    };
    this.child.stdout?.on('data', add);
    this.child.stderr?.on('data', add);
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  async listening(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.log.includes('listening on') && this.child.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(this.log, 'pnpm start did not reach "listening on"').toContain('listening on');
  }

  /** Stop everything it started (the whole process group), as a crash would. */
  kill9(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async ended(ms: number): Promise<number | null> {
    return Promise.race([this.exited, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  }
}

describe('the README on a fresh clone', () => {
  let work: string;
  let clone: string;
  let env: NodeJS.ProcessEnv;
  let blocks: Block[];
  const jobs: MainJob[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'rumpts-readme-'));
    clone = join(work, 'rumpts');
    execFileSync('git', ['clone', '--quiet', REPO, clone], { stdio: 'pipe' });
    // The build comes from this checkout's turbo cache (a worktree shares its main checkout's).
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: REPO, encoding: 'utf8' }).trim();
    env = shellEnv({ TURBO_CACHE_DIR: join(dirname(common), '.turbo', 'cache'), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
    blocks = codeBlocks(readFileSync(join(clone, 'README.md'), 'utf8'));
  });

  afterAll(() => {
    for (const j of jobs) j.kill9();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has only blocks this test runs: setup, from another shell, first look, tarballs, plugin', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'sh', 'js', 'sh', 'sh']);
  });

  it('two commands: pnpm install, then pnpm start serves the disk', async () => {
    const setup = blocks[0] as Block;
    const lines = setup.code.trim().split('\n');
    const want = (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1];
    const re = /^npm install -g pnpm@(\S+) && pnpm install && pnpm (start|test)\s+#/;
    expect(lines.map((l) => re.exec(l)?.slice(1))).toEqual([[want, 'start'], [want, 'test']]);
    // `npm install -g pnpm@…` is done when pnpm has that version already; `pnpm test` is this suite.
    expect(execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim()).toBe(want);
    const install = sh('pnpm install --offline --frozen-lockfile', clone, env);
    expect(install.status, install.out).toBe(0);
    expect(install.out).not.toMatch(/Failed to create bin/);
    for (const bin of ['fsu', 'rump_server', 'rump_allserver', 'rump.halt', 'rump.sysctl']) {
      expect(existsSync(join(clone, 'node_modules', '.bin', bin)), `${bin} linked by pnpm install`).toBe(true);
    }
    const job = new MainJob(clone, env);
    jobs.push(job);
    await job.listening(240_000);
  });

  it('from another shell: each command works against the running server, rump.halt stops it', async () => {
    const job = jobs[0] as MainJob;
    const lines = (blocks[1] as Block).code.split('\n').filter((l) => l.trim() !== '');
    const expectations: [RegExp, (out: string) => void][] = [
      [/--server \S+ ls -l \/mnt/, (out) => expect(out).toContain('lost+found')],
      [/rump\.sysctl/, (out) => expect(out).toContain('kern.ostype = NetBSD')],
      [/fsu ls -l \.rumpts\/disk\.img/, (out) => expect(out).toContain('hello.txt')],
      [/fsu cat \.rumpts\/disk\.img \/hello\.txt/, (out) => expect(out).toBe('hello from the host\n')],
    ];
    for (const line of lines) {
      const r = sh(line, clone, env, 60_000);
      expect(r.status, `${line}\n${r.out}`).toBe(0);
      for (const [re, check] of expectations) if (re.test(line)) check(r.out);
      if (/rump\.halt/.test(line)) expect(await job.ended(20_000), `pnpm start after rump.halt:\n${job.log}`).toBe(0);
    }
    expect(job.log).toContain('halted');
  });

  it('a first look: the script runs and prints what its comments say', () => {
    const b = blocks[2] as Block;
    const file = /`node ([\w.-]+\.mjs)`/.exec(b.before)?.[1];
    expect(file).toBeDefined();
    writeFileSync(join(clone, file as string), b.code);
    const r = spawnSync(process.execPath, [file as string], { cwd: clone, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const said = [...b.code.matchAll(/console\.log\(.*\/\/ '([^']*)'/g)].map((m) => m[1] as string);
    expect(said.length).toBeGreaterThan(0);
    for (const text of said) expect(r.stdout).toContain(text);
  });

  it('pnpm start after a kill -9: the log replays, nothing written before the crash is lost; a second writer is refused', async () => {
    const job = new MainJob(clone, env);
    jobs.push(job);
    await job.listening(120_000);
    const url = 'unix://.rumpts/sock';
    writeFileSync(join(clone, 'crash.txt'), 'written before the crash\n');
    const steps = [
      `pnpm exec fsu --server ${url} put crash.txt /mnt/crash.txt`,
      `RUMP_SERVER=${url} pnpm exec rump.sysctl -w vfs.sync.delay=1`,
    ];
    for (const s of steps) expect(sh(s, clone, env, 60_000).status, s).toBe(0);
    const second = sh('pnpm exec fsu touch .rumpts/disk.img /x', clone, env, 60_000);
    expect(second.status).toBe(1);
    expect(second.out).toMatch(/image in use: pid \d+ \(.*rump_allserver/);
    await new Promise((r) => setTimeout(r, 2500)); // the syncer's delay, now 1 s
    job.kill9();
    await job.ended(10_000);
    const again = new MainJob(clone, env);
    jobs.push(again);
    await again.listening(120_000);
    expect(again.log).toContain('replaying log to disk');
    const cat = sh(`pnpm exec fsu --server ${url} cat /mnt/crash.txt`, clone, env, 60_000);
    expect(cat.out).toBe('written before the crash\n');
    expect(sh(`RUMP_SERVER=${url} pnpm exec rump.halt`, clone, env, 60_000).status).toBe(0);
    expect(await again.ended(20_000)).toBe(0);
  });

  it('the packages in your own project: the packed tarballs install with npm, commands included', () => {
    const r = sh((blocks[3] as Block).code, clone, env, 240_000);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('hello.txt');
    for (const bin of ['fsu', 'rump_server', 'rump_allserver', 'rump.halt', 'rump.sysctl']) {
      expect(existsSync(join(work, 'my-app', 'node_modules', '.bin', bin)), `${bin} from the tarballs`).toBe(true);
    }
    const usage = spawnSync(join(work, 'my-app', 'node_modules', '.bin', 'rump_server'), ['--help'], { cwd: join(work, 'my-app'), env, encoding: 'utf8' });
    expect(usage.status).toBe(0);
    expect(usage.stdout).toContain('Usage: rump_server');
    const cjs = spawnSync(process.execPath, ['-e', "require('@rumpts/librump')"], { cwd: join(work, 'my-app'), env, encoding: 'utf8' });
    expect(cjs.status).not.toBe(0);
    expect(cjs.stderr).toContain('@rumpts/librump is an ES module (ESM-only package)');
  });

  it('writing your own file system: the scaffold from the tarballs installs, builds and passes its tests', () => {
    const r = sh((blocks[4] as Block).code, clone, env, 300_000);
    expect(r.status, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/conformance\.test\.ts/);
    expect(r.out).toMatch(/Tests\s+\d+ passed/);
  });
});
