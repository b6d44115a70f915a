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

/**
 * Every call by name: its operation number on the wire and its argument kinds (ArgKind, one letter
 * each).
 */
export const CALLS = {
  /** ping: op 0, no arguments; answers null (a round trip that asks nothing of the kernel). */
  ping: [0, ''],
  /** open(2): op 1, arguments `sii`. */
  open: [1, 'sii'],
  /** close(2): op 2, arguments `i`. */
  close: [2, 'i'],
  /** read(2): op 3, arguments `ii`. */
  read: [3, 'ii'],
  /** write(2): op 4, arguments `ib`. */
  write: [4, 'ib'],
  /** pread(2): op 5, arguments `iii`. */
  pread: [5, 'iii'],
  /** pwrite(2): op 6, arguments `ibi`. */
  pwrite: [6, 'ibi'],
  /** lseek(2): op 7, arguments `iii`. */
  lseek: [7, 'iii'],
  /** stat(2): op 8, arguments `s`. */
  stat: [8, 's'],
  /** lstat(2): op 9, arguments `s`. */
  lstat: [9, 's'],
  /** fstat(2): op 10, arguments `i`. */
  fstat: [10, 'i'],
  /** access(2): op 11, arguments `si`. */
  access: [11, 'si'],
  /** mkdir(2): op 12, arguments `si`. */
  mkdir: [12, 'si'],
  /** rmdir(2): op 13, arguments `s`. */
  rmdir: [13, 's'],
  /** unlink(2): op 14, arguments `s`. */
  unlink: [14, 's'],
  /** rename(2): op 15, arguments `ss`. */
  rename: [15, 'ss'],
  /** link(2): op 16, arguments `ss`. */
  link: [16, 'ss'],
  /** symlink(2): op 17, arguments `ss`. */
  symlink: [17, 'ss'],
  /** readlink(2): op 18, arguments `s`. */
  readlink: [18, 's'],
  /** getdents(2): op 19; arguments fd and byte count. */
  getdents: [19, 'ii'],
  /** chmod(2): op 20, arguments `si`. */
  chmod: [20, 'si'],
  /** lchmod(2): op 21, arguments `si`. */
  lchmod: [21, 'si'],
  /** fchmod(2): op 22, arguments `ii`. */
  fchmod: [22, 'ii'],
  /** chown(2): op 23, arguments `sii`. */
  chown: [23, 'sii'],
  /** lchown(2): op 24, arguments `sii`. */
  lchown: [24, 'sii'],
  /** fchown(2): op 25, arguments `iii`. */
  fchown: [25, 'iii'],
  /** chflags(2): op 26, arguments `si`. */
  chflags: [26, 'si'],
  /** lchflags(2): op 27, arguments `si`. */
  lchflags: [27, 'si'],
  /** fchflags(2): op 28, arguments `ii`. */
  fchflags: [28, 'ii'],
  /** utimes(2): op 29, arguments `stt`. */
  utimes: [29, 'stt'],
  /** lutimes(2): op 30, arguments `stt`. */
  lutimes: [30, 'stt'],
  /** futimes(2): op 31, arguments `itt`. */
  futimes: [31, 'itt'],
  /** truncate(2): op 32, arguments `si`. */
  truncate: [32, 'si'],
  /** ftruncate(2): op 33, arguments `ii`. */
  ftruncate: [33, 'ii'],
  /** fsync(2): op 34, arguments `i`. */
  fsync: [34, 'i'],
  /** sync(2): op 35, no arguments. */
  sync: [35, ''],
  /** mknod(2): op 36, arguments `sii`. */
  mknod: [36, 'sii'],
  /** mkfifo(2): op 37, arguments `si`. */
  mkfifo: [37, 'si'],
  /** chdir(2): op 38, arguments `s`. */
  chdir: [38, 's'],
  /** fchdir(2): op 39, arguments `i`. */
  fchdir: [39, 'i'],
  /** chroot(2): op 40, arguments `s`. */
  chroot: [40, 's'],
  /** getcwd(3): op 41, no arguments. */
  getcwd: [41, ''],
  /** statvfs(2): op 42, arguments `s`. */
  statvfs: [42, 's'],
  /** fstatvfs(2): op 43, arguments `i`. */
  fstatvfs: [43, 'i'],
  /** getvfsstat(2): op 44, no arguments. */
  getvfsstat: [44, ''],
  /** mount(2): op 45, arguments `ssim`. */
  mount: [45, 'ssim'],
  /** unmount(2): op 46, arguments `si`. */
  unmount: [46, 'si'],
  /** readv(2): op 47, arguments `iI`. */
  readv: [47, 'iI'],
  /** writev(2): op 48, arguments `iB`. */
  writev: [48, 'iB'],
  /** dup(2): op 49, arguments `i`. */
  dup: [49, 'i'],
  /** dup2(2): op 50, arguments `ii`. */
  dup2: [50, 'ii'],
  /** fcntl(2): op 51, arguments `iii`. */
  fcntl: [51, 'iii'],
  /** ioctl(2): op 52; arguments fd, command and an optional value. */
  ioctl: [52, 'iio'],
  /** getpid(2): op 53, no arguments. */
  getpid: [53, ''],
  /** getuid(2): op 54, no arguments. */
  getuid: [54, ''],
  /** getgid(2): op 55, no arguments. */
  getgid: [55, ''],
  /** umask(2): op 56, arguments `i`. */
  umask: [56, 'i'],
  /** sysctl(3) by name: op 57; arguments the name and an optional new value. */
  sysctl: [57, 'so'],
  /** the sysctl names below a node: op 58; argument the node's name. */
  sysctlList: [58, 's'],
  /** reboot(2): op 59, arguments `i`. */
  reboot: [59, 'i'],
} as const satisfies Record<string, readonly [number, string]>;

/** The name of a call in CALLS. */
export type CallName = keyof typeof CALLS;

/** One call of the catalogue, as the server looks it up by operation number. */
export interface CallInfo {
  /** The call's name. */
  name: CallName;
  /** Its operation number. */
  op: number;
  /** Its argument kinds, in order. */
  args: readonly ArgKind[];
}

/** op → call, for the server's dispatch. */
export const CALL_BY_OP: ReadonlyMap<number, CallInfo> = new Map(
  (Object.keys(CALLS) as CallName[]).map((name) => {
    const [op, args] = CALLS[name];
    return [op, { name, op, args: [...args] as ArgKind[] }];
  }),
);

/** The operation number of a call. */
export function opOf(name: CallName): number {
  return CALLS[name][0];
}
