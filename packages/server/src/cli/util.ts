import { isRumpError } from '@rumpts/librump';

/** A one-line reason for an error. */
export function message(e: unknown): string {
  if (isRumpError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
