/**
 * The vnode operations of etfs nodes: windows onto host files, and directories that look up,
 * list and (under DIR_SUBDIRS) change the host directory — never leaving it: '..' at the top of a
 * mapping stays there and host symlinks are shown as symlinks, never followed on the host side.
 */
import {
  closeSync, constants as fsc, fstatSync, ftruncateSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readlinkSync, readSync, renameSync, statSync, rmdirSync, symlinkSync, unlinkSync, writeSync, chmodSync, type Stats, fsyncSync, linkSync,
} from 'node:fs';
import { DT_DIR, DT_LNK, DT_REG, errno, FWRITE, type Timespec } from '@rumpts/librump';
import { type DirEntry, type Mount, type Vattr, type Vnode, type VnodeOps, VDIR, VLNK, VREG, nanotime } from '@rumpts/rumpvfs';
import type { EtNode } from './etnode.js';
import { host, hostError } from './hosterr.js';
import type { EtfsMount } from './etfs.js';

function et(vp: Vnode): EtNode {
  return vp.data as EtNode;
}

function emp(mp: Mount): EtfsMount {
  return mp.data as EtfsMount;
}

const ts = (ms: number, ns?: bigint): Timespec =>
  ns !== undefined ? { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) } : { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };

function hostStat(n: EtNode): Stats & { atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; birthtimeNs: bigint } {
  // A key's own host path was chosen by the registering user and may be a symlink; entries found
  // below a DIR key are never followed host-side.
  const stat = n === n.top ? statSync : lstatSync;
  return host(`lstat ${n.hostpath}`, () => stat(n.hostpath, { bigint: true }) as unknown as Stats & { atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; birthtimeNs: bigint });
}

/** The VType of a host entry we show (regular files, directories, symlinks); null for others. */
export function hostType(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): typeof VREG | typeof VDIR | typeof VLNK | null {
  if (st.isFile()) return VREG;
  if (st.isDirectory()) return VDIR;
  if (st.isSymbolicLink()) return VLNK;
  return null;
}

/** Open (or reuse) the host descriptor of a REG node; writable when asked. O_NOFOLLOW guards against a swapped-in symlink. */
function hostfd(n: EtNode, write: boolean): number {
  if (n.fd >= 0 && (n.fdWritable || !write)) return n.fd;
  const nofollow = n === n.top ? 0 : fsc.O_NOFOLLOW;
  const fd = host(`open ${n.hostpath}`, () => openSync(n.hostpath, (write ? fsc.O_RDWR : fsc.O_RDONLY) | nofollow));
  if (n.fd >= 0) closeSync(n.fd);
  n.fd = fd;
  n.fdWritable = write;
  return fd;
}

function windowSize(n: EtNode): number {
  if (n.size !== null) return n.size;
  const fd = hostfd(n, false);
  return Math.max(0, Number(fstatSync(fd).size) - n.begin);
}

function childPath(d: EtNode, name: string): string {
  if (name.includes('/') || name.includes('\0') || name === '.' || name === '..') throw errno('EINVAL', `bad name '${name}'`);
  return d.hostpath === '/' ? `/${name}` : `${d.hostpath}/${name}`;
}

function mustWrite(d: EtNode): void {
  if (!d.writable) throw errno('EOPNOTSUPP', 'this etfs mapping does not change the host (register it as RUMP_ETFS_DIR_SUBDIRS)');
}

/** The vnode for a host entry below directory node d (creating its node on first sight). */
function child(dvp: Vnode, name: string): Vnode | null {
  const d = et(dvp);
  const path = childPath(d, name);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return null;
    throw hostError(e, `lstat ${path}`);
  }
  const type = hostType(st);
  if (type === null) return null;
  const m = emp(dvp.mount);
  const n = m.nodeFor(path, type, d);
  return dvp.mount.vcacheGet(n.fileid);
}

export const etfs_vnodeops: VnodeOps = {
  lookup(dvp, name) {
    const d = et(dvp);
    if (name === '..') return dvp.mount.vcacheGet((d === d.top || !d.parent ? d : d.parent).fileid);
    if (!d.searchable) return null;
    return child(dvp, name);
  },
  create(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const path = childPath(d, name);
    host(`create ${path}`, () => closeSync(openSync(path, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY | fsc.O_NOFOLLOW, va.mode)));
    return child(dvp, name) ?? failGone(path);
  },
  mknod() {
    throw errno('EOPNOTSUPP', 'etfs does not make device nodes or fifos on the host');
  },
  mkdir(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const path = childPath(d, name);
    host(`mkdir ${path}`, () => mkdirSync(path, { mode: va.mode }));
    return child(dvp, name) ?? failGone(path);
  },
  symlink(dvp, name, _va, target) {
    const d = et(dvp);
    mustWrite(d);
    const path = childPath(d, name);
    host(`symlink ${path}`, () => symlinkSync(target, path));
    return child(dvp, name) ?? failGone(path);
  },
  link(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    const n = et(vp);
    if (n.top !== d.top) throw errno('EXDEV', 'link across etfs mappings');
    host('link', () => linkSync(n.hostpath, childPath(d, name)));
  },
  remove(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    if (et(vp) === et(vp).top) throw errno('EBUSY', 'an etfs key is removed with etfsRemove');
    host('unlink', () => unlinkSync(childPath(d, name)));
  },
  rmdir(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    if (et(vp) === et(vp).top) throw errno('EBUSY', 'an etfs key is removed with etfsRemove');
    host('rmdir', () => rmdirSync(childPath(d, name)));
    emp(dvp.mount).forget(et(vp));
  },
  rename(fdvp, fvp, fname, tdvp, _tvp, tname) {
    const fd = et(fdvp);
    const td = et(tdvp);
    mustWrite(fd);
    mustWrite(td);
    if (fd.top !== td.top) throw errno('EXDEV', 'rename across etfs mappings');
    if (et(fvp) === et(fvp).top) throw errno('EBUSY', 'an etfs key is renamed with etfsRemove and etfsRegister');
    host('rename', () => renameSync(childPath(fd, fname), childPath(td, tname)));
    emp(fdvp.mount).moved(et(fvp), childPath(td, tname), td);
  },
  getattr(vp): Vattr {
    const n = et(vp);
    if (n.hostpath === '' || n.rdev !== 0) {
      return {
        type: vp.type, mode: n.mode, nlink: 1, uid: n.uid, gid: n.gid, fileid: n.fileid, size: n.size ?? 0, bytes: 512,
        blocksize: 512, atime: n.times, mtime: n.times, ctime: n.times, birthtime: n.times, gen: 0, flags: 0, rdev: n.rdev,
      };
    }
    const st = hostStat(n);
    return {
      type: vp.type,
      mode: Number(st.mode) & 0o7777,
      nlink: Number(st.nlink),
      uid: Number(st.uid),
      gid: Number(st.gid),
      fileid: n.fileid,
      size: vp.type === VREG ? windowSize(n) : Number(st.size),
      bytes: Number(st.blocks) * 512,
      blocksize: Number(st.blksize) || 512,
      atime: ts(0, st.atimeNs),
      mtime: ts(0, st.mtimeNs),
      ctime: ts(0, st.ctimeNs),
      birthtime: ts(0, st.birthtimeNs),
      gen: 0,
      flags: 0,
      rdev: 0,
    };
  },
  setattr(vp, ch) {
    const n = et(vp);
    if (n.hostpath === '' || n.rdev !== 0) {
      if (ch.mode !== undefined) n.mode = ch.mode;
      if (ch.uid !== undefined) n.uid = ch.uid;
      if (ch.gid !== undefined) n.gid = ch.gid;
      if (ch.mtime) n.times = { ...ch.mtime };
      return;
    }
    if (ch.flags !== undefined && ch.flags !== 0) throw errno('EOPNOTSUPP', 'etfs does not set file flags on the host');
    if (ch.size !== undefined) {
      if (vp.type !== VREG) throw errno('EISDIR');
      if (n.size !== null) throw errno('EINVAL', 'a fixed etfs window cannot change size');
      const fd = hostfd(n, true);
      host('ftruncate', () => ftruncateSync(fd, n.begin + ch.size!));
    }
    if (ch.mode !== undefined && vp.type !== VLNK) host('chmod', () => chmodSync(n.hostpath, ch.mode!));
    if (ch.uid !== undefined || ch.gid !== undefined) host('chown', () => lchownSync(n.hostpath, ch.uid ?? -1, ch.gid ?? -1));
    if (ch.atime || ch.mtime) {
      const st = hostStat(n);
      const a = ch.atime ? ch.atime.sec + ch.atime.nsec / 1e9 : Number(st.atimeNs) / 1e9;
      const m = ch.mtime ? ch.mtime.sec + ch.mtime.nsec / 1e9 : Number(st.mtimeNs) / 1e9;
      host('utimes', () => lutimesSync(n.hostpath, a, m));
    }
  },
  open(vp, mode) {
    if (vp.type === VREG) hostfd(et(vp), (mode & FWRITE) !== 0);
  },
  read(vp, buf, offset) {
    const n = et(vp);
    const fd = hostfd(n, false);
    const size = windowSize(n);
    if (offset >= size) return 0;
    const len = Math.min(buf.length, size - offset);
    let done = 0;
    while (done < len) {
      const got = host('read', () => readSync(fd, buf, done, len - done, n.begin + offset + done));
      if (got === 0) break;
      done += got;
    }
    return done;
  },
  write(vp, buf, offset) {
    const n = et(vp);
    const fd = hostfd(n, true);
    let len = buf.length;
    if (n.size !== null) {
      // A fixed window is all the kernel may touch: never write a byte beyond it.
      if (offset >= n.size) throw errno('EFBIG', `write at ${offset} is outside the ${n.size}-byte etfs window`);
      len = Math.min(len, n.size - offset);
    }
    let done = 0;
    while (done < len) done += host('write', () => writeSync(fd, buf, done, len - done, n.begin + offset + done));
    return done;
  },
  fsync(vp) {
    const n = et(vp);
    if (n.fd >= 0 && n.fdWritable) host('fsync', () => fsyncSync(n.fd));
  },
  readdir(vp, cookie, count) {
    const n = et(vp);
    if (!n.searchable) return { entries: [], eof: true };
    const after = cookie > 0 ? n.cookieNames[cookie - 1] : undefined;
    if (cookie > 0 && after === undefined) throw errno('EINVAL', 'bad directory cookie');
    const dirents = host(`readdir ${n.hostpath}`, () => readdirSync(n.hostpath, { withFileTypes: true }));
    const names = dirents
      .filter((d) => d.isFile() || d.isDirectory() || d.isSymbolicLink())
      .map((d) => ({ name: d.name, type: d.isDirectory() ? DT_DIR : d.isSymbolicLink() ? DT_LNK : DT_REG, isDir: d.isDirectory(), isLink: d.isSymbolicLink() }))
      .filter((d) => after === undefined || d.name > after)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const m = emp(vp.mount);
    const entries: DirEntry[] = [];
    let bytes = 0;
    for (const d of names) {
      if (bytes >= count && entries.length > 0) return { entries, eof: false };
      const c = m.nodeFor(childPath(n, d.name), d.isDir ? VDIR : d.isLink ? VLNK : VREG, n);
      n.cookieNames.push(d.name);
      entries.push({ fileno: c.fileid, type: d.type, name: d.name, cookie: n.cookieNames.length });
      bytes += 24 + d.name.length;
    }
    return { entries, eof: true };
  },
  readlink(vp) {
    const n = et(vp);
    return host(`readlink ${n.hostpath}`, () => readlinkSync(n.hostpath, 'utf8'));
  },
  inactive() {
    return false;
  },
  reclaim(vp) {
    const n = et(vp);
    if (n.fd >= 0) {
      closeSync(n.fd);
      n.fd = -1;
    }
  },
};

function failGone(path: string): never {
  throw errno('ENOENT', `${path} vanished on the host right after it was made`);
}

export { nanotime };
