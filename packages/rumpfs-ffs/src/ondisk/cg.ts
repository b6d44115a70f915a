/** struct cg, the cylinder group header (sys/ufs/ffs/fs.h). Only the header; the maps follow it. */
import { DiskView } from './bswap.js';

export const CG_MAGIC = 0x00090255;
/** sizeof(struct cg) including padding. */
export const SIZEOF_CG = 176;

export const CG_FIELDS = {
  magic: [4, 'i32'],
  old_time: [8, 'i32'],
  cgx: [12, 'u32'],
  ndblk: [20, 'i32'],
  cs_ndir: [24, 'i32'],
  cs_nbfree: [28, 'i32'],
  cs_nifree: [32, 'i32'],
  cs_nffree: [36, 'i32'],
  iusedoff: [92, 'i32'],
  freeoff: [96, 'i32'],
  nextfreeoff: [100, 'i32'],
  niblk: [116, 'i32'],
  initediblk: [120, 'u32'],
  time: [136, 'i64'],
} as const satisfies Record<string, readonly [number, 'i32' | 'u32' | 'i64']>;

export type Cg = { -readonly [K in keyof typeof CG_FIELDS]: number };

export function decodeCg(b: Uint8Array, le: boolean): Cg {
  const v = new DiskView(b, le);
  const out: Record<string, number> = {};
  for (const [name, [off, kind]] of Object.entries(CG_FIELDS)) {
    out[name] = kind === 'i32' ? v.i32(off) : kind === 'u32' ? v.u32(off) : v.i64(off);
  }
  return out as Cg;
}
