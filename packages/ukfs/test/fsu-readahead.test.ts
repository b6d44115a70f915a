/**
 * put -r of a tree large enough for the read-ahead thread (readahead.ts): every file arrives whole
 * and with its mode, whether the thread read it or the main thread did — empty files, one past the
 * thread's size limit, more bytes in all than its ring holds (so the ring wraps) — and the entries
 * the thread never reads (a fifo, a symbolic link, a subdirectory, a socket) sit between runs of
 * files without putting the two threads out of step.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { READ_AHEAD_LIMIT } from '../src/fsu/readahead.js';
import { fsu } from './fsu-helpers.js';
import { tmp } from './helpers.js';

/** Deterministic bytes for file `i` of `n` bytes. */
function bytes(i: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let k = 0; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Every entry under `root` as `path|type|mode|content` lines, sorted. */
function listing(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(root, r);
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${r}|d|${mode}`);
      out.push(...listing(root, r));
    } else if (st.isSymbolicLink()) out.push(`${r}|l|${readlinkSync(p)}`);
    else if (st.isFIFO()) out.push(`${r}|p|${mode}`);
    else if (st.isSocket()) out.push(`${r}|s`);
    else out.push(`${r}|f|${mode}|${readFileSync(p).toString('base64')}`);
  }
  return out;
}

describe('fsu put -r with the read-ahead thread', () => {
  it('copies a tree of files, specials and subdirectories whole, in step, and reports what it cannot copy', () => {
    const d = tmp();
    const src = join(d, 'src');
    const many = join(src, 'many');
    mkdirSync(join(many, 'm-sub'), { recursive: true });
    let total = 0;
    for (let i = 0; i < 200; i++) {
      const n = i % 17 === 0 ? 0 : (i * 7919) % 60_000;
      total += n;
      const f = join(many, `f${String(i).padStart(3, '0')}`);
      writeFileSync(f, bytes(i, n));
      if (i % 5 === 0) chmodSync(f, i % 2 === 0 ? 0o600 : 0o755);
    }
    // More than the ring holds, so it wraps.
    expect(total).toBeGreaterThan(4 << 20);
    writeFileSync(join(many, 'f100-big'), bytes(1000, READ_AHEAD_LIMIT + 12345));
    execFileSync('mkfifo', ['-m', '640', join(many, 'f050-fifo')]);
    symlinkSync('f001', join(many, 'f120-link'));
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(many, 'f150-sock')]);
    mkdirSync(join(many, 'f060-dir'));
    for (let i = 0; i < 80; i++) writeFileSync(join(many, 'f060-dir', `g${i}`), bytes(500 + i, (i * 131) % 9000));
    for (let i = 0; i < 3; i++) writeFileSync(join(many, 'm-sub', `h${i}`), bytes(900 + i, 100 * i));

    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '48m', img]).code).toBe(0);
    const put = fsu(['put', '-r', img, src, '/tree']);
    expect(put.stderr).toBe(`fsu: ${join(many, 'f150-sock')}: is a socket; sockets are not copied\n`);
    expect(put.code).toBe(1);
    expect(fsu(['fsck', '-n', img]).code).toBe(0);

    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/tree', out]);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    const want = listing(src).filter((l) => l !== 'many/f150-sock|s');
    expect(want.length).toBe(listing(src).length - 1);
    expect(listing(out)).toEqual(want);
  });
});
