/**
 * Hostile directory entry names (issue: a crafted `../../x` entry must never become a path outside
 * a copy's destination). A kernel process whose getdents also hands out unsafe names stands in for
 * a crafted image, so the facade's own refusal is tested whatever the kernel decides for such
 * entries; then a real FFS image with a name patched to `../../evil.txt` is copied out to the host
 * through the hijack, and no host file outside the destination may appear.
 */
import { execFileSync } from 'node:child_process';
import * as host from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DT_REG, type Proc, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { UkfsLib } from '@rumpts/ukfs';
import { createFs, installHijack, type RefusedEntriesError, type SyscallTarget } from '../src/index.js';
import { hostTmp } from './helpers.js';

const EVIL = ['', '.', '..', '../../escaped.txt', 'sub/inner.txt', 'nul\0name'];

/** A process whose getdents of `dir` also returns the EVIL names (after the real entries). */
function withEvilNames(proc: Proc, dir: string): SyscallTarget {
  const evilFds = new Set<number>();
  const served = new Set<number>();
  return new Proxy(proc, {
    get(target, key) {
      if (key === 'open') {
        return (path: string, flags: number, mode?: number): number => {
          const fd = target.open(path, flags, mode);
          if (path === dir) evilFds.add(fd);
          return fd;
        };
      }
      if (key === 'close') {
        return (fd: number): void => {
          evilFds.delete(fd);
          served.delete(fd);
          target.close(fd);
        };
      }
      if (key === 'getdents') {
        return (fd: number, count: number) => {
          const real = target.getdents(fd, count);
          if (!evilFds.has(fd) || real.length > 0 || served.has(fd)) return real;
          served.add(fd);
          return EVIL.map((name, i) => ({ fileno: 900 + i, type: DT_REG, name, reclen: 24 }));
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function kernel() {
  const k = await rump_init({ libraries: [rumpvfs, tmpfs] });
  k.proc.mkdir('/mnt', 0o755);
  k.proc.mount('tmpfs', '/mnt', 0, {});
  const fs = createFs(k.proc);
  fs.mkdirSync('/mnt/evil');
  fs.writeFileSync('/mnt/evil/good.txt', 'good');
  fs.mkdirSync('/mnt/evil/sub');
  fs.writeFileSync('/mnt/evil/sub/inner.txt', 'inner');
  fs.writeFileSync('/mnt/escaped.txt', 'must stay');
  return k;
}

const warnings: string[] = [];
const onWarning = (w: Error): void => void warnings.push(w.message);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

const refusedNames = (e: unknown): string[] => (e as RefusedEntriesError).refused.map((r) => r.name).sort();
const UNSAFE = ['', '../../escaped.txt', 'nul\0name', 'sub/inner.txt'];

describe('unsafe directory entry names', () => {
  it('readdir and opendir leave them out, with a warning naming each', async () => {
    const k = await kernel();
    try {
      const fs = createFs(withEvilNames(k.proc, '/mnt/evil'));
      expect(fs.readdirSync('/mnt/evil').sort()).toEqual(['good.txt', 'sub']);
      expect((await fs.promises.readdir('/mnt/evil', { withFileTypes: true })).map((d) => d.name).sort()).toEqual(['good.txt', 'sub']);
      const seen: string[] = [];
      for await (const d of await fs.promises.opendir('/mnt/evil')) seen.push(d.name);
      expect(seen.sort()).toEqual(['good.txt', 'sub']);
      await new Promise((r) => setImmediate(r));
      for (const name of UNSAFE) expect(warnings.some((w) => w.includes(JSON.stringify(name))), name).toBe(true);
    } finally {
      k.halt();
    }
  });

  it('cp copies the rest and fails at the end naming every refused entry', async () => {
    const k = await kernel();
    try {
      const fs = createFs(withEvilNames(k.proc, '/mnt/evil'));
      let err: unknown;
      try {
        fs.cpSync('/mnt/evil', '/mnt/copy/deep', { recursive: true });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'EINVAL', syscall: 'cp', path: '/mnt/evil' });
      expect((err as Error).message).toContain('refused unsafe directory entries "" in /mnt/evil (is empty)');
      expect((err as Error).message).toContain('"../../escaped.txt" in /mnt/evil (contains "/")');
      expect(refusedNames(err)).toEqual(UNSAFE);
      expect(fs.readdirSync('/mnt/copy/deep', { recursive: true }).sort()).toEqual(['good.txt', 'sub', 'sub/inner.txt']);
      expect(fs.readFileSync('/mnt/escaped.txt', 'utf8')).toBe('must stay');
      expect(fs.existsSync('/mnt/copy/escaped.txt')).toBe(false);
      // the asynchronous form too
      await expect(fs.promises.cp('/mnt/evil', '/mnt/copy2', { recursive: true })).rejects.toMatchObject({ code: 'EINVAL', refused: expect.any(Array) });
      expect(fs.readdirSync('/mnt/copy2').sort()).toEqual(['good.txt', 'sub']);
    } finally {
      k.halt();
    }
  });

  it('rm -r removes the rest, refuses to follow them, and names them', async () => {
    const k = await kernel();
    try {
      const fs = createFs(withEvilNames(k.proc, '/mnt/evil'));
      let err: unknown;
      try {
        fs.rmSync('/mnt/evil', { recursive: true });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'EINVAL', syscall: 'rm', path: '/mnt/evil' });
      expect(refusedNames(err)).toEqual(UNSAFE);
      // '../../escaped.txt' was not followed out of the directory; the rest is gone
      expect(fs.readFileSync('/mnt/escaped.txt', 'utf8')).toBe('must stay');
      expect(k.proc.lstat('/mnt/evil').mode & 0o170000).toBe(0o040000);
      expect(createFs(k.proc).readdirSync('/mnt/evil')).toEqual([]);
    } finally {
      k.halt();
    }
  });

  it('cp out of the kernel through the hijack never writes outside the host destination', async () => {
    const k = await kernel();
    const out = hostTmp();
    host.writeFileSync(join(out, 'escaped.txt'), 'host canary');
    const dest = join(out, 'a', 'b', 'dest');
    const h = installHijack({ target: withEvilNames(k.proc, '/mnt/evil'), prefix: '/rumpevil' });
    let err: unknown;
    try {
      host.cpSync('/rumpevil/mnt/evil', dest, { recursive: true });
    } catch (e) {
      err = e;
    } finally {
      h.uninstall();
      k.halt();
    }
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'cp', path: '/rumpevil/mnt/evil' });
    expect(refusedNames(err)).toEqual(UNSAFE);
    expect(host.readdirSync(dest, { recursive: true }).sort()).toEqual(['good.txt', 'sub', 'sub/inner.txt']);
    expect(host.readFileSync(join(dest, 'good.txt'), 'utf8')).toBe('good');
    // nothing appeared or changed outside the destination
    expect(host.readdirSync(out, { recursive: true }).sort()).toEqual(
      ['a', 'a/b', 'a/b/dest', 'a/b/dest/good.txt', 'a/b/dest/sub', 'a/b/dest/sub/inner.txt', 'escaped.txt'].sort(),
    );
    expect(host.readFileSync(join(out, 'escaped.txt'), 'utf8')).toBe('host canary');
  });

  it('a real FFS image with an entry patched to "../../evil.txt", copied out through the hijack, touches nothing outside the destination', async () => {
    const work = hostTmp();
    const seedDir = join(work, 'seedsrc');
    host.mkdirSync(join(seedDir, 'dir'), { recursive: true });
    host.writeFileSync(join(seedDir, 'dir', 'keep.txt'), 'keep');
    host.writeFileSync(join(seedDir, 'dir', 'zzzzzzzzzz.txt'), 'crafted');
    const img = join(work, 'crafted.img');
    execFileSync('makefs', ['-t', 'ffs', '-o', 'version=1', '-s', '4m', img, seedDir], { stdio: 'pipe' });
    const bytes = host.readFileSync(img);
    const from = Buffer.from('zzzzzzzzzz.txt');
    let patched = 0;
    for (let i = bytes.indexOf(from); i >= 0; i = bytes.indexOf(from, i + 1)) {
      Buffer.from('../../evil.txt').copy(bytes, i);
      patched++;
    }
    expect(patched).toBeGreaterThan(0);
    host.writeFileSync(img, bytes);

    const out = join(work, 'out');
    const dest = join(out, 'x', 'y');
    host.mkdirSync(dest, { recursive: true });
    const lib = await UkfsLib.init({ logger: () => {} });
    await lib.ensureFs('ffs');
    const handle = lib.mount('ffs', img, { flags: 1 /* MNT_RDONLY */ });
    const h = installHijack({ target: handle.proc, prefix: '/rumpimg' });
    let err: unknown;
    try {
      host.cpSync('/rumpimg/dir', dest, { recursive: true });
    } catch (e) {
      err = e;
    } finally {
      h.uninstall();
      lib.halt();
    }
    // the kernel may hide such an entry (then no error) or hand it out (the facade refuses it); either way nothing lands outside dest
    if (err !== undefined) expect(err).toMatchObject({ code: expect.stringMatching(/^(EINVAL|EIO)$/) });
    expect(host.readFileSync(join(dest, 'keep.txt'), 'utf8')).toBe('keep');
    expect(host.readdirSync(work, { recursive: true }).filter((n) => String(n).endsWith('evil.txt'))).toEqual([]);
    expect(host.readdirSync(out, { recursive: true }).sort()).toEqual(['x', 'x/y', 'x/y/keep.txt']);
  });
});
