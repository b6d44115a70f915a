/**
 * Per-mount state (struct tmpfs_mount): the node table, inode number allocation and the memory
 * account. Every byte tmpfs keeps (file pages, symlink targets, nodes, directory entries) is charged
 * twice: against the mount's own size limit (mount data `size`, ENOSPC when passed) and against the
 * kernel's memory limit (kernel.kmem). NetBSD tmpfs answers ENOSPC when memory runs out
 * (tmpfs_mem_incr fails), so an ENOMEM from kmem is reported as ENOSPC too.
 */
import { errno, isRumpError, type Kmem, nameByteLength } from '@rumpts/librump';
import { VDIR } from '@rumpts/rumpvfs';
import { TmpfsNode, type TmpfsNodeInit } from './tmpfs_node.js';
import type { TmpfsAllocator } from './tmpfs_file.js';

/** What a node costs in the account (about sizeof(struct tmpfs_node) on LP64). */
export const TMPFS_NODE_SIZE = 256;
/** What a directory entry costs besides its name (about sizeof(struct tmpfs_dirent)). */
export const TMPFS_DIRENT_SIZE = 64;
/** The root's inode number, as on FFS (ROOTINO). */
export const TMPFS_ROOT_ID = 2;

export class TmpfsMount implements TmpfsAllocator {
  /** Every live node by id: what loadvnode consults on a vnode cache miss. */
  readonly nodes = new Map<number, TmpfsNode>();
  readonly root: TmpfsNode;
  /** Bytes charged to this mount. */
  used = 0;
  #nextId = TMPFS_ROOT_ID;
  #gen = 1;

  constructor(
    readonly kmem: Kmem,
    /** Byte limit (Infinity: bounded only by kernel memory). */
    public limit: number,
    /** Most nodes the mount may hold (tm_nodes_max). */
    public nodesMax: number,
    rootAttrs: Omit<TmpfsNodeInit, 'type' | 'rdev'>,
  ) {
    this.root = this.allocNode({ ...rootAttrs, type: VDIR, rdev: 0 }, null, null);
    // '.' and the root's '..' (itself).
    this.root.nlink = 2;
  }

  charge(bytes: number, what: string): void {
    if (this.used + bytes > this.limit) {
      throw errno('ENOSPC', `tmpfs: ${what}: ${bytes} bytes do not fit (${this.used} of ${this.limit} used)`);
    }
    try {
      this.kmem.charge(bytes, `tmpfs ${what}`);
    } catch (e) {
      if (isRumpError(e) && e.code === 'ENOMEM') throw errno('ENOSPC', `tmpfs: ${what}: kernel memory limit reached`, { cause: e });
      throw e;
    }
    this.used += bytes;
  }

  uncharge(bytes: number): void {
    this.used -= bytes;
    this.kmem.uncharge(bytes);
  }

  /** tmpfs_alloc_node: a new node with nlink 0; the caller links it into a directory. */
  allocNode(init: TmpfsNodeInit, parent: TmpfsNode | null, target: string | null): TmpfsNode {
    if (this.nodes.size >= this.nodesMax) throw errno('ENOSPC', `tmpfs: no free nodes (limit ${this.nodesMax})`);
    const extra = target === null ? 0 : nameByteLength(target);
    this.charge(TMPFS_NODE_SIZE + extra, 'node');
    const node = new TmpfsNode(this.#nextId++, this.#gen++, init, this, parent, target);
    this.nodes.set(node.id, node);
    return node;
  }

  /** tmpfs_free_node: release the node and everything it holds. */
  freeNode(node: TmpfsNode): void {
    if (!this.nodes.delete(node.id)) return;
    node.file?.free();
    this.uncharge(TMPFS_NODE_SIZE + (node.target === null ? 0 : node.size));
  }

  /** What an entry named `name` costs. */
  static direntCost(name: string): number {
    return TMPFS_DIRENT_SIZE + nameByteLength(name);
  }

  /** Unmount: forget every node and give back everything still charged (nodes, entries, pages). */
  freeAll(): void {
    this.nodes.clear();
    this.kmem.uncharge(this.used);
    this.used = 0;
  }
}

/** VFS_TO_TMPFS(): the tmpfs state of a mount (its mnt_data). */
export function VFS_TO_TMPFS(mp: { readonly data: unknown }): TmpfsMount {
  if (!(mp.data instanceof TmpfsMount)) throw errno('EINVAL', 'not a tmpfs mount');
  return mp.data;
}
