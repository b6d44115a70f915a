/**
 * Node-shaped errors. A kernel RumpError becomes an Error like Node's uvException: the same `code`
 * string, `syscall`, `path` (and `dest` for two-path calls), a message like
 * "ENOENT: no such file or directory, open '/x'", and `errno` NEGATIVE and in the HOST's numbering
 * (like Node: `-2` for ENOENT on Linux), so util.getSystemErrorName(err.errno) gives back `code`.
 * NetBSD's own positive number stays on `rumpErrno`. Codes the host does not know (EFTYPE, EAUTH…)
 * get the negated NetBSD number.
 */
import { constants as osConstants } from 'node:os';
import { isRumpError, strerror } from '@rumpts/librump';

export interface NodeFsError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
  /** NetBSD's errno number (sys/errno.h), as the kernel raised it. */
  rumpErrno: number;
}

const hostErrno = osConstants.errno as Readonly<Record<string, number | undefined>>;

/** The errno Node would report for a code: minus the host's number. */
export function nodeErrno(code: string, netbsd: number): number {
  const h = hostErrno[code];
  return -(h ?? netbsd);
}

/** Build the Node-shaped error for a kernel errno. */
export function fsError(code: string, netbsd: number, syscall: string, path?: string, dest?: string): NodeFsError {
  let msg = `${code}: ${strerror(netbsd).toLowerCase()}, ${syscall}`;
  if (path !== undefined) msg += ` '${path}'`;
  if (dest !== undefined) msg += ` -> '${dest}'`;
  const e = new Error(msg) as NodeFsError;
  e.errno = nodeErrno(code, netbsd);
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  if (dest !== undefined) e.dest = dest;
  e.rumpErrno = netbsd;
  return e;
}

/**
 * Translate what a kernel call threw. RumpErrors become Node errors; the syscall and path the caller
 * of node:fs knows (e.g. 'open' on the user's path rather than an inner lstat) win when given.
 */
export function translate(e: unknown, syscall: string, path?: string, dest?: string): unknown {
  if (!isRumpError(e)) return e;
  return fsError(e.code, e.errno, syscall, path ?? e.path, dest);
}

/** Is this a Node-shaped (or kernel) error with that code? */
export function hasCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

interface CodedTypeError extends TypeError {
  code: string;
}
interface CodedRangeError extends RangeError {
  code: string;
}

/** Node's ERR_INVALID_ARG_TYPE. */
export function invalidArgType(name: string, expected: string, actual: unknown): CodedTypeError {
  const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`) as CodedTypeError;
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

/** Node's ERR_INVALID_ARG_VALUE. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): CodedTypeError {
  const e = new TypeError(`The argument '${name}' ${reason}. Received ${describe(value)}`) as CodedTypeError;
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}

/** Node's ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, value: unknown): CodedRangeError {
  const e = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${describe(value)}`) as CodedRangeError;
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

/** Node's ERR_FS_EISDIR (rm on a directory without `recursive`), a SystemError with code ERR_FS_EISDIR. */
export function fsEisdir(path: string): NodeFsError {
  const e = fsError('EISDIR', 21, 'rm', path);
  e.message = `Path is a directory: rm returned EISDIR (is a directory) ${path}`;
  e.code = 'ERR_FS_EISDIR';
  // Node raises this one as a SystemError carrying the positive errno
  e.name = 'SystemError';
  e.errno = -e.errno;
  return e;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `type ${typeof v}`;
}
