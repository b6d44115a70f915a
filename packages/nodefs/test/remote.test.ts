/**
 * The facade over a rump server: a RemoteProc (blocking calls through a worker thread holding the
 * client connection) as createFs's target. The differential script runs against it, and what it
 * writes is read back by a second, independent client connection.
 */
import { describe, expect, it } from 'vitest';
import git from 'isomorphic-git';
import { connect } from '@rumpts/server';
import type * as NodeFs from '../src/index.js';
import { createFs } from '../src/index.js';
import * as hostFs from 'node:fs';
import { hostTmp } from './helpers.js';
import { asyncScript, script } from './script.js';
import { startServer, DIST } from './server.js';

const mod = (await import(`${DIST}/index.js`)) as typeof NodeFs;

describe('createFs over a rump server', () => {
  it('writes, lists, streams and fails like node:fs; another client sees the files', async () => {
    const { url } = await startServer();
    const proc = new mod.RemoteProc({ url });
    try {
      const fs = mod.createFs(proc);
      fs.mkdirSync('/mnt/a/b', { recursive: true });
      fs.writeFileSync('/mnt/a/b/file.txt', 'over the wire\n');
      await fs.promises.appendFile('/mnt/a/b/file.txt', 'and back\n');
      const big = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 31) & 0xff));
      fs.writeFileSync('/mnt/a/big.bin', big);
      expect(fs.readFileSync('/mnt/a/big.bin').equals(big)).toBe(true);
      expect(fs.readdirSync('/mnt/a', { withFileTypes: true }).map((d) => [d.name, d.isDirectory()]).sort()).toEqual([
        ['b', true],
        ['big.bin', false],
      ]);
      const chunks: Buffer[] = [];
      for await (const c of fs.createReadStream('/mnt/a/b/file.txt', { highWaterMark: 4 })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('over the wire\nand back\n');
      expect(() => fs.readdirSync('/mnt/none')).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'scandir', path: '/mnt/none', errno: -2 }));
      await expect(fs.promises.rmdir('/mnt/a')).rejects.toMatchObject({ code: 'ENOTEMPTY', syscall: 'rmdir' });

      // an independent connection (another server process) reads what this one wrote
      const other = await connect(url);
      const fd = await other.open('/mnt/a/b/file.txt', 0);
      const buf = new Uint8Array(100);
      const n = await other.read(fd, buf);
      expect(Buffer.from(buf.subarray(0, n)).toString()).toBe('over the wire\nand back\n');
      expect((await other.stat('/mnt/a/big.bin')).size).toBe(big.length);
      await other.disconnect();

      fs.rmSync('/mnt/a', { recursive: true });
      expect(fs.existsSync('/mnt/a')).toBe(false);
    } finally {
      proc.disconnect();
    }
  });

  it('runs the differential scripts with the host node:fs results', async () => {
    const hostRoot = hostTmp();
    const expectedSync = script(hostFs, hostRoot);
    const { url } = await startServer();
    const proc = new mod.RemoteProc({ url });
    try {
      const fs = mod.createFs(proc);
      fs.mkdirSync('/mnt/r');
      const actualSync = script(fs, '/mnt/r');
      for (const k of Object.keys(expectedSync)) expect.soft(actualSync[k], k).toEqual(expectedSync[k]);
      const host2 = hostTmp();
      const expectedAsync = await asyncScript(hostFs, host2);
      fs.mkdirSync('/mnt/r2');
      const actualAsync = await asyncScript(fs, '/mnt/r2');
      for (const k of Object.keys(expectedAsync)) expect.soft(actualAsync[k], k).toEqual(expectedAsync[k]);
    } finally {
      proc.disconnect();
    }
  });

  it('over an async RumpClient: callbacks and promises without blocking, no sync calls', async () => {
    const { url } = await startServer();
    const client = await connect(url);
    try {
      const fs = createFs(client);
      expect(() => fs.readFileSync('/mnt/x')).toThrow(expect.objectContaining({ code: 'ENOTSUP', syscall: 'readFile' }));
      const host2 = hostTmp();
      const expectedAsync = await asyncScript(hostFs, host2);
      await fs.promises.mkdir('/mnt/r2');
      const actualAsync = await asyncScript(fs, '/mnt/r2');
      for (const k of Object.keys(expectedAsync)) expect.soft(actualAsync[k], k).toEqual(expectedAsync[k]);

      // the event loop keeps turning while calls are out: a multi-round-trip readFile lets many
      // setImmediate ticks through (a blocking target would let none through until it is done)
      await fs.promises.writeFile('/mnt/big', Buffer.alloc(4 << 20, 7));
      let ticks = 0;
      let done = false;
      const tick = (): void => {
        ticks++;
        if (!done) setImmediate(tick);
      };
      setImmediate(tick);
      const big = (await fs.promises.readFile('/mnt/big')) as Buffer;
      done = true;
      expect(big.length).toBe(4 << 20);
      expect(ticks).toBeGreaterThan(1);

      // many calls at once on the one connection
      await fs.promises.mkdir('/mnt/many');
      await Promise.all(Array.from({ length: 32 }, (_, i) => fs.promises.writeFile(`/mnt/many/f${i}`, `body ${i}`)));
      const bodies = await Promise.all(Array.from({ length: 32 }, (_, i) => fs.promises.readFile(`/mnt/many/f${i}`, 'utf8')));
      expect(bodies).toEqual(Array.from({ length: 32 }, (_, i) => `body ${i}`));

      // isomorphic-git over the wire, promises only
      await git.init({ fs, dir: '/mnt/repo', defaultBranch: 'main' });
      await fs.promises.writeFile('/mnt/repo/a.txt', 'remote commit\n');
      await git.add({ fs, dir: '/mnt/repo', filepath: 'a.txt' });
      const oid = await git.commit({ fs, dir: '/mnt/repo', message: 'over the wire', author: { name: 'R', email: 'r@example.org', timestamp: 1, timezoneOffset: 0 } });
      expect((await git.log({ fs, dir: '/mnt/repo' }))[0]?.oid).toBe(oid);
    } finally {
      await client.disconnect();
    }
  });

  it('over tcp the remote process finds the token file of the url (XDG_RUNTIME_DIR), and is refused without it', async () => {
    const { url, dir } = await startServer(true);
    const saved = process.env['XDG_RUNTIME_DIR'];
    try {
      process.env['XDG_RUNTIME_DIR'] = dir;
      const proc = new mod.RemoteProc({ url });
      try {
        const fs = mod.createFs(proc);
        fs.writeFileSync('/mnt/over-tcp', 'token from the file\n');
        expect(fs.readFileSync('/mnt/over-tcp', 'utf8')).toBe('token from the file\n');
      } finally {
        proc.disconnect();
      }
      process.env['XDG_RUNTIME_DIR'] = hostTmp();
      expect(() => new mod.RemoteProc({ url })).toThrow(expect.objectContaining({ code: 'EAUTH' }));
    } finally {
      if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = saved;
    }
  });

  it('fails to connect with the client error', () => {
    expect(() => new mod.RemoteProc({ url: 'unix:///nonexistent/sock' })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
