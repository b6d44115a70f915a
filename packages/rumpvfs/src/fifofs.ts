/**
 * fifofs: named pipes. The kernel never sleeps (one call at a time, no threads), so an operation
 * that would block fails with EAGAIN instead: a read of an empty fifo with writers, a write to a
 * full one. A read with no writers left returns 0 (end of file); a write with no readers is EPIPE.
 * Opening for writing with O_NONBLOCK and no reader is ENXIO, as POSIX says.
 */
import { errno, type FileOps, FREAD, FWRITE, O_NONBLOCK, PipeBuffer } from '@rumpts/librump';
import type { Vnode } from './vnode.js';
import { vn_closed, vn_stat } from './vfs_vnops.js';

/** PIPE_BUF-sized writes are atomic; the buffer holds this much (NetBSD's default pipe size). */
export const FIFO_BUFSIZE = 16384;

interface FifoState {
  buf: PipeBuffer;
  readers: number;
  writers: number;
}

function fifostate(vp: Vnode): FifoState {
  let st = vp.specinfo as FifoState | undefined;
  if (!st) {
    st = { buf: new PipeBuffer(FIFO_BUFSIZE, 'fifo'), readers: 0, writers: 0 };
    vp.specinfo = st;
  }
  return st;
}

export function fifo_open(vp: Vnode, fmode: number): FileOps {
  const st = fifostate(vp);
  if ((fmode & FWRITE) !== 0 && (fmode & FREAD) === 0 && (fmode & O_NONBLOCK) !== 0 && st.readers === 0) {
    throw errno('ENXIO', 'no reader on the fifo');
  }
  if ((fmode & FREAD) !== 0) st.readers++;
  if ((fmode & FWRITE) !== 0) st.writers++;
  return fifoFileOps;
}

const fifoFileOps: FileOps = {
  read(fp, buf) {
    const st = fifostate(fp.data as Vnode);
    if (st.buf.bytes === 0) {
      if (st.writers === 0) return 0;
      throw errno('EAGAIN', 'fifo is empty');
    }
    return st.buf.read(buf);
  },
  write(fp, buf) {
    const st = fifostate(fp.data as Vnode);
    if (st.readers === 0) throw errno('EPIPE', 'no reader on the fifo');
    return st.buf.write(buf);
  },
  stat: (fp) => vn_stat(fp.data as Vnode),
  close(fp) {
    const vp = fp.data as Vnode;
    const st = fifostate(vp);
    if ((fp.flag & FREAD) !== 0) st.readers--;
    if ((fp.flag & FWRITE) !== 0) st.writers--;
    if (st.readers === 0 && st.writers === 0) {
      st.buf.clear();
    }
    vn_closed(fp.flag, vp);
  },
};
