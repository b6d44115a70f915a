/**
 * NetBSD errno numbers (sys/errno.h) and the one error type of the repo, RumpError.
 * Numbers are NetBSD's, not the host's: they travel over the sysproxy wire unchanged.
 */

/** code → [NetBSD errno, strerror text]. */
const TABLE = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  ESRCH: [3, 'No such process'],
  EINTR: [4, 'Interrupted system call'],
  EIO: [5, 'Input/output error'],
  ENXIO: [6, 'Device not configured'],
  E2BIG: [7, 'Argument list too long'],
  ENOEXEC: [8, 'Exec format error'],
  EBADF: [9, 'Bad file descriptor'],
  ECHILD: [10, 'No child processes'],
  EDEADLK: [11, 'Resource deadlock avoided'],
  ENOMEM: [12, 'Cannot allocate memory'],
  EACCES: [13, 'Permission denied'],
  EFAULT: [14, 'Bad address'],
  ENOTBLK: [15, 'Block device required'],
  EBUSY: [16, 'Device busy'],
  EEXIST: [17, 'File exists'],
  EXDEV: [18, 'Cross-device link'],
  ENODEV: [19, 'Operation not supported by device'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENFILE: [23, 'Too many open files in system'],
  EMFILE: [24, 'Too many open files'],
  ENOTTY: [25, 'Inappropriate ioctl for device'],
  ETXTBSY: [26, 'Text file busy'],
  EFBIG: [27, 'File too large'],
  ENOSPC: [28, 'No space left on device'],
  ESPIPE: [29, 'Illegal seek'],
  EROFS: [30, 'Read-only file system'],
  EMLINK: [31, 'Too many links'],
  EPIPE: [32, 'Broken pipe'],
  EDOM: [33, 'Numerical argument out of domain'],
  ERANGE: [34, 'Result too large or too small'],
  EAGAIN: [35, 'Resource temporarily unavailable'],
  EINPROGRESS: [36, 'Operation now in progress'],
  EALREADY: [37, 'Operation already in progress'],
  ENOTSOCK: [38, 'Socket operation on non-socket'],
  EDESTADDRREQ: [39, 'Destination address required'],
  EMSGSIZE: [40, 'Message too long'],
  EPROTOTYPE: [41, 'Protocol wrong type for socket'],
  ENOPROTOOPT: [42, 'Protocol option not available'],
  EPROTONOSUPPORT: [43, 'Protocol not supported'],
  ESOCKTNOSUPPORT: [44, 'Socket type not supported'],
  EOPNOTSUPP: [45, 'Operation not supported'],
  EPFNOSUPPORT: [46, 'Protocol family not supported'],
  EAFNOSUPPORT: [47, 'Address family not supported by protocol family'],
  EADDRINUSE: [48, 'Address already in use'],
  EADDRNOTAVAIL: [49, "Can't assign requested address"],
  ENETDOWN: [50, 'Network is down'],
  ENETUNREACH: [51, 'Network is unreachable'],
  ENETRESET: [52, 'Network dropped connection on reset'],
  ECONNABORTED: [53, 'Software caused connection abort'],
  ECONNRESET: [54, 'Connection reset by peer'],
  ENOBUFS: [55, 'No buffer space available'],
  EISCONN: [56, 'Socket is already connected'],
  ENOTCONN: [57, 'Socket is not connected'],
  ESHUTDOWN: [58, "Can't send after socket shutdown"],
  ETOOMANYREFS: [59, "Too many references: can't splice"],
  ETIMEDOUT: [60, 'Connection timed out'],
  ECONNREFUSED: [61, 'Connection refused'],
  ELOOP: [62, 'Too many levels of symbolic links'],
  ENAMETOOLONG: [63, 'File name too long'],
  EHOSTDOWN: [64, 'Host is down'],
  EHOSTUNREACH: [65, 'No route to host'],
  ENOTEMPTY: [66, 'Directory not empty'],
  EPROCLIM: [67, 'Too many processes'],
  EUSERS: [68, 'Too many users'],
  EDQUOT: [69, 'Disc quota exceeded'],
  ESTALE: [70, 'Stale NFS file handle'],
  EREMOTE: [71, 'Too many levels of remote in path'],
  EBADRPC: [72, 'RPC struct is bad'],
  ERPCMISMATCH: [73, 'RPC version wrong'],
  EPROGUNAVAIL: [74, 'RPC prog. not avail'],
  EPROGMISMATCH: [75, 'Program version wrong'],
  EPROCUNAVAIL: [76, 'Bad procedure for program'],
  ENOLCK: [77, 'No locks available'],
  ENOSYS: [78, 'Function not implemented'],
  EFTYPE: [79, 'Inappropriate file type or format'],
  EAUTH: [80, 'Authentication error'],
  ENEEDAUTH: [81, 'Need authenticator'],
  EIDRM: [82, 'Identifier removed'],
  ENOMSG: [83, 'No message of desired type'],
  EOVERFLOW: [84, 'Value too large to be stored in data type'],
  EILSEQ: [85, 'Illegal byte sequence'],
  ENOTSUP: [86, 'Not supported'],
  ECANCELED: [87, 'Operation canceled'],
  EBADMSG: [88, 'Bad or Corrupt message'],
  ENODATA: [89, 'No message available'],
  ENOSR: [90, 'No STREAM resources'],
  ENOSTR: [91, 'Not a STREAM'],
  ETIME: [92, 'STREAM ioctl timeout'],
  ENOATTR: [93, 'Attribute not found'],
  EMULTIHOP: [94, 'Multihop attempted'],
  ENOLINK: [95, 'Link has been severed'],
  EPROTO: [96, 'Protocol error'],
} as const satisfies Record<string, readonly [number, string]>;

/** The name of a NetBSD errno, e.g. `'ENOENT'`. */
export type ErrnoCode = keyof typeof TABLE;

/** NetBSD errno numbers by name, e.g. `Errno.ENOENT === 2`. */
export const Errno: { readonly [K in ErrnoCode]: (typeof TABLE)[K][0] } = Object.freeze(
  Object.fromEntries(Object.entries(TABLE).map(([k, v]) => [k, v[0]])),
) as { readonly [K in ErrnoCode]: (typeof TABLE)[K][0] };

const BY_NUMBER = new Map<number, ErrnoCode>(
  (Object.keys(TABLE) as ErrnoCode[]).map((k) => [TABLE[k][0], k]),
);

/** The code name of a NetBSD errno number (`2` → `'ENOENT'`), or undefined. */
export function errnoCode(n: number): ErrnoCode | undefined {
  return BY_NUMBER.get(n);
}

/** strerror(3) text for a code or number. */
export function strerror(e: ErrnoCode | number): string {
  const code = typeof e === 'number' ? BY_NUMBER.get(e) : e;
  return code ? TABLE[code][1] : `Unknown error: ${String(e)}`;
}

const BRAND = Symbol.for('rumpts.RumpError');

/** Where an error happened, for its message (like Node's SystemError fields). */
export interface RumpErrorOptions {
  /** The system call, e.g. `'open'`. */
  syscall?: string;
  /** The path it was given. */
  path?: string;
  /** The error this one wraps. */
  cause?: unknown;
}

/**
 * A kernel error: NetBSD `errno` plus its `code` name, shaped like Node's SystemError
 * (`syscall`, `path` where they apply).
 */
export class RumpError extends Error {
  /** NetBSD's errno number (the same on every host). */
  readonly errno: number;
  /** The errno name, e.g. `'ENOENT'`. */
  readonly code: ErrnoCode;
  /** The system call that failed, where known. */
  syscall?: string;
  /** The path it was given, where there was one. */
  path?: string;
  /** The detail given where the error was raised, without code or path decoration. */
  readonly detail?: string;

  /** An error `code` with an optional detail (else strerror's text) and where it happened. */
  constructor(code: ErrnoCode, detail?: string, opts: RumpErrorOptions = {}) {
    super(formatMessage(code, detail, opts), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RumpError';
    this.code = code;
    this.errno = TABLE[code][0];
    if (detail !== undefined) this.detail = detail;
    if (opts.syscall !== undefined) this.syscall = opts.syscall;
    if (opts.path !== undefined) this.path = opts.path;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Fill in syscall/path if the raiser did not know them (the syscall layer does this). */
  annotate(syscall: string, path?: string): this {
    if (this.syscall === undefined) this.syscall = syscall;
    if (this.path === undefined && path !== undefined) this.path = path;
    this.message = formatMessage(this.code, this.detail, this);
    return this;
  }
}

function formatMessage(code: ErrnoCode, detail: string | undefined, o: { syscall?: string | undefined; path?: string | undefined }): string {
  let m = `${code}: ${detail ?? TABLE[code][1].toLowerCase()}`;
  if (o.syscall) m += `, ${o.syscall}`;
  if (o.path !== undefined) m += ` '${o.path}'`;
  return m;
}

/** The one helper every layer raises errors with: `throw errno('ENOENT', 'no such key')`. */
export function errno(code: ErrnoCode, detail?: string, opts?: RumpErrorOptions): RumpError {
  return new RumpError(code, detail, opts);
}

/**
 * True for a RumpError from any copy of this package (a module loaded by path may carry
 * its own copy of librump, so `instanceof` is not enough).
 */
export function isRumpError(e: unknown): e is RumpError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
