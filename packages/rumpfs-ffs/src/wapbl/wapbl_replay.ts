/**
 * Replaying a WAPBL log (wapbl_replay_*): to the device for a read-write mount (NetBSD: "replaying log
 * to disk"), or as an in-memory overlay for a read-only one ("replaying log to memory") — reads of a
 * logged block then see the logged copy, and the device is never written.
 */
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { decodeJournalLoc, journalExtent, planReplay, type ReplayPlan } from './wapbl_log.js';

/** Read and plan the log that the superblock `sb` (its raw bytes) points to. */
export function wapbl_plan(dev: BlockDevice, sb: Uint8Array): ReplayPlan {
  const ext = journalExtent(decodeJournalLoc(sb), dev.size);
  const ss = dev.secsize;
  const readLog = (off: number, len: number): Uint8Array => {
    if (off < 0 || off + len > ext.length) throw errno('EFTYPE', `wapbl: log read [${off}, ${off + len}) outside the ${ext.length}-byte log`);
    const start = ext.offset + off;
    const a = Math.floor(start / ss) * ss;
    const b = Math.ceil((start + len) / ss) * ss;
    const buf = new Uint8Array(b - a);
    dev.read(buf, a);
    return buf.subarray(start - a, start - a + len);
  };
  const plan = planReplay(readLog, ext.length);
  for (const blk of plan.blocks.values()) {
    if (blk.addr + blk.len > dev.size || blk.addr % ss !== 0 || blk.len % ss !== 0) {
      throw errno('EFTYPE', `wapbl: logged block [${blk.addr}, ${blk.addr + blk.len}) is not a whole run of device sectors`);
    }
    if (blk.addr < ext.offset + ext.length && ext.offset < blk.addr + blk.len) throw errno('EFTYPE', `wapbl: logged block at ${blk.addr} overlaps the log itself`);
  }
  return plan;
}

/** Write every logged block to the device (the caller then clears FS_DOWAPBL and marks the fs clean). */
export function wapbl_replay_write(dev: BlockDevice, plan: ReplayPlan): number {
  if (dev.readonly) throw errno('EROFS', 'wapbl: cannot replay the log to a read-only device');
  let n = 0;
  for (const blk of [...plan.blocks.values()].sort((a, b) => a.addr - b.addr)) {
    dev.write(plan.read(blk), blk.addr);
    n++;
  }
  dev.flush();
  return n;
}

/**
 * A read-only view of a device with the log applied in memory: reads covering logged blocks return
 * the logged bytes. Writes are refused.
 */
export class ReplayOverlayDevice implements BlockDevice {
  readonly secsize: number;
  readonly size: number;
  readonly readonly = true;
  readonly #blocks: { addr: number; end: number; data: Uint8Array }[];

  constructor(
    readonly dev: BlockDevice,
    plan: ReplayPlan,
  ) {
    this.secsize = dev.secsize;
    this.size = dev.size;
    this.#blocks = [...plan.blocks.values()].map((b) => ({ addr: b.addr, end: b.addr + b.len, data: plan.read(b) })).sort((a, b) => a.addr - b.addr);
  }

  read(buf: Uint8Array, offset: number): void {
    this.dev.read(buf, offset);
    const end = offset + buf.length;
    for (const b of this.#blocks) {
      if (b.addr >= end) break;
      if (b.end <= offset) continue;
      const from = Math.max(b.addr, offset);
      const to = Math.min(b.end, end);
      buf.set(b.data.subarray(from - b.addr, to - b.addr), from - offset);
    }
  }

  write(): void {
    throw errno('EROFS', 'read-only mount with a replayed log in memory');
  }

  flush(): void {}
}
