/**
 * node:fs operations are written once, as generators that yield the system calls they need (a
 * "program"), and run by one of two drivers: synchronously against a Proc-like target (a local
 * kernel process, a RemoteProc) or asynchronously against a client whose calls return promises (a
 * RumpClient). A call's error is thrown back into the program at its yield, so try/finally
 * (closing descriptors) and catch (mkdir -p on ENOENT) read as ordinary code.
 *
 * Besides system calls a program may yield two steps of its own: `sleep(ms)` (rm's retry delay:
 * the sync API blocks as rmSync does, the others wait on a timer) and `host(fn)` (a caller's
 * function, such as cp's `filter`: its promise is awaited by the asynchronous APIs and handed over
 * as it is by the sync API, which refuses it as node:fs does).
 */
import type { Proc } from '@rumpts/librump';

/** The system calls the facade makes: a librump Proc has them all. */
export type SyscallTarget = Pick<
  Proc,
  | 'open' | 'close' | 'read' | 'write' | 'pread' | 'pwrite' | 'lseek' | 'fstat' | 'stat' | 'lstat' | 'access' | 'mkdir'
  | 'rmdir' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'getdents' | 'chmod' | 'lchmod' | 'fchmod'
  | 'chown' | 'lchown' | 'fchown' | 'utimes' | 'lutimes' | 'futimes' | 'truncate' | 'ftruncate' | 'fsync' | 'getcwd'
  | 'statvfs'
>;

export type SysName = keyof SyscallTarget;

/** The same calls returning promises: what @rumpts/server's RumpClient offers. */
export type AsyncSyscallTarget = {
  [K in SysName]: (...args: Parameters<SyscallTarget[K]>) => Promise<ReturnType<SyscallTarget[K]>>;
};

/** One step of a program: a system call, or one of the two steps of the program's own. */
export type SysCall = { name: SysName; args: unknown[] } | { name: 'sleep'; ms: number } | { name: 'host'; fn: () => unknown };

export type Program<T> = Generator<SysCall, T, unknown>;

/** One system call inside a program: `const fd = yield* sc('open', path, flags, mode)`. */
export function* sc<K extends SysName>(name: K, ...args: Parameters<SyscallTarget[K]>): Program<ReturnType<SyscallTarget[K]>> {
  return (yield { name, args }) as ReturnType<SyscallTarget[K]>;
}

/** Wait `ms` milliseconds (blocking in the sync API). */
export function* sleep(ms: number): Program<void> {
  if (ms > 0) yield { name: 'sleep', ms };
}

/**
 * Call the caller's `fn`. The asynchronous APIs await what it returns; the sync API gets a promise
 * back as it is (so cpSync can refuse a promise, as node:fs does).
 */
export function* host<T>(fn: () => T | Promise<T>): Program<T | Promise<T>> {
  return (yield { name: 'host', fn }) as T | Promise<T>;
}

type Method = (...args: unknown[]) => unknown;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function execSync(c: SysCall, target: () => SyscallTarget): unknown {
  if (c.name === 'sleep') {
    // the same blocking wait rmSync's retries use
    Atomics.wait(sleeper, 0, 0, c.ms);
    return undefined;
  }
  if (c.name === 'host') return c.fn();
  const t = target();
  return (t[c.name] as Method).apply(t, c.args);
}

/** Run a program to its end against a synchronous target, looked up again for every call. */
export function runSync<T>(g: Program<T>, target: () => SyscallTarget): T {
  let step = g.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = execSync(step.value, target);
    } catch (e) {
      step = g.throw(e);
      continue;
    }
    step = g.next(result);
  }
  return step.value;
}

/**
 * Run a program against a synchronous target for an asynchronous API: straight through while every
 * step answers at once, awaiting from the first step that returns a promise (a `host` function's,
 * or a `sleep`, which waits on a timer here rather than blocking).
 */
export function runSyncOrAwait<T>(g: Program<T>, target: () => SyscallTarget): T | Promise<T> {
  let step = g.next();
  while (!step.done) {
    const c = step.value;
    let result: unknown;
    try {
      result = c.name === 'sleep' ? timer(c.ms) : execSync(c, target);
    } catch (e) {
      step = g.throw(e);
      continue;
    }
    if (isThenable(result)) return finish(g, result, (x) => (x.name === 'sleep' ? timer(x.ms) : execSync(x, target)));
    step = g.next(result);
  }
  return step.value;
}

function timer(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The rest of a program from a pending step on, awaiting every step. */
async function finish<T>(g: Program<T>, pending: PromiseLike<unknown>, exec: (c: SysCall) => unknown): Promise<T> {
  let ok = true;
  let v: unknown;
  try {
    v = await pending;
  } catch (e) {
    ok = false;
    v = e;
  }
  let step = ok ? g.next(v) : g.throw(v);
  while (!step.done) {
    let result: unknown;
    try {
      result = exec(step.value);
      if (isThenable(result)) result = await result;
    } catch (e) {
      step = g.throw(e);
      continue;
    }
    step = g.next(result);
  }
  return step.value;
}

/**
 * Run a program against an asynchronous target. The first step (argument checks up to the first
 * call) runs before this returns, so bad arguments throw at the call, as they do in node:fs.
 */
export function runAsync<T>(g: Program<T>, target: AsyncSyscallTarget): Promise<T> {
  const exec = (c: SysCall): unknown => {
    if (c.name === 'sleep') return timer(c.ms);
    if (c.name === 'host') return c.fn();
    return (target[c.name] as Method).apply(target, c.args);
  };
  const step = g.next();
  if (step.done) return Promise.resolve(step.value);
  let first: unknown;
  try {
    first = exec(step.value);
  } catch (e) {
    first = Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return finish(g, isThenable(first) ? first : Promise.resolve(first), exec);
}
