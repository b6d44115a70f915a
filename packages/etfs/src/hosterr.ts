/** Host (Node) errors → RumpError with the NetBSD errno of the same name; unknown ones become EIO. */
import { errno, Errno, type ErrnoCode, isRumpError, nameText, type RumpError } from '@rumpts/librump';

/**
 * Map a host (Node) error to a RumpError with the NetBSD errno of the same code name (ENOENT stays
 * ENOENT); anything unknown becomes EIO. A RumpError passes through unchanged.
 * @param what Prefix for the message: the operation and path, e.g. `open /tmp/x` (a path's bytes that
 *   are not valid UTF-8 are shown as `\xNN`).
 */
export function hostError(e: unknown, what: string): RumpError {
  if (isRumpError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const c: ErrnoCode = typeof code === 'string' && code in Errno ? (code as ErrnoCode) : 'EIO';
  return errno(c, `${nameText(what)}: ${hostErrorMessage(e)}`, { cause: e });
}

/**
 * The message of a host (Node) error for a line that names the path itself: Node names a Buffer path
 * (bytes that are not UTF-8) with U+FFFD, so such a path is dropped from the message.
 */
export function hostErrorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const p = (e as { path?: unknown } | null)?.path;
  return typeof p === 'string' && p.includes('\uFFFD') ? msg.replace(` '${p}'`, '') : msg;
}

/** Run a host call, mapping its failure. */
export function host<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw hostError(e, what);
  }
}
