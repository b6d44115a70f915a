/**
 * The vnode operations of msdosfs (sys/fs/msdosfs/msdosfs_vnops.c, msdosfs_lookup.c,
 * msdosfs_rename.c). What NetBSD's msdosfs makes of Unix semantics: owners and groups are the
 * mount's (chown to anything else is EINVAL), the permission bits are the mount's masks with the
 * write bits cleared for read-only files (chmod only toggles the read-only attribute), every file
 * has one link, there are no symbolic links, hard links or device nodes (EOPNOTSUPP / EINVAL),
 * modification times have 2-second granularity and access times are dates.
 */
import { DT_DIR, DT_REG, MNT_NOATIME, MNT_RDONLY, SF_ARCHIVED, errno, nameByteLength } from '@rumpts/librump';

/** The owner's write permission bit (S_IWUSR), the one chmod keeps as the read-only attribute. */
const S_IWUSR = 0o200;
import {
  VDIR, VREG, direntReclen,
  type DirEntry as VDirEntry, type OpContext, type ReaddirResult, type Vattr, type VattrChange, type VattrCreate, type Vnode, type VnodeOps,
} from '@rumpts/rumpvfs';
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READONLY, ATTR_VOLUME, ATTR_WIN95, DIRENT_SIZE, type DirEntry, LCASE_BASE, LCASE_EXT, SLOT_DELETED, SLOT_EMPTY,
  decodeDirEntry,
} from './ondisk/direntry.js';
import { dos2unixtime, unix2dostime } from './ondisk/dostime.js';
import { MSDOSFSMNT_NOWIN95, type Msdosfsmount, VFSTOMSDOSFS } from './msdosfsmount.js';
import { Denode, ROOT_KEY, VTODE, dirKeyOf, dosNow } from './denode.js';
import { LfnAssembler, createEntry, dircache, dirEmpty, dirLookup, dirPos, isDotName, readDirEntry, removeEntry, scanDir, writeDirEntry } from './dir.js';
import { checkFatName, dos2unixfn } from './conv.js';

function pmpOf(vp: Vnode): Msdosfsmount {
  return VFSTOMSDOSFS(vp.mount);
}

/** The name of an entry not yet entered (createEntry gives it its own); never written into. */
const NO_NAME: Uint8Array = new Uint8Array(11).fill(0x20);

/** A new entry's fields: times now, no clusters, no name yet. */
function newEntry(pmp: Msdosfsmount, attributes: number, startCluster: number): DirEntry {
  const t = unix2dostime(dosNow(), pmp.opts.gmtoff);
  return {
    name: NO_NAME,
    attributes,
    lowerCase: 0,
    cHundredth: t.hundredths,
    cTime: t.time,
    cDate: t.date,
    aDate: t.date,
    startCluster,
    mTime: t.time,
    mDate: t.date,
    fileSize: 0,
  };
}

/** The file id a directory entry names (a directory's '.' position, or the entry's own position). */
function entryKey(pmp: Msdosfsmount, dp: Denode, off: number, e: DirEntry): number {
  if ((e.attributes & ATTR_DIRECTORY) === 0) return dirPos(dp, off) / DIRENT_SIZE;
  if (!pmp.validCluster(e.startCluster) || (pmp.g.fatType === 32 && e.startCluster === pmp.g.rootCluster)) {
    throw errno('EIO', `msdosfs: directory entry at offset ${off} of directory ${dp.fileid} has no valid cluster (${e.startCluster})`);
  }
  return dirKeyOf(pmp, e.startCluster);
}

/** The parent of a directory, from its '..' entry (cluster 0 is the root). */
function parentKey(pmp: Msdosfsmount, dp: Denode): number {
  const e = readDirEntry(dp, DIRENT_SIZE);
  if (isDotName(e.name) !== 2 || (e.attributes & ATTR_DIRECTORY) === 0) throw errno('EIO', `msdosfs: directory ${dp.fileid} has no '..' entry`);
  if (e.startCluster !== 0 && !pmp.validCluster(e.startCluster)) throw errno('EIO', `msdosfs: '..' of directory ${dp.fileid} names cluster ${e.startCluster}`);
  return dirKeyOf(pmp, e.startCluster);
}

function msdosfs_lookup(dvp: Vnode, name: string, _ctx: OpContext): Vnode | null {
  const pmp = pmpOf(dvp);
  const dp = VTODE(dvp);
  if (!dp.linked) {
    if (name === '..') throw errno('ENOENT', 'msdosfs: the directory was removed');
    return null;
  }
  if (name === '..') return dvp.mount.vcacheGet(parentKey(pmp, dp));
  const off = dirLookup(dp, name);
  if (off < 0) return null;
  // A node this mount created at this offset and still cached with its entry known: no entry read.
  const known = dircache(dp).keyOf.get(off);
  const cached = known === undefined ? undefined : dvp.mount.vcachePeek(known);
  if (cached && !cached.dead && cached.data instanceof Denode && cached.data.linked && cached.data.entryPos === dirPos(dp, off)) {
    const vp = dvp.mount.vcacheGet(known!);
    VTODE(vp).diroffset = off;
    return vp;
  }
  const e = readDirEntry(dp, off);
  const key = entryKey(pmp, dp, off, e);
  let vp: Vnode;
  try {
    vp = dvp.mount.vcacheGet(key);
  } catch (err) {
    throw errno('EIO', `msdosfs: '${name}' in directory ${dp.fileid} cannot be read`, { cause: err });
  }
  const dep = VTODE(vp);
  if ((dep.type === VDIR) !== ((e.attributes & ATTR_DIRECTORY) !== 0)) throw errno('EIO', `msdosfs: '${name}' is shared with another directory entry`);
  dep.diroffset = off;
  if (dep.type === VDIR && dep.entryPos < 0) {
    dep.entryPos = dirPos(dp, off);
    // The entry in the parent is the one DOS tools read and update: its attributes win over '.'.
    if (!dep.modified) dep.adoptEntry(e);
  } else dep.entryPos = dirPos(dp, off);
  return vp;
}

function msdosfs_create(dvp: Vnode, name: string, va: VattrCreate, _ctx: OpContext): Vnode {
  checkFatName(name);
  if (va.type === VDIR) return msdosfs_mkdir(dvp, name, va, _ctx);
  if (va.type !== VREG) throw errno('EINVAL', 'msdosfs: only regular files and directories exist on a FAT file system');
  const pmp = pmpOf(dvp);
  const dp = VTODE(dvp);
  // A file created without the owner's write bit gets the read-only attribute (msdosfs_create).
  const e = newEntry(pmp, ATTR_ARCHIVE | ((va.mode & S_IWUSR) !== 0 ? 0 : ATTR_READONLY), 0);
  const ne = createEntry(dp, name, e);
  const key = ne.pos / DIRENT_SIZE;
  dircache(dp).keyOf.set(ne.off, key);
  const dep = new Denode(pmp, key, VREG, false, e);
  dep.entryPos = ne.pos;
  dep.diroffset = ne.off;
  dep.chainDone = true;
  return dvp.mount.vcacheNew(key, VREG, dep);
}

function msdosfs_mkdir(dvp: Vnode, name: string, _va: VattrCreate, _ctx: OpContext): Vnode {
  checkFatName(name);
  const pmp = pmpOf(dvp);
  const dp = VTODE(dvp);
  if (!dp.linked) throw errno('ENOENT', 'msdosfs: the directory was removed');
  const [cn] = pmp.allocClusters(1, pmp.nxtfree);
  const cluster = cn!;
  const e = newEntry(pmp, ATTR_DIRECTORY, cluster);
  try {
    // The new directory's cluster: '.' and '..' (the parent's cluster; 0 for the root, FAT32 too).
    const r = pmp.clusterRef(cluster);
    const bp = pmp.cache.getblk(pmp.dev, r.blkno, r.size);
    bp.data.fill(0);
    pmp.cache.bdwrite(bp);
    pmp.noteNewDirCluster(cluster, r.blkno);
    const dot = { ...e, name: new Uint8Array(11).fill(0x20) };
    dot.name[0] = 0x2e;
    const dotdot = { ...e, name: new Uint8Array(11).fill(0x20), startCluster: dp.isRoot ? 0 : dp.startCluster };
    dotdot.name[0] = 0x2e;
    dotdot.name[1] = 0x2e;
    const tmp = new Denode(pmp, 0, VDIR, false, e);
    tmp.chain = [cluster];
    tmp.chainDone = true;
    writeDirEntry(tmp, 0, dot);
    writeDirEntry(tmp, DIRENT_SIZE, dotdot);
    const ne = createEntry(dp, name, e);
    const key = dirKeyOf(pmp, cluster);
    dircache(dp).keyOf.set(ne.off, key);
    const dep = new Denode(pmp, key, VDIR, false, e);
    dep.chain = [cluster];
    dep.chainDone = true;
    dep.fileSize = pmp.g.bpc;
    dep.entryPos = ne.pos;
    dep.diroffset = ne.off;
    return dvp.mount.vcacheNew(key, VDIR, dep);
  } catch (err) {
    pmp.freeChain(cluster);
    throw err;
  }
}

function msdosfs_mknod(dvp: Vnode, name: string, va: VattrCreate, ctx: OpContext): Vnode {
  if (va.type === VREG || va.type === VDIR) return msdosfs_create(dvp, name, va, ctx);
  throw errno('EINVAL', 'msdosfs: a FAT file system has no device nodes, fifos or sockets');
}

/**
 * The directory offset of `ip`'s entry in `dp`: the one the last lookup found, checked against
 * the entry's address (or found again by name).
 */
function locate(dp: Denode, ip: Denode, name: string): number {
  if (ip.diroffset >= 0 && ip.entryPos >= 0 && dirPos(dp, ip.diroffset) === ip.entryPos) return ip.diroffset;
  const off = dirLookup(dp, name);
  if (off >= 0) {
    const pos = dirPos(dp, off);
    if (ip.entryPos < 0 || pos === ip.entryPos) {
      ip.diroffset = off;
      ip.entryPos = pos;
      return off;
    }
  }
  throw errno('EIO', `msdosfs: the entry of '${name}' is not where it was found`);
}

/** The node has no name any more: st_ino kept, its key moved out of the way of the next file in its slot. */
function orphan(vp: Vnode, ip: Denode): void {
  ip.linked = false;
  ip.orphanFileid = ip.fileid;
  vp.mount.vcacheRekey(vp, ip.pmp.orphanKey());
  ip.key = vp.key;
  ip.dircache = null;
}

function msdosfs_remove(dvp: Vnode, vp: Vnode, name: string, _ctx: OpContext): void {
  const dp = VTODE(dvp);
  const ip = VTODE(vp);
  if (ip.type === VDIR) throw errno('EPERM', 'msdosfs: a directory is removed with rmdir');
  removeEntry(dp, locate(dp, ip, name));
  orphan(vp, ip);
}

function msdosfs_rmdir(dvp: Vnode, vp: Vnode, name: string, _ctx: OpContext): void {
  const dp = VTODE(dvp);
  const ip = VTODE(vp);
  if (!dirEmpty(ip)) throw errno('ENOTEMPTY', `msdosfs: directory '${name}' is not empty`);
  removeEntry(dp, locate(dp, ip, name));
  orphan(vp, ip);
  // A removed directory's clusters go at once; a process sitting in it sees it empty.
  ip.freeClusters();
}

/**
 * msdosfs_rename: the target (if any) goes first, the moved node gets a new entry (a new short
 * name) in the target directory, then its old entry goes; a file's id follows its entry; a
 * directory moved to another parent gets its '..' rewritten.
 */
function msdosfs_rename(fdvp: Vnode, fvp: Vnode, fname: string, tdvp: Vnode, tvp: Vnode | null, tname: string, _ctx: OpContext): void {
  checkFatName(tname);
  const fdp = VTODE(fdvp);
  const fip = VTODE(fvp);
  const tdp = VTODE(tdvp);
  const doingdir = fip.type === VDIR;
  const foff = locate(fdp, fip, fname);
  if (tvp) {
    const tip = VTODE(tvp);
    if (tip.type === VDIR && !dirEmpty(tip)) throw errno('ENOTEMPTY', `msdosfs: directory '${tname}' is not empty`);
    removeEntry(tdp, locate(tdp, tip, tname));
    orphan(tvp, tip);
    if (tip.type === VDIR) tip.freeClusters();
  }
  const e: DirEntry = { ...fip.de, fileSize: doingdir ? 0 : fip.fileSize };
  const ne = createEntry(tdp, tname, e);
  // Creating in the same directory never moves other entries: the old offset still holds.
  removeEntry(fdp, foff);
  fip.de = e;
  fip.entryPos = ne.pos;
  fip.diroffset = ne.off;
  fip.modified = false;
  if (!doingdir) {
    fvp.mount.vcacheRekey(fvp, ne.pos / DIRENT_SIZE);
    fip.key = fvp.key;
  } else if (fdp !== tdp) {
    const dd = readDirEntry(fip, DIRENT_SIZE);
    if (isDotName(dd.name) !== 2) throw errno('EIO', `msdosfs: directory '${tname}' has no '..' entry`);
    writeDirEntry(fip, DIRENT_SIZE, { ...dd, startCluster: tdp.isRoot ? 0 : tdp.startCluster });
  }
}

function msdosfs_getattr(vp: Vnode): Vattr {
  const pmp = pmpOf(vp);
  const dep = VTODE(vp);
  const de = dep.de;
  const gmtoff = pmp.opts.gmtoff;
  const isDir = dep.type === VDIR;
  const perm = (de.attributes & ATTR_READONLY) !== 0 ? 0o555 : 0o777;
  const mtime = dos2unixtime(de.mDate, de.mTime, 0, gmtoff);
  const long = pmp.longNames;
  const atime = long ? dos2unixtime(de.aDate, 0, 0, gmtoff) : mtime;
  const ctime = long ? dos2unixtime(de.cDate, de.cTime, de.cHundredth, gmtoff) : mtime;
  const bpc = pmp.g.bpc;
  return {
    type: isDir ? VDIR : VREG,
    mode: perm & (isDir ? pmp.opts.dirmask : pmp.opts.mask),
    nlink: dep.linked ? 1 : 0,
    uid: pmp.opts.uid,
    gid: pmp.opts.gid,
    fileid: dep.fileid,
    size: dep.fileSize,
    bytes: Math.ceil(dep.fileSize / bpc) * bpc,
    blocksize: bpc,
    atime,
    mtime,
    ctime,
    birthtime: ctime,
    gen: 0,
    flags: (de.attributes & ATTR_ARCHIVE) !== 0 ? 0 : SF_ARCHIVED,
    rdev: 0,
  };
}

function msdosfs_setattr(vp: Vnode, ch: VattrChange, _ctx: OpContext): void {
  const pmp = pmpOf(vp);
  const dep = VTODE(vp);
  // Owners are the mount's: only "changes" to what they already are pass (msdosfs_setattr).
  if ((ch.uid !== undefined && ch.uid !== pmp.opts.uid) || (ch.gid !== undefined && ch.gid !== pmp.opts.gid)) {
    throw errno('EINVAL', `msdosfs: files belong to the mount's owner ${pmp.opts.uid}:${pmp.opts.gid}`);
  }
  if (ch.flags !== undefined && (ch.flags & ~SF_ARCHIVED) !== 0) throw errno('EOPNOTSUPP', 'msdosfs: only the archived flag exists on a FAT file system');
  const gmtoff = pmp.opts.gmtoff;
  const isDir = dep.type === VDIR;
  if (ch.size !== undefined && !isDir) dep.truncate(ch.size);
  if (ch.mtime) {
    const t = unix2dostime(ch.mtime, gmtoff);
    dep.de.mDate = t.date;
    dep.de.mTime = t.time;
    dep.de.attributes |= ATTR_ARCHIVE;
    dep.modified = true;
  }
  if (ch.atime && (pmp.flags & MSDOSFSMNT_NOWIN95) === 0) {
    dep.de.aDate = unix2dostime(ch.atime, gmtoff).date;
    dep.modified = true;
  }
  // No birth time is set: the creation date is the file's own (msdosfs_setattr never takes
  // va_birthtime), so a utimes that pulls an FFS birth time back leaves it, and ctime, as they are.
  // DOS has one permission: the read-only attribute, kept as the owner's write bit. Directories ignore it.
  if (ch.mode !== undefined && !isDir) {
    if ((ch.mode & S_IWUSR) !== 0) dep.de.attributes &= ~ATTR_READONLY;
    else dep.de.attributes |= ATTR_READONLY;
    dep.modified = true;
  }
  if (ch.flags !== undefined && !isDir) {
    if ((ch.flags & SF_ARCHIVED) !== 0) dep.de.attributes &= ~ATTR_ARCHIVE;
    else dep.de.attributes |= ATTR_ARCHIVE;
    dep.modified = true;
  }
  if (dep.isRoot && dep.modified) dep.modified = false; // the root has no entry: its times live in memory
}

function msdosfs_read(vp: Vnode, buf: Uint8Array, offset: number): number {
  const dep = VTODE(vp);
  if (dep.type !== VREG) throw errno('EISDIR', 'msdosfs: read of a directory');
  const n = dep.read(buf, offset);
  if ((vp.mount.flag & (MNT_RDONLY | MNT_NOATIME)) === 0 && n > 0) dep.touchAccessed();
  return n;
}

function msdosfs_write(vp: Vnode, buf: Uint8Array, offset: number): number {
  const dep = VTODE(vp);
  if (dep.type !== VREG) throw errno('EISDIR', 'msdosfs: write to a directory');
  return dep.write(buf, offset);
}

function msdosfs_fsync(vp: Vnode): void {
  const pmp = pmpOf(vp);
  if (pmp.ronly) return;
  VTODE(vp).deupdat();
  pmp.syncMeta();
  pmp.cache.flush(pmp.dev);
}

/** The root lists '.' and '..' first though they are not on disk (NetBSD fakes them too). */
const ROOT_BIAS = 2 * DIRENT_SIZE;

/**
 * msdosfs_readdir: cookies are byte offsets in the directory (after the entry returned), biased
 * by two slots in the root for its made-up '.' and '..'. Long names when valid, else the 8.3 name
 * (lower case where the NT case bits say so, or everywhere with short names only).
 */
function msdosfs_readdir(vp: Vnode, cookie: number, count: number): ReaddirResult {
  const pmp = pmpOf(vp);
  const dp = VTODE(vp);
  const entries: VDirEntry[] = [];
  let used = 0;
  const push = (e: VDirEntry): boolean => {
    const reclen = direntReclen(nameByteLength(e.name));
    if (entries.length > 0 && used + reclen > count) return false;
    entries.push(e);
    used += reclen;
    return true;
  };
  const bias = dp.isRoot ? ROOT_BIAS : 0;
  if (dp.isRoot) {
    if (cookie < DIRENT_SIZE && !push({ fileno: ROOT_KEY, type: DT_DIR, name: '.', cookie: DIRENT_SIZE })) return { entries, eof: false };
    if (cookie < ROOT_BIAS && !push({ fileno: ROOT_KEY, type: DT_DIR, name: '..', cookie: ROOT_BIAS })) return { entries, eof: false };
  }
  if (!dp.linked) return { entries, eof: true };
  const start = Math.max(0, Math.floor((cookie - bias) / DIRENT_SIZE) * DIRENT_SIZE);
  const lfn = new LfnAssembler();
  const longNames = pmp.longNames;
  const shortLower = longNames ? 0 : LCASE_BASE | LCASE_EXT;
  const fat32 = pmp.g.fatType === 32;
  // Entries are decoded while a buffer is held; their file ids are computed after. Every entry
  // takes at least 16 bytes of the caller's buffer, which bounds how many one call can use.
  const limit = Math.floor(count / 16) + 1;
  const raw: { off: number; e: DirEntry; name: string; dot: number }[] = [];
  let full = false;
  scanDir(dp, start, (d, b, off) => {
    const n0 = d[b]!;
    if (n0 === SLOT_EMPTY) return false;
    if (n0 === SLOT_DELETED) {
      lfn.reset();
      return true;
    }
    const attr = d[b + 11]!;
    if (attr === ATTR_WIN95) {
      if (longNames) lfn.feed(d, b);
      return true;
    }
    if ((attr & ATTR_VOLUME) !== 0) {
      lfn.reset();
      return true;
    }
    const e = decodeDirEntry(d, b, fat32);
    const dot = isDotName(e.name);
    const long = lfn.finish(e.name);
    if (dot !== 0) {
      // Only the real '.' and '..' (slots 0 and 1 of a subdirectory) are listed.
      if (!dp.isRoot && ((dot === 1 && off === 0) || (dot === 2 && off === DIRENT_SIZE))) raw.push({ off, e, name: dot === 1 ? '.' : '..', dot });
    } else {
      raw.push({ off, e, name: long ?? dos2unixfn(e.name, (e.lowerCase & (LCASE_BASE | LCASE_EXT)) | shortLower), dot: 0 });
    }
    if (raw.length >= limit) {
      full = true;
      return false;
    }
    return true;
  });
  for (const r of raw) {
    let fileno: number;
    const isDir = (r.e.attributes & ATTR_DIRECTORY) !== 0;
    if (r.dot === 1) fileno = dp.key;
    else if (isDir) fileno = pmp.validCluster(r.e.startCluster) ? dirKeyOf(pmp, r.e.startCluster) : ROOT_KEY;
    else fileno = dirPos(dp, r.off) / DIRENT_SIZE;
    if (!push({ fileno, type: isDir ? DT_DIR : DT_REG, name: r.name, cookie: r.off + DIRENT_SIZE + bias })) return { entries, eof: false };
  }
  return { entries, eof: !full };
}

function msdosfs_readlink(_vp: Vnode): string {
  throw errno('EINVAL', 'msdosfs: there are no symbolic links on a FAT file system');
}

function eopnotsupp(what: string): () => never {
  return () => {
    throw errno('EOPNOTSUPP', `msdosfs: ${what}`);
  };
}

/** The last reference went: a removed file's clusters are freed; otherwise its entry is written. */
function msdosfs_inactive(vp: Vnode): boolean {
  const dep = VTODE(vp);
  if (!dep.linked) {
    dep.freeClusters();
    return true;
  }
  // A directory's entry changes with every name made in it (its modification time): each release of
  // it would rewrite the same entry, so it waits for reclaim or sync, which write every changed node.
  if (!dep.pmp.ronly && dep.type !== VDIR) dep.deupdat();
  return false;
}

function msdosfs_reclaim(vp: Vnode): void {
  const dep = VTODE(vp);
  try {
    if (dep.linked) {
      if (!dep.pmp.ronly) dep.deupdat();
    } else dep.freeClusters();
  } finally {
    dep.dircache = null;
  }
}

/**
 * The msdosfs vnode operations (msdosfs_vnodeop_p), over denodes: lookup, create, read, write, readdir, rename
 * and the rest.
 */
export const msdosfs_vnodeops: VnodeOps = {
  lookup: msdosfs_lookup,
  create: msdosfs_create,
  mknod: msdosfs_mknod,
  mkdir: msdosfs_mkdir,
  symlink: eopnotsupp('there are no symbolic links on a FAT file system'),
  link: eopnotsupp('there are no hard links on a FAT file system'),
  remove: msdosfs_remove,
  rmdir: msdosfs_rmdir,
  rename: msdosfs_rename,
  getattr: msdosfs_getattr,
  setattr: msdosfs_setattr,
  read: msdosfs_read,
  write: msdosfs_write,
  fsync: msdosfs_fsync,
  readdir: msdosfs_readdir,
  readlink: msdosfs_readlink,
  inactive: msdosfs_inactive,
  reclaim: msdosfs_reclaim,
};
