/**
 * The plugin scaffold (tools/create-rumpfs) — tested here because tools/ is not a workspace package
 * and this package is the project's own "written from the outside" file system. The generated
 * package must type-check and build with this checkout's TypeScript, load by path, by its rump
 * library name (an unscoped `rumpfs-<name>` installed beside the program) and through ukfs's
 * modloadDir, mount, and pass its own tests — the conformance kit included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_RDWR, rump_init } from '@rumpts/librump';
// ukfs is above this package (fsu links cd9660 in): not a dependency, it resolves from the
// workspace root, which has every package, and turbo builds it before these tests (turbo.json).
import { UkfsLib } from '@rumpts/ukfs';
import { REPO, tempDir } from './helpers.js';

const TOOL = join(REPO, 'tools/create-rumpfs/index.mjs');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const VITEST = join(REPO, 'node_modules/vitest/vitest.mjs');
const READY = existsSync(join(REPO, 'packages/librump/dist/index.js')) && existsSync(join(REPO, 'packages/rumpvfs/dist/index.js')) && existsSync(TSC);

const tmp = tempDir('scaffold');
afterAll(() => tmp.cleanup());

function run(cmd: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** What `npm install` would give the package, from this checkout: links into node_modules. */
function linkDeps(pkgDir: string): void {
  mkdirSync(join(pkgDir, 'node_modules/@rumpts'), { recursive: true });
  mkdirSync(join(pkgDir, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(REPO, 'packages/librump'), join(pkgDir, 'node_modules/@rumpts/librump'));
  symlinkSync(join(REPO, 'packages/rumpvfs'), join(pkgDir, 'node_modules/@rumpts/rumpvfs'));
  symlinkSync(join(REPO, 'node_modules/typescript'), join(pkgDir, 'node_modules/typescript'));
  symlinkSync(join(REPO, 'node_modules/vitest'), join(pkgDir, 'node_modules/vitest'));
  symlinkSync(join(REPO, 'node_modules/@types/node'), join(pkgDir, 'node_modules/@types/node'));
}

describe('create-rumpfs', () => {
  it('refuses bad names and unknown options with usage status 2', () => {
    for (const args of [[], ['My-FS'], ['1fs'], ['ok', '--bogus'], ['ok', '--scope', 'noat']]) {
      const r = run(process.execPath, [TOOL, ...args], tmp.dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.out).toMatch(/^create-rumpfs: /);
    }
  });

  describe.skipIf(!READY)('a generated package', () => {
    const pkgDir = join(tmp.dir, 'rumpfs-demofs');
    beforeAll(() => {
      const r = run(process.execPath, [TOOL, 'demofs'], tmp.dir);
      expect(r.status, r.out).toBe(0);
      linkDeps(pkgDir);
    }, 60_000);

    it('has the publishable shape: unscoped rumpfs-<name>, exports map to dist, files, engines, license', () => {
      const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(pj['name']).toBe('rumpfs-demofs');
      expect(pj['exports']).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' });
      expect(pj['files']).toEqual(['dist', 'README.md']);
      expect(pj['engines']).toEqual({ node: '>=20' });
      expect(pj['license']).toBe('BSD-2-Clause');
      const version = (JSON.parse(readFileSync(join(REPO, 'packages/rumpvfs/package.json'), 'utf8')) as { version: string }).version;
      // The kernel packages are peers: the program's own librump/rumpvfs must be the ones the plugin uses.
      expect((pj['peerDependencies'] as Record<string, string>)['@rumpts/rumpvfs']).toBe(`^${version}`);
      // Writing into a non-empty directory needs --force.
      expect(run(process.execPath, [TOOL, 'demofs'], tmp.dir).status).toBe(2);
    });

    it('type-checks (src and tests) and builds to dist/', () => {
      const check = run(process.execPath, [TSC, '-p', 'tsconfig.json'], pkgDir);
      expect(check.status, check.out).toBe(0);
      const build = run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], pkgDir);
      expect(build.status, build.out).toBe(0);
      expect(existsSync(join(pkgDir, 'dist/index.js'))).toBe(true);
    }, 120_000);

    it('loads with kernel.modload(path), mounts, and round-trips a file; unloads after unmount', async () => {
      const k = await rump_init({ libraries: ['rumpvfs'], moduleBase: REPO });
      expect(await k.modload(pkgDir)).toBe(1);
      const p = k.proc;
      p.mkdir('/mnt', 0o755);
      p.mount('demofs', '/mnt', 0, {});
      const fd = p.open('/mnt/f', O_CREAT | O_RDWR, 0o600);
      p.write(fd, Buffer.from('scaffolded\n'));
      p.close(fd);
      const rd = p.open('/mnt/f', O_RDONLY);
      const buf = new Uint8Array(32);
      const n = p.read(rd, buf);
      p.close(rd);
      expect(Buffer.from(buf.subarray(0, n)).toString()).toBe('scaffolded\n');
      expect(() => k.modunload('demofs')).toThrow(/EBUSY/);
      p.unmount('/mnt', 0);
      k.modunload('demofs');
      k.halt();
    }, 60_000);

    it("loads by rump library name ('rumpfs_demofs' → unscoped rumpfs-demofs) and through ukfs modloadDir", async () => {
      const app = join(tmp.dir, 'app');
      mkdirSync(join(app, 'node_modules'), { recursive: true });
      symlinkSync(pkgDir, join(app, 'node_modules/rumpfs-demofs'));
      const k = await rump_init({ libraries: ['rumpvfs'], moduleBase: [app, REPO] });
      expect(await k.modload('rumpfs_demofs')).toBe(1);
      expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).toContain('demofs');
      k.halt();
      const lib = await UkfsLib.init({ moduleBase: REPO });
      const r = await lib.modloadDir(join(app, 'node_modules'));
      expect(r.loaded).toEqual([join(app, 'node_modules/rumpfs-demofs')]);
      expect(lib.vfstypes()).toContain('demofs');
      lib.halt();
    }, 60_000);

    it("passes its own tests, the rumpvfs conformance kit included", () => {
      const r = run(process.execPath, [VITEST, 'run', '--reporter=verbose'], pkgDir);
      expect(r.status, r.out.slice(-3000)).toBe(0);
      expect(r.out).toMatch(/demofs conformance/);
      expect(r.out).not.toMatch(/\bfailed\b/);
    }, 180_000);
  });
});
