/**
 * The etfs registry (rumpfs.c etfs parts): keys in the kernel namespace that map host files and
 * directories. Keys are found by namei at the root directory, not by readdir. Each key is a small
 * hidden mount of its own (fstypename "etfs", mntonname the key), so statvfs, st_dev and busy checks
 * work per key. register/remove follow rump_etfs(3) and the check order of NetBSD's etfsregister,
 * with safety additions: a key in use cannot be removed (EBUSY), DIR keys match only at a
 * component boundary, and '..' at a DIR key's top leads to the kernel's root, never to the host.
 */
import { statSync, type BigIntStats } from 'node:fs';
import { resolve } from 'node:path';
import {
  errno, type EtfsService, isRumpError, type Kernel, MNT_LOCAL, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_DIR,
  RUMP_ETFS_DIR_SUBDIRS, RUMP_ETFS_REG, RUMP_ETFS_SIZE_ENDOFF, type RumpComponent, type RumpEtfsType,
} from '@rumpts/librump';
import {
  Mount, type Vnode, type VfsOps, type VType, VBLK, VCHR, VDIR, VREG, devswOf, makedev, nanotime, vfsOf, vref,
} from '@rumpts/rumpvfs';
import type { EtNode } from './etnode.js';
import { etfs_vnodeops } from './etfs_vnops.js';
import { host } from './hosterr.js';
import { hostPathOf } from './hostnames.js';
import { RUMPBLK_DEVMAJOR, Rumpblk } from './hostblk.js';
import { HostRoot, type HostRootOptions, hostIdOf } from './hostroot.js';

const isDirType = (t: RumpEtfsType): boolean => t === RUMP_ETFS_DIR || t === RUMP_ETFS_DIR_SUBDIRS;

/** One key: its mount, its nodes, and its file ids by host identity. */
export class KeyMount {
  /** The key's nodes by file id (the vnode cache key). */
  readonly nodes = new Map<number, EtNode>();
  /** File ids by host identity ({@link hostIdOf}), so that hard links on the host share one node. */
  readonly ids = new Map<string, number>();
  #nextid = 2;
  /** The hidden mount that carries this key's vnodes, statvfs and busy checks. */
  readonly mount: Mount;
  /** The key's own node (the mount's root). */
  top!: EtNode;
  /** The rumpblk minor of a BLK or CHR key; -1 for REG and DIR keys. */
  minor = -1;
  /** DIR keys: the host directory, held open; every host operation below the key walks from it. */
  root: HostRoot | null = null;

  /**
   * @param etfs The kernel's etfs registry this key belongs to.
   * @param key The key without its leading '/' (the kernel path it answers to).
   * @param type The RUMP_ETFS_* type the key was registered with.
   */
  constructor(
    readonly etfs: Etfs,
    readonly key: string,
    readonly type: RumpEtfsType,
  ) {
    this.mount = new Mount(etfs.kernel, etfs_vfsops, MNT_LOCAL, null, `/${key}`, vfsOf(etfs.kernel).allocFsid());
    this.mount.data = this;
  }

  /** A node for a host entry with identity `hostid` (hard links share one), found at `hostpath`. */
  node(init: Partial<EtNode> & { type: VType; hostpath: string; hostid: string }, parent: EtNode | null): EtNode {
    const known = init.hostid ? this.ids.get(init.hostid) : undefined;
    const old = known === undefined ? undefined : this.nodes.get(known);
    if (old && old.type === init.type) {
      old.hostpath = init.hostpath;
      if (parent) old.parent = parent;
      return old;
    }
    if (old) this.forget(old);
    const n: EtNode = {
      fileid: this.#nextid++, begin: 0, size: null, searchable: false, writable: false, isTop: false, parent, rdev: 0, mode: 0o755, uid: 0,
      gid: 0, times: nanotime(), fd: -1, fdWritable: false, cookieNames: [], ...init,
    };
    this.nodes.set(n.fileid, n);
    if (n.hostid) this.ids.set(n.hostid, n.fileid);
    return n;
  }

  /** The node of a host entry below directory d, from its lstat. */
  child(path: string, st: BigIntStats, type: VType, d: EtNode): EtNode {
    const sub = this.type === RUMP_ETFS_DIR_SUBDIRS;
    return this.node({ type, hostpath: path, hostid: hostIdOf(st), searchable: type === VDIR && sub, writable: sub }, d);
  }

  /** Drop a node that no longer exists on the host (its id may be reused for something else). */
  forget(n: EtNode): void {
    if (n.hostid && this.ids.get(n.hostid) === n.fileid) this.ids.delete(n.hostid);
    n.hostid = '';
    const vp = this.mount.vcachePeek(n.fileid);
    if (vp && vp.usecount === 0) this.mount.reclaim(vp);
    if (!vp || vp.dead) this.nodes.delete(n.fileid);
  }

  /** A host rename moved `n` (and, for a directory, everything below it). */
  moved(n: EtNode, newpath: string, newparent: EtNode): void {
    const old = n.hostpath;
    for (const m of this.nodes.values()) {
      if (m.hostpath === old || m.hostpath.startsWith(`${old}/`)) m.hostpath = newpath + m.hostpath.slice(old.length);
    }
    n.parent = newparent;
  }

  /** Is anything of this key in use (open, a cwd, mounted on)? */
  busy(): boolean {
    for (const vp of this.mount.vnodes()) if (vp.usecount > (vp.isRoot ? 1 : 0)) return true;
    return this.minor >= 0 && this.etfs.blk.busy(this.minor) && this.etfs.blk.unit(this.minor).users === 1;
  }

  /** Tear the key down: reclaim its vnodes, close the host directory, release its rumpblk minor. */
  destroy(): void {
    this.mount.unmounting = true;
    this.mount.releaseRoot();
    for (const vp of this.mount.vnodes()) this.mount.reclaim(vp);
    this.nodes.clear();
    this.ids.clear();
    this.root?.close();
    this.root = null;
    if (this.minor >= 0) this.etfs.blk.deregister(this.minor);
  }
}

/** Per-kernel etfs state: the keys and the rumpblk driver. */
export class Etfs {
  /** Registered keys, without their leading '/'. */
  readonly keys = new Map<string, KeyMount>();
  /** The rumpblk driver behind BLK and CHR keys, attached at major {@link RUMPBLK_DEVMAJOR}. */
  readonly blk = new Rumpblk();
  /** How DIR keys reach the host (tests force the portable fallback with `{ procfd: false }`). */
  hostRootOptions: HostRootOptions = {};

  /** @param kernel The kernel this registry lives in (one Etfs per kernel). */
  constructor(readonly kernel: Kernel) {
    devswOf(kernel).attach(RUMPBLK_DEVMAJOR, this.blk.bdevsw(), RUMPBLK_DEVMAJOR, this.blk.cdevsw());
  }

  /**
   * etfsregister (rump_etfs(3) rump_pub_etfs_register_withsize): map the absolute key `keyIn` to the
   * host path as `type`, over the window [begin, begin + size) for REG/BLK/CHR.
   * Throws EINVAL (bad key, type or window), ENOENT/ENOTDIR/EISDIR (host path), EEXIST (the key
   * collides with another, also with a DIR key above or below it) or EBUSY (rumpblk minors exhausted).
   */
  register(keyIn: string, hostpathIn: string, type: RumpEtfsType, begin: number, size: number): void {
    if (typeof keyIn !== 'string' || !keyIn.startsWith('/')) throw errno('EINVAL', 'etfs key must be an absolute path');
    const key = keyIn.replace(/^\/+/, '');
    if (key === '' || key.includes('\0')) throw errno('EINVAL', 'etfs key must name something below /');
    if (![RUMP_ETFS_REG, RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_DIR, RUMP_ETFS_DIR_SUBDIRS].includes(type)) throw errno('EINVAL', `bad etfs type ${String(type)}`);
    const endoff = size === RUMP_ETFS_SIZE_ENDOFF;
    if (!Number.isSafeInteger(begin) || begin < 0 || (!endoff && (!Number.isSafeInteger(size) || size < 0))) throw errno('EINVAL', 'bad etfs window');
    if (typeof hostpathIn !== 'string' || hostpathIn === '') throw errno('ENOENT', 'empty host path');
    const hostpath = resolve(hostpathIn);
    const st = host(`stat ${hostpath}`, () => statSync(hostPathOf(hostpath)));
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
    // A DIR key holds its host directory from now on (its identity is the top node's).
    const root = isDirType(type) ? host(`open ${hostpath}`, () => new HostRoot(hostpath, this.hostRootOptions)) : null;
    const km = new KeyMount(this, key, type);
    km.root = root;
    km.mount.mntfromname = hostpath;
    if (type === RUMP_ETFS_BLK || type === RUMP_ETFS_CHR) km.minor = this.blk.register(hostpath, begin, wsize ?? 0);
    const vtype: VType = type === RUMP_ETFS_REG ? VREG : type === RUMP_ETFS_BLK ? VBLK : type === RUMP_ETFS_CHR ? VCHR : VDIR;
    km.top = km.node(
      {
        type: vtype,
        hostpath: km.minor >= 0 ? '' : hostpath,
        hostid: root ? root.id : km.minor >= 0 ? '' : `${st.dev}:${st.ino}`,
        begin,
        size: wsize,
        searchable: isDirType(type),
        writable: type === RUMP_ETFS_DIR_SUBDIRS,
        isTop: true,
        rdev: km.minor >= 0 ? makedev(RUMPBLK_DEVMAJOR, km.minor) : 0,
      },
      null,
    );
    this.keys.set(key, km);
    if (type === RUMP_ETFS_BLK) this.kernel.aprint_verbose(`/${key}: hostpath ${hostpath} (${wsize ?? 0})`);
  }

  /**
   * etfsremove (rump_pub_etfs_remove): drop a key. Unlike NetBSD, a key in use (open, mounted on,
   * a working directory) is refused with EBUSY rather than pulled from under its users.
   */
  remove(keyIn: string): void {
    if (typeof keyIn !== 'string' || !keyIn.startsWith('/')) throw errno('EINVAL', 'etfs key must be an absolute path');
    const key = keyIn.replace(/^\/+/, '');
    const km = this.keys.get(key);
    if (!km) throw errno('ENOENT', `no etfs key '/${key}'`);
    if (km.busy()) throw errno('EBUSY', `etfs key '/${key}' is in use (open, mounted or a working directory)`);
    km.destroy();
    this.keys.delete(key);
  }

  /** namei's root hook: the key the rest of the path names, if any. */
  lookup(rest: string): {
    /** The key's root vnode, referenced. */
    vp: Vnode;
    /** How many characters of `rest` the key consumed; namei goes on with the remainder. */
    consumed: number;
  } | null {
    const bare = rest.replace(/\/+$/, '');
    const exact = this.keys.get(bare);
    if (exact) return { vp: exact.mount.root(), consumed: bare.length };
    for (const e of this.keys.values()) {
      if (isDirType(e.type) && rest.startsWith(`${e.key}/`)) return { vp: e.mount.root(), consumed: e.key.length };
    }
    return null;
  }

  /** Remove every key (the component's fini, at halt). */
  destroy(): void {
    for (const km of this.keys.values()) km.destroy();
    this.keys.clear();
  }
}

const etfs_vfsops: VfsOps = {
  name: 'etfs',
  vnodeops: etfs_vnodeops,
  mount() {
    throw errno('EOPNOTSUPP', 'etfs is not mounted; register keys with etfsRegister');
  },
  unmount() {},
  rootKey(mp) {
    return (mp.data as KeyMount).top.fileid;
  },
  statvfs(mp) {
    const km = mp.data as KeyMount;
    return { bsize: 512, frsize: 512, iosize: 512, blocks: 0, bfree: 0, bavail: 0, bresvd: 0, files: km.nodes.size, ffree: 0, favail: 0, fresvd: 0, namemax: 255 };
  },
  sync() {},
  loadvnode(mp, key) {
    const n = (mp.data as KeyMount).nodes.get(key);
    if (!n) throw errno('ENOENT', 'etfs node is gone');
    return { type: n.type, data: n };
  },
};

/** The name the kernel's subsystem registry keeps the {@link Etfs} state under. */
export const ETFS_SUBSYSTEM = 'etfs';

function etfs_init(kernel: Kernel): void {
  const m = new Etfs(kernel);
  kernel.setSubsystem(ETFS_SUBSYSTEM, m);
  const vfs = vfsOf(kernel);
  vfs.rootLookupHooks.push((rest) => m.lookup(rest));
  vfs.rootNameHooks.push((vp) => {
    const km = vp.mount.data;
    return km instanceof KeyMount && km.etfs === m && vp.isRoot ? km.key : null;
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
  kernel.getSubsystem<Etfs>(ETFS_SUBSYSTEM)?.destroy();
  kernel.etfs = undefined;
}

/**
 * The etfs component (faction vfs, needs rumpvfs): its init creates the {@link Etfs} state, hooks
 * key lookup into namei at the root, installs `kernel.etfs` and registers the keys queued by
 * rump_boot_etfs_register.
 */
export const etfs_component: RumpComponent = {
  name: 'etfs',
  faction: 'vfs',
  requires: ['rumpvfs'],
  init: etfs_init,
  fini: etfs_fini,
};

/** The etfs state of a kernel. */
export function etfsOf(kernel: Kernel): Etfs {
  const m = kernel.getSubsystem<Etfs>(ETFS_SUBSYSTEM);
  if (!m) throw errno('ENOSYS', 'etfs is not linked into this kernel');
  return m;
}

/** The kernel's root directory, referenced ('..' at the top of a DIR key). */
export function kernelRoot(kernel: Kernel): Vnode {
  const root = vfsOf(kernel).rootvnode;
  if (!root) throw errno('ENOENT', 'no root');
  vref(root);
  return root;
}

