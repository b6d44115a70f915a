/**
 * The sysproxy system call table (rump_syscalls.c's sysent, seen from the server): NetBSD syscall
 * numbers mapped onto the client process's Proc, each with its argument slots decoded and its
 * pointers reached through COPYIN/COPYINSTR before and COPYOUT after the kernel call, in the order
 * NetBSD's kernel touches them. The kernel part runs synchronously; only the copies wait for the
 * client, so calls of one client overlap and may finish in any order. An unknown number is ENOSYS.
 */
import {
  errno, F_SETFD, FD_CLOEXEC, isRumpError, type MountData, O_CLOEXEC, O_DIRECTORY, O_RDONLY, type Proc, type Statvfs, type Timespec,
} from '@rumpts/librump';
import {
  AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, decodeTimespec, decodeTimeval, decodeTmpfsArgs, encodeStat, encodeStatvfs, IOC_IN, IOC_OUT, IOCPARM_LEN,
  nameBytes, packDirents, readPtr, STATVFS_SIZE, TIMESPEC_SIZE, TIMEVAL_SIZE, TMPFS_ARGS_SIZE, TMPFS_ARGS_VERSION, UTIME_NOW, UTIME_OMIT,
} from '@rumpts/rumpclient/protocol';
import * as S from '@rumpts/rumpclient/protocol';
import type { Retval, SpCall } from './call.js';
import { sysctlMib } from './sysctl.js';

type Handler = (c: SpCall) => Promise<Retval> | Retval;

/** One read or write is done by the kernel in pieces of at most this much (the client waits for all). */
const IO_PIECE = 1024 * 1024;
/** NetBSD SIGPIPE: raised in the client when a write finds no reader (dofilewrite). */
const SIGPIPE = 13;
/** IOV_MAX. */
const IOV_MAX = 1024;
/** CTL_MAXNAME. */
const CTL_MAXNAME = 12;
/** MFSNAMELEN: mount(2) reads the type name with this limit. */
const MFSNAMELEN = 32;
/** Mount data bigger than this is refused (every struct *_args is far smaller). */
const MAX_MOUNT_DATA = 4096;
/** MNT_GETARGS: ask for a mount's arguments instead of mounting. */
const MNT_GETARGS = 0x400000;
/** The uid_t/gid_t "no change" value, (uid_t)-1. */
const NOID = 0xffffffff;

const id = (v: number): number => (v === NOID ? -1 : v);

/** A length the kernel would take, as a number (a size_t past 2^53 is refused, not rounded). */
function size(n: number): number {
  if (!Number.isSafeInteger(n)) throw errno('EINVAL', `size ${n} out of range`);
  return n;
}

/** times: NULL → now; else the struct timeval[2] or timespec[2] at `addr`. */
async function times(c: SpCall, addr: number, spec: boolean): Promise<[Timespec | null, Timespec | null]> {
  if (addr === 0) return [null, null];
  const b = await c.copyin(addr, 2 * (spec ? TIMESPEC_SIZE : TIMEVAL_SIZE));
  const dec = spec ? decodeTimespec : decodeTimeval;
  return [dec(b, 0), dec(b, 16)];
}

/** utimensat's UTIME_NOW / UTIME_OMIT: now is null, omit keeps the file's time. */
function resolveSpecial(t: Timespec | null, keep: () => Timespec): Timespec | null {
  if (t === null || t.nsec === UTIME_NOW) return null;
  if (t.nsec === UTIME_OMIT) return keep();
  return t;
}

/**
 * Run `fn` on `path` relative to the directory `fd` (the *at calls): AT_FDCWD or an absolute path
 * as they are; otherwise the process's cwd moves to `fd` for the call and back (the kernel is one
 * big lock, so nothing else sees it).
 */
function at<T>(p: Proc, fd: number, path: string, fn: (path: string) => T): T {
  if (fd === AT_FDCWD || path.startsWith('/')) return fn(path);
  const old = p.open('.', O_RDONLY | O_DIRECTORY);
  try {
    p.fchdir(fd);
    return fn(path);
  } finally {
    p.fchdir(old);
    p.close(old);
  }
}

/**
 * read(2) family: the kernel reads in pieces, each copied out; a later piece's error keeps what was
 * read. `at`: the file offset the read starts from (where the COPYOUT frames break).
 */
async function readOut(c: SpCall, buf: number, nbyte: number, at: number, fn: (b: Uint8Array, done: number) => number): Promise<number> {
  const want = size(nbyte);
  let done = 0;
  while (done < want || want === 0) {
    const piece = new Uint8Array(Math.min(IO_PIECE, want - done));
    let got: number;
    try {
      got = fn(piece, done);
    } catch (e) {
      if (done > 0) return done;
      throw e;
    }
    c.copyout(buf + done, piece.subarray(0, got), at + done);
    done += got;
    if (got < piece.length || want === 0) break;
    await c.ch.drained();
  }
  return done;
}

/** write(2) family: a zero-byte write first finds the errors NetBSD finds before touching the data (EBADF, EPIPE). */
async function writeIn(c: SpCall, buf: number, nbyte: number, fn: (b: Uint8Array, done: number) => number): Promise<number> {
  const want = size(nbyte);
  try {
    fn(new Uint8Array(0), 0);
    let done = 0;
    while (done < want) {
      const data = await c.copyin(buf + done, Math.min(IO_PIECE, want - done));
      let n: number;
      try {
        n = fn(data, done);
      } catch (e) {
        if (done > 0) return done;
        throw e;
      }
      done += n;
      if (n < data.length) break;
    }
    return done;
  } catch (e) {
    if (isRumpError(e) && e.code === 'EPIPE') c.ch.raise(SIGPIPE);
    throw e;
  }
}

/** The struct iovec array of readv/writev: [base, len] pairs. */
async function iovecs(c: SpCall, addr: number, cnt: number): Promise<[number, number][]> {
  if (cnt < 0 || cnt > IOV_MAX) throw errno('EINVAL', `iovcnt ${cnt} out of range`);
  const b = await c.copyin(addr, cnt * 16);
  const out: [number, number][] = [];
  for (let i = 0; i < cnt; i++) out.push([readPtr(b, i * 16), size(readPtr(b, i * 16 + 8))]);
  return out;
}

/** mount(2) data for the types rumpts has: ufs_args-like { fspec } or tmpfs_args. */
async function mountData(c: SpCall, type: string, addr: number, len: number): Promise<MountData> {
  if (addr === 0 || len === 0) return undefined;
  if (len > MAX_MOUNT_DATA) throw errno('EINVAL', `mount data of ${len} bytes`);
  const b = await c.copyin(addr, len);
  if (type === 'tmpfs') {
    if (len < TMPFS_ARGS_SIZE) throw errno('EINVAL', 'short tmpfs_args');
    const a = decodeTmpfsArgs(b);
    if (a.version !== TMPFS_ARGS_VERSION) throw errno('EINVAL', `tmpfs_args version ${a.version}`);
    return { ...(a.size > 0 ? { size: a.size } : {}), ...(a.nodes > 0 ? { nodes: Math.min(a.nodes, 0xffffffff) } : {}), mode: a.mode & 0o7777, uid: a.uid, gid: a.gid };
  }
  if (type === 'rumpfs' || len < 8) return undefined;
  // ufs_args, iso_args, msdosfs_args…: the device path is the first member.
  const fspec = readPtr(b, 0);
  return fspec === 0 ? undefined : { fspec: await c.str(fspec) };
}

/** The file offset of `fd` (0 for a descriptor that is not open: the read fails anyway). */
function offsetOf(p: Proc, fd: number): number {
  try {
    return p.getfile(fd).offset;
  } catch {
    return 0;
  }
}

function rv2(a: number, b: number): readonly [number, number] {
  return [a, b];
}

export const SYSCALLS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [S.SYS_read, (c) => readOut(c, c.ptr(1), c.ptr(2), offsetOf(c.proc, c.int(0)), (b) => c.proc.read(c.int(0), b))],
  [S.SYS_write, (c) => writeIn(c, c.ptr(1), c.ptr(2), (b) => c.proc.write(c.int(0), b))],
  [S.SYS_pread, (c) => readOut(c, c.ptr(1), c.ptr(2), c.off(4), (b, done) => c.proc.pread(c.int(0), b, c.off(4) + done))],
  [S.SYS_pwrite, (c) => writeIn(c, c.ptr(1), c.ptr(2), (b, done) => c.proc.pwrite(c.int(0), b, c.off(4) + done))],
  [S.SYS_readv, async (c) => {
    const iov = await iovecs(c, c.ptr(1), c.int(2));
    let total = 0;
    for (const [base, len] of iov) {
      const n = await readOut(c, base, len, offsetOf(c.proc, c.int(0)), (b) => c.proc.read(c.int(0), b));
      total += n;
      if (n < len) break;
    }
    return total;
  }],
  [S.SYS_writev, async (c) => {
    const iov = await iovecs(c, c.ptr(1), c.int(2));
    let total = 0;
    for (const [base, len] of iov) {
      const n = await writeIn(c, base, len, (b) => c.proc.write(c.int(0), b));
      total += n;
      if (n < len) break;
    }
    return total;
  }],
  [S.SYS_open, async (c) => c.proc.open(await c.path(0), c.int(1), c.uint(2))],
  [S.SYS_openat, async (c) => {
    const path = await c.path(1);
    return at(c.proc, c.int(0), path, (pa) => c.proc.open(pa, c.int(2), c.uint(3)));
  }],
  [S.SYS_close, (c) => c.proc.close(c.int(0))],
  [S.SYS_lseek, (c) => c.proc.lseek(c.int(0), c.off(2), c.int(3))],
  [S.SYS_link, async (c) => c.proc.link(await c.path(0), await c.path(1))],
  [S.SYS_unlink, async (c) => c.proc.unlink(await c.path(0))],
  [S.SYS_unlinkat, async (c) => {
    const path = await c.path(1);
    at(c.proc, c.int(0), path, (pa) => ((c.int(2) & AT_REMOVEDIR) !== 0 ? c.proc.rmdir(pa) : c.proc.unlink(pa)));
  }],
  [S.SYS_chdir, async (c) => c.proc.chdir(await c.path(0))],
  [S.SYS_fchdir, (c) => c.proc.fchdir(c.int(0))],
  [S.SYS_chroot, async (c) => c.proc.chroot(await c.path(0))],
  [S.SYS_chmod, async (c) => c.proc.chmod(await c.path(0), c.uint(1))],
  [S.SYS_lchmod, async (c) => c.proc.lchmod(await c.path(0), c.uint(1))],
  [S.SYS_fchmod, (c) => c.proc.fchmod(c.int(0), c.uint(1))],
  [S.SYS_fchmodat, async (c) => {
    const path = await c.path(1);
    at(c.proc, c.int(0), path, (pa) => ((c.int(3) & AT_SYMLINK_NOFOLLOW) !== 0 ? c.proc.lchmod(pa, c.uint(2)) : c.proc.chmod(pa, c.uint(2))));
  }],
  [S.SYS_chown, async (c) => c.proc.chown(await c.path(0), id(c.uint(1)), id(c.uint(2)))],
  [S.SYS_lchown, async (c) => c.proc.lchown(await c.path(0), id(c.uint(1)), id(c.uint(2)))],
  [S.SYS_fchown, (c) => c.proc.fchown(c.int(0), id(c.uint(1)), id(c.uint(2)))],
  [S.SYS_fchownat, async (c) => {
    const path = await c.path(1);
    const [u, g] = [id(c.uint(2)), id(c.uint(3))];
    at(c.proc, c.int(0), path, (pa) => ((c.int(4) & AT_SYMLINK_NOFOLLOW) !== 0 ? c.proc.lchown(pa, u, g) : c.proc.chown(pa, u, g)));
  }],
  [S.SYS_chflags, async (c) => c.proc.chflags(await c.path(0), c.uint(1))],
  [S.SYS_lchflags, async (c) => c.proc.lchflags(await c.path(0), c.uint(1))],
  [S.SYS_fchflags, (c) => c.proc.fchflags(c.int(0), c.uint(1))],
  [S.SYS_access, async (c) => c.proc.access(await c.path(0), c.int(1))],
  [S.SYS_faccessat, async (c) => {
    const path = await c.path(1);
    at(c.proc, c.int(0), path, (pa) => c.proc.access(pa, c.int(2)));
  }],
  [S.SYS_getpid, (c) => rv2(c.proc.pid, 1)],
  [S.SYS_getppid, () => 1],
  [S.SYS_getuid, (c) => c.proc.getuid()],
  [S.SYS_geteuid, (c) => c.proc.getuid()],
  [S.SYS_getgid, (c) => c.proc.getgid()],
  [S.SYS_getegid, (c) => c.proc.getgid()],
  [S.SYS_umask, (c) => c.proc.umask(c.uint(0))],
  [S.SYS_sync, (c) => c.proc.sync()],
  [S.SYS_dup, (c) => c.proc.dup(c.int(0))],
  [S.SYS_dup2, (c) => c.proc.dup2(c.int(0), c.int(1))],
  [S.SYS_dup3, (c) => {
    const flags = c.int(2);
    if ((flags & ~O_CLOEXEC) !== 0 || c.int(0) === c.int(1)) throw errno('EINVAL', 'bad dup3 arguments');
    const fd = c.proc.dup2(c.int(0), c.int(1));
    if ((flags & O_CLOEXEC) !== 0) c.proc.fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
  }],
  [S.SYS_fcntl, (c) => c.proc.fcntl(c.int(0), c.int(1), c.int(2))],
  [S.SYS_fsync, (c) => c.proc.fsync(c.int(0))],
  [S.SYS_fdatasync, (c) => c.proc.fsync(c.int(0))],
  [S.SYS_pipe, (c) => c.proc.pipe2(0)],
  [S.SYS_pipe2, (c) => {
    const [r, w] = c.proc.pipe2(c.int(1));
    const b = Buffer.alloc(8);
    b.writeInt32LE(r, 0);
    b.writeInt32LE(w, 4);
    try {
      c.copyout(c.ptr(0), b);
    } catch (e) {
      c.proc.close(r);
      c.proc.close(w);
      throw e;
    }
    return rv2(0, w);
  }],
  [S.SYS_ioctl, async (c) => {
    const fd = c.int(0);
    const com = c.uint(1);
    const len = IOCPARM_LEN(com);
    const data = c.ptr(2);
    c.proc.getfile(fd); // EBADF before the copy, as sys_ioctl checks
    const arg = (com & IOC_IN) !== 0 && len > 0 ? await c.copyin(data, len) : Buffer.alloc(len);
    const res = c.proc.ioctl(fd, com, arg);
    if ((com & IOC_OUT) !== 0 && len > 0) {
      let out: Uint8Array = arg;
      if (res instanceof Uint8Array && res.length === len) out = res;
      else if (typeof res === 'number' && (len === 4 || len === 8)) {
        const b = Buffer.alloc(len);
        if (len === 4) b.writeInt32LE(res | 0);
        else b.writeBigInt64LE(BigInt(Math.trunc(res)));
        out = b;
      }
      c.copyout(data, out);
    }
    return 0;
  }],
  [S.SYS_symlink, async (c) => c.proc.symlink(await c.path(0), await c.path(1))],
  [S.SYS_symlinkat, async (c) => {
    const target = await c.path(0);
    const path = await c.path(2);
    at(c.proc, c.int(1), path, (pa) => c.proc.symlink(target, pa));
  }],
  [S.SYS_readlink, async (c) => {
    const s = nameBytes(c.proc.readlink(await c.path(0)));
    const n = Math.min(s.length, size(c.ptr(2)));
    c.copyout(c.ptr(1), s.subarray(0, n));
    return n;
  }],
  [S.SYS_readlinkat, async (c) => {
    const path = await c.path(1);
    const s = nameBytes(at(c.proc, c.int(0), path, (pa) => c.proc.readlink(pa)));
    const n = Math.min(s.length, size(c.ptr(3)));
    c.copyout(c.ptr(2), s.subarray(0, n));
    return n;
  }],
  [S.SYS_rename, async (c) => c.proc.rename(await c.path(0), await c.path(1))],
  [S.SYS_mkfifo, async (c) => c.proc.mkfifo(await c.path(0), c.uint(1))],
  [S.SYS_mkdir, async (c) => c.proc.mkdir(await c.path(0), c.uint(1))],
  [S.SYS_mkdirat, async (c) => {
    const path = await c.path(1);
    at(c.proc, c.int(0), path, (pa) => c.proc.mkdir(pa, c.uint(2)));
  }],
  [S.SYS_rmdir, async (c) => c.proc.rmdir(await c.path(0))],
  [S.SYS___mknod50, async (c) => c.proc.mknod(await c.path(0), c.uint(1), c.ptr(2))],
  [S.SYS_truncate, async (c) => c.proc.truncate(await c.path(0), c.off(2))],
  [S.SYS_ftruncate, (c) => c.proc.ftruncate(c.int(0), c.off(2))],
  [S.SYS___sysctl, async (c) => {
    const namelen = c.uint(1);
    if (namelen < 1 || namelen > CTL_MAXNAME) throw errno('EINVAL', `sysctl name of ${namelen} levels`);
    const oldp = c.ptr(2);
    const oldlenp = c.ptr(3);
    const oldlen = oldlenp !== 0 ? readPtr(await c.copyin(oldlenp, 8), 0) : 0;
    const nb = await c.copyin(c.ptr(0), namelen * 4);
    const name = Array.from({ length: namelen }, (_, i) => nb.readInt32LE(i * 4));
    const newp = c.ptr(4);
    const newlen = size(c.ptr(5));
    const nv = newp !== 0 ? await c.copyin(newp, Math.min(newlen, MAX_MOUNT_DATA)) : undefined;
    const { old } = sysctlMib(c.proc.kernel, name, nv);
    let short = false;
    if (oldp !== 0) {
      short = oldlen < old.length;
      c.copyout(oldp, old.subarray(0, Math.min(oldlen, old.length)));
    }
    if (oldlenp !== 0) {
      const lb = Buffer.alloc(8);
      lb.writeBigUInt64LE(BigInt(old.length));
      c.copyout(oldlenp, lb);
    }
    if (short) throw errno('ENOMEM', 'sysctl: the buffer is too small for the value');
    return 0;
  }],
  [S.SYS___getcwd, (c) => {
    const s = nameBytes(`${c.proc.getcwd()}\0`);
    if (size(c.ptr(1)) < s.length) throw errno('ERANGE', 'getcwd: the buffer is too small');
    c.copyout(c.ptr(0), s);
    return s.length;
  }],
  [S.SYS_getvfsstat, (c) => {
    const all = c.proc.getvfsstat();
    const buf = c.ptr(0);
    if (buf === 0) return all.length;
    const n = Math.min(all.length, Math.floor(size(c.ptr(1)) / STATVFS_SIZE));
    for (let i = 0; i < n; i++) c.copyout(buf + i * STATVFS_SIZE, encodeStatvfs(all[i] as Statvfs));
    return n;
  }],
  [S.SYS_statvfs1, async (c) => {
    const s = c.proc.statvfs(await c.path(0));
    c.copyout(c.ptr(1), encodeStatvfs(s));
    return 0;
  }],
  [S.SYS_fstatvfs1, (c) => {
    c.copyout(c.ptr(1), encodeStatvfs(c.proc.fstatvfs(c.int(0))));
    return 0;
  }],
  [S.SYS___getdents30, (c) => {
    const count = size(c.ptr(2));
    const b = packDirents(c.proc.getdents(c.int(0), Math.min(count, IO_PIECE)));
    c.copyout(c.ptr(1), b);
    return b.length;
  }],
  [S.SYS___mount50, async (c) => {
    const flags = c.int(2);
    const path = await c.path(1);
    const type = await c.str(c.ptr(0), MFSNAMELEN);
    if ((flags & MNT_GETARGS) !== 0) throw errno('EOPNOTSUPP', 'MNT_GETARGS is not supported');
    const data = await mountData(c, type, c.ptr(3), size(c.ptr(4)));
    c.proc.mount(type, path, flags, data);
    return 0;
  }],
  [S.SYS_unmount, async (c) => c.proc.unmount(await c.path(0), c.int(1))],
  [S.SYS___utimes50, async (c) => {
    const [a, m] = await times(c, c.ptr(1), false);
    c.proc.utimes(await c.path(0), a, m);
  }],
  [S.SYS___lutimes50, async (c) => {
    const [a, m] = await times(c, c.ptr(1), false);
    c.proc.lutimes(await c.path(0), a, m);
  }],
  [S.SYS___futimes50, async (c) => {
    const [a, m] = await times(c, c.ptr(1), false);
    c.proc.futimes(c.int(0), a, m);
  }],
  [S.SYS_utimensat, async (c) => {
    const [a, m] = await times(c, c.ptr(2), true);
    const path = await c.path(1);
    const nofollow = (c.int(3) & AT_SYMLINK_NOFOLLOW) !== 0;
    at(c.proc, c.int(0), path, (pa) => {
      const st = (): ReturnType<Proc['stat']> => (nofollow ? c.proc.lstat(pa) : c.proc.stat(pa));
      const aa = resolveSpecial(a, () => st().atime);
      const mm = resolveSpecial(m, () => st().mtime);
      if (nofollow) c.proc.lutimes(pa, aa, mm);
      else c.proc.utimes(pa, aa, mm);
    });
  }],
  [S.SYS___stat50, async (c) => {
    const s = c.proc.stat(await c.path(0));
    c.copyout(c.ptr(1), encodeStat(s));
  }],
  [S.SYS___lstat50, async (c) => {
    const s = c.proc.lstat(await c.path(0));
    c.copyout(c.ptr(1), encodeStat(s));
  }],
  [S.SYS___fstat50, (c) => {
    c.copyout(c.ptr(1), encodeStat(c.proc.fstat(c.int(0))));
  }],
  [S.SYS_fstatat, async (c) => {
    const path = await c.path(1);
    const s = at(c.proc, c.int(0), path, (pa) => ((c.int(3) & AT_SYMLINK_NOFOLLOW) !== 0 ? c.proc.lstat(pa) : c.proc.stat(pa)));
    c.copyout(c.ptr(2), encodeStat(s));
  }],
]);
