/**
 * Node-shaped errors. A kernel RumpError becomes an Error like Node's uvException: the same `code`
 * string, `syscall`, `path` (and `dest` for two-path calls), a message like
 * "ENOENT: no such file or directory, open '/x'", and `errno` NEGATIVE and in the HOST's numbering
 * (like Node: `-2` for ENOENT on Linux), so util.getSystemErrorName(err.errno) gives back `code`.
 * NetBSD's own positive number stays on `rumpErrno`. Codes the host does not know (EFTYPE, EAUTH…)
 * get the negated NetBSD number.
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, inspect } from 'node:util';
import { isRumpError, strerror } from '@rumpts/librump';

/** The error a facade call throws, shaped like Node's own fs errors (uvException). */
export interface NodeFsError extends Error {
  /** The errno name, e.g. 'ENOENT' (NetBSD's, which the host may not know: EFTYPE). */
  code: string;
  /** Negative, in the host's numbering as Node reports it (the negated NetBSD number if the host has no such code). */
  errno: number;
  /** The node:fs call's name for the failing operation, e.g. 'open', 'scandir'. */
  syscall: string;
  /** The path the caller gave, when the call has one. */
  path?: string;
  /** The second path of a two-path call (rename, link, copyFile, symlink). */
  dest?: string;
  /** NetBSD's errno number (sys/errno.h), as the kernel raised it. */
  rumpErrno: number;
}

const hostErrno = osConstants.errno as Readonly<Record<string, number | undefined>>;

/** The host's positive errno for a code (0 when the host has no such code). */
export function hostErrnoOf(code: string): number {
  return hostErrno[code] ?? 0;
}

/** The errno Node would report for a code: minus the host's number. */
export function nodeErrno(code: string, netbsd: number): number {
  const h = hostErrno[code];
  return -(h ?? netbsd);
}

/** libuv's descriptions by negative errno ('file already exists' for EEXIST…), as Node prints them. */
const uvMessages: ReadonlyMap<number, [string, string]> = getSystemErrorMap();

/**
 * The description Node would print for a code: libuv's where the host has the code, else NetBSD's
 * strerror in lower case.
 */
export function describeErrno(code: string, netbsd: number): string {
  const h = hostErrno[code];
  const uv = h === undefined ? undefined : uvMessages.get(-h);
  return uv !== undefined && uv[0] === code ? uv[1] : strerror(netbsd).toLowerCase();
}

/** Build the Node-shaped error for a kernel errno. */
export function fsError(code: string, netbsd: number, syscall: string, path?: string, dest?: string): NodeFsError {
  let msg = `${code}: ${describeErrno(code, netbsd)}, ${syscall}`;
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
  const kind = name.includes('.') ? 'property' : 'argument';
  const e = new TypeError(`The "${name}" ${kind} must be ${expected}. Received ${describeType(actual)}`) as CodedTypeError;
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
  const shown = typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32 ? separated(String(value)) : describe(value);
  const e = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`) as CodedRangeError;
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

/** What a Node SystemError carries in `info` (and, flattened, on itself). */
export interface SystemErrorInfo {
  code: string;
  message: string;
  path: string;
  syscall: string;
  errno: number;
}

/** A Node SystemError (ERR_FS_EISDIR, ERR_FS_CP_*): `code` is the ERR_ key, `info` the system details. */
export interface NodeSystemError extends Error {
  /** Node's error key, e.g. 'ERR_FS_EISDIR', 'ERR_FS_CP_EINVAL'. */
  code: string;
  /** The system details: errno code and number, message, path, syscall. */
  info: SystemErrorInfo;
  /** Positive, in the host's numbering (as Node's SystemError has it). */
  errno: number;
  /** The operation that failed, e.g. 'cp'. */
  syscall: string;
  /** The path the error is about. */
  path: string;
}

/**
 * Node's SystemError as node:fs raises it for ERR_FS_EISDIR and the ERR_FS_CP_* family: message
 * `<prefix>: <syscall> returned <CODE> (<detail>) <path>`, `errno` positive in the host's numbering.
 */
export function systemError(key: string, prefix: string, code: string, detail: string, path: string, syscall: string, errno?: number): NodeSystemError {
  const info: SystemErrorInfo = { code, message: detail, path, syscall, errno: errno ?? hostErrno[code] ?? 0 };
  const e = new Error(`${prefix}: ${syscall} returned ${code} (${detail}) ${path}`) as NodeSystemError;
  e.name = 'SystemError';
  e.code = key;
  e.info = info;
  e.errno = info.errno;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** Node's ERR_FS_EISDIR from rm on a directory without `recursive`. */
export function fsEisdir(path: string): NodeSystemError {
  return systemError('ERR_FS_EISDIR', 'Path is a directory', 'EISDIR', 'is a directory', path, 'rm');
}

/** Node's ERR_INVALID_RETURN_VALUE (a cpSync filter that returned a promise). */
export function invalidReturnValue(input: string, name: string, value: unknown): CodedTypeError {
  const got = value instanceof Promise ? 'an instance of Promise' : `type ${typeof value}`;
  const e = new TypeError(`Expected ${input} to be returned from the "${name}" function but got ${got}.`) as CodedTypeError;
  e.code = 'ERR_INVALID_RETURN_VALUE';
  return e;
}

/** Node's ERR_INCOMPATIBLE_OPTION_PAIR. */
export function incompatibleOptions(a: string, b: string): CodedTypeError {
  const e = new TypeError(`Option "${a}" cannot be used in combination with option "${b}"`) as CodedTypeError;
  e.code = 'ERR_INCOMPATIBLE_OPTION_PAIR';
  return e;
}

/** How Node's ERR_INVALID_ARG_TYPE names what it received ("type number (1)", "an instance of Object"). */
function describeType(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return `function ${v.name}`;
  if (typeof v === 'object') {
    const ctor = (v as { constructor?: { name?: unknown } }).constructor;
    return typeof ctor?.name === 'string' && ctor.name !== '' ? `an instance of ${ctor.name}` : inspect(v, { depth: -1 });
  }
  let shown = inspect(v, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof v} (${shown})`;
}

/** 4294967296 as Node prints it in range errors: 4_294_967_296. */
function separated(digits: string): string {
  const sign = digits.startsWith('-') ? '-' : '';
  let d = sign === '' ? digits : digits.slice(1);
  let out = '';
  for (; d.length > 3; d = d.slice(0, -3)) out = `_${d.slice(-3)}${out}`;
  return `${sign}${d}${out}`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `type ${typeof v}`;
}
