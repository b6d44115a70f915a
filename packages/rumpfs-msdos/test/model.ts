/**
 * Random operation sequences run side by side against a model — a host temp directory — and the
 * mounted FAT file system. Every op is applied to the model first; when the host refuses it, ours
 * must refuse it too (any errno: Linux and NetBSD order some checks differently), and the other way
 * round. Names never differ only by case (FAT compares names case-insensitively, the host does not)
 * and never end in dots or blanks (FAT drops those).
 */
import {
  closeSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, truncateSync, unlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Kernel, O_CREAT, O_WRONLY, isRumpError } from '@rumpts/librump';

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

/** Names distinct even case-insensitively; some 8.3, some long, some beyond Latin-1. */
const NAMES = ['a', 'b', 'Cc', 'dir1', 'dir2', 'x'.repeat(40), 'file with a longer name.txt', 'ünï', 'z.TXT', '日本', 'README'];

function hostCode(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' ? c : String(e);
}

/** Relative paths of the model's entries. */
export function modelPaths(root: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = (rel: string): void => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      if (lstatSync(join(root, r)).isDirectory()) {
        dirs.push(r);
        walk(r);
      } else files.push(r);
    }
  };
  walk('');
  return { files, dirs };
}

export interface Limits {
  sizes: readonly number[];
  offsets: readonly number[];
  truncates: readonly number[];
}

/**
 * Apply `n` random ops. `times` collects the paths whose modification time was last set by utimes
 * (the only times both sides agree on: a write stamps each side's own clock).
 */
export function runOps(k: Kernel, mnt: string, model: string, rng: Rng, n: number, lim: Limits, times: Map<string, number>, ops: string[]): void {
  const p = k.proc;
  const randPath = (): string => {
    const { files, dirs } = modelPaths(model);
    const all = [...files, ...dirs];
    if (all.length > 0 && rng.int(3) !== 0) return rng.pick(all);
    const parent = dirs.length > 0 && rng.int(2) === 0 ? `${rng.pick(dirs)}/` : '';
    return parent + rng.pick(NAMES) + (rng.int(4) === 0 ? String(rng.int(100)) : '');
  };
  const both = (what: string, host: () => void, ours: () => void): boolean => {
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
      oerr = `${e.code} (${e.message})`;
    }
    if ((herr === null) !== (oerr === null)) throw new Error(`op ${ops.length} ${what}: host ${herr ?? 'ok'}, msdos ${oerr ?? 'ok'}`);
    return herr === null;
  };
  const dropTimes = (path: string): void => {
    for (const key of [...times.keys()]) if (key === path || key.startsWith(`${path}/`)) times.delete(key);
  };
  for (let i = 0; i < n; i++) {
    const op = rng.int(12);
    const a = randPath();
    const H = join(model, a);
    const O = `${mnt}/${a}`;
    switch (op) {
      case 0:
      case 1:
      case 2: {
        const size = rng.pick(lim.sizes);
        const off = rng.pick(lim.offsets);
        const data = rng.bytes(size);
        if (both(`write ${a} ${size}@${off}`, () => {
          closeSync(openSync(H, 'a+'));
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
        })) dropTimes(a);
        break;
      }
      case 3: {
        const len = rng.pick(lim.truncates);
        if (both(`truncate ${a} ${len}`, () => truncateSync(H, len), () => p.truncate(O, len))) dropTimes(a);
        break;
      }
      case 4:
      case 5: {
        const b = randPath();
        if (both(`rename ${a} ${b}`, () => renameSync(H, join(model, b)), () => p.rename(O, `${mnt}/${b}`)) && a !== b) {
          dropTimes(b);
          for (const [key, t] of [...times.entries()]) {
            if (key === a || key.startsWith(`${a}/`)) {
              times.delete(key);
              times.set(b + key.slice(a.length), t);
            }
          }
        }
        break;
      }
      case 6:
        if (both(`unlink ${a}`, () => unlinkSync(H), () => p.unlink(O))) dropTimes(a);
        break;
      case 7:
      case 8:
        both(`mkdir ${a}`, () => mkdirSync(H), () => p.mkdir(O, 0o755));
        break;
      case 9:
        both(`rmdir ${a}`, () => rmdirSync(H), () => p.rmdir(O));
        break;
      case 10: {
        // Even seconds: FAT keeps 2-second modification times.
        const t = 1_500_000_000 + 2 * rng.int(50_000_000);
        if (both(`utimes ${a} ${t}`, () => utimesSync(H, t, t), () => p.utimes(O, { sec: t, nsec: 0 }, { sec: t, nsec: 0 }))) {
          if (!lstatSync(H).isDirectory()) times.set(a, t);
        }
        break;
      }
      default: {
        // fsync and sync along the way (they must leave everything as it was).
        both(`sync`, () => undefined, () => p.sync());
      }
    }
  }
}
