/**
 * rumpfs: the in-memory root file system of every kernel (rumpfs.c). Files, directories, symlinks,
 * device nodes and fifos; file data lives in kernel memory and is charged to the memlimit. As in
 * NetBSD, readdir lists no '.' or '..' and gives entries newest first. Unlike NetBSD's rumpfs, link
 * and rename work (the C original answers EOPNOTSUPP).
 */
import { errno, isRumpError, type Kernel, MNT_LOCAL, nameByteLength } from '@rumpts/librump';
import type { Mount } from './mount.js';
import type { Vnode } from './vnode.js';
import type { DirEntry, VnodeOps } from './vnodeops.js';
import type { FsStat, VfsOps } from './vfsops.js';
import { VDIR, VREG, type VType, type Vattr, type VattrCreate, nanotime, vttodt } from './vattr.js';
import type { Timespec } from '@rumpts/librump';

/** Longest name a rumpfs directory entry holds (NAME_MAX). */
export const RUMPFS_MAXNAMLEN = 255;

interface Dirslot {
  node: RumpfsNode;
  /** Creation sequence; readdir cookies are these (entries newest first, resume below the cookie). */
  seq: number;
}

export interface RumpfsNode {
  fileid: number;
  type: VType;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  flags: number;
  rdev: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
  /** VREG: data and size (data.length is the capacity charged to kmem). */
  data: Uint8Array;
  size: number;
  /** VDIR */
  entries: Map<string, Dirslot> | null;
  nextseq: number;
  parent: RumpfsNode | null;
  /** VLNK */
  target: string;
}

export interface RumpfsMount {
  kernel: Kernel;
  nodes: Map<number, RumpfsNode>;
  nextid: number;
  root: RumpfsNode;
}

function rmp(mp: Mount): RumpfsMount {
  return mp.data as RumpfsMount;
}

function node(vp: Vnode): RumpfsNode {
  return vp.data as RumpfsNode;
}

function newnode(m: RumpfsMount, va: VattrCreate, parent: RumpfsNode | null): RumpfsNode {
  const now = nanotime();
  const n: RumpfsNode = {
    fileid: m.nextid++,
    type: va.type,
    mode: va.mode,
    uid: va.uid,
    gid: va.gid,
    nlink: va.type === VDIR ? 2 : 1,
    flags: 0,
    rdev: va.rdev,
    atime: now,
    mtime: now,
    ctime: now,
    birthtime: now,
    data: new Uint8Array(0),
    size: 0,
    entries: va.type === VDIR ? new Map() : null,
    nextseq: 1,
    parent: va.type === VDIR ? parent : null,
    target: '',
  };
  m.nodes.set(n.fileid, n);
  return n;
}

function touch(n: RumpfsNode, what: 'm' | 'c' | 'mc'): void {
  const now = nanotime();
  if (what.includes('m')) n.mtime = now;
  n.ctime = now;
}

function enter(m: RumpfsMount, dvp: Vnode, name: string, va: VattrCreate): Vnode {
  const d = node(dvp);
  const entries = d.entries as Map<string, Dirslot>;
  if (entries.has(name)) throw errno('EEXIST');
  const n = newnode(m, va, d);
  entries.set(name, { node: n, seq: d.nextseq++ });
  if (va.type === VDIR) d.nlink++;
  touch(d, 'mc');
  return dvp.mount.vcacheNew(n.fileid, n.type, n);
}

/** Resize file data, charging or uncharging kernel memory for the capacity change. */
function resize(m: RumpfsMount, n: RumpfsNode, size: number): void {
  if (size <= n.data.length) {
    if (size < n.size) n.data.fill(0, size, n.size);
    // Give memory back when a file shrinks a lot.
    if (size < n.data.length / 4) {
      const cap = size;
      const next = new Uint8Array(cap);
      next.set(n.data.subarray(0, size));
      m.kernel.kmem.uncharge(n.data.length - cap);
      n.data = next;
    }
    n.size = size;
    return;
  }
  const cap = Math.max(size, Math.min(n.data.length * 2, size + (64 << 20)), 512);
  try {
    m.kernel.kmem.charge(cap - n.data.length, 'rumpfs file data');
  } catch (e) {
    if (isRumpError(e) && e.code === 'ENOMEM') throw errno('ENOSPC', 'kernel memory limit reached (rumpfs data lives in kernel memory)');
    throw e;
  }
  const next = new Uint8Array(cap);
  next.set(n.data.subarray(0, n.size));
  n.data = next;
  n.size = size;
}

function freenode(m: RumpfsMount, n: RumpfsNode): void {
  m.kernel.kmem.uncharge(n.data.length);
  n.data = new Uint8Array(0);
  m.nodes.delete(n.fileid);
}

const rumpfs_vnodeops: VnodeOps = {
  lookup(dvp, name) {
    const d = node(dvp);
    if (name === '..') return d.parent ? dvp.mount.vcacheGet(d.parent.fileid) : null;
    const slot = d.entries?.get(name);
    return slot ? dvp.mount.vcacheGet(slot.node.fileid) : null;
  },
  create(dvp, name, va) {
    return enter(rmp(dvp.mount), dvp, name, va);
  },
  mknod(dvp, name, va) {
    return enter(rmp(dvp.mount), dvp, name, va);
  },
  mkdir(dvp, name, va) {
    return enter(rmp(dvp.mount), dvp, name, va);
  },
  symlink(dvp, name, va, target) {
    const vp = enter(rmp(dvp.mount), dvp, name, va);
    const n = node(vp);
    n.target = target;
    n.size = nameByteLength(target);
    return vp;
  },
  link(dvp, vp, name) {
    const d = node(dvp);
    const entries = d.entries as Map<string, Dirslot>;
    if (entries.has(name)) throw errno('EEXIST');
    const n = node(vp);
    if (n.nlink >= 32767) throw errno('EMLINK');
    entries.set(name, { node: n, seq: d.nextseq++ });
    n.nlink++;
    touch(n, 'c');
    touch(d, 'mc');
  },
  remove(dvp, vp, name) {
    const d = node(dvp);
    d.entries?.delete(name);
    const n = node(vp);
    n.nlink--;
    touch(n, 'c');
    touch(d, 'mc');
  },
  rmdir(dvp, vp, name) {
    const d = node(dvp);
    const n = node(vp);
    if ((n.entries?.size ?? 0) > 0) throw errno('ENOTEMPTY');
    d.entries?.delete(name);
    d.nlink--;
    n.nlink = 0;
    n.parent = null;
    touch(d, 'mc');
  },
  rename(fdvp, fvp, fname, tdvp, tvp, tname) {
    const fd = node(fdvp);
    const td = node(tdvp);
    const n = node(fvp);
    if (tvp) {
      const t = node(tvp);
      if (t.type === VDIR) {
        if ((t.entries?.size ?? 0) > 0) throw errno('ENOTEMPTY');
        td.nlink--;
        t.nlink = 0;
        t.parent = null;
      } else {
        t.nlink--;
      }
      touch(t, 'c');
      td.entries?.delete(tname);
    }
    fd.entries?.delete(fname);
    td.entries?.set(tname, { node: n, seq: td.nextseq++ });
    if (n.type === VDIR && fd !== td) {
      fd.nlink--;
      td.nlink++;
      n.parent = td;
    }
    touch(n, 'c');
    touch(fd, 'mc');
    touch(td, 'mc');
  },
  getattr(vp): Vattr {
    const n = node(vp);
    return {
      type: n.type,
      mode: n.mode,
      nlink: n.nlink,
      uid: n.uid,
      gid: n.gid,
      fileid: n.fileid,
      size: n.type === VDIR ? (n.entries?.size ?? 0) * 16 + 32 : n.size,
      bytes: n.type === VREG ? n.data.length : 512,
      blocksize: 512,
      atime: n.atime,
      mtime: n.mtime,
      ctime: n.ctime,
      birthtime: n.birthtime,
      gen: 0,
      flags: n.flags,
      rdev: n.rdev,
    };
  },
  setattr(vp, ch) {
    const n = node(vp);
    if (ch.size !== undefined && ch.size !== n.size) {
      resize(rmp(vp.mount), n, ch.size);
      n.mtime = nanotime();
    }
    if (ch.mode !== undefined) n.mode = ch.mode;
    if (ch.uid !== undefined) n.uid = ch.uid;
    if (ch.gid !== undefined) n.gid = ch.gid;
    if (ch.flags !== undefined) n.flags = ch.flags;
    if (ch.atime) n.atime = { ...ch.atime };
    if (ch.mtime) n.mtime = { ...ch.mtime };
    if (ch.birthtime) n.birthtime = { ...ch.birthtime };
    n.ctime = ch.ctime ? { ...ch.ctime } : nanotime();
  },
  read(vp, buf, offset) {
    const n = node(vp);
    if (offset >= n.size) return 0;
    const len = Math.min(buf.length, n.size - offset);
    buf.set(n.data.subarray(offset, offset + len));
    return len;
  },
  write(vp, buf, offset) {
    const n = node(vp);
    const end = offset + buf.length;
    if (end > n.size) resize(rmp(vp.mount), n, end);
    n.data.set(buf, offset);
    touch(n, 'mc');
    return buf.length;
  },
  fsync() {},
  readdir(vp, cookie, count) {
    const n = node(vp);
    const list = [...(n.entries as Map<string, Dirslot>)].filter(([, s]) => cookie === 0 || s.seq < cookie).sort((a, b) => b[1].seq - a[1].seq);
    const entries: DirEntry[] = [];
    let bytes = 0;
    for (const [name, s] of list) {
      if (bytes >= count && entries.length > 0) return { entries, eof: false };
      entries.push({ fileno: s.node.fileid, type: vttodt(s.node.type), name, cookie: s.seq });
      bytes += 24 + name.length;
    }
    return { entries, eof: true };
  },
  readlink(vp) {
    return node(vp).target;
  },
  inactive(vp) {
    return node(vp).nlink === 0;
  },
  reclaim(vp) {
    const n = node(vp);
    const m = rmp(vp.mount);
    if (n.nlink === 0) freenode(m, n);
  },
};

/** The rumpfs vfsops (type 'rumpfs'): the in-memory root file system every kernel mounts on "/". */
export const rumpfs_vfsops: VfsOps = {
  name: 'rumpfs',
  vnodeops: rumpfs_vnodeops,
  mount(mp) {
    if (mp.data) return; // MNT_UPDATE: nothing to change
    const m: RumpfsMount = { kernel: mp.kernel, nodes: new Map(), nextid: 2, root: null as unknown as RumpfsNode };
    m.root = newnode(m, { type: VDIR, mode: 0o755, uid: 0, gid: 0, rdev: 0 }, null);
    m.root.parent = m.root;
    mp.data = m;
    mp.flag |= MNT_LOCAL;
    mp.maxnamlen = RUMPFS_MAXNAMLEN;
    mp.mntfromname = 'rumpfs';
  },
  unmount(mp) {
    const m = rmp(mp);
    for (const n of m.nodes.values()) m.kernel.kmem.uncharge(n.data.length);
    m.nodes.clear();
  },
  rootKey(mp) {
    return rmp(mp).root.fileid;
  },
  statvfs(mp): FsStat {
    const m = rmp(mp);
    const k = m.kernel.kmem;
    const total = Number.isFinite(k.limit) ? Math.floor(k.limit / 512) : 0;
    const free = Number.isFinite(k.limit) ? Math.floor((k.limit - k.inuse) / 512) : 0;
    return {
      bsize: 512, frsize: 512, iosize: 512, blocks: total, bfree: free, bavail: free, bresvd: 0,
      files: m.nodes.size, ffree: 0, favail: 0, fresvd: 0, namemax: RUMPFS_MAXNAMLEN,
    };
  },
  sync() {},
  loadvnode(mp, key) {
    const n = rmp(mp).nodes.get(key);
    if (!n) throw errno('ENOENT', `rumpfs: no node ${key}`);
    return { type: n.type, data: n };
  },
};
