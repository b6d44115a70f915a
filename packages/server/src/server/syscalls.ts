/**
 * The server's system call table: each operation of the catalogue mapped onto the connection's kernel
 * process (a Proc), with argument kinds checked first. Runs synchronously; the kernel is the big lock.
 */
import { errno, type MountData, type Proc, type Timespec } from '@rumpts/librump';
import { type ArgKind, type CallName, MAX_IO, ProtocolError, type WireValue } from '@rumpts/rumpclient/protocol';

type Handler = (p: Proc, a: WireValue[]) => WireValue | void;

const num = (v: WireValue | undefined): number => v as number;
const str = (v: WireValue | undefined): string => v as string;
const bytes = (v: WireValue | undefined): Uint8Array => v as Uint8Array;
const time = (v: WireValue | undefined): Timespec | null => (v === null ? null : (v as unknown as Timespec));

/** Check a length the client asks the server to allocate. */
function ioLength(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw errno('EINVAL', `bad length ${n}`);
  if (n > MAX_IO) throw errno('EINVAL', `length ${n} exceeds the per-request limit of ${MAX_IO} bytes (the client splits larger I/O)`);
  return n;
}

function readInto(n: number, fn: (buf: Uint8Array) => number): Uint8Array {
  const buf = new Uint8Array(ioLength(n));
  const got = fn(buf);
  return got === buf.length ? buf : buf.subarray(0, got);
}

export const HANDLERS: Readonly<Record<Exclude<CallName, 'reboot'>, Handler>> = {
  ping: () => null,
  open: (p, a) => p.open(str(a[0]), num(a[1]), num(a[2])),
  close: (p, a) => p.close(num(a[0])),
  read: (p, a) => readInto(num(a[1]), (b) => p.read(num(a[0]), b)),
  write: (p, a) => p.write(num(a[0]), bytes(a[1])),
  pread: (p, a) => readInto(num(a[1]), (b) => p.pread(num(a[0]), b, num(a[2]))),
  pwrite: (p, a) => p.pwrite(num(a[0]), bytes(a[1]), num(a[2])),
  lseek: (p, a) => p.lseek(num(a[0]), num(a[1]), num(a[2])),
  stat: (p, a) => p.stat(str(a[0])),
  lstat: (p, a) => p.lstat(str(a[0])),
  fstat: (p, a) => p.fstat(num(a[0])),
  access: (p, a) => p.access(str(a[0]), num(a[1])),
  mkdir: (p, a) => p.mkdir(str(a[0]), num(a[1])),
  rmdir: (p, a) => p.rmdir(str(a[0])),
  unlink: (p, a) => p.unlink(str(a[0])),
  rename: (p, a) => p.rename(str(a[0]), str(a[1])),
  link: (p, a) => p.link(str(a[0]), str(a[1])),
  symlink: (p, a) => p.symlink(str(a[0]), str(a[1])),
  readlink: (p, a) => p.readlink(str(a[0])),
  getdents: (p, a) => p.getdents(num(a[0]), num(a[1])).map((d) => ({ fileno: d.fileno, type: d.type, name: d.name, reclen: d.reclen })),
  chmod: (p, a) => p.chmod(str(a[0]), num(a[1])),
  lchmod: (p, a) => p.lchmod(str(a[0]), num(a[1])),
  fchmod: (p, a) => p.fchmod(num(a[0]), num(a[1])),
  chown: (p, a) => p.chown(str(a[0]), num(a[1]), num(a[2])),
  lchown: (p, a) => p.lchown(str(a[0]), num(a[1]), num(a[2])),
  fchown: (p, a) => p.fchown(num(a[0]), num(a[1]), num(a[2])),
  chflags: (p, a) => p.chflags(str(a[0]), num(a[1])),
  lchflags: (p, a) => p.lchflags(str(a[0]), num(a[1])),
  fchflags: (p, a) => p.fchflags(num(a[0]), num(a[1])),
  utimes: (p, a) => p.utimes(str(a[0]), time(a[1]), time(a[2])),
  lutimes: (p, a) => p.lutimes(str(a[0]), time(a[1]), time(a[2])),
  futimes: (p, a) => p.futimes(num(a[0]), time(a[1]), time(a[2])),
  truncate: (p, a) => p.truncate(str(a[0]), num(a[1])),
  ftruncate: (p, a) => p.ftruncate(num(a[0]), num(a[1])),
  fsync: (p, a) => p.fsync(num(a[0])),
  sync: (p) => p.sync(),
  mknod: (p, a) => p.mknod(str(a[0]), num(a[1]), num(a[2])),
  mkfifo: (p, a) => p.mkfifo(str(a[0]), num(a[1])),
  chdir: (p, a) => p.chdir(str(a[0])),
  fchdir: (p, a) => p.fchdir(num(a[0])),
  chroot: (p, a) => p.chroot(str(a[0])),
  getcwd: (p) => p.getcwd(),
  statvfs: (p, a) => ({ ...p.statvfs(str(a[0])) }),
  fstatvfs: (p, a) => ({ ...p.fstatvfs(num(a[0])) }),
  getvfsstat: (p) => p.getvfsstat().map((s) => ({ ...s })),
  mount: (p, a) => p.mount(str(a[0]), str(a[1]), num(a[2]), (a[3] ?? undefined) as MountData),
  unmount: (p, a) => p.unmount(str(a[0]), num(a[1])),
  readv: (p, a) => {
    const lens = (a[1] as number[]).map(ioLength);
    if (lens.reduce((x, y) => x + y, 0) > MAX_IO) throw errno('EINVAL', `readv of more than ${MAX_IO} bytes in one request`);
    const bufs = lens.map((n) => new Uint8Array(n));
    let left = p.readv(num(a[0]), bufs);
    return bufs.map((b) => {
      const take = Math.min(left, b.length);
      left -= take;
      return b.subarray(0, take);
    });
  },
  writev: (p, a) => p.writev(num(a[0]), a[1] as Uint8Array[]),
  dup: (p, a) => p.dup(num(a[0])),
  dup2: (p, a) => p.dup2(num(a[0]), num(a[1])),
  fcntl: (p, a) => p.fcntl(num(a[0]), num(a[1]), num(a[2])),
  ioctl: (p, a) => p.ioctl(num(a[0]), num(a[1]), a[2] ?? undefined) as WireValue,
  getpid: (p) => p.getpid(),
  getuid: (p) => p.getuid(),
  getgid: (p) => p.getgid(),
  umask: (p, a) => p.umask(num(a[0])),
  sysctl: (p, a) => {
    const nv = a[1];
    if (nv !== null && nv !== undefined && typeof nv !== 'string' && typeof nv !== 'number' && typeof nv !== 'boolean') {
      throw errno('EINVAL', 'sysctl values are strings, numbers or booleans', { syscall: 'sysctl' });
    }
    return p.kernel.sysctl(str(a[0]), nv ?? undefined);
  },
  sysctlList: (p, a) => {
    p.kernel.assertRunning('sysctl');
    return p.kernel.sysctl_.list(str(a[0]));
  },
};

function kindOk(k: ArgKind, v: WireValue | undefined): boolean {
  switch (k) {
    case 'i':
      return typeof v === 'number';
    case 's':
      return typeof v === 'string';
    case 'b':
      return v instanceof Uint8Array;
    case 'I':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'B':
      return Array.isArray(v) && v.every((x) => x instanceof Uint8Array);
    case 't':
      return v === null || (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && typeof (v as Record<string, unknown>)['sec'] === 'number' && typeof (v as Record<string, unknown>)['nsec'] === 'number');
    case 'm':
      return v === null || (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array));
    case 'v':
      return v !== undefined;
    case 'o':
      return true;
  }
}

/** Check the decoded arguments against the schema; a mismatch is a protocol violation. */
export function checkArgs(name: string, kinds: readonly ArgKind[], args: WireValue): WireValue[] {
  if (!Array.isArray(args)) throw new ProtocolError(`${name}: arguments are not an array`);
  const a = args as WireValue[];
  const required = kinds.filter((k) => k !== 'o').length;
  if (a.length < required || a.length > kinds.length) throw new ProtocolError(`${name}: ${a.length} arguments, expected ${kinds.length}`);
  kinds.forEach((k, i) => {
    if (!kindOk(k, a[i])) throw new ProtocolError(`${name}: argument ${i + 1} is not of kind '${k}'`);
  });
  return a;
}
