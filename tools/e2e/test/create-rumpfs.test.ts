/**
 * create-rumpfs --from: which packages it takes from a folder (tarballs or package folders), what it
 * writes into the generated package.json, and its refusals. The install/build/test of such a package
 * is followed end to end in readme.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const TOOL = join(REPO, 'tools/create-rumpfs/index.mjs');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'rumpts-scaffold-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], cwd = work): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(process.execPath, [TOOL, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

describe('create-rumpfs --from', () => {
  it('takes packed tarballs: file: dev dependencies and overrides for npm and pnpm, peers left as ranges', () => {
    const packs = join(work, 'packs');
    const r0 = spawnSync(process.execPath, [join(REPO, 'tools/tarballs.mjs'), '--out', packs, 'librump', 'rumpvfs'], { encoding: 'utf8' });
    expect(r0.status, r0.stderr).toBe(0);
    const r = run(['demofs', join(work, 'a'), '--from', packs]);
    expect(r.status, r.out).toBe(0);
    expect(r.stdout).toContain('npm install && npm run build && npm test');
    expect(r.stdout).not.toContain('not on the npm registry yet');
    const pj = JSON.parse(readFileSync(join(work, 'a/package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const version = (JSON.parse(readFileSync(join(REPO, 'packages/librump/package.json'), 'utf8')) as { version: string }).version;
    const lib = `file:${join(packs, `rumpts-librump-${version}.tgz`)}`;
    const vfs = `file:${join(packs, `rumpts-rumpvfs-${version}.tgz`)}`;
    expect(pj['devDependencies']).toMatchObject({ '@rumpts/librump': lib, '@rumpts/rumpvfs': vfs });
    expect(pj['peerDependencies']).toEqual({ '@rumpts/librump': `^${version}`, '@rumpts/rumpvfs': `^${version}` });
    expect(pj['overrides']).toEqual({ '@rumpts/librump': lib, '@rumpts/rumpvfs': vfs });
    expect((pj['pnpm'] as unknown as { overrides: unknown }).overrides).toEqual(pj['overrides']);
  });

  it('takes package folders too', () => {
    const dir = join(work, 'folders');
    for (const name of ['librump', 'rumpvfs']) {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'package.json'), JSON.stringify({ name: `@rumpts/${name}`, version: '0.1.0' }));
    }
    const r = run(['demofs', join(work, 'b'), '--from', dir]);
    expect(r.status, r.out).toBe(0);
    const pj = JSON.parse(readFileSync(join(work, 'b/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pj.devDependencies['@rumpts/librump']).toBe(`file:${join(dir, 'librump')}`);
  });

  it('without --from says the packages are not on npm yet and how to get them', () => {
    const r = run(['demofs', join(work, 'c')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pnpm tarballs');
    expect(r.stdout).toContain('--from');
  });

  it('refuses a --from without the packages, a missing folder, and --from with --workspace (status 2, nothing written)', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    for (const [args, msg] of [
      [['demofs', join(work, 'd'), '--from', empty], 'no @rumpts/librump there'],
      [['demofs', join(work, 'd'), '--from', join(work, 'nope')], 'not a directory'],
      [['demofs', join(work, 'd'), '--from', empty, '--workspace'], '--from and --workspace exclude each other'],
      [['demofs', join(work, 'd'), '--from'], '--from needs a directory'],
    ] as [string[], string][]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.out).toContain(msg);
    }
    expect(existsSync(join(work, 'd'))).toBe(false);
  });
});
