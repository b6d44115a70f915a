/**
 * node-tar (npm `tar`, the one npm itself uses) takes no `fs` option: it calls node:fs, as most
 * programs do. So it runs under the hijack (installHijack over a local kernel process), as its
 * users would run it unmodified, and does the same work on a host directory as the oracle:
 * extract a GNU tar archive, pack a tree back. What lands in the kernel is copied out through the
 * kernel's own system calls and compared with the host's result; the archive node-tar packed from
 * the kernel is listed and extracted by GNU tar.
 */
import { execFileSync } from 'node:child_process';
import * as host from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { installHijack } from '../src/index.js';
import { exportTree, hostTmp } from './helpers.js';

/** A host tree: text, binary, empty file, nested dirs with odd modes, a symlink, a hard link, set times. */
function sourceTree(root: string): void {
  const files: Record<string, Buffer> = {
    'hello.txt': Buffer.from('hello from GNU tar\n'),
    'dir/sub/deep.txt': Buffer.from('deep\n'),
    'dir/big.bin': Buffer.from(Array.from({ length: 250_000 }, (_, i) => (i * 7919) & 0xff)),
    empty: Buffer.alloc(0),
  };
  for (const [name, body] of Object.entries(files)) {
    host.mkdirSync(join(root, name, '..'), { recursive: true });
    host.writeFileSync(join(root, name), body);
  }
  host.chmodSync(join(root, 'hello.txt'), 0o640);
  host.chmodSync(join(root, 'dir/sub'), 0o750);
  host.symlinkSync('hello.txt', join(root, 'link'));
  host.linkSync(join(root, 'dir/big.bin'), join(root, 'hard.bin'));
  for (const n of ['hello.txt', 'dir/big.bin', 'dir/sub/deep.txt', 'empty']) host.utimesSync(join(root, n), 1_234_567_890, 1_234_567_890);
}

/** What a tree holds, as comparable data: type, permission bits, size, contents hash, link target, mtime (files). */
function describeTree(root: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of (host.readdirSync(root, { recursive: true }) as string[]).sort()) {
    const p = join(root, name);
    const st = host.lstatSync(p);
    if (st.isSymbolicLink()) out[name] = ['link', host.readlinkSync(p)];
    else if (st.isDirectory()) out[name] = ['dir', st.mode & 0o7777];
    else out[name] = ['file', st.mode & 0o7777, st.size, host.readFileSync(p).toString('base64').slice(0, 40), Math.floor(st.mtimeMs / 1000)];
  }
  return out;
}

describe('node-tar, unmodified, under the hijack', () => {
  it('extracts and packs in the kernel exactly what it does on the host', async () => {
    const work = hostTmp();
    const src = join(work, 'src');
    sourceTree(src);
    const archive = join(work, 'gnu.tar');
    execFileSync('tar', ['-cf', archive, '-C', src, '.']);

    // the oracle: node-tar on the host
    const hostOut = join(work, 'host-x');
    host.mkdirSync(hostOut);
    await tar.x({ file: archive, cwd: hostOut });
    const hostPacked = join(work, 'host-packed.tar');
    await tar.c({ file: hostPacked, cwd: hostOut, portable: true }, ['.']);

    const kernel = await rump_init({ libraries: [rumpvfs, tmpfs] });
    kernel.proc.mkdir('/mnt', 0o755);
    kernel.proc.mount('tmpfs', '/mnt', 0, {});
    kernel.proc.mkdir('/mnt/x', 0o755);
    const kernelPacked = join(work, 'kernel-packed.tar');
    const h = installHijack({ target: kernel.proc, prefix: '/rumptar' });
    try {
      await tar.x({ file: archive, cwd: '/rumptar/mnt/x' });
      await tar.c({ file: kernelPacked, cwd: '/rumptar/mnt/x', portable: true }, ['.']);
      // the sync forms too
      tar.x({ file: archive, cwd: '/rumptar/mnt/x', sync: true, keep: false });
    } finally {
      h.uninstall();
    }
    const kernelOut = join(work, 'kernel-x');
    exportTree(kernel.proc, '/mnt/x', kernelOut);
    // exportTree writes hard links as two files and cannot set times: compare what it can carry
    const k = describeTree(kernelOut);
    const o = describeTree(hostOut);
    const strip = (d: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(d).map(([n, v]) => [n, Array.isArray(v) && v[0] === 'file' ? v.slice(0, 4) : v]));
    expect(strip(k)).toEqual(strip(o));
    // times, read through the kernel itself
    expect(kernel.proc.stat('/mnt/x/hello.txt').mtime.sec).toBe(1_234_567_890);
    expect(kernel.proc.stat('/mnt/x/hard.bin').nlink).toBe(2);
    expect(kernel.proc.stat('/mnt/x/hard.bin').ino).toBe(kernel.proc.stat('/mnt/x/dir/big.bin').ino);
    kernel.halt();

    // the archive packed from the kernel: GNU tar lists the same members and extracts the same tree
    const members = (f: string): string[] => execFileSync('tar', ['-tvf', f], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.replace(/^(\S+)\s+\S+\s+\d+\s+\S+\s+\S+\s+/, '$1 ')).sort();
    expect(members(kernelPacked)).toEqual(members(hostPacked));
    const again = join(work, 'again');
    host.mkdirSync(again);
    execFileSync('tar', ['-xf', kernelPacked, '-C', again]);
    expect(describeTree(again)).toEqual(describeTree(hostOut));
  });
});
