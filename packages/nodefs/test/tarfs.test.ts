/**
 * tar-fs (mafintosh's; its `fs` option takes any node:fs-like object) extracting into and packing
 * from a tmpfs in a rump kernel. The archives come from and go to the host's GNU tar, and what lands
 * in the kernel is read back through the kernel's own system calls.
 */
import { execFileSync } from 'node:child_process';
import * as host from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tarFs from 'tar-fs';
import { describe, expect, it } from 'vitest';
import { S_IFMT, S_IFLNK } from '@rumpts/librump';
import type { RumpFs } from '../src/index.js';
import { exportTree, hostTmp, kernelRead, tmpfsFs } from './helpers.js';

// tar-fs 3 documents an `fs` option (any node:fs-like object) that @types/tar-fs 2 predates.
declare module 'tar-fs' {
  interface Options {
    fs?: RumpFs | typeof host;
  }
}

/** A host tree with text, a large binary, an empty file, a symlink, a hard link and odd modes. */
function sourceTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['hello.txt', Buffer.from('hello from GNU tar\n')],
    ['dir/sub/deep.txt', Buffer.from('deep\n')],
    ['dir/big.bin', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff))],
    ['empty', Buffer.alloc(0)],
  ]);
  for (const [name, body] of files) {
    host.mkdirSync(join(root, name, '..'), { recursive: true });
    host.writeFileSync(join(root, name), body);
  }
  host.chmodSync(join(root, 'hello.txt'), 0o640);
  host.chmodSync(join(root, 'dir/sub'), 0o750);
  host.symlinkSync('hello.txt', join(root, 'link'));
  host.linkSync(join(root, 'dir/big.bin'), join(root, 'hard.bin'));
  host.utimesSync(join(root, 'hello.txt'), 1_234_567_890, 1_234_567_890);
  return files;
}

describe('tar-fs with the facade as its fs', () => {
  it('extracts a GNU tar archive into tmpfs', async () => {
    const work = hostTmp();
    const src = join(work, 'src');
    const files = sourceTree(src);
    const archive = join(work, 'a.tar');
    execFileSync('tar', ['-cf', archive, '-C', src, '.']);

    const { fs, handle } = await tmpfsFs();
    fs.mkdirSync('/out');
    await pipeline(host.createReadStream(archive), tarFs.extract('/out', { fs: fs }));

    const p = handle.proc;
    // every stream tar-fs opened was closed (Node's WriteStream never closes an fd 0: see FD_BIAS)
    expect(p.fd.fds()).toEqual([]);
    for (const [name, body] of files) expect(kernelRead(p, `/out/${name}`).equals(body), name).toBe(true);
    expect(p.lstat('/out/link').mode & S_IFMT).toBe(S_IFLNK);
    expect(p.readlink('/out/link')).toBe('hello.txt');
    const big = p.stat('/out/dir/big.bin');
    const hard = p.stat('/out/hard.bin');
    expect(hard.ino).toBe(big.ino);
    expect(big.nlink).toBe(2);
    expect(p.stat('/out/hello.txt').mode & 0o777).toBe(host.statSync(join(src, 'hello.txt')).mode & 0o777 & ~process.umask());
    expect(p.stat('/out/hello.txt').mtime.sec).toBe(1_234_567_890);

    // the same work on the host: tar-fs extracting into a host directory gives the same modes
    const hostOut = join(work, 'host-out');
    host.mkdirSync(hostOut);
    await pipeline(host.createReadStream(archive), tarFs.extract(hostOut, { fs: host }));
    for (const n of ['hello.txt', 'dir', 'dir/sub', 'dir/big.bin', 'empty']) {
      expect(p.stat(`/out/${n}`).mode, n).toBe(host.statSync(join(hostOut, n)).mode);
      expect(p.stat(`/out/${n}`).mtime.sec, n).toBe(Math.floor(host.statSync(join(hostOut, n)).mtimeMs / 1000));
    }

    // and the whole tree, copied out through the kernel, equals the source by diff(1)
    const back = join(work, 'back');
    exportTree(p, '/out', back);
    execFileSync('diff', ['-r', '--no-dereference', src, back]);
  });

  it('packs a tree from tmpfs that GNU tar lists and extracts', async () => {
    const work = hostTmp();
    const src = join(work, 'src');
    sourceTree(src);
    const { fs } = await tmpfsFs();
    // build the tree in the kernel by extracting with tar-fs too, then pack it back out
    await pipeline(tarFs.pack(src), tarFs.extract('/tree', { fs: fs }));
    const archive = join(work, 'b.tar');
    await pipeline(tarFs.pack('/tree', { fs: fs }), host.createWriteStream(archive));

    const listing = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' });
    expect(listing).toMatch(/link -> hello\.txt/);
    // the same work on the host: tar-fs packing the source tree lists the same members (mode, owner, size, name)
    const hostArchive = join(work, 'host.tar');
    await pipeline(tarFs.pack(src, { fs: host }), host.createWriteStream(hostArchive));
    const members = (f: string): string[] =>
      execFileSync('tar', ['-tvf', f], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^(\S+\s+\S+\s+\d+)\s+\S+\s+\S+\s+/, '$1 '))
        .sort();
    expect(members(archive)).toEqual(members(hostArchive));
    const out = join(work, 'out');
    host.mkdirSync(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);
    execFileSync('diff', ['-r', '--no-dereference', src, out]);
    expect(host.statSync(join(out, 'hello.txt')).mtimeMs).toBe(1_234_567_890_000);
  });
});
