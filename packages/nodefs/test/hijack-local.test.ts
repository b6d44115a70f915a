/**
 * installHijack over a local kernel process, in this process: node:fs's own exports (default,
 * named ESM bindings and fs/promises) route /rumptest paths into the kernel and everything else to
 * the host, for sync, callback and promise calls; uninstall puts node:fs back.
 */
import fs, { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, rename as renameP } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { installHijack, RUMP_FD_BASE } from '../src/index.js';
import { hostTmp, kernelRead } from './helpers.js';

describe('installHijack with a local Proc', () => {
  it('routes by path prefix and descriptor, maps paths back, and uninstalls', async () => {
    const kernel = await rump_init({ libraries: [rumpvfs, tmpfs] });
    kernel.proc.mkdir('/mnt', 0o755);
    kernel.proc.mount('tmpfs', '/mnt', 0, {});
    const hostDir = hostTmp();
    const origReadFileSync = fs.readFileSync;
    const h = installHijack({ target: kernel.proc, prefix: '/rumptest' });
    try {
      expect(fs.readFileSync).not.toBe(origReadFileSync);
      // named ESM bindings were re-synced
      writeFileSync('/rumptest/mnt/a.txt', 'kernel side');
      writeFileSync(`${hostDir}/a.txt`, 'host side');
      expect(kernelRead(kernel.proc, '/mnt/a.txt').toString()).toBe('kernel side');
      expect(readFileSync(`${hostDir}/a.txt`, 'utf8')).toBe('host side');
      expect(existsSync('/rumptest/mnt/a.txt')).toBe(true);
      expect(existsSync('/rumptest')).toBe(true);

      // errors carry the program's paths
      expect(() => readFileSync('/rumptest/mnt/missing')).toThrow(
        expect.objectContaining({ code: 'ENOENT', path: '/rumptest/mnt/missing', message: "ENOENT: no such file or directory, open '/rumptest/mnt/missing'" }),
      );

      // descriptors: shifted, routed back by number
      const fd = fs.openSync('/rumptest/mnt/a.txt', 'r');
      expect(fd).toBeGreaterThanOrEqual(RUMP_FD_BASE);
      const buf = Buffer.alloc(6);
      const n = await new Promise<number>((res, rej) => fs.read(fd, buf, 0, 6, 0, (e, got) => (e ? rej(e) : res(got))));
      expect(buf.subarray(0, n).toString()).toBe('kernel');
      expect(fs.fstatSync(fd).size).toBe(11);
      fs.closeSync(fd);
      expect(kernel.proc.fd.fds()).toEqual([]);

      // promises, paths in results mapped back
      fs.mkdirSync('/rumptest/mnt/d/e', { recursive: true });
      const ents = await readdir('/rumptest/mnt/d', { withFileTypes: true });
      expect(ents.map((d) => [d.name, d.parentPath, d.isDirectory()])).toEqual([['e', '/rumptest/mnt/d', true]]);
      expect(fs.realpathSync('/rumptest/mnt/d/e/..')).toBe('/rumptest/mnt/d');
      expect(fs.mkdtempSync('/rumptest/mnt/t-')).toMatch(/^\/rumptest\/mnt\/t-.{6}$/);
      expect(fs.mkdirSync('/rumptest/mnt/p/q', { recursive: true })).toBe('/rumptest/mnt/p');
      const dir = await fs.promises.opendir('/rumptest/mnt/d');
      expect(dir.path).toBe('/rumptest/mnt/d');
      const seen: string[] = [];
      for await (const e of dir) seen.push(`${e.parentPath}/${e.name}`);
      expect(seen).toEqual(['/rumptest/mnt/d/e']);
      const sdir = fs.opendirSync('/rumptest/mnt/p');
      expect(sdir.readSync()?.name).toBe('q');
      sdir.closeSync();

      // two paths across the border: EXDEV in every flavour
      await expect(renameP('/rumptest/mnt/a.txt', `${hostDir}/b`)).rejects.toMatchObject({ code: 'EXDEV' });
      expect(() => fs.linkSync(`${hostDir}/a.txt`, '/rumptest/mnt/l')).toThrow(expect.objectContaining({ code: 'EXDEV' }));
      // copyFile across the border copies, in every flavour, keeping the mode
      fs.chmodSync('/rumptest/mnt/a.txt', 0o640);
      const cbErr = await new Promise((res) => fs.copyFile('/rumptest/mnt/a.txt', `${hostDir}/c`, res));
      expect(cbErr).toBeNull();
      expect(readFileSync(`${hostDir}/c`, 'utf8')).toBe('kernel side');
      expect(fs.statSync(`${hostDir}/c`).mode & 0o777).toBe(0o640);
      fs.copyFileSync(`${hostDir}/a.txt`, '/rumptest/mnt/from-host');
      expect(kernelRead(kernel.proc, '/mnt/from-host').toString()).toBe('host side');
      await fs.promises.copyFile(`${hostDir}/a.txt`, '/rumptest/mnt/from-host-p');
      expect(kernelRead(kernel.proc, '/mnt/from-host-p').toString()).toBe('host side');
      expect(() => fs.copyFileSync(`${hostDir}/a.txt`, '/rumptest/mnt/from-host', fs.constants.COPYFILE_EXCL)).toThrow(
        expect.objectContaining({ code: 'EEXIST', path: '/rumptest/mnt/from-host' }),
      );
      // cp across the border, both ways and in every flavour; host numeric flags; statfs and watch on /rumptest paths
      fs.mkdirSync('/rumptest/mnt/tree/sub', { recursive: true });
      fs.writeFileSync('/rumptest/mnt/tree/sub/f.txt', 'in the kernel', { mode: 0o600 });
      fs.symlinkSync('sub/f.txt', '/rumptest/mnt/tree/ln');
      await fs.promises.cp('/rumptest/mnt/tree', `${hostDir}/out`, { recursive: true, verbatimSymlinks: true });
      expect(readFileSync(`${hostDir}/out/sub/f.txt`, 'utf8')).toBe('in the kernel');
      expect(fs.statSync(`${hostDir}/out/sub/f.txt`).mode & 0o777).toBe(0o600);
      expect(fs.readlinkSync(`${hostDir}/out/ln`)).toBe('sub/f.txt');
      const cpErr = await new Promise((res) => fs.cp(`${hostDir}/out`, '/rumptest/mnt/back', { recursive: true }, res));
      expect(cpErr).toBeNull();
      expect(kernelRead(kernel.proc, '/mnt/back/sub/f.txt').toString()).toBe('in the kernel');
      // without verbatimSymlinks cp makes a relative link absolute, against the source's path (node:fs's rule)
      expect(fs.readlinkSync('/rumptest/mnt/back/ln')).toBe(`${hostDir}/out/sub/f.txt`);
      fs.cpSync('/rumptest/mnt/tree/sub/f.txt', `${hostDir}/one.txt`);
      expect(readFileSync(`${hostDir}/one.txt`, 'utf8')).toBe('in the kernel');
      const nfd = fs.openSync('/rumptest/mnt/numeric', fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o640);
      fs.closeSync(nfd);
      expect(kernel.proc.stat('/mnt/numeric').mode & 0o777).toBe(0o640);
      expect(fs.statfsSync('/rumptest/mnt').type).toBe(0x01021994);
      const w = fs.watch('/rumptest/mnt', { interval: 10 } as fs.WatchOptions);
      const ev = new Promise((res) => w.once('change', (t, n) => res(`${t}:${String(n)}`)));
      fs.writeFileSync('/rumptest/mnt/watched', 'x');
      expect(await ev).toBe('rename:watched');
      w.close();
      // both inside: fine
      await renameP('/rumptest/mnt/a.txt', '/rumptest/mnt/b.txt');
      expect(kernelRead(kernel.proc, '/mnt/b.txt').toString()).toBe('kernel side');
    } finally {
      h.uninstall();
      kernel.halt();
    }
    expect(fs.readFileSync).toBe(origReadFileSync);
    expect(existsSync('/rumptest')).toBe(false);
    expect(() => readFileSync('/rumptest/mnt/b.txt')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
