/**
 * fifofs: named pipes. The kernel never sleeps (one call at a time, no threads), so an operation
 * that would block fails with EAGAIN instead: a read of an empty fifo with writers, a write to a
 * full one. A read with no writers left returns 0 (end of file); a write with no readers is EPIPE.
 * Opening for writing with O_NONBLOCK and no reader is ENXIO, as POSIX says.
 */
import { errno, type FileOps, FREAD, FWRITE, O_NONBLOCK } from '@rumpts/librump';
import type { Vnode } from './vnode.js';
import { vn_closed, vn_stat } from './vfs_vnops.js';

/** PIPE_BUF-sized writes are atomic; the buffer holds this much (NetBSD's default pipe size). */
export const FIFO_BUFSIZE = 16384;

interface FifoState {
  chunks: Uint8Array[];
  bytes: number;
  readers: number;
  writers: number;
}

function fifostate(vp: Vnode): FifoState {
  let st = vp.specinfo as FifoState | undefined;
  if (!st) {
    st = { chunks: [], bytes: 0, readers: 0, writers: 0 };
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
    if (st.bytes === 0) {
      if (st.writers === 0) return 0;
      throw errno('EAGAIN', 'fifo is empty');
    }
    let n = 0;
    while (n < buf.length && st.chunks.length > 0) {
      const c = st.chunks[0] as Uint8Array;
      const take = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) st.chunks.shift();
      else st.chunks[0] = c.subarray(take);
    }
    st.bytes -= n;
    return n;
  },
  write(fp, buf) {
    const st = fifostate(fp.data as Vnode);
    if (st.readers === 0) throw errno('EPIPE', 'no reader on the fifo');
    const room = FIFO_BUFSIZE - st.bytes;
    if (room <= 0 || (buf.length <= 512 && room < buf.length)) throw errno('EAGAIN', 'fifo is full');
    const n = Math.min(room, buf.length);
    st.chunks.push(buf.slice(0, n));
    st.bytes += n;
    return n;
  },
  stat: (fp) => vn_stat(fp.data as Vnode),
  close(fp) {
    const vp = fp.data as Vnode;
    const st = fifostate(vp);
    if ((fp.flag & FREAD) !== 0) st.readers--;
    if ((fp.flag & FWRITE) !== 0) st.writers--;
    if (st.readers === 0 && st.writers === 0) {
      st.chunks = [];
      st.bytes = 0;
    }
    vn_closed(fp.flag, vp);
  },
};
