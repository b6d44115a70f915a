/**
 * Anonymous pipes (sys_pipe.c): pipe(2) and pipe2(2). Like fifofs, the kernel never sleeps, so an
 * operation that would block fails with EAGAIN (a read of an empty pipe whose write end is open, a
 * write to a full one); a read with the write end closed returns 0, and a write with the read end
 * closed is EPIPE (the caller delivers SIGPIPE, as dofilewrite does).
 */
import { errno } from './errno.js';
import { O_RDONLY, O_WRONLY, S_IFIFO } from './constants.js';
import { type FileOps, RumpFile } from './file.js';
import { PipeBuffer } from './pipebuf.js';
import type { Stat } from './types.js';

/** The buffer of a pipe (PIPE_SIZE); writes of up to PIPE_BUF (512) bytes are atomic. */
export const PIPE_SIZE = 16384;

interface PipeState {
  buf: PipeBuffer;
  readOpen: boolean;
  writeOpen: boolean;
  ino: number;
  birth: { sec: number; nsec: number };
}

function pipeStat(st: PipeState): Stat {
  const t = st.birth;
  return {
    dev: 0, ino: st.ino, mode: S_IFIFO | 0o600, nlink: 0, uid: 0, gid: 0, rdev: 0, size: st.buf.bytes, blocks: 0,
    blksize: PIPE_SIZE, flags: 0, gen: 0, atime: t, mtime: t, ctime: t, birthtime: t,
  };
}

const readOps: FileOps = {
  read(fp, buf) {
    const st = fp.data as PipeState;
    if (st.buf.bytes === 0) {
      if (!st.writeOpen) return 0;
      throw errno('EAGAIN', 'pipe is empty');
    }
    return st.buf.read(buf);
  },
  write: () => {
    throw errno('EBADF', 'the read end of a pipe is not open for writing');
  },
  stat: (fp) => pipeStat(fp.data as PipeState),
  close(fp) {
    const st = fp.data as PipeState;
    st.readOpen = false;
    st.buf.clear();
  },
};

const writeOps: FileOps = {
  read: () => {
    throw errno('EBADF', 'the write end of a pipe is not open for reading');
  },
  write(fp, buf) {
    const st = fp.data as PipeState;
    if (!st.readOpen) throw errno('EPIPE', 'the read end of the pipe is closed');
    return st.buf.write(buf);
  },
  stat: (fp) => pipeStat(fp.data as PipeState),
  close(fp) {
    (fp.data as PipeState).writeOpen = false;
  },
};

/** A new pipe: its read end and its write end, with the status flags of pipe2(2) (O_NONBLOCK); `ino` names it in fstat. */
export function makePipe(flags: number, ino = 0): [RumpFile, RumpFile] {
  const now = Date.now();
  const st: PipeState = { buf: new PipeBuffer(PIPE_SIZE, 'pipe'), readOpen: true, writeOpen: true, ino, birth: { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 } };
  return [new RumpFile(readOps, st, O_RDONLY | flags), new RumpFile(writeOps, st, O_WRONLY | flags)];
}
