/**
 * ufs_dirhash: an in-core index of one directory — name → (entry offset, inode number) — and the
 * room left in each 512-byte chunk, bucketed by size so an insert finds a chunk that fits in
 * constant time whatever the directory's size (NetBSD builds it for large directories; it is what
 * keeps creates per second flat). Built from the directory blocks on first use, then kept current
 * by every entry op.
 */
import { decodeName } from '@rumpts/librump';
import type { Inode } from './inode.js';
import { decodeDirect, direntBad, direntIno, direntNamlen, direntReclen } from './ondisk/direct.js';
import { DIRBLKSIZ, dirsiz } from './ondisk/geometry.js';
import { NameTable } from './nametable.js';
import { ffs_read } from './read.js';

/** Free-space buckets of 4 bytes: 0..128. */
const NBUCKET = DIRBLKSIZ / 4 + 1;

export class Dirhash {
  /** name → (offset of its entry, inode number). */
  readonly names = new NameTable();
  /**
   * Live entries left out of `names` because no entry may carry their name (entryNameBad): they
   * cannot be looked up, but the directory is not empty while they are there (ufs_dirempty).
   */
  skipped = 0;
  /**
   * The largest record a new entry could take in each chunk without moving any entry (the most
   * slack after one entry, or a free first record). Entries never move, so readdir cookies — byte
   * offsets — stay valid while entries come and go.
   */
  readonly chunkFree: number[] = [];
  /**
   * Chunks by room, 4 bytes a bucket (records and DIRSIZ are multiples of 4, so a bucket holds one
   * exact size): doubly linked lists through #next/#prev (-1 ends), oldest first. Moving a chunk
   * between buckets on every insert is two unlinks and no hashing.
   */
  readonly #head = new Int32Array(NBUCKET).fill(-1);
  readonly #tail = new Int32Array(NBUCKET).fill(-1);
  readonly #next: number[] = [];
  readonly #prev: number[] = [];

  /** Set the room of chunk `c`. */
  setFree(c: number, free: number): void {
    const old = this.chunkFree[c];
    if (old !== undefined) {
      if (old === free) return;
      this.#unlink(c, old >> 2);
    } else {
      // Chunks come in order (a directory grows a chunk at a time); any skipped one counts as full.
      for (let i = this.chunkFree.length; i < c; i++) this.setFree(i, 0);
      while (this.#next.length <= c) {
        this.#next.push(-1);
        this.#prev.push(-1);
      }
    }
    this.chunkFree[c] = free;
    const b = free >> 2;
    const t = this.#tail[b] as number;
    this.#prev[c] = t;
    this.#next[c] = -1;
    if (t >= 0) this.#next[t] = c;
    else this.#head[b] = c;
    this.#tail[b] = c;
  }

  #unlink(c: number, b: number): void {
    const p = this.#prev[c] as number;
    const n = this.#next[c] as number;
    if (p >= 0) this.#next[p] = n;
    else this.#head[b] = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail[b] = p;
  }

  /**
   * ufsdirhash_enduseful: the byte offset just past the last chunk holding an entry (chunk 0,
   * with "." and "..", always does).
   */
  endUseful(): number {
    let c = this.chunkFree.length;
    while (c > 1 && this.chunkFree[c - 1] === DIRBLKSIZ) c--;
    return c * DIRBLKSIZ;
  }

  /** Forget the chunks from `nchunks` on (the directory was truncated). */
  truncate(nchunks: number): void {
    while (this.chunkFree.length > nchunks) {
      const c = this.chunkFree.length - 1;
      this.#unlink(c, (this.chunkFree[c] as number) >> 2);
      this.chunkFree.pop();
      this.#next.pop();
      this.#prev.pop();
    }
  }

  /** A chunk with at least `need` bytes of room (the oldest of the tightest fit), or -1. */
  findRoom(need: number): number {
    for (let b = (need + 3) >> 2; b < NBUCKET; b++) {
      for (let c = this.#head[b] as number; c >= 0; c = this.#next[c] as number) {
        if ((this.chunkFree[c] as number) >= need) return c;
      }
    }
    return -1;
  }
}

/** The largest free slot of the chunk at `at` in a directory buffer. */
export function chunkRoom(b: Uint8Array, dv: DataView, at: number, le: boolean, newfmt: boolean): number {
  let room = 0;
  let off = at;
  while (off < at + DIRBLKSIZ) {
    const reclen = direntReclen(dv, off, le);
    if (reclen <= 0) break;
    room = Math.max(room, reclen - (direntIno(dv, off, le) === 0 ? 0 : dirsiz(direntNamlen(b, dv, off, le, newfmt))));
    off += reclen;
  }
  return room;
}

/**
 * Why the live entry with name bytes `b[off, off+len)`, record `index` of the directory's first
 * chunk (or -1 for any later record), can never be looked up (ufs_lookup never returns one): an
 * empty name, a '/' or NUL in it, or a '.'/'..' that is not the first/second record. Null if sound.
 */
export function entryNameBad(b: Uint8Array, off: number, len: number, index: number): string | null {
  if (len === 0) return 'an empty name';
  for (let i = off; i < off + len; i++) {
    if (b[i] === 0x2f) return "a name with '/'";
    if (b[i] === 0) return 'a name with NUL';
  }
  if (b[off] === 0x2e && (len === 1 || (len === 2 && b[off + 1] === 0x2e)) && index !== len - 1) {
    return `a '${len === 1 ? '.' : '..'}' that is not record ${len - 1} of the directory`;
  }
  return null;
}

/** The dirhash of directory `ip`, built by reading every chunk if needed. */
export function dirhashOf(ip: Inode): Dirhash {
  if (ip.dirhash) return ip.dirhash;
  const h = new Dirhash();
  const size = ip.size;
  if (size % DIRBLKSIZ !== 0) throw ip.ump.corrupt(`directory inode ${ip.ino}: di_size ${size} is not a multiple of ${DIRBLKSIZ}`);
  const bsize = ip.ump.fs.bsize;
  const buf = new Uint8Array(bsize);
  const dv = new DataView(buf.buffer);
  const le = ip.ump.le;
  for (let base = 0; base < size; base += bsize) {
    const len = ffs_read(ip, buf.subarray(0, Math.min(bsize, size - base)), base);
    for (let chunk = 0; chunk < len; chunk += DIRBLKSIZ) {
      let room = 0;
      let off = chunk;
      // Record numbers count in the first chunk only ('.' and '..' belong there).
      let index = base + chunk === 0 ? 0 : -Infinity;
      while (off < chunk + DIRBLKSIZ) {
        const d = decodeDirect(buf, dv, off, le, ip.ump.dtype);
        const bad = direntBad(d, off);
        if (bad) throw ip.ump.corrupt(`directory inode ${ip.ino} corrupt at offset ${base + off}: ${bad}`);
        room = Math.max(room, d.reclen - (d.ino === 0 ? 0 : dirsiz(d.namlen)));
        if (d.ino !== 0) {
          const why = entryNameBad(buf, d.nameOff, d.namlen, index < 0 ? -1 : index);
          if (why) {
            h.skipped++;
            ip.ump.warn(`directory inode ${ip.ino}: the entry at offset ${base + off} (inode ${d.ino}) has ${why}: ignored`);
          } else {
            // Names are bytes: decodeName is one-to-one, so two entries never share a key.
            const name = decodeName(buf.subarray(d.nameOff, d.nameOff + d.namlen));
            if (!h.names.has(name)) h.names.set(name, base + off, d.ino);
          }
        }
        index++;
        off += d.reclen;
      }
      h.setFree((base + chunk) / DIRBLKSIZ, room);
    }
  }
  ip.dirhash = h;
  return h;
}
