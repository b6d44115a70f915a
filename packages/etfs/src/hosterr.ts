/** Host (Node) errors → RumpError with the NetBSD errno of the same name; unknown ones become EIO. */
import { errno, Errno, type ErrnoCode, isRumpError, type RumpError } from '@rumpts/librump';

export function hostError(e: unknown, what: string): RumpError {
  if (isRumpError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in Errno) return errno(code as ErrnoCode, `host: ${what}`, { cause: e });
  return errno('EIO', `host: ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Run a host call, mapping its failure. */
export function host<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw hostError(e, what);
  }
}
