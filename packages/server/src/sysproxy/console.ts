/**
 * The rump console (rumpcons): what a sysproxy client's descriptors 0, 1 and 2 are, write-only, as
 * rumpuser_sp.c sets them up for every guest, so the client's first open() returns 3. What is
 * written goes to the kernel's console (the server's log), a line at a time and cut short.
 */
import { errno, type Kernel, O_WRONLY, type Proc, RumpFile, type FileOps, S_IFCHR } from '@rumpts/librump';

/** At most this much of one write is shown; the rest is counted as written. */
const SHOW = 512;

const consOps: FileOps = {
  read: () => {
    throw errno('EBADF', 'the console is write-only');
  },
  write(fp, buf) {
    const kernel = fp.data as Kernel;
    const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, SHOW)).toString('utf8');
    for (const line of text.split('\n')) if (line !== '') kernel.printf(`console: ${line}`);
    return buf.length;
  },
  stat: () => {
    const t = { sec: 0, nsec: 0 };
    return {
      dev: 0, ino: 0, mode: S_IFCHR | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blocks: 0,
      blksize: 512, flags: 0, gen: 0, atime: t, mtime: t, ctime: t, birthtime: t,
    };
  },
  close: () => undefined,
};

/** Give `p` descriptors 0, 1 and 2 on the console (one open file, as rump_consdev's three dups). */
export function attachConsole(p: Proc): void {
  const fp = new RumpFile(consOps, p.kernel, O_WRONLY);
  for (let fd = 0; fd < 3; fd++) p.falloc(fp);
}
