/**
 * The README's examples, taken from the file itself so it cannot drift: each TypeScript block runs as
 * a module in a child node process (from a scratch directory in this package's dist, so
 * `@rumpts/nodefs` resolves to the package itself), and the shell block runs under bash with the
 * server's commands spelled as node scripts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as host from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTmp, makeImage, sleuthRead } from './helpers.js';
import { RUMP_ALLSERVER } from './server.js';

const PKG = join(import.meta.dirname, '..');
const README = host.readFileSync(join(PKG, 'README.md'), 'utf8');
const blocks = (lang: string): string[] => [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

/** A scratch directory inside this package (so `@rumpts/nodefs` resolves to itself) that git and eslint ignore. */
const scratch = (): string => host.mkdtempSync(join(PKG, 'dist', '.readme-'));

/** Run module source as a file placed in this package (so bare specifiers resolve), with `cwd`. */
function runModule(source: string, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const dir = scratch();
  try {
    const file = join(dir, 'example.mjs');
    host.writeFileSync(file, source);
    return spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 60_000 });
  } finally {
    host.rmSync(dir, { recursive: true, force: true });
  }
}

describe('README examples', () => {
  const ts = blocks('ts');

  it('has the examples this test knows', () => {
    expect(ts.length).toBe(3);
    expect(blocks('sh').length).toBe(1);
  });

  it('openImage: the quick start works on a makefs image, and sleuthkit finds what it wrote', () => {
    const cwd = hostTmp();
    host.renameSync(makeImage(cwd, 8, 64), join(cwd, 'disk.img'));
    const r = runModule(ts[0] as string, cwd);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("[ '.git', 'src' ]\n");
    expect(sleuthRead(join(cwd, 'disk.img'), 'repo/src/a.txt')?.toString()).toBe('hello\n');
    expect(sleuthRead(join(cwd, 'disk.img'), 'repo/.git/HEAD')?.toString()).toMatch(/^ref: refs\/heads\//);
  });

  it('createFs over a ukfs handle', () => {
    const cwd = hostTmp();
    host.renameSync(makeImage(cwd, 8, 64), join(cwd, 'disk.img'));
    const r = runModule(ts[1] as string, cwd);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('from createFs\n');
    expect(sleuthRead(join(cwd, 'disk.img'), 'hello.txt')?.toString()).toBe('from createFs\n');
  });

  it('RemoteProc and the hijack against a detached rump_allserver, halted by rump.halt', () => {
    const dir = hostTmp();
    const sock = join(dir, 'rump.sock');
    host.writeFileSync(join(dir, 'app.js'), "import fs from 'node:fs';\nfs.writeFileSync('/rump/mnt/app.txt', 'hijacked');\nconsole.log(fs.readdirSync('/rump/mnt').sort().join(' '));\n");
    const halt = join(RUMP_ALLSERVER, '..', 'rump.halt.js');
    const script = (blocks('sh')[0] as string)
      .replaceAll('unix:///tmp/rump.sock', `unix://${sock}`)
      .replace(/^rump_allserver /m, `node ${RUMP_ALLSERVER} `)
      .replace(/app\.js$/m, join(dir, 'app.js'))
      .replace(/^(RUMP_SERVER=\S+) rump\.halt$/m, `$1 node ${halt}`)
      // between the hijacked app and the halt: the README's RemoteProc example on the same server
      .replace(/^(RUMP_SERVER=\S+ node \S+ )/m, `node ${join(dir, 'remote.mjs')}\n$1`);
    const remote = (ts[2] as string).replace('unix:///tmp/rump.sock', `unix://${sock}`);
    const rdir = scratch();
    try {
      host.writeFileSync(join(rdir, 'remote.mjs'), remote);
      host.symlinkSync(join(rdir, 'remote.mjs'), join(dir, 'remote.mjs'));
      const out = execFileSync('bash', ['-e', '-c', script], { cwd: PKG, encoding: 'utf8', timeout: 60_000 });
      expect(out).toBe('app.txt hello\n');
    } finally {
      host.rmSync(rdir, { recursive: true, force: true });
    }
    expect(host.existsSync(sock)).toBe(false);
  });
});
