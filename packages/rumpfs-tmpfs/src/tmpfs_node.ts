/**
 * The tmpfs node (struct tmpfs_node): one per file, living as long as it has a name or an open
 * vnode. Attributes sit here; the type-specific part is the file data, the directory or the symlink
 * target. The vnode (see tmpfs_vnops.ts) only points at a node, via the mount's vnode cache.
 */
import { errno, nameByteLength, type Timespec } from '@rumpts/librump';
import { VDIR, VLNK, VREG, nanotime, type VType } from '@rumpts/rumpvfs';
import { TmpfsDir } from './tmpfs_dir.js';
import { TmpfsFile, type TmpfsAllocator } from './tmpfs_file.js';

/** The largest link count a node may have (NetBSD tmpfs LINK_MAX). */
export const TMPFS_LINK_MAX = 32767;

export interface TmpfsNodeInit {
  type: VType;
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
}

export class TmpfsNode {
  readonly type: VType;
  mode: number;
  uid: number;
  gid: number;
  /** Hard links; a directory counts its entry in the parent, its own '.' and each child's '..'. */
  nlink = 0;
  /** chflags(2) flags. */
  flags = 0;
  readonly rdev: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  birthtime: Timespec;
  /** VREG: the file length (which may exceed the pages stored: holes). */
  size = 0;
  /** VREG only. */
  readonly file: TmpfsFile | null;
  /** VDIR only. */
  readonly dir: TmpfsDir | null;
  /** VLNK only: the target, stored as given (may be empty). */
  readonly target: string | null;

  constructor(
    /** The file id: the inode number and the vnode cache key. */
    readonly id: number,
    /** Generation number, so a reused id would be told apart (st_gen). */
    readonly gen: number,
    init: TmpfsNodeInit,
    alloc: TmpfsAllocator,
    parent: TmpfsNode | null,
    target: string | null,
  ) {
    this.type = init.type;
    this.mode = init.mode & 0o7777;
    this.uid = init.uid;
    this.gid = init.gid;
    this.rdev = init.rdev;
    const now = nanotime();
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
    this.birthtime = now;
    this.file = init.type === VREG ? new TmpfsFile(alloc) : null;
    // The root is its own parent.
    this.dir = init.type === VDIR ? new TmpfsDir(parent ?? this) : null;
    this.target = init.type === VLNK ? (target ?? '') : null;
    if (this.target !== null) this.size = nameByteLength(this.target);
  }

  /** The directory part, or ENOTDIR (a caller bug if it happens: the VFS checked the type). */
  get asDir(): TmpfsDir {
    if (!this.dir) throw errno('ENOTDIR', `tmpfs node ${this.id} is not a directory`);
    return this.dir;
  }

  get asFile(): TmpfsFile {
    if (!this.file) throw errno('EINVAL', `tmpfs node ${this.id} is not a regular file`);
    return this.file;
  }

  /** TMPFS_UPDATE_ATIME/MTIME/CTIME: stamp the times named with the current time. */
  touch(which: { a?: boolean; m?: boolean; c?: boolean }): void {
    const now = nanotime();
    if (which.a) this.atime = now;
    if (which.m) this.mtime = now;
    if (which.c) this.ctime = now;
  }
}

/** VP_TO_TMPFS_NODE(): the node behind a tmpfs vnode (its v_data). */
export function VP_TO_TMPFS_NODE(vp: { readonly data: unknown }): TmpfsNode {
  return vp.data as TmpfsNode;
}
