/**
 * Regular-file data (tmpfs's uvm object, tn_spec.tn_reg): a sparse set of page-sized chunks keyed
 * by page index. A page exists only once something was written into it, so holes (left by lseek
 * past the end or by an extending truncate) cost nothing and read back as zeros.
 */
import { errno } from '@rumpts/librump';

/** The unit of storage and of accounting (hw.pagesize). */
export const TMPFS_PAGE_SIZE = 4096;

/** Where the memory for pages comes from; throws ENOSPC when the mount is full. */
export interface TmpfsAllocator {
  charge(bytes: number, what: string): void;
  uncharge(bytes: number): void;
}

export class TmpfsFile {
  readonly #pages = new Map<number, Uint8Array>();

  constructor(readonly alloc: TmpfsAllocator) {}

  /** Pages holding data (what statvfs and va_bytes count). */
  get npages(): number {
    return this.#pages.size;
  }

  /** Copy up to buf.length bytes at `offset` of a file `size` bytes long; holes read as zeros. */
  read(buf: Uint8Array, offset: number, size: number): number {
    const n = Math.max(0, Math.min(buf.length, size - offset));
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const pgno = Math.floor(pos / TMPFS_PAGE_SIZE);
      const pgoff = pos % TMPFS_PAGE_SIZE;
      const len = Math.min(TMPFS_PAGE_SIZE - pgoff, n - done);
      const pg = this.#pages.get(pgno);
      if (pg) buf.set(pg.subarray(pgoff, pgoff + len), done);
      else buf.fill(0, done, done + len);
      done += len;
    }
    return n;
  }

  /**
   * Store buf at `offset`. Every page the write needs is charged up front, so a write that does not
   * fit fails with ENOSPC before anything changes (as tmpfs_reg_resize fails before uiomove).
   */
  write(buf: Uint8Array, offset: number): void {
    if (buf.length === 0) return;
    const first = Math.floor(offset / TMPFS_PAGE_SIZE);
    const last = Math.floor((offset + buf.length - 1) / TMPFS_PAGE_SIZE);
    let missing = 0;
    for (let p = first; p <= last; p++) if (!this.#pages.has(p)) missing++;
    if (missing > 0) this.alloc.charge(missing * TMPFS_PAGE_SIZE, 'file data');
    let done = 0;
    while (done < buf.length) {
      const pos = offset + done;
      const pgno = Math.floor(pos / TMPFS_PAGE_SIZE);
      const pgoff = pos % TMPFS_PAGE_SIZE;
      const len = Math.min(TMPFS_PAGE_SIZE - pgoff, buf.length - done);
      let pg = this.#pages.get(pgno);
      if (!pg) {
        pg = new Uint8Array(TMPFS_PAGE_SIZE);
        this.#pages.set(pgno, pg);
      }
      pg.set(buf.subarray(done, done + len), pgoff);
      done += len;
    }
  }

  /**
   * The file is now `newSize` bytes: pages wholly past the end are freed, and the tail of the last
   * page is zeroed so that growing the file again shows zeros, not old data.
   */
  truncate(newSize: number): void {
    if (newSize < 0) throw errno('EINVAL', `negative size ${newSize}`);
    const keep = Math.ceil(newSize / TMPFS_PAGE_SIZE);
    let freed = 0;
    for (const pgno of [...this.#pages.keys()]) {
      if (pgno >= keep) {
        this.#pages.delete(pgno);
        freed++;
      }
    }
    if (freed > 0) this.alloc.uncharge(freed * TMPFS_PAGE_SIZE);
    const tail = newSize % TMPFS_PAGE_SIZE;
    if (tail !== 0) this.#pages.get(keep - 1)?.fill(0, tail);
  }

  /** Drop every page (the node is being freed). */
  free(): void {
    this.truncate(0);
  }
}
