/** Host (Node fs) errors become RumpErrors with the same errno name, EIO when NetBSD has no such name. */
import { Errno, type ErrnoCode, type RumpError, errno, isRumpError } from '@rumpts/librump';

export function hostError(e: unknown, what: string): RumpError {
  if (isRumpError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const c: ErrnoCode = typeof code === 'string' && code in Errno ? (code as ErrnoCode) : 'EIO';
  return errno(c, `${what}: ${msg}`, { cause: e });
}
