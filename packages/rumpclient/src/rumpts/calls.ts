/**
 * The call catalogue (docs/protocol.md §5): operation numbers and argument schemas, shared by the
 * client (which encodes) and the server (which checks before anything reaches the kernel). Numbers
 * are part of the wire format: append new calls, never renumber.
 */

/**
 * Argument kinds: i = safe integer, s = string, b = bytes, I = array of integers, B = array of bytes,
 * t = timespec map or null, m = map or null, v = any value, o = optional any value.
 */
export type ArgKind = 'i' | 's' | 'b' | 'I' | 'B' | 't' | 'm' | 'v' | 'o';

export const CALLS = {
  ping: [0, ''],
  open: [1, 'sii'],
  close: [2, 'i'],
  read: [3, 'ii'],
  write: [4, 'ib'],
  pread: [5, 'iii'],
  pwrite: [6, 'ibi'],
  lseek: [7, 'iii'],
  stat: [8, 's'],
  lstat: [9, 's'],
  fstat: [10, 'i'],
  access: [11, 'si'],
  mkdir: [12, 'si'],
  rmdir: [13, 's'],
  unlink: [14, 's'],
  rename: [15, 'ss'],
  link: [16, 'ss'],
  symlink: [17, 'ss'],
  readlink: [18, 's'],
  getdents: [19, 'ii'],
  chmod: [20, 'si'],
  lchmod: [21, 'si'],
  fchmod: [22, 'ii'],
  chown: [23, 'sii'],
  lchown: [24, 'sii'],
  fchown: [25, 'iii'],
  chflags: [26, 'si'],
  lchflags: [27, 'si'],
  fchflags: [28, 'ii'],
  utimes: [29, 'stt'],
  lutimes: [30, 'stt'],
  futimes: [31, 'itt'],
  truncate: [32, 'si'],
  ftruncate: [33, 'ii'],
  fsync: [34, 'i'],
  sync: [35, ''],
  mknod: [36, 'sii'],
  mkfifo: [37, 'si'],
  chdir: [38, 's'],
  fchdir: [39, 'i'],
  chroot: [40, 's'],
  getcwd: [41, ''],
  statvfs: [42, 's'],
  fstatvfs: [43, 'i'],
  getvfsstat: [44, ''],
  mount: [45, 'ssim'],
  unmount: [46, 'si'],
  readv: [47, 'iI'],
  writev: [48, 'iB'],
  dup: [49, 'i'],
  dup2: [50, 'ii'],
  fcntl: [51, 'iii'],
  ioctl: [52, 'iio'],
  getpid: [53, ''],
  getuid: [54, ''],
  getgid: [55, ''],
  umask: [56, 'i'],
  sysctl: [57, 'so'],
  sysctlList: [58, 's'],
  reboot: [59, 'i'],
} as const satisfies Record<string, readonly [number, string]>;

export type CallName = keyof typeof CALLS;

export interface CallInfo {
  name: CallName;
  op: number;
  args: readonly ArgKind[];
}

/** op → call, for the server's dispatch. */
export const CALL_BY_OP: ReadonlyMap<number, CallInfo> = new Map(
  (Object.keys(CALLS) as CallName[]).map((name) => {
    const [op, args] = CALLS[name];
    return [op, { name, op, args: [...args] as ArgKind[] }];
  }),
);

export function opOf(name: CallName): number {
  return CALLS[name][0];
}
