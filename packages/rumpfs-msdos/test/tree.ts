/**
 * A test tree with the names and sizes FAT gets wrong most easily — long names, names that need
 * `~N`, Unicode beyond Latin-1, leading dots, blanks, 8.3 names in both cases, hundreds of similar
 * names in one directory, cluster-boundary sizes — written to a host directory, and walkers that
 * list a host tree or a mounted tree as { path → { dir, size, sha, mtime } }.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { O_RDONLY, S_IFDIR, S_IFMT, type Proc } from '@rumpts/librump';

export interface Node {
  dir: boolean;
  size: number;
  sha: string;
  /** Modification time in seconds (files only). */
  mtime: number;
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Write the tree under `root` (created); file mtimes are even seconds (FAT keeps 2-second times). */
export function writeTree(root: string, opts: { bpc: number; many: number }): void {
  const files: [string, number][] = [
    ['README', 10],
    ['lower.txt', 0],
    ['UPPER.TXT', 1],
    ['MixedCase.Ext', 511],
    ['A Long File Name With Spaces.txt', 512],
    ['file.tar.gz', 513],
    ['.hidden', opts.bpc - 1],
    ['ünïcødé.txt', opts.bpc],
    ['日本語のファイル.txt', opts.bpc + 1],
    ['a+b[1];c=d,e.txt', 3 * opts.bpc],
    ['name with  two spaces', 100_000],
    [`${'x'.repeat(200)}.bin`, 4097],
    ['big.bin', 1 << 20],
    ['dir/inside.txt', 123],
    ['dir/sub/deeper/deepest/leaf.txt', 77],
    ['Another Dir/inner/file', 9999],
    ['empty dir/', 0],
  ];
  for (let i = 0; i < opts.many; i++) files.push([`many/long file name number ${String(i).padStart(4, '0')}.text`, i % 7]);
  let seed = 1;
  let t = Date.UTC(2020, 1, 3, 4, 5, 6) / 1000;
  for (const [rel, size] of files) {
    const p = join(root, rel);
    if (rel.endsWith('/')) {
      mkdirSync(p, { recursive: true });
      continue;
    }
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bytes(size, seed++));
    t += 3602; // an even step, so every time is even
    utimesSync(p, t, t);
  }
}

/** The host tree at `root`. */
export function hostTree(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    for (const n of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) {
        out.set(r, { dir: true, size: 0, sha: '', mtime: 0 });
        walk(r);
      } else {
        const data = readFileSync(join(root, r));
        out.set(r, { dir: false, size: data.length, sha: sha(data), mtime: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  walk('');
  return out;
}

/** The tree mounted at `mnt` in a kernel, read through getdents, stat and read. */
export function mountedTree(p: Proc, mnt: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    const fd = p.open(rel ? `${mnt}/${rel}` : mnt, O_RDONLY);
    const names: string[] = [];
    for (let b = p.getdents(fd, 512); b.length > 0; b = p.getdents(fd, 512)) for (const e of b) if (e.name !== '.' && e.name !== '..') names.push(e.name);
    p.close(fd);
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = p.stat(`${mnt}/${r}`);
      if ((st.mode & S_IFMT) === S_IFDIR) {
        out.set(r, { dir: true, size: 0, sha: '', mtime: 0 });
        walk(r);
      } else {
        const f = p.open(`${mnt}/${r}`, O_RDONLY);
        const buf = new Uint8Array(st.size + 1);
        let got = 0;
        for (let n2 = p.read(f, buf); n2 > 0; n2 = p.read(f, buf.subarray(got))) got += n2;
        p.close(f);
        out.set(r, { dir: false, size: got, sha: sha(buf.subarray(0, got)), mtime: st.mtime.sec });
      }
    }
  };
  walk('');
  return out;
}

/** Sorted [path, node] pairs for a readable toEqual diff; mtimes kept only when `withTimes`. */
export function entries(t: Map<string, Node>, withTimes = true): [string, Node][] {
  return [...t.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, withTimes ? v : { ...v, mtime: 0 }]);
}
