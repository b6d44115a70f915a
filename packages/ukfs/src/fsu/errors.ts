/**
 * fsu's error lines: `<path>: <reason>`, for kernel errors and host (Node) errors alike. A path's
 * bytes that are not valid UTF-8 show as `\xNN` (librump nameText).
 */
import { Errno, type ErrnoCode, errno, isRumpError, nameText, type RumpError, strerror } from '@rumpts/librump';

/** A host (node:fs, child_process) failure as a RumpError naming `path`, with NetBSD's strerror text. */
export function hostErr(e: unknown, path: string): RumpError {
  if (isRumpError(e)) {
    if (e.path === undefined) e.path = path;
    return e;
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in Errno) return errno(code as ErrnoCode, undefined, { path, cause: e });
  return errno('EIO', e instanceof Error ? e.message : String(e), { path, cause: e });
}

/** The text after `fsu: ` for an error about `path` (when the error does not name one itself). */
export function errorLine(e: unknown, path?: string): string {
  if (isRumpError(e)) {
    const where = e.path ?? path;
    // A detail may name a host path holding escaped bytes (a name that is not UTF-8): \xNN too.
    const why = e.detail !== undefined ? nameText(e.detail) : strerror(e.errno);
    return where === undefined ? why : `${nameText(where)}: ${why}`;
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in Errno) {
    const own = (e as { path?: unknown }).path;
    const where = path ?? (typeof own === 'string' ? own : undefined);
    const why = strerror(code as ErrnoCode);
    return where === undefined ? why : `${nameText(where)}: ${why}`;
  }
  const why = nameText(e instanceof Error ? e.message : String(e));
  return path === undefined ? why : `${nameText(path)}: ${why}`;
}
