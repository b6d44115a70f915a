/**
 * The etfs escape suite (issue 16): stale directories, dir↔symlink swaps — deterministic and under
 * a concurrent host process — must never let the kernel touch a host file outside the mapping.
 * `outside` mirrors the mapping's tree (a/b/… ↔ outside/b/…) and holds names the mapping never
 * has (secret, victim, only-outside), so any by-name re-resolution through a swapped component
 * would find them. RUMPTS_ETFS_RACE_SECONDS lengthens the race (default 2 s).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isRumpError, type Kernel, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY, type Proc, RUMP_ETFS_DIR, RUMP_ETFS_DIR_SUBDIRS, type RumpEtfsType,
} from '@rumpts/librump';
import { code, enc, etfsKernel, hostdir } from './helpers.js';
import { etfsOf, HostRoot } from '../src/index.js';

/** Everything about a host tree that an escape could change: names, types, modes, sizes, times, bytes. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(p, { bigint: true });
      const head = `${r} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} m${st.mtimeNs} c${st.ctimeNs}`;
      if (st.isDirectory()) {
        out.push(head);
        walk(p, r);
      } else if (st.isSymbolicLink()) out.push(`${head} -> ${readlinkSync(p)}`);
      else out.push(`${head} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}

/** A mapping `map` (a/b) and an `outside` tree mirroring it with names the mapping never has. */
function scene(): { base: string; map: string; outside: string } {
  const base = hostdir();
  const map = join(base, 'map');
  const outside = join(base, 'outside');
  mkdirSync(join(map, 'a', 'b'), { recursive: true });
  for (const d of [outside, join(outside, 'b'), join(outside, 'b', 'b')]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'secret'), 'OUTSIDE');
    writeFileSync(join(d, 'victim'), 'victim');
    writeFileSync(join(d, 'only-outside'), '');
  }
  return { base, map, outside };
}

async function kernelOn(map: string, procfd: boolean, type: RumpEtfsType = RUMP_ETFS_DIR_SUBDIRS): Promise<Kernel> {
  const k = await etfsKernel();
  etfsOf(k).hostRootOptions = { procfd };
  k.etfsRegister('/host', map, type);
  return k;
}

/** Every relative operation the issue names, from p's working directory: each must be ENOENT. */
function relativeOps(p: Proc): Record<string, string> {
  return {
    read: code(() => p.open('secret', O_RDONLY)),
    stat: code(() => p.stat('secret')),
    create: code(() => p.open('new', O_CREAT | O_WRONLY, 0o644)),
    unlink: code(() => p.unlink('victim')),
    list: code(() => p.getdents(p.open('.', O_RDONLY))),
    mkdir: code(() => p.mkdir('newdir')),
    symlink: code(() => p.symlink('x', 'newlink')),
    rename: code(() => p.rename('victim', 'moved')),
    chmod: code(() => p.chmod('secret', 0o600)),
    deeper: code(() => p.open('b/secret', O_RDONLY)),
    parent: code(() => p.stat('..')),
  };
}
const allENOENT = (ops: Record<string, string>): Record<string, string> => Object.fromEntries(Object.keys(ops).map((k) => [k, 'ENOENT']));

for (const procfd of [true, false]) {
  describe(`etfs escape: stale directories (${procfd ? '/proc/self/fd walks' : 'portable lstat walks'})`, () => {
    it('the issue sequence: mkdir, chdir, rmdir, symlink to outside → every relative operation is ENOENT', async () => {
      const { map, outside } = scene();
      const before = snapshot(outside);
      const k = await kernelOn(map, procfd);
      const p = k.proc;
      p.mkdir('/host/x');
      p.chdir('/host/x');
      const held = p.open('/host/x', O_RDONLY);
      p.rmdir('/host/x');
      p.symlink(outside, '/host/x');
      expect(lstatSync(join(map, 'x')).isSymbolicLink()).toBe(true);
      const ops = relativeOps(p);
      expect(ops).toEqual(allENOENT(ops));
      expect(code(() => p.getdents(held))).toBe('ENOENT');
      expect(code(() => p.fchdir(held))).toBe('ENOENT');
      expect(snapshot(outside)).toEqual(before);
    });

    it('a directory removed and replaced on the host (a held descriptor, a cwd one level down) is dead', async () => {
      const { map, outside } = scene();
      const before = snapshot(outside);
      const k = await kernelOn(map, procfd);
      const p = k.proc;
      const r = k.newproc();
      r.chdir('/host/a');
      const q = k.newproc();
      q.chdir('/host/a/b');
      const held = p.open('/host/a', O_RDONLY);
      // On the host: a goes away (renamed aside) and a symlink to outside takes its name.
      renameSync(join(map, 'a'), join(map, 'aside'));
      symlinkSync(outside, join(map, 'a'));
      expect(code(() => p.getdents(held))).toBe('ENOENT');
      expect(code(() => p.fchdir(held))).toBe('ENOENT');
      const ops = relativeOps(r);
      expect(ops).toEqual(allENOENT(ops));
      const opsB = relativeOps(q);
      expect(opsB).toEqual(allENOENT(opsB));
      // A fresh lookup meets the symlink, which resolves in the kernel's namespace, never on the host.
      expect(code(() => p.open('/host/a/secret', O_RDONLY))).toBe('ENOENT');
      expect(snapshot(outside)).toEqual(before);
      // Put back, the very same directory is live again: nodes are bound to (path, identity).
      renameSync(join(map, 'aside', 'b'), join(map, 'aside', 'b2')); // b has moved: q's cwd stays dead
      unlinkSync(join(map, 'a'));
      renameSync(join(map, 'aside'), join(map, 'a'));
      expect(code(() => q.open('made2', O_CREAT | O_WRONLY, 0o644))).toBe('ENOENT');
      r.close(r.open('made', O_CREAT | O_WRONLY, 0o644));
      expect(existsSync(join(map, 'a', 'made'))).toBe(true);
      // Listing finds b's directory under its new name: q's node follows it there.
      expect(p.getdents(held).map((e) => e.name).sort()).toEqual(['b2', 'made']);
      q.close(q.open('made2', O_CREAT | O_WRONLY, 0o644));
      expect(existsSync(join(map, 'a', 'b2', 'made2'))).toBe(true);
      expect(snapshot(outside)).toEqual(before);
    });

    it('a directory the kernel removed stays dead even when a new one takes its name', async () => {
      const { map, outside } = scene();
      const k = await kernelOn(map, procfd);
      const p = k.proc;
      p.mkdir('/host/x');
      p.chdir('/host/x');
      p.rmdir('/host/x');
      p.mkdir('/host/x');
      expect(code(() => p.open('f', O_CREAT | O_WRONLY, 0o644))).toBe('ENOENT');
      expect(code(() => p.stat('.'))).toBe('ENOENT');
      expect(readdirSync(join(map, 'x'))).toEqual([]);
      p.chdir('/host/x');
      p.close(p.open('f', O_CREAT | O_WRONLY, 0o644));
      expect(readdirSync(join(map, 'x'))).toEqual(['f']);
      expect(existsSync(join(outside, 'f'))).toBe(false);
    });

    it('a file swapped for a symlink after lookup is never opened through it', async () => {
      const { map, outside } = scene();
      writeFileSync(join(map, 'a', 'f'), 'inside');
      const k = await kernelOn(map, procfd);
      const p = k.proc;
      expect(p.stat('/host/a/f').size).toBe(6);
      // The cached vnode of f now names a symlink to outside/secret on the host.
      unlinkSync(join(map, 'a', 'f'));
      symlinkSync(join(outside, 'secret'), join(map, 'a', 'f'));
      expect(p.lstat('/host/a/f').size).toBe(join(outside, 'secret').length);
      expect(code(() => p.open('/host/a/f', O_RDONLY))).toBe('ENOENT');
      expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('OUTSIDE');
    });

    it('a DIR (not SUBDIRS) key whose host root is replaced keeps its directory or is dead', async () => {
      const { base, map, outside } = scene();
      writeFileSync(join(map, 'top'), 'top');
      const k = await kernelOn(map, procfd, RUMP_ETFS_DIR);
      const p = k.proc;
      expect(p.stat('/host/top').size).toBe(3);
      renameSync(map, join(base, 'map-aside'));
      symlinkSync(outside, map);
      // The root is the directory registered: never whatever now has its name.
      const got = code(() => p.open('/host/secret', O_RDONLY));
      expect(got).toBe('ENOENT');
      expect(code(() => p.stat('/host/only-outside'))).toBe('ENOENT');
    });

    it('the host root removed: every operation is ENOENT', async () => {
      const { base } = scene();
      const map = join(base, 'empty');
      mkdirSync(map);
      const k = await kernelOn(map, procfd);
      const p = k.proc;
      p.chdir('/host');
      rmdirSync(map);
      expect(code(() => p.open('f', O_CREAT | O_WRONLY, 0o644))).toBe('ENOENT');
      expect(code(() => p.getdents(p.open('/host', O_RDONLY)))).toBe('ENOENT');
      expect(existsSync(map)).toBe(false);
    });
  });
}

describe('HostRoot', () => {
  it('walks by descriptor on Linux; the portable mode is selectable', () => {
    const { map } = scene();
    const r = new HostRoot(map);
    expect(r.procfd).toBe(process.platform === 'linux');
    const names = r.inDir(['a'], null, (dir) => readdirSync(dir));
    expect(names).toEqual(['b']);
    expect(code(() => r.inDir(['a', '..'], null, () => 0))).toBe('EINVAL');
    expect(code(() => r.inDir(['nope'], null, () => 0))).toBe('ENOENT');
    r.close();
    const f = new HostRoot(map, { procfd: false });
    expect(f.procfd).toBe(false);
    expect(f.inDir(['a'], null, (dir) => readdirSync(dir))).toEqual(['b']);
  });
});

/** Run the swapper for `ms`; resolves with its swap count once it has exited. */
function swapper(map: string, outside: string, ms: number): { ready: Promise<void>; done: Promise<number> } {
  const script = fileURLToPath(new URL('./fixtures/swapper.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, map, outside, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((res) => (readyResolve = res));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('ready\n')) readyResolve();
  });
  const done = new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('exit', (status) => {
      readyResolve();
      const last = out.trim().split('\n').pop() ?? '';
      if (status !== 0 || !last.startsWith('{')) rej(new Error(`swapper exited ${status}: ${out}`));
      else res((JSON.parse(last) as { swaps: number }).swaps);
    });
  });
  return { ready, done };
}

describe('etfs escape: a host process swapping directories and symlinks while the kernel works', () => {
  const seconds = Number(process.env.RUMPTS_ETFS_RACE_SECONDS ?? 2);

  it(`creates, reads, unlinks and lists through stale and live nodes for ${seconds} s: 0 host files touched outside`, { timeout: (seconds + 60) * 1000 }, async () => {
    const { map, outside } = scene();
    const before = snapshot(outside);
    const k = await kernelOn(map, true);
    const pa = k.newproc();
    const pb = k.newproc();
    const abs = k.proc;
    pa.chdir('/host/a');
    pb.chdir('/host/a/b');
    const ms = seconds * 1000;
    const sw = swapper(map, outside, ms);
    await sw.ready;
    const escapes: string[] = [];
    const outcomes = new Map<string, number>();
    const tally = (what: string, fn: () => unknown): boolean => {
      try {
        fn();
        outcomes.set(`${what} ok`, (outcomes.get(`${what} ok`) ?? 0) + 1);
        return true;
      } catch (e) {
        if (!isRumpError(e)) throw e; // nothing but a RumpError ever leaves the kernel
        outcomes.set(`${what} ${e.code}`, (outcomes.get(`${what} ${e.code}`) ?? 0) + 1);
        return false;
      }
    };
    const never = (what: string, fn: () => unknown): void => {
      if (tally(what, fn)) escapes.push(what);
    };
    const end = Date.now() + ms;
    let ops = 0;
    for (let i = 0; Date.now() < end; i++) {
      for (const [p, cwd] of [[pa, '/host/a'], [pb, '/host/a/b']] as const) {
        if (i % 2 === 0) tally('chdir', () => p.chdir(cwd)); // pick up the live directory again
        never('read secret', () => p.open('secret', O_RDONLY));
        never('stat secret', () => p.stat('secret'));
        never('unlink victim', () => p.unlink('victim'));
        never('rename victim', () => p.rename('victim', 'moved'));
        never('chmod secret', () => p.chmod('secret', 0o600));
        never('open b/secret', () => p.open('b/secret', O_RDONLY));
        const name = `k${i}`;
        tally('create', () => {
          const fd = p.open(name, O_CREAT | O_EXCL | O_WRONLY, 0o644);
          p.write(fd, enc('kernel'));
          p.close(fd);
        });
        tally('unlink', () => p.unlink(name));
        tally('mkdir', () => p.mkdir(`d${i}`));
        tally('rmdir', () => p.rmdir(`d${i}`));
        tally('list', () => {
          const fd = p.open('.', O_RDONLY);
          try {
            if (p.getdents(fd).some((e) => e.name === 'only-outside' || e.name === 'secret')) escapes.push('list');
          } finally {
            p.close(fd);
          }
        });
        ops += 11;
      }
      never('absolute read', () => abs.open('/host/a/b/secret', O_RDONLY));
      tally('absolute read', () => {
        const fd = abs.open('/host/a', O_RDONLY);
        try {
          if (abs.getdents(fd).some((e) => e.name === 'only-outside')) escapes.push('absolute list');
        } finally {
          abs.close(fd);
        }
      });
      ops += 2;
    }
    const swaps = await sw.done;
    const after = snapshot(outside);
    const report = { seconds, swaps, ops, outcomes: Object.fromEntries([...outcomes].sort()) };
    console.log(`etfs race: ${JSON.stringify(report)}`);
    expect(escapes).toEqual([]);
    expect(after).toEqual(before);
    // The race ran both ways: the swapper swapped, and the kernel met live and stale directories.
    expect(swaps).toBeGreaterThan(0);
    expect(outcomes.get('create ok') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('create ENOENT') ?? 0).toBeGreaterThan(0);
  });
});
