/**
 * Random operation sequences run side by side against a model — a host temp directory — and the
 * mounted FFS (the proof). Every op is applied to the model first; when the host refuses it,
 * the kernel must refuse it with the same errno. The seed is printed on failure.
 */
import {
  closeSync, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmdirSync,
  symlinkSync, truncateSync, unlinkSync, utimesSync, chmodSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Kernel, O_CREAT, O_RDONLY, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isRumpError } from '@rumpts/librump';

const CHECK_EVERY = Number(process.env['FFS_CHECK_EVERY'] ?? 25);

/** xorshift32: deterministic per seed. */
export class Rng {
  #x: number;
  constructor(seed: number) {
    this.#x = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#x = x;
    return x;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

function hostCode(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' ? c : String(e);
}

/** Walk the model: relative paths of every entry (dirs, files, links), sorted. */
export function modelPaths(root: string): { files: string[]; dirs: string[]; links: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const links: string[] = [];
  const walk = (rel: string): void => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) {
        dirs.push(r);
        walk(r);
      } else if (st.isSymbolicLink()) links.push(r);
      else files.push(r);
    }
  };
  walk('');
  return { files, dirs, links };
}

export interface ModelRun {
  ops: string[];
}

/** Apply `n` random ops to the model at `model` and the kernel's tree at `mnt`, checking errnos agree. */
export function runOps(k: Kernel, mnt: string, model: string, rng: Rng, n: number, check?: () => void, ops: string[] = []): ModelRun {
  const p = k.proc;
  const names = ['a', 'b', 'c', 'dir1', 'dir2', 'x'.repeat(40), 'file_with_a_longer_name', 'z'];
  const randPath = (): string => {
    const { files, dirs, links } = modelPaths(model);
    const all = [...files, ...dirs, ...links];
    if (all.length > 0 && rng.int(3) !== 0) return rng.pick(all);
    const parent = dirs.length > 0 && rng.int(2) === 0 ? rng.pick(dirs) + '/' : '';
    return parent + rng.pick(names) + (rng.int(4) === 0 ? String(rng.int(100)) : '');
  };
  const both = (what: string, host: () => void, ours: () => void): void => {
    ops.push(what);
    let herr: string | null = null;
    try {
      host();
    } catch (e) {
      herr = hostCode(e);
    }
    let oerr: string | null = null;
    try {
      ours();
    } catch (e) {
      if (!isRumpError(e)) throw e;
      oerr = e.code;
      if (process.env['FFS_TRACE']) oerr += ` (${e.message})`;
    }
    if (process.env['FFS_TRACE']) ops[ops.length - 1] += ` [host ${herr ?? 'ok'} ffs ${oerr ?? 'ok'}]`;
    // Both refusing is agreement: Linux and NetBSD order some checks differently (link of a
    // directory onto an existing name: EEXIST vs EPERM). One refusing alone is a divergence.
    if ((herr === null) !== (oerr === null)) throw new Error(`op ${ops.length} ${what}: host ${herr ?? 'ok'}, ffs ${oerr ?? 'ok'}`);
  };
  for (let i = 0; i < n; i++) {
    if (check && i % CHECK_EVERY === 0) check();
    const op = rng.int(13);
    const a = randPath();
    const H = join(model, a);
    const O = `${mnt}/${a}`;
    switch (op) {
      case 0:
      case 1: {
        // Create or overwrite at a random offset (sometimes far out: a hole, or an indirect block).
        const size = rng.pick([0, 1, 100, 511, 4096, 5000, 20000, 70000, 300000]);
        const off = rng.pick([0, 0, 1, 1000, 8192, 65536, 100000, 1 << 20]);
        const data = rng.bytes(size);
        both(`write ${a} ${size}@${off}`, () => {
          const fd = openSync(H, 'a+');
          closeSync(fd);
          const w = openSync(H, 'r+');
          try {
            writeSync(w, data, 0, data.length, off);
          } finally {
            closeSync(w);
          }
        }, () => {
          const fd = p.open(O, O_CREAT | O_WRONLY, 0o644);
          try {
            p.pwrite(fd, data, off);
          } finally {
            p.close(fd);
          }
        });
        break;
      }
      case 2: {
        const len = rng.pick([0, 1, 700, 4096, 9000, 100000, 2 << 20]);
        both(`truncate ${a} ${len}`, () => truncateSync(H, len), () => p.truncate(O, len));
        break;
      }
      case 3: {
        const b = randPath();
        both(`rename ${a} ${b}`, () => {
          // NetBSD (genfs_rename): renaming one name of a file onto another name of it removes the source.
          let same: boolean;
          try {
            const s1 = lstatSync(H);
            const s2 = lstatSync(join(model, b));
            same = s1.ino === s2.ino && H !== join(model, b);
          } catch {
            same = false;
          }
          if (same) unlinkSync(H);
          else renameSync(H, join(model, b));
        }, () => p.rename(O, `${mnt}/${b}`));
        break;
      }
      case 4:
        // Linux says EISDIR for unlink of a directory; NetBSD (and POSIX's choice) EPERM.
        both(`unlink ${a}`, () => {
          try {
            unlinkSync(H);
          } catch (e) {
            if (hostCode(e) === 'EISDIR') throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
            throw e;
          }
        }, () => p.unlink(O));
        break;
      case 5:
      case 6:
        both(`mkdir ${a}`, () => mkdirSync(H, 0o755), () => p.mkdir(O, 0o755));
        break;
      case 7:
        both(`rmdir ${a}`, () => rmdirSync(H), () => p.rmdir(O));
        break;
      case 8: {
        const b = randPath();
        // NetBSD's link(2) follows a symlink in the source; Linux links the symlink itself.
        both(`link ${a} ${b}`, () => linkSync(lstatSync(H).isSymbolicLink() ? realpathSync(H) : H, join(model, b)), () => p.link(O, `${mnt}/${b}`));
        break;
      }
      case 9: {
        const target = rng.pick(['t', '../up/and/away', 'y'.repeat(59), 'y'.repeat(60), 'y'.repeat(119), 'y'.repeat(120), 'w'.repeat(300)]);
        both(`symlink ${target.length} ${a}`, () => symlinkSync(target, H), () => p.symlink(target, O));
        break;
      }
      case 10: {
        const mode = rng.pick([0o600, 0o644, 0o755, 0o700, 0o444]);
        both(`chmod ${a} ${mode.toString(8)}`, () => chmodSync(H, mode), () => p.chmod(O, mode));
        break;
      }
      case 11: {
        const t = 1_000_000_000 + rng.int(500_000_000);
        both(`utimes ${a} ${t}`, () => utimesSync(H, t, t), () => p.utimes(O, { sec: t, nsec: 0 }, { sec: t, nsec: 0 }));
        break;
      }
      case 12: {
        const len = rng.pick([0, 3, 5000]);
        both(`ftruncate ${a} ${len}`, () => {
          const fd = openSync(H, 'r+');
          try {
            ftruncateSync(fd, len);
          } finally {
            closeSync(fd);
          }
        }, () => {
          const fd = p.open(O, O_WRONLY);
          try {
            p.ftruncate(fd, len);
          } finally {
            p.close(fd);
          }
        });
        break;
      }
    }
  }
  return { ops };
}

/** Compare the mounted tree with the model through system calls: names, types, sizes, modes, bytes, targets, nlink. */
export function compareMounted(k: Kernel, mnt: string, model: string): void {
  const p = k.proc;
  const walk = (rel: string): void => {
    const want = readdirSync(join(model, rel)).sort();
    const fd = p.open(rel ? `${mnt}/${rel}` : mnt, O_RDONLY);
    const got: string[] = [];
    for (;;) {
      const ents = p.getdents(fd, 8192);
      if (ents.length === 0) break;
      for (const e of ents) if (e.name !== '.' && e.name !== '..') got.push(e.name);
    }
    p.close(fd);
    got.sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`directory /${rel}: ffs has [${got.join(', ')}], model [${want.join(', ')}]`);
    for (const n of want) {
      const r = rel ? `${rel}/${n}` : n;
      const hs = lstatSync(join(model, r));
      const os = p.lstat(`${mnt}/${r}`);
      const where = `/${r}`;
      // Symlink permissions: Linux makes them 0777, NetBSD applies the umask; nobody uses them.
      if (!hs.isSymbolicLink() && (os.mode & 0o7777) !== (hs.mode & 0o7777)) throw new Error(`${where}: mode ${os.mode.toString(8)} vs ${hs.mode.toString(8)}`);
      if (os.nlink !== hs.nlink) throw new Error(`${where}: nlink ${os.nlink} vs ${hs.nlink}`);
      if (hs.isDirectory()) {
        if ((os.mode & S_IFMT) !== S_IFDIR) throw new Error(`${where}: not a directory`);
        walk(r);
      } else if (hs.isSymbolicLink()) {
        if ((os.mode & S_IFMT) !== S_IFLNK) throw new Error(`${where}: not a symlink`);
        if (p.readlink(`${mnt}/${r}`) !== readlinkSync(join(model, r))) throw new Error(`${where}: link target differs`);
      } else {
        if ((os.mode & S_IFMT) !== S_IFREG) throw new Error(`${where}: not a regular file`);
        if (os.size !== hs.size) throw new Error(`${where}: size ${os.size} vs ${hs.size}`);
        const want2 = readFileSync(join(model, r));
        const b = new Uint8Array(hs.size);
        const f = p.open(`${mnt}/${r}`, O_RDONLY);
        let got2 = 0;
        while (got2 < b.length) {
          const m = p.read(f, b.subarray(got2));
          if (m <= 0) break;
          got2 += m;
        }
        p.close(f);
        if (!Buffer.from(b).equals(want2)) throw new Error(`${where}: contents differ`);
      }
    }
  };
  walk('');
}
