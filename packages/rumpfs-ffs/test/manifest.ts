/**
 * Walking a mounted tree into the manifest format of test/fixtures/netbsd (path, type, size, mode,
 * uid, gid, nlink, sha256, target, rdev, mtime, ino) through the system calls, and a kernel with the
 * ffs module and block device nodes to mount from.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { type Kernel, O_RDONLY, S_IFBLK, S_IFMT, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { type BlockDevice, devswOf, makedev } from '@rumpts/rumpvfs';
import * as ffs from '../src/index.js';

/** Boot a kernel with the ffs module and a block device node /dev/<name> per device. */
export async function kernelWith(devs: Record<string, BlockDevice>): Promise<Kernel> {
  const k = await rump_init({ libraries: [rumpvfs, ffs] });
  const sw = devswOf(k);
  const maj = sw.freeMajor();
  const list = Object.values(devs);
  sw.attach(maj, { name: 'ffstest', open: (minor) => list[minor]! }, null, null);
  Object.keys(devs).forEach((name, i) => k.proc.mknod(`/dev/${name}`, S_IFBLK | 0o600, makedev(maj, i)));
  k.proc.mkdir('/mnt', 0o755);
  return k;
}

export type Entry = Record<string, string | number>;
const TYPE: Record<number, string> = { 0o100000: 'f', 0o040000: 'd', 0o120000: 'l', 0o010000: 'p', 0o020000: 'c', 0o060000: 'b' };

/** The manifest walk of the fixtures README, through system calls. */
export function syscallManifest(k: Kernel, mnt: string): Entry[] {
  const p = k.proc;
  const out: Entry[] = [];
  const visit = (path: string): void => {
    const abs = path === '/' ? mnt : mnt + path;
    const st = p.lstat(abs);
    const type = TYPE[st.mode & S_IFMT] ?? '?';
    const e: Entry = { path, type, size: st.size, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid, nlink: st.nlink };
    if (type === 'f') {
      const fd = p.open(abs, O_RDONLY);
      const h = createHash('sha256');
      const buf = new Uint8Array(65536);
      for (let n; (n = p.read(fd, buf)) > 0; ) h.update(buf.subarray(0, n));
      p.close(fd);
      e['sha256'] = h.digest('hex');
    }
    if (type === 'l') e['target'] = p.readlink(abs);
    if (type === 'c' || type === 'b') e['rdev'] = st.rdev;
    Object.assign(e, { mtime_sec: st.mtime.sec, mtime_nsec: st.mtime.nsec, ino: st.ino });
    out.push(e);
    if (type !== 'd') return;
    const fd = p.open(abs, O_RDONLY);
    const names: string[] = [];
    // A small count forces many getdents calls: cookies must resume exactly.
    for (let ents; (ents = p.getdents(fd, 300)).length > 0; ) for (const d of ents) if (d.name !== '.' && d.name !== '..') names.push(d.name);
    p.close(fd);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) visit(path === '/' ? `/${n}` : `${path}/${n}`);
  };
  visit('/');
  return out.sort((a, b) => Buffer.compare(Buffer.from(String(a['path'])), Buffer.from(String(b['path']))));
}
