/**
 * Runs the facade's programs in the three API styles, over a synchronous or an asynchronous target.
 *
 * - sync calls: the program runs to its end now (a synchronous target only).
 * - callbacks: the program starts now; the callback runs on a later turn (setImmediate), never before
 *   the call returns and never inside a promise chain (a throwing callback is an uncaught exception,
 *   as in node:fs). Argument errors throw at the call, as node:fs does.
 * - promises: the program runs after the call returns; every error is a rejection.
 */
import { fsError } from './errors.js';
import { type AsyncSyscallTarget, type Program, runAsync, runSync, runSyncOrAwait, type SyscallTarget } from './program.js';

export type Target = { sync: true; proc: () => SyscallTarget } | { sync: false; client: AsyncSyscallTarget };

export type Callback = (err: Error | null, ...results: unknown[]) => void;

function isArgError(e: unknown): boolean {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && (c.startsWith('ERR_INVALID_ARG') || c === 'ERR_OUT_OF_RANGE');
}

export class Runner {
  constructor(readonly target: Target) {}

  /** A *Sync call. Over an asynchronous target there is no way to wait: ENOTSUP. */
  sync<T>(syscall: string, g: Program<T>): T {
    if (!this.target.sync) {
      const e = fsError('ENOTSUP', 86, syscall);
      e.message = `ENOTSUP: ${syscall} needs a synchronous target; this facade is over an asynchronous client (use RemoteProc for sync calls)`;
      throw e;
    }
    return runSync(g, this.target.proc);
  }

  promise<T>(g: Program<T>): Promise<T> {
    const t = this.target;
    if (t.sync) return Promise.resolve().then(() => runSyncOrAwait(g, t.proc));
    return Promise.resolve().then(() => runAsync(g, t.client));
  }

  /** A callback call: `results` turns the program's value into the callback's arguments after err. */
  callback<T>(cb: Callback, g: Program<T>, results: (v: T) => unknown[] = (v) => (v === undefined ? [] : [v])): void {
    const t = this.target;
    if (t.sync) {
      let v: T | Promise<T>;
      try {
        v = runSyncOrAwait(g, t.proc);
      } catch (e) {
        if (isArgError(e)) throw e;
        setImmediate(() => cb(e as Error));
        return;
      }
      if (!(v instanceof Promise)) {
        const done = v;
        setImmediate(() => cb(null, ...results(done)));
        return;
      }
      v.then(
        (r) => setImmediate(() => cb(null, ...results(r))),
        (e: unknown) => setImmediate(() => cb(e as Error)),
      );
      return;
    }
    let p: Promise<T>;
    try {
      p = runAsync(g, t.client);
    } catch (e) {
      if (isArgError(e)) throw e;
      setImmediate(() => cb(e as Error));
      return;
    }
    p.then(
      (v) => setImmediate(() => cb(null, ...results(v))),
      (e: unknown) => setImmediate(() => cb(e as Error)),
    );
  }
}
