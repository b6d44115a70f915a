/**
 * The vnode operations of cd9660 (sys/fs/cd9660/cd9660_vnops.c, cd9660_lookup.c). The medium is
 * read-only: the VFS refuses writes on a read-only mount before they get here (EROFS), and the
 * mutating ops below answer EROFS too, for any caller that reaches them directly.
 */
import { DT_DIR, DT_REG, S_IFMT, errno, isRumpError, nameByteLength } from '@rumpts/librump';
import {
  VLNK, VREG, direntReclen, iftovt, vttodt,
  type DirEntry, type OpContext, type ReaddirResult, type Vattr, type Vnode, type VnodeOps,
} from '@rumpts/rumpvfs';
import { ISOFSMNT_RRCASEINS, type IsoMount, VFSTOISOFS } from './cd9660_mount.js';
import { type IsoNode, VTOI, cd9660_parent, entryKey } from './cd9660_node.js';
import { type DirSlot, cd9660_dirwalk, isHidden, slotIsDir, slotName } from './cd9660_lookup.js';

function erofs(): never {
  throw errno('EROFS', 'cd9660: the file system is read-only');
}

/** Entries of one directory that lookup indexes by name; a larger directory is walked per lookup. */
export const LOOKUP_INDEX_MAX = 65536;

/**
 * The name index of directory dp (lookup's names, folded to lower case under RRCASEINS, the first
 * record of a name winning as in a walk), made on first use; null if dp has none. A directory that
 * cannot be walked whole (a damaged record) gets none: each lookup then walks it as far as it must,
 * so a name before the damage is still found and one past it is still EIO. Nor does one with more
 * than LOOKUP_INDEX_MAX names, or one whose names would take the mount past its lookupBudget.
 */
function lookupIndex(imp: IsoMount, dp: IsoNode, fold: boolean): Map<string, number> | null {
  if (dp.names !== null) return dp.names === false ? null : dp.names;
  const names = new Map<string, number>();
  let ok = true;
  try {
    cd9660_dirwalk(imp, dp, 0, (slot) => {
      if (slot.dot !== null || isHidden(slot)) return true;
      const n = slotName(imp, slot);
      const k = fold ? n.toLowerCase() : n;
      if (!names.has(k)) names.set(k, entryKey(imp, slot.rec, slot.rr, slot.addr));
      if (names.size > LOOKUP_INDEX_MAX || imp.indexedNames + names.size > imp.lookupBudget) ok = false;
      return ok;
    });
  } catch (e) {
    if (!isRumpError(e)) throw e;
    ok = false;
  }
  dp.names = ok ? names : false;
  if (!ok) return null;
  imp.indexedNames += names.size;
  return names;
}

/** A node leaves the cache: its lookup index gives its names back to the mount's budget. */
function cd9660_reclaim(vp: Vnode): void {
  const ip = VTOI(vp);
  if (ip.names) VFSTOISOFS(vp.mount).indexedNames -= ip.names.size;
  ip.names = null;
}

function cd9660_lookup(dvp: Vnode, name: string, _ctx: OpContext): Vnode | null {
  const imp = VFSTOISOFS(dvp.mount);
  const dp = VTOI(dvp);
  if (name === '..') return dvp.mount.vcacheGet(cd9660_parent(imp, dp));
  const fold = (imp.flags & ISOFSMNT_RRCASEINS) !== 0 && imp.rrSkip !== null;
  const want = fold ? name.toLowerCase() : name;
  const index = lookupIndex(imp, dp, fold);
  if (index !== null) {
    const key = index.get(want);
    return key === undefined ? null : dvp.mount.vcacheGet(key);
  }
  let found: number | null = null;
  cd9660_dirwalk(imp, dp, 0, (slot) => {
    if (slot.dot !== null || isHidden(slot)) return true;
    const n = slotName(imp, slot);
    if ((fold ? n.toLowerCase() : n) !== want) return true;
    found = entryKey(imp, slot.rec, slot.rr, slot.addr);
    return false;
  });
  return found === null ? null : dvp.mount.vcacheGet(found);
}

function cd9660_getattr(vp: Vnode): Vattr {
  const ip = VTOI(vp);
  const imp = VFSTOISOFS(vp.mount);
  return {
    type: ip.type,
    mode: ip.mode,
    nlink: ip.nlink,
    uid: ip.uid,
    gid: ip.gid,
    fileid: ip.key,
    size: ip.size,
    bytes: ip.type === VLNK ? 0 : Math.ceil(ip.size / imp.bsize) * imp.bsize,
    blocksize: imp.bsize,
    atime: ip.atime,
    mtime: ip.mtime,
    ctime: ip.ctime,
    birthtime: ip.birthtime,
    gen: 1,
    flags: 0,
    rdev: ip.rdev,
  };
}

/** cd9660_read: file data is one contiguous extent. */
function cd9660_read(vp: Vnode, buf: Uint8Array, offset: number): number {
  const ip = VTOI(vp);
  if (ip.type !== VREG) throw errno('EINVAL', 'cd9660: read of a non-regular file');
  if (offset >= ip.size) return 0;
  const n = Math.min(buf.length, ip.size - offset);
  VFSTOISOFS(vp.mount).readBytes(buf.subarray(0, n), ip.dataStart + offset);
  return n;
}

/** The DT_* of a directory entry: from its PX mode with Rock Ridge, else from the directory flag. */
function slotType(slot: DirSlot): number {
  if (slotIsDir(slot)) return DT_DIR;
  const px = slot.rr?.px;
  return px ? vttodt(iftovt(px.mode & S_IFMT)) : DT_REG;
}

/**
 * cd9660_readdir: cookies are byte offsets of records inside the directory, which never change on
 * a read-only medium. Returns at least one entry unless the directory is exhausted.
 */
function cd9660_readdir(vp: Vnode, cookie: number, count: number): ReaddirResult {
  const imp = VFSTOISOFS(vp.mount);
  const dp: IsoNode = VTOI(vp);
  const entries: DirEntry[] = [];
  let used = 0;
  let eof = true;
  cd9660_dirwalk(imp, dp, cookie, (slot) => {
    if (isHidden(slot)) return true;
    let e: DirEntry;
    if (slot.dot === 0) e = { fileno: dp.key, type: DT_DIR, name: '.', cookie: slot.next };
    else if (slot.dot === 1) e = { fileno: cd9660_parent(imp, dp), type: DT_DIR, name: '..', cookie: slot.next };
    else e = { fileno: entryKey(imp, slot.rec, slot.rr, slot.addr), type: slotType(slot), name: slotName(imp, slot), cookie: slot.next };
    const reclen = direntReclen(nameByteLength(e.name));
    if (entries.length > 0 && used + reclen > count) {
      eof = false;
      return false;
    }
    entries.push(e);
    used += reclen;
    return true;
  });
  return { entries, eof };
}

function cd9660_readlink(vp: Vnode): string {
  const ip = VTOI(vp);
  if (ip.target === null) throw errno('EINVAL', 'cd9660: not a symbolic link');
  return ip.target;
}

/**
 * The cd9660 vnodeops (cd9660_vnops.c, cd9660_lookup.c): lookup, getattr, read, readdir, readlink;
 * every operation that would write answers EROFS.
 */
export const cd9660_vnodeops: VnodeOps = {
  lookup: cd9660_lookup,
  create: erofs,
  mknod: erofs,
  mkdir: erofs,
  symlink: erofs,
  link: erofs,
  remove: erofs,
  rmdir: erofs,
  rename: erofs,
  getattr: cd9660_getattr,
  setattr: erofs,
  read: cd9660_read,
  write: erofs,
  fsync: () => {
    // Nothing is ever dirty on a read-only medium.
  },
  readdir: cd9660_readdir,
  readlink: cd9660_readlink,
  // Keep vnodes cached after their last reference: nothing on the medium can change.
  inactive: () => false,
  reclaim: cd9660_reclaim,
};

