/**
 * The etfs registry (rumpfs.c etfs parts): keys in the kernel namespace that map host files and
 * directories. Keys are found by namei at the root directory, not by readdir; they live on a hidden
 * mount of their own. register/remove follow rump_etfs(3) and the check order of NetBSD's
 * etfsregister, with two safety additions: a key in use cannot be removed (EBUSY), and DIR keys
 * match only at a path-component boundary.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  errno, type EtfsService, isRumpError, type Kernel, MNT_LOCAL, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_DIR,
  RUMP_ETFS_DIR_SUBDIRS, RUMP_ETFS_REG, RUMP_ETFS_SIZE_ENDOFF, type RumpComponent, type RumpEtfsType,
} from '@rumpts/librump';
import {
  Mount, type Vnode, type VfsOps, type VType, VBLK, VCHR, VDIR, VREG, devswOf, makedev, nanotime, vfsOf,
} from '@rumpts/rumpvfs';
import type { EtNode } from './etnode.js';
import { etfs_vnodeops } from './etfs_vnops.js';
import { host } from './hosterr.js';
import { RUMPBLK_DEVMAJOR, Rumpblk } from './hostblk.js';

interface Key {
  /** The key without its leading slashes. */
  key: string;
  type: RumpEtfsType;
  node: EtNode;
  /** rumpblk minor for BLK/CHR. */
  minor: number;
}

const isDirType = (t: RumpEtfsType): boolean => t === RUMP_ETFS_DIR || t === RUMP_ETFS_DIR_SUBDIRS;

/** Per-kernel etfs state, also the private data of the hidden etfs mount. */
export class EtfsMount {
  readonly keys = new Map<string, Key>();
  readonly nodes = new Map<number, EtNode>();
  readonly byPath = new Map<string, EtNode>();
  readonly blk = new Rumpblk();
  #nextid = 3;
  readonly mount: Mount;

  constructor(readonly kernel: Kernel) {
    const vfs = vfsOf(kernel);
    this.mount = new Mount(kernel, etfs_vfsops, MNT_LOCAL, null, '/', vfs.allocFsid());
    this.mount.data = this;
    this.mount.mntfromname = 'etfs';
    devswOf(kernel).attach(RUMPBLK_DEVMAJOR, this.blk.bdevsw(), RUMPBLK_DEVMAJOR, this.blk.cdevsw());
  }

  #node(init: Partial<EtNode> & { type: VType; hostpath: string }, parent: EtNode | null): EtNode {
    const n = {
      fileid: this.#nextid++, begin: 0, size: null, searchable: false, writable: false, parent, rdev: 0, mode: 0o755, uid: 0, gid: 0,
      times: nanotime(), fd: -1, fdWritable: false, cookieNames: [], ...init,
    } as EtNode;
    n.top ??= n;
    this.nodes.set(n.fileid, n);
    return n;
  }

  /** The node of a host entry below directory d (stable file id per host path while known). */
  nodeFor(hostpath: string, type: VType, d: EtNode): EtNode {
    const known = this.byPath.get(hostpath);
    if (known && known.type === type) return known;
    if (known) this.forget(known);
    const sub = d.top.searchable && d.top.writable; // DIR_SUBDIRS
    const n = this.#node({ type, hostpath, top: d.top, searchable: type === VDIR && sub, writable: sub }, d);
    this.byPath.set(hostpath, n);
    return n;
  }

  forget(n: EtNode): void {
    if (this.byPath.get(n.hostpath) === n) this.byPath.delete(n.hostpath);
    const vp = this.mount.vcachePeek(n.fileid);
    if (vp && vp.usecount === 0) this.mount.reclaim(vp);
  }

  /** A host rename moved n (and, for a directory, everything below it). */
  moved(n: EtNode, newpath: string, newparent: EtNode): void {
    const old = n.hostpath;
    for (const m of [...this.byPath.values()]) {
      if (m.hostpath === old || m.hostpath.startsWith(`${old}/`)) {
        this.byPath.delete(m.hostpath);
        m.hostpath = newpath + m.hostpath.slice(old.length);
        this.byPath.set(m.hostpath, m);
      }
    }
    n.parent = newparent;
  }

  register(keyIn: string, hostpathIn: string, type: RumpEtfsType, begin: number, size: number): void {
    if (typeof keyIn !== 'string' || !keyIn.startsWith('/')) throw errno('EINVAL', 'etfs key must be an absolute path');
    const key = keyIn.replace(/^\/+/, '');
    if (key === '' || key.includes('\0')) throw errno('EINVAL', 'etfs key must name something below /');
    if (![RUMP_ETFS_REG, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_DIR, RUMP_ETFS_DIR_SUBDIRS].includes(type)) throw errno('EINVAL', `bad etfs type ${String(type)}`);
    const endoff = size === RUMP_ETFS_SIZE_ENDOFF;
    if (!Number.isSafeInteger(begin) || begin < 0 || (!endoff && (!Number.isSafeInteger(size) || size < 0))) throw errno('EINVAL', 'bad etfs window');
    if (typeof hostpathIn !== 'string' || hostpathIn === '') throw errno('ENOENT', 'empty host path');
    const hostpath = resolve(hostpathIn);
    const st = host(`stat ${hostpath}`, () => statSync(hostpath));
    let wsize: number | null = endoff ? null : size;
    if (isDirType(type)) {
      if (!st.isDirectory()) throw errno('ENOTDIR', `${hostpath} is not a directory`);
      if (begin !== 0 || !endoff) throw errno('EISDIR', 'a directory mapping has no window');
    } else {
      if (type === RUMP_ETFS_REG && st.isDirectory()) throw errno('EISDIR', `${hostpath} is a directory; map it with RUMP_ETFS_DIR`);
      if ((type === RUMP_ETFS_BLK || type === RUMP_ETFS_CHR) && !(st.isFile() || st.isBlockDevice() || st.isCharacterDevice())) {
        throw errno('EINVAL', `${hostpath} cannot back a device`);
      }
      const hsize = st.size;
      if (begin > hsize) throw errno('EINVAL', `window begins at ${begin}, past the host file's end (${hsize})`);
      if (!endoff && begin + size > hsize) throw errno('EINVAL', `window [${begin}, ${begin + size}) passes the host file's end (${hsize})`);
      // Devices have a fixed size from registration on; a REG ENDOFF mapping follows the host file.
      if (endoff && type !== RUMP_ETFS_REG) wsize = hsize - begin;
    }
    for (const e of this.keys.values()) {
      const under = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`);
      if (e.key === key || (isDirType(e.type) && under(key, e.key)) || (isDirType(type) && under(e.key, key))) {
        throw errno('EEXIST', `etfs key '/${key}' collides with '/${e.key}'`);
      }
    }
    let minor = -1;
    if (type === RUMP_ETFS_BLK || type === RUMP_ETFS_CHR) minor = this.blk.register(hostpath, begin, wsize ?? 0);
    const vtype: VType = type === RUMP_ETFS_REG ? VREG : type === RUMP_ETFS_BLK ? VBLK : type === RUMP_ETFS_CHR ? VCHR : VDIR;
    const node = this.#node(
      {
        type: vtype,
        hostpath: minor >= 0 ? '' : hostpath,
        begin,
        size: wsize,
        searchable: isDirType(type),
        writable: type === RUMP_ETFS_DIR_SUBDIRS,
        rdev: minor >= 0 ? makedev(RUMPBLK_DEVMAJOR, minor) : 0,
      },
      null,
    );
    this.keys.set(key, { key, type, node, minor });
    if (this.kernel.verbose && type === RUMP_ETFS_BLK) this.kernel.aprint_verbose(`/${key}: hostpath ${hostpath} (${wsize ?? 0})`);
  }

  remove(keyIn: string): void {
    if (typeof keyIn !== 'string' || !keyIn.startsWith('/')) throw errno('EINVAL', 'etfs key must be an absolute path');
    const key = keyIn.replace(/^\/+/, '');
    const e = this.keys.get(key);
    if (!e) throw errno('ENOENT', `no etfs key '/${key}'`);
    const mine = [...this.nodes.values()].filter((n) => n.top === e.node);
    const busy = mine.some((n) => (this.mount.vcachePeek(n.fileid)?.usecount ?? 0) > 0);
    if (busy || (e.minor >= 0 && this.blk.busy(e.minor) && this.blk.unit(e.minor).users === 1)) throw errno('EBUSY', `etfs key '/${key}' is in use (open, mounted or a working directory)`);
    for (const n of mine) {
      const vp = this.mount.vcachePeek(n.fileid);
      if (vp) this.mount.reclaim(vp);
      this.nodes.delete(n.fileid);
      if (this.byPath.get(n.hostpath) === n) this.byPath.delete(n.hostpath);
    }
    if (e.minor >= 0) this.blk.deregister(e.minor);
    this.keys.delete(key);
  }

  /** namei's root hook: the key the rest of the path names, if any. */
  lookup(rest: string): { vp: Vnode; consumed: number } | null {
    const bare = rest.replace(/\/+$/, '');
    const exact = this.keys.get(bare);
    if (exact) return { vp: this.mount.vcacheGet(exact.node.fileid), consumed: bare.length };
    for (const e of this.keys.values()) {
      if (isDirType(e.type) && rest.startsWith(`${e.key}/`)) return { vp: this.mount.vcacheGet(e.node.fileid), consumed: e.key.length };
    }
    return null;
  }
}

const etfs_vfsops: VfsOps = {
  name: 'etfs',
  vnodeops: etfs_vnodeops,
  mount() {
    throw errno('EOPNOTSUPP', 'etfs is not mounted; register keys with etfsRegister');
  },
  unmount() {},
  rootKey() {
    throw errno('EOPNOTSUPP', 'etfs has no root');
  },
  statvfs() {
    return { bsize: 512, frsize: 512, iosize: 512, blocks: 0, bfree: 0, bavail: 0, bresvd: 0, files: 0, ffree: 0, favail: 0, fresvd: 0, namemax: 255 };
  },
  sync() {},
  loadvnode(mp, key) {
    const n = (mp.data as EtfsMount).nodes.get(key);
    if (!n) throw errno('ENOENT', 'etfs key was removed');
    return { type: n.type, data: n };
  },
};

export const ETFS_SUBSYSTEM = 'etfs';

function etfs_init(kernel: Kernel): void {
  const m = new EtfsMount(kernel);
  kernel.setSubsystem(ETFS_SUBSYSTEM, m);
  vfsOf(kernel).rootLookupHooks.push((rest) => m.lookup(rest));
  vfsOf(kernel).rootNameHooks.push((vp) => {
    if (vp.mount !== m.mount) return null;
    for (const e of m.keys.values()) if (e.node.fileid === vp.key) return e.key;
    return null;
  });
  const svc: EtfsService = {
    register: (key, hostpath, type, begin, size) => m.register(key, hostpath, type, begin, size),
    remove: (key) => m.remove(key),
  };
  kernel.etfs = svc;
  // rump_boot_etfs_register: each entry gets 0 or its errno now that the root is mounted.
  for (const eb of kernel.bootEtfs) {
    try {
      m.register(eb.key, eb.hostpath, eb.type, eb.begin ?? 0, eb.size ?? RUMP_ETFS_SIZE_ENDOFF);
      eb.status = 0;
    } catch (e) {
      eb.status = isRumpError(e) ? e.errno : errno('EIO').errno;
    }
  }
}

function etfs_fini(kernel: Kernel): void {
  const m = kernel.getSubsystem<EtfsMount>(ETFS_SUBSYSTEM);
  if (!m) return;
  for (const vp of m.mount.vnodes()) m.mount.reclaim(vp);
  for (let i = 0; i < m.blk.units.length; i++) {
    const u = m.blk.units[i];
    if (u) u.dev.close();
  }
  kernel.etfs = undefined;
}

export const etfs_component: RumpComponent = {
  name: 'etfs',
  faction: 'vfs',
  requires: ['rumpvfs'],
  init: etfs_init,
  fini: etfs_fini,
};

/** The etfs state of a kernel (for drivers that want the rumpblk units). */
export function etfsOf(kernel: Kernel): EtfsMount {
  const m = kernel.getSubsystem<EtfsMount>(ETFS_SUBSYSTEM);
  if (!m) throw errno('ENOSYS', 'etfs is not linked into this kernel');
  return m;
}
