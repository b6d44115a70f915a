/**
 * Test helpers: a BlockDevice over an image file (readSync on an fd), fixture trees written into a
 * temp dir, and images built from them with the real makefs(8).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, symlinkSync, linkSync, writeFileSync, writeSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';

export const HAVE_MAKEFS = spawnSync('makefs', [], { stdio: 'ignore' }).error === undefined;

/** A read-only BlockDevice over a host file, optionally a window of it. */
export class FileBlockDevice implements BlockDevice {
  readonly secsize = 512;
  readonly size: number;
  readonly readonly = true;
  readonly #fd: number;
  reads = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'r');
    this.size = fstatSync(this.#fd).size;
  }

  read(buf: Uint8Array, offset: number): void {
    if (offset % this.secsize !== 0 || buf.length % this.secsize !== 0) throw errno('EINVAL', `unaligned read ${buf.length}@${offset}`);
    if (offset < 0 || offset + buf.length > this.size) throw errno('ENXIO', `read ${buf.length}@${offset} past end ${this.size}`);
    this.reads++;
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.#fd, buf, done, buf.length - done, offset + done);
      if (n <= 0) throw errno('EIO', 'short read');
      done += n;
    }
  }

  write(): void {
    throw errno('EROFS', 'test device is read-only');
  }

  flush(): void {}

  close(): void {
    closeSync(this.#fd);
  }
}

/** A BlockDevice over bytes in memory (for corrupted copies). */
export class MemBlockDevice implements BlockDevice {
  readonly secsize = 512;
  readonly readonly = true;
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(buf: Uint8Array, offset: number): void {
    if (offset % 512 !== 0 || buf.length % 512 !== 0) throw errno('EINVAL', `unaligned read ${buf.length}@${offset}`);
    if (offset < 0 || offset + buf.length > this.bytes.length) throw errno('ENXIO', `read ${buf.length}@${offset} past end`);
    buf.set(this.bytes.subarray(offset, offset + buf.length));
  }
  write(): void {
    throw errno('EROFS', 'read-only');
  }
  flush(): void {}
}

export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `rumpts-ffs-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Deterministic file content: xorshift bytes seeded by a tag, different per file. */
export function pattern(tag: string, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (0x9e3779b9 ^ [...tag].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    if ((i & 3) === 0) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
    }
    b[i] = (x >>> ((i & 3) * 8)) & 0xff;
  }
  return b;
}

export interface TreeOptions {
  bsize: number;
  /** Include the 20 MiB file (double indirect for small blocks). */
  big: boolean;
  /** Entries in the large directory. */
  bigdir: number;
}

/**
 * Write the fixture tree: sizes around block boundaries, sparse files, symlinks short and long,
 * hard links, a fifo, a deep path, 255-byte names and a large directory.
 */
export function writeTree(root: string, o: TreeOptions): void {
  const f = (p: string, data: Uint8Array): void => writeFileSync(join(root, p), data);
  mkdirSync(join(root, 'files'));
  f('files/empty', new Uint8Array(0));
  f('files/one', Buffer.from('x'));
  f('files/s511', pattern('s511', 511));
  f('files/bsize', pattern('bsize', o.bsize));
  f('files/bsize_plus1', pattern('bsize+1', o.bsize + 1));
  f('files/frag_tail', pattern('frag', 3 * o.bsize + 1500));
  f('files/direct_max', pattern('direct', 12 * o.bsize));
  f('files/single_ind', pattern('single', 15 * o.bsize + 777));
  if (o.big) f('files/big20m', pattern('big', 20 * 1024 * 1024));
  // Sparse on the host; makefs writes the zeros out, but the reader must still return them.
  const fd = openSync(join(root, 'files/sparse'), 'w');
  writeSync(fd, Buffer.from('start'), 0, 5, 0);
  writeSync(fd, Buffer.from('end of sparse'), 0, 13, 3 * 1024 * 1024 + 17);
  closeSync(fd);
  mkdirSync(join(root, 'links'));
  symlinkSync('../files/s511', join(root, 'links/fast'));
  symlinkSync('/nonexistent/target', join(root, 'links/dangling'));
  for (const n of [59, 60, 61, 119, 120, 121, 300, 1000]) symlinkSync('x'.repeat(n), join(root, `links/len${n}`));
  linkSync(join(root, 'files/s511'), join(root, 'links/hard1'));
  linkSync(join(root, 'files/s511'), join(root, 'hard2'));
  mkdirSync(join(root, 'special'));
  execFileSync('mkfifo', [join(root, 'special/fifo')]);
  let deep = 'deep';
  for (let i = 0; i < 12; i++) deep = join(deep, `level${i}`);
  mkdirSync(join(root, deep), { recursive: true });
  f(join(deep, 'leaf'), pattern('leaf', 1234));
  mkdirSync(join(root, 'names'));
  f('names/' + 'n'.repeat(255), Buffer.from('longest name'));
  f('names/' + 'é'.repeat(100), Buffer.from('utf-8 name'));
  mkdirSync(join(root, 'bigdir'));
  for (let i = 0; i < o.bigdir; i++) {
    const name = i % 7 === 0 ? `entry_${i}_with_a_longer_name_to_vary_record_lengths` : `e${i}`;
    f(`bigdir/${name}`, i % 10 === 3 ? pattern(name, i) : new Uint8Array(0));
  }
  mkdirSync(join(root, 'emptydir'));
  // A timestamp with nanoseconds is not settable portably from Node; seconds are.
  utimesSync(join(root, 'files/one'), 1234567890, 1234567890);
}

export interface ImageOptions {
  version: 1 | 2;
  endian: 'be' | 'le';
  bsize?: number;
  fsize?: number;
  size?: string;
  /** Bytes of data per inode (makefs -o density). */
  density?: number;
}

/** Build an FFS image of `dir` with makefs -t ffs. */
export function makeImage(dir: string, image: string, o: ImageOptions): void {
  const opts = [`version=${o.version}`];
  if (o.bsize) opts.push(`bsize=${o.bsize}`);
  if (o.fsize) opts.push(`fsize=${o.fsize}`);
  if (o.density) opts.push(`density=${o.density}`);
  const args = ['-t', 'ffs', '-B', o.endian, '-o', opts.join(',')];
  if (o.size) args.push('-s', o.size);
  args.push(image, dir);
  execFileSync('makefs', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The bytes of a makefs image (made under `tmp`, names ending in `tag`) holding one file `/f` of `data`. */
export function oneFileImage(tmp: string, tag: string, data: Uint8Array, o: ImageOptions): Uint8Array {
  const src = join(tmp, `src${tag}`);
  mkdirSync(src);
  writeFileSync(join(src, 'f'), data);
  const path = join(tmp, `img${tag}`);
  makeImage(src, path, o);
  return new Uint8Array(readFileSync(path));
}

/** The errno code a kernel call fails with ('ok' when it does not fail); anything else is rethrown. */
export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRumpError(e)) return e.code;
    throw e;
  }
  return 'ok';
}
