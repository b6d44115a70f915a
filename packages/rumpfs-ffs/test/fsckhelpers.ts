/**
 * fsck test plumbing: run our fsck on an image file (-n on a read-only device, -y read-write),
 * and edit on-disk structures of an unmounted image in place to inject faults — through the
 * package's own codecs, so every byte order is covered.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { type FsckResult, Ufsmount, ffs_dirlookup, ffs_iget, fsck, ondisk } from '../src/index.js';

export function runFsck(img: string, repair: boolean): FsckResult {
  const dev = new HostFileBlockDevice(img, { readonly: !repair });
  try {
    return fsck(dev, { repair });
  } finally {
    dev.close();
  }
}

export function fileHash(img: string): string {
  return createHash('sha256').update(readFileSync(img)).digest('hex');
}

/** A read-only view of an unmounted image for finding inodes and blocks. */
export class ImageEditor {
  readonly ump: Ufsmount;
  readonly #dev: HostFileBlockDevice;
  constructor(readonly img: string) {
    this.#dev = new HostFileBlockDevice(img, { readonly: true });
    this.ump = Ufsmount.open(this.#dev);
  }
  close(): void {
    this.#dev.close();
  }
  get fs(): ondisk.Fs {
    return this.ump.fs;
  }
  /** The inode number of an absolute path. */
  lookup(path: string): number {
    let ino = ondisk.UFS_ROOTINO;
    for (const part of path.split('/').filter(Boolean)) {
      ino = ffs_dirlookup(ffs_iget(this.ump, ino), part);
      if (ino === 0) throw new Error(`no ${path}`);
    }
    return ino;
  }
  #rw(off: number, len: number, fn: (b: Uint8Array) => void): void {
    const fd = openSync(this.img, 'r+');
    try {
      const b = new Uint8Array(len);
      readSync(fd, b, 0, len, off);
      fn(b);
      writeSync(fd, b, 0, len, off);
    } finally {
      closeSync(fd);
    }
  }
  /** Byte offset of inode `ino`. */
  inodeOff(ino: number): number {
    const fs = this.fs;
    return ondisk.fsbtob(fs, ondisk.ino_to_fsba(fs, ino)) + ondisk.ino_to_fsbo(fs, ino) * ondisk.dinodeSize(fs);
  }
  dinode(ino: number): ondisk.Dinode {
    const fs = this.fs;
    const b = readFileSync(this.img).subarray(this.inodeOff(ino), this.inodeOff(ino) + ondisk.dinodeSize(fs));
    return fs.ufsVersion === 2 ? ondisk.decodeDinode2(b, fs.le) : ondisk.decodeDinode1(b, fs.le, false);
  }
  /** Change inode `ino` (block pointers written from db/ib). */
  patchInode(ino: number, fn: (d: ondisk.Dinode) => void): void {
    const fs = this.fs;
    this.#rw(this.inodeOff(ino), ondisk.dinodeSize(fs), (b) => {
      const d = fs.ufsVersion === 2 ? ondisk.decodeDinode2(b, fs.le) : ondisk.decodeDinode1(b, fs.le, false);
      fn(d);
      if (fs.ufsVersion === 2) ondisk.encodeDinode2(d, b, fs.le, false);
      else ondisk.encodeDinode1(d, b, fs.le, false, false);
    });
  }
  /** Change cylinder group `c`'s block. */
  patchCg(c: number, fn: (cgp: ondisk.CgView) => void): void {
    const fs = this.fs;
    this.#rw(ondisk.fsbtob(fs, ondisk.cgtod(fs, c)), ondisk.fragroundup(fs, fs.cgsize), (b) => fn(new ondisk.CgView(b, fs.le)));
  }
  /** Change the first 512-byte chunk of directory `dirIno`'s first block. */
  patchDirChunk(dirIno: number, fn: (b: Uint8Array, dv: DataView) => void): void {
    const d = this.dinode(dirIno);
    this.#rw(ondisk.fsbtob(this.fs, d.db[0]!), ondisk.DIRBLKSIZ, (b) => fn(b, new DataView(b.buffer)));
  }
  /** Walk the records of a chunk: [offset, ino, reclen, name]. */
  records(b: Uint8Array, dv: DataView): { off: number; ino: number; reclen: number; name: string }[] {
    const out: { off: number; ino: number; reclen: number; name: string }[] = [];
    for (let off = 0; off < ondisk.DIRBLKSIZ; ) {
      const e = ondisk.decodeDirect(b, dv, off, this.fs.le, true);
      if (e.reclen === 0) break;
      out.push({ off, ino: e.ino, reclen: e.reclen, name: Buffer.from(b.subarray(e.nameOff, e.nameOff + e.namlen)).toString() });
      off += e.reclen;
    }
    return out;
  }
}
