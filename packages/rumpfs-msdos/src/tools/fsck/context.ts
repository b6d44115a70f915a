/**
 * fsck_msdos's state (sbin/fsck_msdos/ext.h): the device, the geometry, the active FAT in memory
 * (one decoded entry per cluster), which chain owns each cluster, the problems found, and the
 * sectors to write back when repairing.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { type FatConsts, type FatGeometry, FAT_CONSTS, fatEntryOffset } from '../../ondisk/geometry.js';

/**
 * The kinds of inconsistency fsck_msdos reports: boot sector, FSInfo, FAT copies and media byte, chains,
 * cross-links, lost clusters, sizes, directory entries, long names, dot entries, the clean bit.
 */
export type ProblemKind =
  | 'boot'
  | 'fsinfo'
  | 'fat-copies'
  | 'fat-media'
  | 'fat-chain'
  | 'cross-link'
  | 'lost-clusters'
  | 'size'
  | 'dir-entry'
  | 'long-name'
  | 'dot-entries'
  | 'clean';

/** One inconsistency found: its kind (a stable name), fsck_msdos's message, and whether it was fixed. */
export interface Problem {
  /** What kind of inconsistency. */
  kind: ProblemKind;
  /** fsck_msdos's wording of the finding (one line). */
  message: string;
  /** The fix was made (only with repair). */
  repaired: boolean;
}

/** How fsck_msdos runs: -y (repair) or -n (report only), and where its lines go. */
export interface FsckMsdosOptions {
  /** -y: repair what is found (the device must be writable); default -n: only report. */
  repair?: boolean;
  /** Progress and problem lines, as fsck_msdos prints them. */
  log?: (line: string) => void;
}

/** The owner mark of a cluster reached by no chain yet. */
export const UNOWNED = 0;

export class FsckContext {
  readonly fc: FatConsts;
  /** The active FAT, decoded: fat[cn] for cn in 0..maxcluster. */
  fat: Uint32Array;
  /** Which chain claimed each cluster (a positive id per file or directory), UNOWNED if none. */
  owner: Int32Array;
  readonly problems: Problem[] = [];
  /** The FAT was changed in memory and must be written to every copy. */
  fatDirty = false;
  /** Directory clusters (or root sectors) changed in memory: device byte offset → bytes. */
  readonly dirty = new Map<number, Uint8Array>();
  #nextOwner = 1;

  constructor(
    readonly dev: BlockDevice,
    readonly g: FatGeometry,
    readonly opts: FsckMsdosOptions,
  ) {
    this.fc = FAT_CONSTS[g.fatType];
    this.fat = new Uint32Array(g.maxcluster + 1);
    this.owner = new Int32Array(g.maxcluster + 1);
  }

  get repair(): boolean {
    return this.opts.repair === true;
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  /** Record a problem; returns whether to fix it (repair mode). */
  problem(kind: ProblemKind, message: string): boolean {
    this.problems.push({ kind, message, repaired: this.repair });
    this.log(`${message}${this.repair ? ' (fixed)' : ''}`);
    return this.repair;
  }

  newOwner(): number {
    return this.#nextOwner++;
  }

  validCluster(cn: number): boolean {
    return cn >= 2 && cn <= this.g.maxcluster;
  }

  read(bytes: number, at: number): Uint8Array {
    if (at + bytes > this.dev.size) throw errno('EIO', `fsck_msdos: read of ${bytes} bytes at ${at} is past the end of the device`);
    const b = new Uint8Array(bytes);
    this.dev.read(b, at);
    return b;
  }

  write(b: Uint8Array, at: number): void {
    this.dev.write(b, at);
  }

  /** Decode FAT copy `copy` into a new array. */
  readFat(copy: number): { entries: Uint32Array; raw: Uint8Array } {
    const g = this.g;
    const raw = this.read(g.fatUsedBytes, (g.resSectors + copy * g.fatSecs) * g.bps);
    const entries = new Uint32Array(g.maxcluster + 1);
    const v = new DataView(raw.buffer);
    for (let cn = 0; cn <= g.maxcluster; cn++) {
      const o = fatEntryOffset(g, cn);
      if (g.fatType === 32) entries[cn] = v.getUint32(o, true) & 0x0fffffff;
      else if (g.fatType === 16) entries[cn] = v.getUint16(o, true);
      else {
        const w = v.getUint16(o, true);
        entries[cn] = (cn & 1) !== 0 ? w >>> 4 : w & 0xfff;
      }
    }
    return { entries, raw };
  }

  /** Encode the in-memory FAT over `raw` (a copy's bytes), keeping FAT32's reserved top bits. */
  encodeFat(raw: Uint8Array): void {
    const g = this.g;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let cn = 0; cn <= g.maxcluster; cn++) {
      const o = fatEntryOffset(g, cn);
      const x = this.fat[cn]!;
      if (g.fatType === 32) v.setUint32(o, ((v.getUint32(o, true) & 0xf0000000) | (x & 0x0fffffff)) >>> 0, true);
      else if (g.fatType === 16) v.setUint16(o, x, true);
      else {
        const w = v.getUint16(o, true);
        v.setUint16(o, (cn & 1) !== 0 ? (w & 0x000f) | (x << 4) : (w & 0xf000) | (x & 0xfff), true);
      }
    }
  }

  /** Does FAT value `v` end a chain? */
  isEof(v: number): boolean {
    return v >= this.fc.eof;
  }

  setFat(cn: number, v: number): void {
    this.fat[cn] = v;
    this.fatDirty = true;
  }
}
