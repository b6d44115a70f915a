/**
 * A file system that behaves like a hostile image (issue 16): readdir hands out names no directory
 * may hold, reclaim and inactive fail, the root cannot be loaded. The VFS must skip the names (with a
 * kernel message), never leak a reference when an op fails, and leave no half-made mount behind.
 */
import { describe, expect, it } from 'vitest';
import { MNT_RDONLY, O_DIRECTORY, O_RDONLY, errno, type Kernel } from '@rumpts/librump';
import {
  type DirEntry, type Mount, type VfsOps, type Vattr, type VnodeOps, VDIR, VREG, direntNameInvalid, vfs_attach,
} from '../src/index.js';
import { vfsKernel } from './helpers.js';

const ROOT = 1;
const eio = (what: string): never => {
  throw errno('EIO', `hostilefs: ${what}`);
};

interface Behaviour {
  /** What readdir of the root lists (key 0 = no file). */
  entries: [string, number][];
  /** Keys whose reclaim fails. */
  badReclaim: Set<number>;
  /** Keys whose inactive fails. */
  badInactive: Set<number>;
  /** The root cannot be loaded. */
  badRoot: boolean;
  reclaimed: number[];
  /** Keys that are directories besides the root (their '..' is the root). */
  dirs: Set<number>;
  /** The fs's unmount ran. */
  unmounted: boolean;
}

function attr(key: number, dirs: Set<number>): Vattr {
  const t = { sec: 0, nsec: 0 };
  return { type: key === ROOT || dirs.has(key) ? VDIR : VREG, mode: 0o755, nlink: 1, uid: 0, gid: 0, fileid: key, size: 0, bytes: 0, blocksize: 512, atime: t, mtime: t, ctime: t, birthtime: t, gen: 0, flags: 0, rdev: 0 };
}

function hostilefs(b: Behaviour): VfsOps {
  const ops: VnodeOps = {
    lookup: (dvp, name) => {
      if (name === '..') return dvp.mount.vcacheGet(ROOT);
      const hit = b.entries.find(([n]) => n === name);
      return hit ? dvp.mount.vcacheGet(hit[1]) : null;
    },
    create: () => eio('create'),
    mknod: () => eio('mknod'),
    mkdir: () => eio('mkdir'),
    symlink: () => eio('symlink'),
    link: () => eio('link'),
    remove: () => eio('remove'),
    rmdir: () => eio('rmdir'),
    rename: () => eio('rename'),
    getattr: (vp) => attr(vp.key, b.dirs),
    setattr: () => eio('setattr'),
    read: () => 0,
    write: () => eio('write'),
    fsync: () => {},
    readdir: (_vp, cookie): { entries: DirEntry[]; eof: boolean } => ({
      entries: b.entries.slice(cookie).map(([name, fileno], i) => ({ name, fileno, type: 0, cookie: cookie + i + 1 })),
      eof: true,
    }),
    readlink: () => eio('readlink'),
    inactive: (vp) => (b.badInactive.has(vp.key) ? eio(`inactive ${vp.key}`) : false),
    reclaim: (vp) => {
      b.reclaimed.push(vp.key);
      if (b.badReclaim.has(vp.key)) eio(`reclaim ${vp.key}`);
    },
  };
  return {
    name: 'hostilefs',
    vnodeops: ops,
    mount: (mp: Mount) => {
      mp.data = b;
    },
    unmount: () => {
      b.unmounted = true;
    },
    rootKey: () => ROOT,
    statvfs: () => ({ bsize: 512, frsize: 512, iosize: 512, blocks: 0, bfree: 0, bavail: 0, bresvd: 0, files: 0, ffree: 0, favail: 0, fresvd: 0, namemax: 255, syncreads: 0, syncwrites: 0, asyncreads: 0, asyncwrites: 0 }),
    sync: () => {},
    loadvnode: (_mp, key) => {
      if (key === ROOT && b.badRoot) eio('root inode unreadable');
      return { type: key === ROOT || b.dirs.has(key) ? VDIR : VREG, data: key };
    },
  };
}

async function setup(b: Partial<Behaviour> = {}): Promise<{ k: Kernel; b: Behaviour }> {
  const full: Behaviour = { entries: [], badReclaim: new Set(), badInactive: new Set(), badRoot: false, reclaimed: [], dirs: new Set(), unmounted: false, ...b };
  const k = await vfsKernel({ logger: () => {} });
  vfs_attach(k, hostilefs(full));
  k.proc.mkdir('/mnt', 0o755);
  return { k, b: full };
}

function listing(k: Kernel, dir: string, count = 4096): string[] {
  const fd = k.proc.open(dir, O_RDONLY | O_DIRECTORY);
  const names: string[] = [];
  try {
    for (;;) {
      const batch = k.proc.getdents(fd, count);
      if (batch.length === 0) return names;
      names.push(...batch.map((d) => d.name));
    }
  } finally {
    k.proc.close(fd);
  }
}

describe('directory entry names from a file system', () => {
  it('direntNameInvalid names what no entry may be', () => {
    expect(direntNameInvalid('')).toContain('empty');
    expect(direntNameInvalid('../../tmp/victim')).toContain("'/'");
    expect(direntNameInvalid('a\0b')).toContain('NUL');
    expect(direntNameInvalid('ok name.txt')).toBeNull();
    expect(direntNameInvalid('..')).toBeNull();
    // Names are bytes: an escaped byte (U+DC80..U+DCFF) is a name, another lone surrogate is not.
    expect(direntNameInvalid('caf\uDCE9')).toBeNull();
    expect(direntNameInvalid('\u{1F600}')).toBeNull();
    expect(direntNameInvalid('bad\uD800')).toContain('no byte form');
    expect(direntNameInvalid('bad\uDC20')).toContain('no byte form');
  });

  it('getdents sizes records by name bytes and skips a name with no byte form', async () => {
    const entries: [string, number][] = [['.', ROOT], ['..', ROOT], ['caf\uDCE9', 2], ['bad\uD800', 3], ['\uDCFF'.repeat(10), 4]];
    const { k } = await setup({ entries });
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    const before = k.msgbuf.length;
    const fd = k.proc.open('/mnt', O_RDONLY | O_DIRECTORY);
    const got = k.proc.getdents(fd);
    k.proc.close(fd);
    expect(got.map((d) => d.name)).toEqual(['.', '..', 'caf\uDCE9', '\uDCFF'.repeat(10)]);
    // struct dirent: (13 + namlen + 1 + 7) & ~7 with namlen in bytes (4 and 10, not 6 and 30).
    expect(got.map((d) => d.reclen)).toEqual([16, 16, 24, 24]);
    expect(k.msgbuf.slice(before).some((m) => m.includes('(file 3) skipped: a name with a lone surrogate'))).toBe(true);
    k.proc.unmount('/mnt');
    k.halt();
  });

  it('getdents skips empty names, names with / or NUL and misplaced . and .., with a kernel message each', async () => {
    const entries: [string, number][] = [
      ['.', ROOT], ['..', ROOT], ['good', 2], ['', 3], ['../../tmp/victim', 4], ['a/b', 5], ['nul\0x', 6], ['..', 7], ['.', 8], ['also-good', 9],
    ];
    const { k } = await setup({ entries });
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    const before = k.msgbuf.length;
    expect(listing(k, '/mnt')).toEqual(['.', '..', 'good', 'also-good']);
    const msgs = k.msgbuf.slice(before);
    expect(msgs).toHaveLength(6);
    expect(msgs.every((m) => m.includes('getdents') && m.includes('/mnt') && m.includes('skipped'))).toBe(true);
    expect(msgs).toContain(`vfs: getdents: /mnt: directory ${ROOT}: entry "../../tmp/victim" (file 4) skipped: a name with '/'`);
    expect(msgs).toContain(`vfs: getdents: /mnt: directory ${ROOT}: entry "nul\\u0000x" (file 6) skipped: a name with NUL`);
    expect(msgs.some((m) => m.includes("'..' that is not one of the first two"))).toBe(true);
    // Small buffers (one entry per call) see the same: the stream state survives between calls.
    expect(listing(k, '/mnt', 24)).toEqual(['.', '..', 'good', 'also-good']);
    k.proc.unmount('/mnt');
    k.halt();
  });

  it('a directory holding nothing but bad names reads as empty and ends', async () => {
    const { k } = await setup({ entries: [['', 2], ['x/y', 3], ['\0', 4]] });
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    expect(listing(k, '/mnt')).toEqual([]);
    k.proc.unmount('/mnt');
    k.halt();
  });

  it('getcwd never builds a path from a bad name', async () => {
    // Directory 2 is listed twice in the root: first as 'a/b', then as 'sub'.
    const { k } = await setup({ entries: [['a/b', 2], ['sub', 2]], dirs: new Set([2]) });
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    k.proc.chdir('/mnt/sub');
    expect(k.proc.getcwd()).toBe('/mnt/sub');
    k.proc.chdir('/');
    k.proc.unmount('/mnt');
    k.halt();
  });
});

describe('references on error paths', () => {
  it('a failing reclaim or inactive is logged, and the references are gone: unmount works', async () => {
    const { k, b } = await setup({ entries: [['bad', 2], ['worse', 3]], badReclaim: new Set([2]), badInactive: new Set([3]) });
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    k.proc.stat('/mnt/bad');
    // inactive of 3 fails on release: the vnode is reclaimed, the stat still answers.
    expect(k.proc.stat('/mnt/worse').ino).toBe(3);
    expect(b.reclaimed).toContain(3);
    expect(k.msgbuf.some((m) => m.includes('inactive of file 3') && m.includes('EIO'))).toBe(true);
    k.proc.unmount('/mnt');
    expect(b.reclaimed).toContain(2);
    expect(k.msgbuf.some((m) => m.includes('reclaim of file 2') && m.includes('EIO'))).toBe(true);
    // Mounted again at once: nothing was left busy.
    k.proc.mount('hostilefs', '/mnt', MNT_RDONLY);
    k.proc.unmount('/mnt');
    k.halt();
  });

  it('a mount whose root cannot be loaded fails with the error and leaves nothing mounted', async () => {
    const { k, b } = await setup({ badRoot: true });
    expect(() => k.proc.mount('hostilefs', '/mnt', MNT_RDONLY)).toThrow(/root inode unreadable/);
    // The fs was told to let go of the mount it had accepted.
    expect(b.unmounted).toBe(true);
    expect(k.proc.getvfsstat().map((s) => s.mntonname)).toEqual(['/']);
    // The covered directory is free again: rmdir works (a leaked reference would not stop it, but a
    // mount left on it would).
    k.proc.rmdir('/mnt');
    k.halt();
  });
});

