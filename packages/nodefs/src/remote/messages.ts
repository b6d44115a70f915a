/**
 * What the blocking remote process and its worker say to each other over a MessagePort. The worker
 * holds the rump server connection (the async RumpClient); the calling thread waits on a shared
 * Int32 cell and takes the answer with receiveMessageOnPort, so calls look synchronous to it.
 */
import type { MessagePort } from 'node:worker_threads';

/** The calls the worker will make on the client, by name; read/pread carry a length, not a buffer. */
export const REMOTE_CALLS = [
  'open', 'close', 'read', 'write', 'pread', 'pwrite', 'lseek', 'fstat', 'stat', 'lstat', 'access', 'mkdir', 'rmdir',
  'unlink', 'rename', 'link', 'symlink', 'readlink', 'getdents', 'chmod', 'lchmod', 'fchmod', 'chown', 'lchown', 'fchown',
  'utimes', 'lutimes', 'futimes', 'truncate', 'ftruncate', 'fsync', 'getcwd', 'statvfs', 'chdir', 'umask', 'disconnect',
] as const;
export type RemoteCall = (typeof REMOTE_CALLS)[number];

export type Arg = number | string | Uint8Array | null | { sec: number; nsec: number };

export interface Request {
  call: RemoteCall;
  args: Arg[];
}

/** A RumpError as plain data (structured clone drops the class). */
export interface WireError {
  code: string;
  detail: string | undefined;
  syscall: string | undefined;
  path: string | undefined;
}

export type Reply = { ok: true; value: unknown } | { ok: false; error: WireError };

export interface WorkerData {
  url: string;
  token: string | undefined;
  comm: string;
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] goes 0 → 1 when a reply has been posted. */
  flag: Int32Array;
}
