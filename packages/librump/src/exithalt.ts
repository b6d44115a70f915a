/**
 * Halt on process exit (rump_init's `syncOnExit`): a program that ends without `halt()` still gets
 * its file systems synced and unmounted, as a NetBSD machine does at an orderly shutdown.
 *
 * This is the one piece of process-wide state in librump, because the process is process-wide: a
 * single 'exit' listener (per copy of the package) halts every kernel still registered, newest
 * first. 'exit' rather than 'beforeExit': it also comes after process.exit() and after an uncaught
 * exception, and any 'beforeExit' handler of the program still finds its kernels up. halt() is
 * synchronous, as an 'exit' listener must be. A kernel leaves the list when it halts.
 */
interface Haltable {
  halt(): void;
}

const live = new Set<Haltable>();
let listening = false;

function haltAll(): void {
  for (const k of [...live].reverse()) {
    try {
      k.halt();
    } catch {
      // halt reports its own failures on the kernel console; the others still get their turn
    }
  }
  live.clear();
}

/** Halt `k` when the process exits, unless it was halted before. */
export function haltOnExit(k: Haltable): void {
  live.add(k);
  if (!listening) {
    process.on('exit', haltAll);
    listening = true;
  }
}

/** `k` was halted: nothing to do for it at exit. */
export function forgetOnExit(k: Haltable): void {
  live.delete(k);
}
