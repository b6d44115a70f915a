/**
 * WAPBL writer test plumbing: images made by our newfs (optionally smaller than the device, leaving
 * room for an end-of-partition log), a tree walk through system calls (path → type, size, content
 * hash, link target) to compare states, and the on-disk journal fields and headers of an image.
 */
import { closeSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { type Kernel, O_RDONLY, S_IFMT } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs } from '../src/index.js';
import { type JournalLoc, type WapblHeader, currentHeader, decodeHeader, decodeJournalLoc, journalExtent } from '../src/wapbl/wapbl_log.js';

export interface NewfsImage {
  version: 1 | 2;
  endian: 'le' | 'be';
  /** Device bytes. */
  dev: number;
  /** File-system bytes (default: the whole device). */
  fs?: number;
  bsize?: number;
  fsize?: number;
}

export function newfsImage(path: string, o: NewfsImage): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, o.dev);
  closeSync(fd);
  const dev = new HostFileBlockDevice(path);
  try {
    newfs(dev, { version: o.version, endian: o.endian, size: o.fs ?? o.dev, bsize: o.bsize ?? 8192, fsize: o.fsize ?? 1024, density: 8192 });
  } finally {
    dev.close();
  }
}

const TYPE: Record<number, string> = { 0o100000: 'f', 0o040000: 'd', 0o120000: 'l', 0o010000: 'p', 0o020000: 'c', 0o060000: 'b' };

/** Every path under `root` (a mount point) → "type size hash-or-target"; throws on any inconsistency the VFS sees. */
export function walkTree(k: Kernel, root = '/mnt'): Map<string, string> {
  const p = k.proc;
  const out = new Map<string, string>();
  const visit = (path: string, depth: number): void => {
    if (depth > 64) throw new Error(`tree deeper than 64 at ${path}`);
    const abs = path === '' ? root : `${root}${path}`;
    const st = p.lstat(abs);
    const type = TYPE[st.mode & S_IFMT] ?? '?';
    let extra = '';
    if (type === 'f') {
      const fd = p.open(abs, O_RDONLY);
      const h = createHash('sha256');
      const buf = new Uint8Array(65536);
      for (let n; (n = p.read(fd, buf)) > 0; ) h.update(buf.subarray(0, n));
      p.close(fd);
      extra = h.digest('hex').slice(0, 16);
    } else if (type === 'l') {
      extra = p.readlink(abs);
    }
    out.set(path || '/', `${type} ${type === 'd' ? '' : st.size} ${extra}`);
    if (type !== 'd') return;
    const fd = p.open(abs, O_RDONLY);
    const names: string[] = [];
    for (let ents; (ents = p.getdents(fd, 4096)).length > 0; ) for (const d of ents) if (d.name !== '.' && d.name !== '..') names.push(d.name);
    p.close(fd);
    for (const n of names) visit(`${path}/${n}`, depth + 1);
  };
  visit('', 0);
  return out;
}

export interface SbState {
  flags: number;
  clean: number;
  journal: JournalLoc;
  header: WapblHeader | null;
}

/** The superblock's flags, clean byte, journal fields and the current log header of an image file. */
export function sbState(path: string, sbloc: number): SbState {
  const img = readFileSync(path);
  const sb = new Uint8Array(img.buffer, img.byteOffset + sbloc, 8192);
  const magic = new DataView(sb.buffer, sb.byteOffset).getUint32(1372, true);
  const le = magic === 0x00011954 || magic === 0x19540119;
  const dv = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  const journal = decodeJournalLoc(sb);
  let header: WapblHeader | null = null;
  if (journal.version === 1) {
    const ext = journalExtent(journal, img.length);
    const b = (i: number): Uint8Array => new Uint8Array(img.buffer, img.byteOffset + ext.offset + i * ext.blksize, ext.blksize);
    header = currentHeader(decodeHeader(b(0)), decodeHeader(b(1)), ext.length);
  }
  return { flags: dv.getUint32(1312, le), clean: dv.getUint8(209), journal, header };
}
