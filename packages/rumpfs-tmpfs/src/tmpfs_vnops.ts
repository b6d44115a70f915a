/**
 * The vnode operations of tmpfs (sys/fs/tmpfs/tmpfs_vnops.c). Each op receives vnodes whose v_data
 * is a TmpfsNode; the VFS has already done the generic checks listed on VnodeOps (types,
 * permissions, EROFS, name length, '.'/'..' rules), so what is left here is tmpfs's own business:
 * directory contents, link counts, times, data and its accounting.
 */
import { DT_DIR, SF_APPEND, SF_IMMUTABLE, UF_APPEND, UF_IMMUTABLE, MNT_NOATIME, MNT_RDONLY, errno, nameByteLength } from '@rumpts/librump';
import { VBLK, VCHR, VDIR, VFIFO, VLNK, VREG, VSOCK, vttodt, type DirEntry, type OpContext, type ReaddirResult, type Vattr, type VattrChange, type VattrCreate, type Vnode, type VnodeOps } from '@rumpts/rumpvfs';
import { TMPFS_DIRSEQ_DOT, TMPFS_DIRSEQ_DOTDOT, TMPFS_DIRSEQ_START } from './tmpfs_dir.js';
import { TMPFS_PAGE_SIZE } from './tmpfs_file.js';
import { TMPFS_DIRENT_SIZE, TmpfsMount, VFS_TO_TMPFS } from './tmpfs_mount.js';
import { TMPFS_LINK_MAX, VP_TO_TMPFS_NODE, type TmpfsNode } from './tmpfs_node.js';

const IMMUTABLE = UF_IMMUTABLE | SF_IMMUTABLE;
const APPEND = UF_APPEND | SF_APPEND;
/** Largest file size: offsets are JS numbers, exact up to 2^53. */
const TMPFS_MAXFILESIZE = Number.MAX_SAFE_INTEGER;

/** d_reclen of a NetBSD struct dirent with this name (sys/sys/dirent.h _DIRENT_RECLEN: 13 header bytes, the name, a NUL, to a multiple of 8). */
function reclen(name: string): number {
  return (13 + nameByteLength(name) + 1 + 7) & ~7;
}

/** A directory that was rmdir'ed (still open or someone's cwd) takes no new entries. */
function checkAlive(dnode: TmpfsNode): void {
  if (dnode.nlink === 0) throw errno('ENOENT', 'the directory has been removed');
}

/** The entry `name` of dnode must be node (the VFS looked it up; nothing ran in between). */
function checkEntry(dnode: TmpfsNode, name: string, node: TmpfsNode): void {
  if (dnode.asDir.lookup(name)?.node !== node) throw errno('ENOENT', `'${name}' is no longer in the directory`);
}

function tmpfs_lookup(dvp: Vnode, name: string, _ctx: OpContext): Vnode | null {
  const dir = VP_TO_TMPFS_NODE(dvp).asDir;
  if (name === '..') {
    // tn_parent is cleared by rmdir: '..' of a removed directory leads nowhere (t_vnops dir_rmdirdotdot).
    if (!dir.parent) throw errno('ENOENT', "'..' of a removed directory");
    return dvp.mount.vcacheGet(dir.parent.id);
  }
  const de = dir.lookup(name);
  return de ? dvp.mount.vcacheGet(de.node.id) : null;
}

/** tmpfs_alloc_file: make a node of any type and enter it in dvp as `name`. */
function tmpfs_alloc_file(dvp: Vnode, name: string, va: VattrCreate, target: string | null): Vnode {
  const tm = VFS_TO_TMPFS(dvp.mount);
  const dnode = VP_TO_TMPFS_NODE(dvp);
  const dir = dnode.asDir;
  checkAlive(dnode);
  if (dir.lookup(name)) throw errno('EEXIST', `'${name}' exists`);
  if (va.type === VDIR && dnode.nlink >= TMPFS_LINK_MAX) throw errno('EMLINK', 'too many subdirectories');
  const node = tm.allocNode(va, dnode, target);
  try {
    tm.charge(TmpfsMount.direntCost(name), 'directory entry');
  } catch (e) {
    tm.freeNode(node);
    throw e;
  }
  dir.add(name, node);
  if (va.type === VDIR) {
    node.nlink = 2; // its entry in dnode, and its own '.'
    dnode.nlink++; // the new directory's '..'
  } else {
    node.nlink = 1;
  }
  dnode.touch({ m: true, c: true });
  return dvp.mount.vcacheNew(node.id, node.type, node);
}

function tmpfs_create(dvp: Vnode, name: string, va: VattrCreate, _ctx: OpContext): Vnode {
  if (va.type !== VREG) throw errno('EINVAL', 'create makes regular files only');
  return tmpfs_alloc_file(dvp, name, va, null);
}

function tmpfs_mknod(dvp: Vnode, name: string, va: VattrCreate, _ctx: OpContext): Vnode {
  if (va.type !== VREG && va.type !== VBLK && va.type !== VCHR && va.type !== VFIFO && va.type !== VSOCK) {
    throw errno('EINVAL', `mknod cannot make a node of type ${va.type}`);
  }
  return tmpfs_alloc_file(dvp, name, va, null);
}

function tmpfs_mkdir(dvp: Vnode, name: string, va: VattrCreate, _ctx: OpContext): Vnode {
  return tmpfs_alloc_file(dvp, name, { ...va, type: VDIR }, null);
}

function tmpfs_symlink(dvp: Vnode, name: string, va: VattrCreate, target: string, _ctx: OpContext): Vnode {
  return tmpfs_alloc_file(dvp, name, { ...va, type: VLNK }, target);
}

function tmpfs_link(dvp: Vnode, vp: Vnode, name: string, _ctx: OpContext): void {
  const tm = VFS_TO_TMPFS(dvp.mount);
  const dnode = VP_TO_TMPFS_NODE(dvp);
  const node = VP_TO_TMPFS_NODE(vp);
  checkAlive(dnode);
  if (node.nlink === 0) throw errno('ENOENT', 'the file has been removed');
  if (node.nlink >= TMPFS_LINK_MAX) throw errno('EMLINK', `${node.nlink} links`);
  if ((node.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'the file is immutable or append-only');
  if (dnode.asDir.lookup(name)) throw errno('EEXIST', `'${name}' exists`);
  tm.charge(TmpfsMount.direntCost(name), 'directory entry');
  dnode.asDir.add(name, node);
  node.nlink++;
  node.touch({ c: true });
  dnode.touch({ m: true, c: true });
}

function tmpfs_remove(dvp: Vnode, vp: Vnode, name: string, _ctx: OpContext): void {
  const tm = VFS_TO_TMPFS(dvp.mount);
  const dnode = VP_TO_TMPFS_NODE(dvp);
  const node = VP_TO_TMPFS_NODE(vp);
  if (node.type === VDIR) throw errno('EPERM', 'remove of a directory');
  if ((node.flags & (IMMUTABLE | APPEND)) !== 0 || (dnode.flags & APPEND) !== 0) throw errno('EPERM', 'immutable or append-only');
  checkEntry(dnode, name, node);
  dnode.asDir.remove(name);
  tm.uncharge(TmpfsMount.direntCost(name));
  // At nlink 0 the node lives on while open; inactive/reclaim free it after the last close.
  node.nlink--;
  node.touch({ c: true });
  dnode.touch({ m: true, c: true });
}

function tmpfs_rmdir(dvp: Vnode, vp: Vnode, name: string, _ctx: OpContext): void {
  const tm = VFS_TO_TMPFS(dvp.mount);
  const dnode = VP_TO_TMPFS_NODE(dvp);
  const node = VP_TO_TMPFS_NODE(vp);
  const dir = node.asDir;
  if (dir.count > 0) throw errno('ENOTEMPTY', `'${name}' is not empty`);
  if ((node.flags & (IMMUTABLE | APPEND)) !== 0 || (dnode.flags & APPEND) !== 0) throw errno('EPERM', 'immutable or append-only');
  checkEntry(dnode, name, node);
  dnode.asDir.remove(name);
  tm.uncharge(TmpfsMount.direntCost(name));
  node.nlink = 0;
  dir.parent = null;
  dnode.nlink--; // its '..' is gone
  node.touch({ c: true });
  dnode.touch({ m: true, c: true });
}

/**
 * rename: the VFS checked the generic rules; here the target (if any) is unlinked, the entry moves,
 * and a moved directory's '..' and both parents' link counts are fixed up.
 */
function tmpfs_rename(fdvp: Vnode, fvp: Vnode, fname: string, tdvp: Vnode, tvp: Vnode | null, tname: string, _ctx: OpContext): void {
  const tm = VFS_TO_TMPFS(fdvp.mount);
  const fdnode = VP_TO_TMPFS_NODE(fdvp);
  const fnode = VP_TO_TMPFS_NODE(fvp);
  const tdnode = VP_TO_TMPFS_NODE(tdvp);
  const tnode = tvp ? VP_TO_TMPFS_NODE(tvp) : null;
  const isDir = fnode.type === VDIR;

  // Everything that can fail is checked before anything changes.
  checkEntry(fdnode, fname, fnode);
  if (tnode) checkEntry(tdnode, tname, tnode);
  else if (tdnode.asDir.lookup(tname)) throw errno('EEXIST', `'${tname}' appeared`);
  checkAlive(tdnode);
  if ((fnode.flags & (IMMUTABLE | APPEND)) !== 0 || (fdnode.flags & APPEND) !== 0) throw errno('EPERM', 'source is immutable or append-only');
  if (tnode && ((tnode.flags & (IMMUTABLE | APPEND)) !== 0 || (tdnode.flags & APPEND) !== 0)) throw errno('EPERM', 'target is immutable or append-only');
  if (tnode?.type === VDIR && tnode.asDir.count > 0) throw errno('ENOTEMPTY', `'${tname}' is not empty`);
  if (isDir && fdnode !== tdnode && !tnode && tdnode.nlink >= TMPFS_LINK_MAX) throw errno('EMLINK', 'too many subdirectories');
  tm.charge(TmpfsMount.direntCost(tname), 'directory entry');

  if (tnode) {
    tdnode.asDir.remove(tname);
    tm.uncharge(TmpfsMount.direntCost(tname));
    if (tnode.type === VDIR) {
      tnode.nlink = 0;
      tnode.asDir.parent = null;
      tdnode.nlink--;
    } else {
      tnode.nlink--;
    }
    tnode.touch({ c: true });
  }

  if (fdnode === tdnode) {
    // Same directory: rename in place, keeping the entry's readdir position.
    fdnode.asDir.rename(fname, tname);
  } else {
    fdnode.asDir.remove(fname);
    tdnode.asDir.add(tname, fnode);
    if (isDir) {
      fnode.asDir.parent = tdnode;
      fdnode.nlink--;
      tdnode.nlink++;
    }
  }
  tm.uncharge(TmpfsMount.direntCost(fname));
  fnode.touch({ c: true });
  fdnode.touch({ m: true, c: true });
  if (tdnode !== fdnode) tdnode.touch({ m: true, c: true });
}

function tmpfs_getattr(vp: Vnode): Vattr {
  const node = VP_TO_TMPFS_NODE(vp);
  let size = node.size;
  let bytes = 0;
  if (node.file) bytes = node.file.npages * TMPFS_PAGE_SIZE;
  else if (node.dir) size = bytes = (node.dir.count + 2) * TMPFS_DIRENT_SIZE;
  else if (node.target !== null) bytes = node.size;
  return {
    type: node.type,
    mode: node.mode,
    nlink: node.nlink,
    uid: node.uid,
    gid: node.gid,
    fileid: node.id,
    size,
    bytes,
    blocksize: TMPFS_PAGE_SIZE,
    atime: node.atime,
    mtime: node.mtime,
    ctime: node.ctime,
    birthtime: node.birthtime,
    gen: node.gen,
    flags: node.flags,
    rdev: node.rdev,
  };
}

/** tmpfs_chsize: only regular files have a size to change; device nodes and the like ignore it. */
function tmpfs_chsize(node: TmpfsNode, size: number): void {
  if (node.type === VDIR) throw errno('EISDIR', 'cannot truncate a directory');
  if (!node.file) return;
  if (!Number.isSafeInteger(size) || size < 0) throw errno('EINVAL', `bad size ${size}`);
  if (size < node.size) node.file.truncate(size);
  node.size = size;
  node.touch({ m: true });
}

function tmpfs_setattr(vp: Vnode, ch: VattrChange, _ctx: OpContext): void {
  const node = VP_TO_TMPFS_NODE(vp);
  if (ch.size !== undefined) tmpfs_chsize(node, ch.size);
  if (ch.flags !== undefined) node.flags = ch.flags >>> 0;
  if (ch.mode !== undefined) node.mode = ch.mode & 0o7777;
  if (ch.uid !== undefined) node.uid = ch.uid;
  if (ch.gid !== undefined) node.gid = ch.gid;
  if (ch.atime) node.atime = { ...ch.atime };
  if (ch.mtime) node.mtime = { ...ch.mtime };
  if (ch.birthtime) node.birthtime = { ...ch.birthtime };
  if (ch.ctime) node.ctime = { ...ch.ctime };
  else node.touch({ c: true });
}

function tmpfs_read(vp: Vnode, buf: Uint8Array, offset: number): number {
  const node = VP_TO_TMPFS_NODE(vp);
  const n = node.asFile.read(buf, offset, node.size);
  if ((vp.mount.flag & (MNT_NOATIME | MNT_RDONLY)) === 0) node.touch({ a: true });
  return n;
}

function tmpfs_write(vp: Vnode, buf: Uint8Array, offset: number): number {
  const node = VP_TO_TMPFS_NODE(vp);
  const file = node.asFile;
  if (offset + buf.length > TMPFS_MAXFILESIZE) throw errno('EFBIG', `write past ${TMPFS_MAXFILESIZE} bytes`);
  if ((node.flags & IMMUTABLE) !== 0) throw errno('EPERM', 'the file is immutable');
  if ((node.flags & APPEND) !== 0 && offset !== node.size) throw errno('EPERM', 'the file is append-only');
  if (buf.length === 0) return 0;
  file.write(buf, offset);
  node.size = Math.max(node.size, offset + buf.length);
  node.touch({ m: true, c: true });
  return buf.length;
}

function tmpfs_fsync(_vp: Vnode): void {
  // Memory is the backing store: nothing to push.
}

/**
 * readdir: '.' (cookie 0), '..' (cookie 1), then entries in creation order; each entry's cookie is
 * its sequence number + 1, i.e. "resume after me" (see tmpfs_dir.ts).
 */
function tmpfs_readdir(vp: Vnode, cookie: number, count: number): ReaddirResult {
  const node = VP_TO_TMPFS_NODE(vp);
  const dir = node.asDir;
  const entries: DirEntry[] = [];
  // A removed directory is empty, without even '.' and '..'.
  if (!dir.parent) return { entries, eof: true };
  let bytes = 0;
  const push = (e: DirEntry): boolean => {
    const r = reclen(e.name);
    if (entries.length > 0 && bytes + r > count) return false;
    entries.push(e);
    bytes += r;
    return true;
  };
  if ((vp.mount.flag & (MNT_NOATIME | MNT_RDONLY)) === 0) node.touch({ a: true });
  if (cookie <= TMPFS_DIRSEQ_DOT && !push({ fileno: node.id, type: DT_DIR, name: '.', cookie: TMPFS_DIRSEQ_DOTDOT })) {
    return { entries, eof: false };
  }
  if (cookie <= TMPFS_DIRSEQ_DOTDOT && !push({ fileno: dir.parent.id, type: DT_DIR, name: '..', cookie: TMPFS_DIRSEQ_START })) {
    return { entries, eof: false };
  }
  for (const de of dir.from(Math.max(cookie, TMPFS_DIRSEQ_START))) {
    if (!push({ fileno: de.node.id, type: vttodt(de.node.type), name: de.name, cookie: de.seq + 1 })) return { entries, eof: false };
  }
  return { entries, eof: true };
}

function tmpfs_readlink(vp: Vnode): string {
  const node = VP_TO_TMPFS_NODE(vp);
  if (node.target === null) throw errno('EINVAL', 'not a symbolic link');
  if ((vp.mount.flag & (MNT_NOATIME | MNT_RDONLY)) === 0) node.touch({ a: true });
  return node.target;
}

/** Last reference gone: a node with no names left is reclaimed (and freed) right away. */
function tmpfs_inactive(vp: Vnode): boolean {
  return VP_TO_TMPFS_NODE(vp).nlink === 0;
}

/** The vnode leaves the cache. The node stays while it has names; otherwise it is freed now. */
function tmpfs_reclaim(vp: Vnode): void {
  const node = VP_TO_TMPFS_NODE(vp);
  if (node.nlink === 0 && vp.mount.data instanceof TmpfsMount) vp.mount.data.freeNode(node);
}

/** The tmpfs vnodeops (tmpfs_vnops.c), the `vnodeops` of {@link tmpfs_vfsops}; v_data is a tmpfs node. */
export const tmpfs_vnodeops: VnodeOps = {
  lookup: tmpfs_lookup,
  create: tmpfs_create,
  mknod: tmpfs_mknod,
  mkdir: tmpfs_mkdir,
  symlink: tmpfs_symlink,
  link: tmpfs_link,
  remove: tmpfs_remove,
  rmdir: tmpfs_rmdir,
  rename: tmpfs_rename,
  getattr: tmpfs_getattr,
  setattr: tmpfs_setattr,
  read: tmpfs_read,
  write: tmpfs_write,
  fsync: tmpfs_fsync,
  readdir: tmpfs_readdir,
  readlink: tmpfs_readlink,
  inactive: tmpfs_inactive,
  reclaim: tmpfs_reclaim,
};
