/**
 * The in-core ISO node (struct iso_node) and how one is read (cd9660_vget): a file id is the byte
 * address of a directory record on the device — for a directory, its own '.' record at the start of
 * its extent, so every name of it gives the same id. Attributes come from Rock Ridge when present
 * (cd9660_rrip.c), else from the record, as cd9660_defattr does (mode 0555, owner 0).
 */
import { S_IFMT, errno, nameByteLength, type Timespec } from '@rumpts/librump';
import { VDIR, VLNK, VREG, iftovt, type Vnode, type VType } from '@rumpts/rumpvfs';
import { type DirRecord, ISO_FILE_DIRECTORY, ISO_FILE_MULTIEXTENT, decodeDirRecord, isDotName } from './iso_ondisk.js';
import { parseRrip, type RripInfo } from './iso_rrip.js';
import type { IsoMount } from './cd9660_mount.js';

export interface IsoNode {
  /** File id: the byte address of the record this node was read from. */
  readonly key: number;
  readonly type: VType;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Byte address of the data (past any extended attribute record). */
  readonly dataStart: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly birthtime: Timespec;
  readonly rdev: number;
  /** The symlink target (VLNK only). */
  readonly target: string | null;
  /** Directories: the parent's file id, found on first use ('..' record, or its PL entry). */
  parentKey: number | null;
  /**
   * Directories: name → file id of every entry lookup can find, made by the first lookup (the medium
   * never changes); false when the directory is too large for one or could not be walked whole.
   */
  names: Map<string, number> | false | null;
}

/** VTOI: the ISO node behind a vnode of this file system. */
export function VTOI(vp: Vnode): IsoNode {
  return vp.data as IsoNode;
}

/** Read a logical block into a fresh buffer (callers may then read other blocks freely). */
export function readBlockCopy(imp: IsoMount, lbn: number): Uint8Array {
  return imp.withBlock(lbn, (b) => b.slice());
}

/** Decode the directory record at byte address `addr`, or throw EIO naming the damage. */
export function readRecordAt(imp: IsoMount, addr: number): { rec: DirRecord; block: Uint8Array } {
  const lbn = Math.floor(addr / imp.bsize);
  const block = readBlockCopy(imp, lbn);
  let rec: DirRecord | null;
  try {
    rec = decodeDirRecord(block, addr - lbn * imp.bsize);
  } catch (e) {
    throw errno('EIO', `cd9660: bad directory record at byte ${addr}: ${(e as Error).message}`);
  }
  if (!rec) throw errno('ESTALE', `cd9660: no directory record at byte ${addr}`);
  return { rec, block };
}

/** Rock Ridge entries of a record (null when Rock Ridge is not in use on this mount). */
export function rripOf(imp: IsoMount, rec: DirRecord, where: number): RripInfo | null {
  if (imp.rrSkip === null) return null;
  try {
    return parseRrip(rec.systemUse, imp.rrSkip, (block, offset, length) => {
      if (offset + length > imp.bsize) throw new Error(`continuation area ${offset}+${length} runs past its block`);
      return readBlockCopy(imp, block).subarray(offset, offset + length);
    });
  } catch (e) {
    if (e instanceof Error && !('errno' in e)) throw errno('EIO', `cd9660: bad Rock Ridge entries of the record at byte ${where}: ${e.message}`);
    throw e;
  }
}

/** The byte address of a directory's first record ('.'), i.e. its file id. */
export function dirKey(imp: IsoMount, rec: DirRecord): number {
  return (rec.extent + rec.extAttrLength) * imp.bsize;
}

/** The file id a directory entry leads to: a directory's '.' record, a CL target, else the entry itself. */
export function entryKey(imp: IsoMount, rec: DirRecord, rr: RripInfo | null, addr: number): number {
  if (rr?.childLink !== undefined) return rr.childLink * imp.bsize;
  if ((rec.flags & ISO_FILE_DIRECTORY) !== 0) return dirKey(imp, rec);
  return addr;
}

/** cd9660_vget: build the node for file id `key`. */
export function cd9660_loadnode(imp: IsoMount, key: number): IsoNode {
  const { rec } = readRecordAt(imp, key);
  const rr = rripOf(imp, rec, key);
  const isDir = (rec.flags & ISO_FILE_DIRECTORY) !== 0;
  if (isDir && dirKey(imp, rec) !== key) throw errno('ESTALE', `cd9660: file id ${key} is not a directory's own '.' record`);
  if ((rec.flags & ISO_FILE_MULTIEXTENT) !== 0) throw errno('EFBIG', `cd9660: the file at byte ${key} spans several extents, which this reader does not support`);
  if (rec.fileUnitSize !== 0 || rec.interleave !== 0) throw errno('EFTYPE', `cd9660: the file at byte ${key} is interleaved, which this reader does not support`);
  let type: VType = isDir ? VDIR : VREG;
  // cd9660_defattr: without Rock Ridge everything is r-x for all, owned by root.
  let mode = 0o555;
  let nlink = isDir ? 2 : 1;
  let uid = 0;
  let gid = 0;
  if (rr?.px) {
    const t = iftovt(rr.px.mode & S_IFMT);
    // A PX type that contradicts the record's directory flag would confuse lookup: trust the record.
    if (t !== 0 && (t === VDIR) === isDir) type = t;
    mode = rr.px.mode & 0o7777;
    nlink = rr.px.nlink;
    uid = rr.px.uid;
    gid = rr.px.gid;
  }
  const mtime = rr?.times?.mtime ?? rec.date;
  const target = type === VLNK ? (rr?.symlink ?? '') : null;
  return {
    key,
    type,
    mode,
    nlink,
    uid,
    gid,
    // cd9660_getattr: a symlink's size is its target's length in bytes.
    size: target !== null ? nameByteLength(target) : rec.size,
    dataStart: (rec.extent + rec.extAttrLength) * imp.bsize,
    atime: rr?.times?.atime ?? mtime,
    mtime,
    ctime: rr?.times?.ctime ?? mtime,
    birthtime: rr?.times?.birthtime ?? mtime,
    rdev: rr?.rdev ?? 0,
    target,
    parentKey: null,
    names: null,
  };
}

/** A directory's parent: its '..' record (the second), or that record's PL if it was relocated. */
export function cd9660_parent(imp: IsoMount, dp: IsoNode): number {
  if (dp.parentKey !== null) return dp.parentKey;
  const { rec: dot } = readRecordAt(imp, dp.key);
  const { rec: dotdot } = readRecordAt(imp, dp.key + dot.length);
  if (isDotName(dotdot.name) !== 1 || (dotdot.flags & ISO_FILE_DIRECTORY) === 0) {
    throw errno('EIO', `cd9660: the directory at byte ${dp.key} has no '..' record`);
  }
  const rr = rripOf(imp, dotdot, dp.key + dot.length);
  dp.parentKey = rr?.parentLink !== undefined ? rr.parentLink * imp.bsize : dirKey(imp, dotdot);
  return dp.parentKey;
}
