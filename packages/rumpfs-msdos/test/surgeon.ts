/**
 * Raw surgery on a FAT image file for fault-injection tests: find a file's directory entry by path,
 * read and change FAT entries in one copy or all, rewrite entries and sectors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ATTR_DIRECTORY, ATTR_VOLUME, ATTR_WIN95, DIRENT_SIZE, type DirEntry, SLOT_DELETED, SLOT_EMPTY, decodeBootSector, decodeDirEntry, encodeDirEntry, fatEntryOffset,
  fatGeometry, type FatGeometry, cntosec,
} from '../src/ondisk/index.js';
import { LfnAssembler } from '../src/dir.js';
import { dos2unixfn } from '../src/conv.js';

export class Surgeon {
  readonly b: Buffer;
  readonly g: FatGeometry;

  /** The image file at `path`, or (for in-memory surgery) the bytes given. */
  constructor(readonly path: string, bytes?: Buffer) {
    this.b = bytes ?? readFileSync(path);
    this.g = fatGeometry(decodeBootSector(this.b.subarray(0, 512)), this.b.length);
  }

  save(): void {
    writeFileSync(this.path, this.b);
  }

  fatGet(cn: number, copy = 0): number {
    const g = this.g;
    const o = (g.resSectors + copy * g.fatSecs) * g.bps + fatEntryOffset(g, cn);
    if (g.fatType === 32) return this.b.readUInt32LE(o) & 0x0fffffff;
    if (g.fatType === 16) return this.b.readUInt16LE(o);
    const w = this.b.readUInt16LE(o);
    return (cn & 1) !== 0 ? w >> 4 : w & 0xfff;
  }

  /** Set an entry in one copy, or in every copy (`copy` undefined). */
  fatSet(cn: number, v: number, copy?: number): void {
    const g = this.g;
    for (let c = 0; c < g.nfats; c++) {
      if (copy !== undefined && c !== copy) continue;
      const o = (g.resSectors + c * g.fatSecs) * g.bps + fatEntryOffset(g, cn);
      if (g.fatType === 32) this.b.writeUInt32LE(((this.b.readUInt32LE(o) & 0xf0000000) | v) >>> 0, o);
      else if (g.fatType === 16) this.b.writeUInt16LE(v, o);
      else {
        const w = this.b.readUInt16LE(o);
        this.b.writeUInt16LE((cn & 1) !== 0 ? (w & 0xf) | (v << 4) : (w & 0xf000) | v, o);
      }
    }
  }

  chain(start: number): number[] {
    const out: number[] = [];
    for (let c = start; c >= 2 && c <= this.g.maxcluster && out.length <= this.g.nclusters; c = this.fatGet(c)) out.push(c);
    return out;
  }

  /** First free cluster (FAT entry 0) from `from`. */
  freeCluster(from = 2): number {
    for (let c = from; c <= this.g.maxcluster; c++) if (this.fatGet(c) === 0) return c;
    throw new Error('no free cluster');
  }

  clusterByte(cn: number): number {
    return cntosec(this.g, cn) * this.g.bps;
  }

  /** Byte offsets of every slot of a directory (0 = the root). */
  dirSlots(cluster: number): number[] {
    const g = this.g;
    const out: number[] = [];
    if (cluster === 0 && g.fatType !== 32) {
      for (let i = 0; i < g.rootDirEnts; i++) out.push(g.rootStart * g.bps + i * DIRENT_SIZE);
      return out;
    }
    for (const cn of this.chain(cluster === 0 ? g.rootCluster : cluster)) for (let i = 0; i < g.bpc; i += DIRENT_SIZE) out.push(this.clusterByte(cn) + i);
    return out;
  }

  /** The entry of `path` ("/a/b.txt"): its byte offset, decoded entry, and long-name slot offsets. */
  find(path: string): { at: number; e: DirEntry; lfn: number[] } {
    let cluster = 0;
    const parts = path.split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!.toLowerCase();
      const lfn = new LfnAssembler();
      let slots: number[] = [];
      let hit: { at: number; e: DirEntry; lfn: number[] } | null = null;
      for (const at of this.dirSlots(cluster)) {
        const n0 = this.b[at]!;
        if (n0 === SLOT_EMPTY) break;
        if (n0 === SLOT_DELETED) {
          lfn.reset();
          slots = [];
          continue;
        }
        const attr = this.b[at + 11]!;
        if (attr === ATTR_WIN95) {
          lfn.feed(this.b, at);
          slots.push(at);
          continue;
        }
        if ((attr & ATTR_VOLUME) !== 0) continue;
        const e = decodeDirEntry(this.b, at, this.g.fatType === 32);
        const long = lfn.finish(e.name);
        const name = long ?? dos2unixfn(e.name, e.lowerCase);
        if (name.toLowerCase() === want) {
          hit = { at, e, lfn: slots };
          break;
        }
        slots = [];
      }
      if (!hit) throw new Error(`surgeon: ${path} not found`);
      if (i === parts.length - 1) return hit;
      if ((hit.e.attributes & ATTR_DIRECTORY) === 0) throw new Error(`surgeon: ${parts[i]} is not a directory`);
      cluster = hit.e.startCluster;
    }
    throw new Error('surgeon: empty path');
  }

  writeEntry(at: number, e: DirEntry): void {
    encodeDirEntry(e, this.b, at, this.g.fatType === 32);
  }
}
