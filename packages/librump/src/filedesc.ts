/** The descriptor table of a process (struct filedesc): slots pointing at shared RumpFiles. */
import { errno } from './errno.js';
import type { RumpFile } from './file.js';

/** Per-process descriptor limit (RLIMIT_NOFILE of a rump process). */
export const DEFAULT_MAXFILES = 1024;

interface Slot {
  fp: RumpFile;
  cloexec: boolean;
}

/** A process's descriptor table. */
export class Filedesc {
  readonly #slots: (Slot | undefined)[] = [];
  /** An empty table holding at most `maxfiles` descriptors. */
  constructor(
    /** The descriptor limit (EMFILE past it). */
    readonly maxfiles = DEFAULT_MAXFILES,
  ) {}

  /** Install `fp` in the lowest free slot ≥ minfd (holds a reference). */
  alloc(fp: RumpFile, cloexec = false, minfd = 0): number {
    let fd = minfd;
    while (fd < this.#slots.length && this.#slots[fd] !== undefined) fd++;
    if (fd >= this.maxfiles) throw errno('EMFILE', `descriptor table full (${this.maxfiles})`);
    fp.hold();
    this.#slots[fd] = { fp, cloexec };
    return fd;
  }

  #slot(fd: number): Slot {
    const s = Number.isInteger(fd) && fd >= 0 ? this.#slots[fd] : undefined;
    if (!s) throw errno('EBADF', `bad file descriptor ${fd}`);
    return s;
  }

  /** The file behind `fd`; EBADF if it is not open. */
  get(fd: number): RumpFile {
    return this.#slot(fd).fp;
  }

  /** Is close-on-exec set on `fd`? */
  getCloexec(fd: number): boolean {
    return this.#slot(fd).cloexec;
  }

  /** Set or clear close-on-exec on `fd`. */
  setCloexec(fd: number, on: boolean): void {
    this.#slot(fd).cloexec = on;
  }

  /** Free `fd`, dropping its reference to the file. */
  close(fd: number): void {
    const s = this.#slot(fd);
    this.#slots[fd] = undefined;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
    s.fp.release();
  }

  /** A new descriptor ≥ `minfd` sharing the file of `fd`. */
  dup(fd: number, minfd = 0, cloexec = false): number {
    const fp = this.get(fd);
    if (minfd < 0 || minfd >= this.maxfiles) throw errno('EINVAL', `descriptor ${minfd} out of range`);
    return this.alloc(fp, cloexec, minfd);
  }

  /** dup2(2): newfd is closed first if open; dup2(fd, fd) returns fd after validating it. */
  dup2(fd: number, newfd: number, cloexec = false): number {
    const fp = this.get(fd);
    if (!Number.isInteger(newfd) || newfd < 0 || newfd >= this.maxfiles) throw errno('EBADF', `bad file descriptor ${newfd}`);
    if (fd === newfd) return newfd;
    const old = this.#slots[newfd];
    fp.hold();
    this.#slots[newfd] = { fp, cloexec };
    old?.fp.release();
    return newfd;
  }

  /** Open descriptors, lowest first. */
  fds(): number[] {
    const r: number[] = [];
    this.#slots.forEach((s, i) => {
      if (s) r.push(i);
    });
    return r;
  }

  /** A copy sharing the same files (rfork RFFDG). */
  copy(): Filedesc {
    const fdp = new Filedesc(this.maxfiles);
    this.#slots.forEach((s, i) => {
      if (s) {
        s.fp.hold();
        fdp.#slots[i] = { fp: s.fp, cloexec: s.cloexec };
      }
    });
    return fdp;
  }

  /** Close every descriptor, highest first (exit). */
  closeAll(): void {
    for (const fd of this.fds().reverse()) this.close(fd);
  }
}
