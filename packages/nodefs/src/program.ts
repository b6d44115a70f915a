/**
 * node:fs operations are written once, as generators that yield the system calls they need (a
 * "program"), and run by one of two drivers: synchronously against a Proc-like target (a local
 * kernel process, a RemoteProc) or asynchronously against a client whose calls return promises (a
 * RumpClient). A call's error is thrown back into the program at its yield, so try/finally
 * (closing descriptors) and catch (mkdir -p on ENOENT) read as ordinary code.
 */
import type { Proc } from '@rumpts/librump';

/** The system calls the facade makes: a librump Proc has them all. */
export type SyscallTarget = Pick<
  Proc,
  | 'open' | 'close' | 'read' | 'write' | 'pread' | 'pwrite' | 'lseek' | 'fstat' | 'stat' | 'lstat' | 'access' | 'mkdir'
  | 'rmdir' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'getdents' | 'chmod' | 'lchmod' | 'fchmod'
  | 'chown' | 'lchown' | 'fchown' | 'utimes' | 'lutimes' | 'futimes' | 'truncate' | 'ftruncate' | 'fsync' | 'getcwd'
>;

export type SysName = keyof SyscallTarget;

/** The same calls returning promises: what @rumpts/server's RumpClient offers. */
export type AsyncSyscallTarget = {
  [K in SysName]: (...args: Parameters<SyscallTarget[K]>) => Promise<ReturnType<SyscallTarget[K]>>;
};

export interface SysCall {
  name: SysName;
  args: unknown[];
}

export type Program<T> = Generator<SysCall, T, unknown>;

/** One system call inside a program: `const fd = yield* sc('open', path, flags, mode)`. */
export function* sc<K extends SysName>(name: K, ...args: Parameters<SyscallTarget[K]>): Program<ReturnType<SyscallTarget[K]>> {
  return (yield { name, args }) as ReturnType<SyscallTarget[K]>;
}

type Method = (...args: unknown[]) => unknown;

/** Run a program to its end against a synchronous target, looked up again for every call. */
export function runSync<T>(g: Program<T>, target: () => SyscallTarget): T {
  let step = g.next();
  while (!step.done) {
    const { name, args } = step.value;
    let result: unknown;
    try {
      const t = target();
      result = (t[name] as Method).apply(t, args);
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
  let step = g.next();
  return (async () => {
    while (!step.done) {
      const { name, args } = step.value;
      let result: unknown;
      try {
        result = await (target[name] as Method).apply(target, args);
      } catch (e) {
        step = g.throw(e);
        continue;
      }
      step = g.next(result);
    }
    return step.value;
  })();
}
