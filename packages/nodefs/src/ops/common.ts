/** What the operation programs share: descriptor bias, error-annotating calls, option types, small converters. */
import { type Stat } from '@rumpts/librump';
import { type Encoding, toFd } from '../args.js';
import { invalidArgType, translate } from '../errors.js';
import { type OpenFlags, stringToFlags } from '../flags.js';
import { type Program, sc, type SyscallTarget, type SysName } from '../program.js';
import { BigIntStats, Stats } from '../stats.js';

/**
 * The facade's descriptors are the kernel's plus 3. Node's streams take fd 0 for "no descriptor"
 * (WriteStream never closes it) and programs take 0–2 for stdio; a kernel process has no stdio, so its
 * first file would be 0. Shifting keeps every facade descriptor where a Node program expects files.
 */
export const FD_BIAS = 3;

/** A facade descriptor → the kernel's (negative, hence EBADF from the kernel, for 0–2). */
export function kfd(fd: unknown): number {
  return toFd(fd) - FD_BIAS;
}

/** Longest chain of symbolic links realpath follows (NetBSD's MAXSYMLINKS). */
export const MAXSYMLINKS = 32;
/** Transfer size for copyFile and unsized reads. */
export const CHUNK = 64 * 1024;

export interface StatOptions {
  bigint?: boolean;
  throwIfNoEntry?: boolean;
}
export interface ReaddirOptions {
  encoding?: Encoding;
  withFileTypes?: boolean;
  recursive?: boolean;
}
export interface MkdirOptions {
  recursive?: boolean;
  mode?: number | string;
}
export interface RmOptions {
  recursive?: boolean;
  force?: boolean;
  maxRetries?: number;
  retryDelay?: number;
}
export interface ReadFileOptions {
  encoding?: Encoding;
  flag?: OpenFlags;
}
export interface WriteFileOptions {
  encoding?: Encoding;
  mode?: number | string;
  flag?: OpenFlags;
  flush?: boolean;
}

export type AnyStats = Stats | BigIntStats;

/**
 * One system call, its error rethrown Node-shaped as `syscall` on `path` (and `dest`): the name and
 * path node:fs reports, which may differ from the kernel call's (readdir's open is 'scandir').
 */
export function* call<K extends SysName>(
  syscall: string,
  path: string | undefined,
  name: K,
  ...args: Parameters<SyscallTarget[K]>
): Program<ReturnType<SyscallTarget[K]>> {
  try {
    return yield* sc(name, ...args);
  } catch (e) {
    throw translate(e, syscall, path);
  }
}

/** Run `g`, rethrowing kernel errors from any of its calls as `syscall` on `path` -> `dest`. */
export function* as<T>(syscall: string, path: string | undefined, g: Program<T>, dest?: string): Program<T> {
  try {
    return yield* g;
  } catch (e) {
    throw translate(e, syscall, path, dest);
  }
}

/** Open flags for the kernel; a number with bits the host does not name is EINVAL from `syscall` on `path`. */
export function openFlags(flags: OpenFlags | undefined | null, def: string, syscall: string, path: string): number {
  try {
    return stringToFlags(flags, def);
  } catch (e) {
    throw translate(e, syscall, path);
  }
}

export function toStats(st: Stat, opts?: StatOptions): AnyStats {
  return opts?.bigint === true ? new BigIntStats(st) : new Stats(st);
}

export function viewOf(b: unknown, name: string): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', b);
}

export function codeOf(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  if (typeof c !== 'string') throw e;
  return c;
}

export function errnoOf(e: unknown): number {
  const r = (e as { rumpErrno?: unknown; errno?: unknown });
  if (typeof r.rumpErrno === 'number') return r.rumpErrno;
  if (typeof r.errno === 'number') return Math.abs(r.errno);
  throw e;
}
