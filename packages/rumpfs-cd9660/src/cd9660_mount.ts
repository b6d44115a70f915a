/**
 * The per-mount state (struct iso_mnt) and every block read of this file system: logical blocks
 * come through rumpdev-disk's buffer cache (bread/brelse), large file reads straight from the
 * device, all bounds-checked against the device so a corrupt extent pointer is EIO, never a read
 * outside the medium.
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice, Mount } from '@rumpts/rumpvfs';
import { type BufCache, dbtob } from '@rumpts/rumpdev-disk';

// iso_args.flags (NetBSD sys/fs/cd9660/cd9660_mount.h; the mount_cd9660(8) options).
/** iso_args.flags (mount_cd9660 -o norrip): ignore Rock Ridge; ISO 9660 names and default attributes. */
export const ISOFSMNT_NORRIP = 0x00000001;
/** iso_args.flags (mount_cd9660 -o gens): keep the `;version` suffix of ISO 9660 names. */
export const ISOFSMNT_GENS = 0x00000002;
/** iso_args.flags (mount_cd9660 -o extatt): accepted for compatibility, no effect (extended attribute records are skipped). */
export const ISOFSMNT_EXTATT = 0x00000004;
/** iso_args.flags (mount_cd9660 -o nojoliet): ignore a Joliet tree; ISO 9660 names when there is no Rock Ridge. */
export const ISOFSMNT_NOJOLIET = 0x00000008;
/** iso_args.flags (mount_cd9660 -o nocasetrans): do not lower-case ISO 9660 names. */
export const ISOFSMNT_NOCASETRANS = 0x00000010;
/** iso_args.flags (mount_cd9660 -o rrcaseins): look Rock Ridge names up case-insensitively. */
export const ISOFSMNT_RRCASEINS = 0x00000020;

/** DEV_BSIZE: buffer cache block numbers count 512-byte units. */
const DEV_BSIZE = dbtob(1);

/** Names the lookup indexes of one mount may hold at once (a few tens of MiB at most). */
export const LOOKUP_INDEX_BUDGET = 1 << 18;

/** Reads of at least this many bytes take their whole logical blocks straight from the device. */
export const DIRECT_READ = 64 << 10;

export class IsoMount {
  constructor(
    readonly dev: BlockDevice,
    readonly cache: BufCache,
    /** Logical block size (512, 1024 or 2048). */
    readonly bsize: number,
    /** Volume space size in logical blocks. */
    readonly volumeBlocks: number,
    readonly volumeId: string,
    /** iso_args.flags. */
    readonly flags: number,
    /** The root directory's file id (its '.' record's byte address). */
    public rootKey = 0,
    /** SUSP LEN_SKP when Rock Ridge is in use, else null. */
    public rrSkip: number | null = null,
    /** The Joliet level when the Joliet tree is in use (no Rock Ridge), else 0. */
    public joliet: 0 | 1 | 2 | 3 = 0,
  ) {}

  /** Names held by the lookup indexes of this mount's directory nodes (cd9660_vnops.ts). */
  indexedNames = 0;
  /**
   * The most names those indexes may hold at once: a hostile image can give many directory records
   * one huge extent, and each would be indexed apart. Past it, lookups walk the directory.
   */
  lookupBudget = LOOKUP_INDEX_BUDGET;

  /** log2(bsize). */
  get bshift(): number {
    return Math.log2(this.bsize);
  }

  /**
   * Copy `dst.length` bytes starting at byte `off` of the device into dst. A large read (DIRECT_READ
   * bytes or more: file data streamed out) takes its whole logical blocks straight from the device in
   * one request — the medium is read-only, so no cached buffer can be newer than the disk — and only
   * its partial first and last blocks through the buffer cache; smaller reads come a logical block
   * at a time through the cache and its read-ahead.
   */
  readBytes(dst: Uint8Array, off: number): void {
    const bs = this.bsize;
    if (!Number.isSafeInteger(off) || off < 0 || off + dst.length > this.dev.size) {
      throw errno('EIO', `cd9660: read of ${dst.length} bytes at byte ${off} lies outside the device (${this.dev.size} bytes)`);
    }
    if (dst.length >= DIRECT_READ) {
      const lo = Math.ceil(off / bs) * bs;
      const hi = Math.floor((off + dst.length) / bs) * bs;
      if (hi > lo) {
        this.#cachedBytes(dst.subarray(0, lo - off), off);
        try {
          this.dev.read(dst.subarray(lo - off, hi - off), lo);
        } catch (e) {
          if (isRumpError(e)) throw e;
          throw errno('EIO', `cd9660: reading ${hi - lo} bytes at byte ${lo} failed: ${String(e)}`, { cause: e });
        }
        this.#cachedBytes(dst.subarray(hi - off), hi);
        return;
      }
    }
    this.#cachedBytes(dst, off);
  }

  /** readBytes through the buffer cache, one logical block at a time. */
  #cachedBytes(dst: Uint8Array, off: number): void {
    const bs = this.bsize;
    let done = 0;
    while (done < dst.length) {
      const pos = off + done;
      const lbn = Math.floor(pos / bs);
      const inblk = pos - lbn * bs;
      const n = Math.min(bs - inblk, dst.length - done);
      this.withBlock(lbn, (b) => dst.set(b.subarray(inblk, inblk + n), done));
      done += n;
    }
  }

  /** Run fn over logical block `lbn`'s bytes (valid only during the call), then release the buffer. */
  withBlock<T>(lbn: number, fn: (data: Uint8Array) => T): T {
    const bs = this.bsize;
    if (!Number.isSafeInteger(lbn) || lbn < 0 || (lbn + 1) * bs > this.dev.size) {
      throw errno('EIO', `cd9660: logical block ${lbn} lies outside the device (${this.dev.size} bytes)`);
    }
    let bp;
    try {
      bp = this.cache.bread(this.dev, lbn * (bs / DEV_BSIZE), bs);
    } catch (e) {
      if (isRumpError(e)) throw e;
      throw errno('EIO', `cd9660: reading block ${lbn} failed: ${String(e)}`, { cause: e });
    }
    try {
      return fn(bp.data);
    } finally {
      this.cache.brelse(bp);
    }
  }
}

/** VFSTOISOFS: the iso_mnt of a mounted cd9660. */
export function VFSTOISOFS(mp: Mount): IsoMount {
  const imp = mp.data;
  if (!(imp instanceof IsoMount)) throw errno('EINVAL', 'cd9660: not a cd9660 mount');
  return imp;
}
