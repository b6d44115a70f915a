/**
 * MNT_NODEV, MNT_NOEXEC and MNT_NOSUID (issue 16): a device node on a nodev mount opens nothing
 * (ENXIO, as NetBSD's spec_open), nothing on a noexec mount is executable, and set-id bits on a
 * nosuid mount count for nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Kernel, MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_UPDATE, O_CREAT, O_RDONLY, O_RDWR, type Proc, R_OK, S_IFBLK, S_IFCHR, X_OK,
} from '@rumpts/librump';
import { type BlockDevice, devswOf, fd_vnode, makedev, vn_exec_check } from '../src/index.js';
import { code, dec, enc, vfsKernel } from './helpers.js';

const MAJOR = 230;

/** A one-minor driver over `bytes`, block and character, counting opens. */
function attachDriver(k: Kernel, bytes: Uint8Array): { opens: number } {
  const seen = { opens: 0 };
  const dev: BlockDevice = {
    secsize: 512,
    size: bytes.length,
    readonly: false,
    read: (buf, off) => buf.set(bytes.subarray(off, off + buf.length)),
    write: (buf, off) => bytes.set(buf, off),
    flush: () => undefined,
  };
  devswOf(k).attach(
    MAJOR,
    { name: 'testdisk', open: () => (seen.opens++, dev) },
    MAJOR,
    {
      name: 'testdisk',
      open: () => {
        seen.opens++;
        return { size: bytes.length, read: (buf, off) => (dev.read(buf, off), buf.length), write: (buf) => buf.length };
      },
    },
  );
  return seen;
}

describe('mount flags', () => {
  let k: Kernel;
  let p: Proc;
  beforeEach(async () => {
    k = await vfsKernel();
    p = k.proc;
  });

  it('MNT_NODEV: a device node opens nothing (ENXIO) — and the same device elsewhere still opens', () => {
    const secret = new Uint8Array(4096).fill(0x42);
    secret.set(enc('SECRET'), 0);
    const seen = attachDriver(k, secret);
    p.mkdir('/nd');
    p.mount('rumpfs', '/nd', MNT_NODEV);
    expect(p.statvfs('/nd').flag & MNT_NODEV).toBe(MNT_NODEV);
    // Making device nodes is allowed (NetBSD too); opening them is not.
    p.mknod('/nd/b', S_IFBLK | 0o600, makedev(MAJOR, 0));
    p.mknod('/nd/c', S_IFCHR | 0o600, makedev(MAJOR, 0));
    for (const path of ['/nd/b', '/nd/c']) {
      expect(code(() => p.open(path, O_RDONLY))).toBe('ENXIO');
      expect(code(() => p.open(path, O_RDWR))).toBe('ENXIO');
    }
    // Even a device with no driver is ENXIO before the driver is looked up.
    p.mknod('/nd/none', S_IFBLK | 0o600, makedev(231, 0));
    expect(code(() => p.open('/nd/none', O_RDONLY))).toBe('ENXIO');
    expect(seen.opens).toBe(0);
    // stat still describes the node.
    expect(p.stat('/nd/b').rdev).toBe(makedev(MAJOR, 0));

    // The same device through a node on a mount without nodev is reachable.
    p.mknod('/dev/b', S_IFBLK | 0o600, makedev(MAJOR, 0));
    const fd = p.open('/dev/b', O_RDONLY);
    const buf = new Uint8Array(6);
    p.read(fd, buf);
    p.close(fd);
    expect(dec(buf)).toBe('SECRET');
    expect(seen.opens).toBe(1);

    // mount -u without nodev lets the image's nodes through; with it again, not.
    p.mount('rumpfs', '/nd', MNT_UPDATE);
    expect(p.statvfs('/nd').flag & MNT_NODEV).toBe(0);
    p.close(p.open('/nd/c', O_RDONLY));
    p.mount('rumpfs', '/nd', MNT_UPDATE | MNT_NODEV);
    expect(code(() => p.open('/nd/c', O_RDONLY))).toBe('ENXIO');
  });

  it('MNT_NOEXEC: regular files are not executable (access X_OK → EACCES); directories stay searchable', () => {
    for (const [dir, flags] of [['/ne', MNT_NOEXEC], ['/ex', 0]] as const) {
      p.mkdir(dir);
      p.mount('rumpfs', dir, flags);
      p.mkdir(`${dir}/sub`, 0o755);
      p.close(p.open(`${dir}/sub/prog`, O_CREAT | O_RDWR, 0o755));
    }
    expect(p.statvfs('/ne').flag & MNT_NOEXEC).toBe(MNT_NOEXEC);
    expect(code(() => p.access('/ne/sub/prog', X_OK))).toBe('EACCES');
    expect(code(() => p.access('/ne/sub/prog', R_OK))).toBe('OK');
    expect(code(() => p.access('/ne/sub', X_OK))).toBe('OK');
    p.chdir('/ne/sub');
    expect(code(() => p.access('/ex/sub/prog', X_OK))).toBe('OK');
    // check_exec: the file an exec would run.
    const fd = p.open('/ne/sub/prog', O_RDONLY);
    expect(code(() => vn_exec_check(fd_vnode(p, fd), p.cred))).toBe('EACCES');
    p.close(fd);
    const dfd = p.open('/ex/sub', O_RDONLY);
    expect(code(() => vn_exec_check(fd_vnode(p, dfd), p.cred))).toBe('EACCES'); // not a regular file
    p.close(dfd);
  });

  it('MNT_NOSUID: set-id bits stay in the inode (stat shows them) but an exec would ignore them', () => {
    for (const [dir, flags] of [['/ns', MNT_NOSUID], ['/su', 0]] as const) {
      p.mkdir(dir);
      p.mount('rumpfs', dir, flags);
      p.close(p.open(`${dir}/prog`, O_CREAT | O_RDWR, 0o755));
      p.chmod(`${dir}/prog`, 0o6755);
    }
    expect(p.statvfs('/ns').flag & MNT_NOSUID).toBe(MNT_NOSUID);
    expect(p.stat('/ns/prog').mode & 0o7777).toBe(0o6755);
    const on = (path: string) => {
      const fd = p.open(path, O_RDONLY);
      try {
        return vn_exec_check(fd_vnode(p, fd), p.cred);
      } finally {
        p.close(fd);
      }
    };
    expect(on('/ns/prog')).toEqual({ setuid: false, setgid: false });
    expect(on('/su/prog')).toEqual({ setuid: true, setgid: true });
  });
});
