/**
 * The syncer (NetBSD's sched_sync, vfs_syncer.c): what a process changed reaches the disk on its
 * own, a bounded time later, without anyone calling sync or halt.
 *
 * NetBSD queues each dirty vnode on a wheel of one-second slots, `filedelay` seconds ahead for file
 * data, `dirdelay` for directories, `metadelay` for metadata, and every mount's syncer vnode
 * `syncdelay` ahead; the daemon turns one slot a second. Here the kernel notes, per kind, when the
 * oldest change not yet written was made (every modifying system call passes through Proc), and a
 * one-second timer starts a write-back pass once the oldest change of some kind is older than its
 * delay. A pass is a list of steps (the vfs faction gives one per writable mount); each timer turn
 * runs steps for at most `budgetMs` and leaves the rest to the next turn of the event loop, so a
 * large write-back never holds the process for long. Nothing dirty, nothing written.
 *
 * The timer is unref'd: it never keeps a process alive. What it has not written yet is written by
 * halt, which the kernel also runs when the process exits (see `syncOnExit`).
 */
import { errno } from './errno.js';
import type { Sysctl } from './sysctl.js';

/** A change to file data (write, truncate): written back after `vfs.sync.filedelay` seconds. */
export const SYNC_DATA = 0;
/** A change to a directory (create, remove, rename, link): after `vfs.sync.dirdelay` seconds. */
export const SYNC_DIR = 1;
/** A change to metadata only (mode, owner, flags, times): after `vfs.sync.metadelay` seconds. */
export const SYNC_META = 2;
/** The kinds of change the syncer tracks. */
export type SyncKind = typeof SYNC_DATA | typeof SYNC_DIR | typeof SYNC_META;

/** One step of a write-back pass (for example: sync one mounted file system). */
export type SyncStep = () => void;

/** The tunables, in seconds (NetBSD's defaults: 30, 30, 15, 10). */
export interface SyncDelays {
  /** vfs.sync.delay: the longest anything dirty waits. */
  delay: number;
  /** vfs.sync.filedelay: file data. */
  filedelay: number;
  /** vfs.sync.dirdelay: directories. */
  dirdelay: number;
  /** vfs.sync.metadelay: metadata. */
  metadelay: number;
}

/** NetBSD's defaults (sync_subr.c). */
export const DEFAULT_SYNC_DELAYS: Readonly<SyncDelays> = Object.freeze({ delay: 30, filedelay: 30, dirdelay: 15, metadelay: 10 });

/** The longest delay a tunable may be set to, in seconds (one day). */
export const SYNC_MAXDELAY = 86400;

/** How often the syncer looks at the clock (NetBSD's daemon turns one slot per second). */
export const SYNCER_TICK_MS = 1000;

const NONE = -1;

/**
 * The syncer of one kernel. The kernel creates it; a vfs faction gives it the steps of a pass
 * with `setWork`, and every modifying system call reports itself with `dirty`.
 */
export class Syncer {
  /** Milliseconds one timer turn may spend on steps before yielding to the event loop. */
  budgetMs = 25;
  /** Write-back passes started since boot (sync(2) and halt are not counted). */
  passes = 0;
  /** Steps that threw; the error went to the console and the change stays dirty. */
  errors = 0;

  readonly #delays: SyncDelays = { ...DEFAULT_SYNC_DELAYS };
  /** Per kind: Date.now() of the oldest change not yet written, or NONE. */
  readonly #since = [NONE, NONE, NONE];
  #work: () => SyncStep[];
  #pending: SyncStep[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #log: (line: string) => void;

  /** @internal the kernel makes its syncer; `fallback` is one whole-kernel sync (sync(2)). */
  constructor(fallback: SyncStep, log: (line: string) => void) {
    this.#work = () => [fallback];
    this.#log = log;
  }

  /** @internal publish the tunables as vfs.sync.* sysctl nodes. */
  attachSysctl(s: Sysctl): void {
    const node = (name: keyof SyncDelays, description: string): void => {
      s.create(`vfs.sync.${name}`, {
        description,
        get: () => this.#delays[name],
        set: (v) => {
          this.setDelay(name, typeof v === 'string' ? Number(v) : v === true ? 1 : v === false ? 0 : v);
        },
      });
    };
    node('delay', 'max time to delay syncing data (seconds)');
    node('filedelay', 'time to delay syncing files (seconds)');
    node('dirdelay', 'time to delay syncing directories (seconds)');
    node('metadelay', 'time to delay syncing metadata (seconds)');
  }

  /** The current tunables (a copy). */
  get delays(): SyncDelays {
    return { ...this.#delays };
  }

  /** Set one tunable: whole seconds, 0 (at the next tick) to SYNC_MAXDELAY; EINVAL otherwise. */
  setDelay(name: keyof SyncDelays, seconds: number): void {
    if (!(name in this.#delays)) throw errno('EINVAL', `no syncer tunable '${String(name)}'`);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > SYNC_MAXDELAY) {
      throw errno('EINVAL', `vfs.sync.${name} must be whole seconds from 0 to ${SYNC_MAXDELAY}, got ${String(seconds)}`);
    }
    this.#delays[name] = seconds;
  }

  /** Who lists the steps of a pass: the vfs faction gives one step per writable file system. */
  setWork(work: () => SyncStep[]): void {
    this.#work = work;
  }

  /** A change of this kind was made now (called by every modifying system call). */
  dirty(kind: SyncKind): void {
    if (this.#since[kind] === NONE) this.#since[kind] = Date.now();
  }

  /** Everything was just written (sync(2), halt): nothing is dirty any more. */
  clean(): void {
    this.#since[SYNC_DATA] = this.#since[SYNC_DIR] = this.#since[SYNC_META] = NONE;
  }

  /** Is anything waiting to be written? */
  get isDirty(): boolean {
    return this.#since.some((t) => t !== NONE) || this.#pending.length > 0;
  }

  /** Is a pass under way (steps left for later turns)? */
  get busy(): boolean {
    return this.#pending.length > 0;
  }

  /** Is the timer running? */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** When (Date.now() milliseconds) the next pass is due, or undefined when nothing is dirty. */
  dueAt(): number | undefined {
    const d = this.#delays;
    let due = Number.POSITIVE_INFINITY;
    const kinds: [number, number][] = [[SYNC_DATA, d.filedelay], [SYNC_DIR, d.dirdelay], [SYNC_META, d.metadelay]];
    for (const [k, delay] of kinds) {
      const t = this.#since[k] as number;
      if (t !== NONE) due = Math.min(due, t + Math.min(delay, d.delay) * 1000);
    }
    return Number.isFinite(due) ? due : undefined;
  }

  /** Start the timer (the kernel does this when it is up). Idempotent. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(), SYNCER_TICK_MS);
    this.#timer.unref();
  }

  /** Stop the timer and drop a pass under way (halt writes everything anyway). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#pending = [];
  }

  /**
   * One turn of the syncer: continue the pass under way, or start one if some change is older than
   * its delay. Runs steps for at most `budgetMs`; the rest continue on the next turn of the event loop.
   */
  tick(now = Date.now()): void {
    if (this.#pending.length === 0) {
      const due = this.dueAt();
      if (due === undefined || due > now) return;
      this.clean();
      this.#pending = this.#work();
      this.passes++;
    }
    const start = performance.now();
    while (this.#pending.length > 0) {
      const step = this.#pending.shift() as SyncStep;
      try {
        step();
      } catch (e) {
        this.errors++;
        // The change it held stays to be written: the next pass tries again.
        this.dirty(SYNC_META);
        this.#log(`syncer: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (performance.now() - start >= this.budgetMs) break;
    }
    if (this.#pending.length > 0 && this.#timer && !this.#immediate) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.tick();
      });
      this.#immediate.unref();
    }
  }
}
