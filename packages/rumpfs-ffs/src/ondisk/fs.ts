/**
 * struct fs, the superblock (sys/ufs/ffs/fs.h): one field table, one decoder. The layout is the same
 * for UFS1 and UFS2; UFS1 volumes written before FS_FLAGS_UPDATED keep time/size/dsize/csaddr/cstotal
 * in the old 32-bit fields, which `decodeFs` folds into the 64-bit ones as ffs_oldfscompat_read does.
 */
import { DiskView } from './bswap.js';

export const SBLOCKSIZE = 8192;
/** sizeof(struct fs). */
export const SIZEOF_FS = 1376;
/** SBLOCKSEARCH: where NetBSD looks for a superblock, in order. */
export const SBLOCK_UFS2 = 65536;
export const SBLOCK_UFS1 = 8192;
export const SBLOCK_FLOPPY = 0;
export const SBLOCK_PIGGY = 262144;
export const SBLOCKSEARCH: readonly number[] = [SBLOCK_UFS2, SBLOCK_UFS1, SBLOCK_FLOPPY, SBLOCK_PIGGY];

export const FS_UFS1_MAGIC = 0x00011954;
export const FS_UFS2_MAGIC = 0x19540119;
export const FS_UFS1_MAGIC_SWAPPED = 0x54190100;
export const FS_UFS2_MAGIC_SWAPPED = 0x19015419;

/** fs_old_flags / fs_flags bits. */
export const FS_UNCLEAN = 0x1;
export const FS_DOSOFTDEP = 0x2;
export const FS_NEEDSFSCK = 0x4;
export const FS_FLAGS_UPDATED = 0x80;
export const FS_DOWAPBL = 0x100;
export const FS_DOQUOTA2 = 0x200;
/** The fs_flags bits this kernel knows (ffs_mountfs: anything else refuses the mount). */
export const FS_KNOWN_FLAGS = FS_DOSOFTDEP | FS_DOWAPBL | FS_DOQUOTA2;

/** fs_old_inodefmt. */
export const FS_42INODEFMT = -1;
export const FS_44INODEFMT = 2;

/** FS_MAXCONTIG: the cluster summary (fs_contigsumsize) tracks free runs up to this many blocks. */
export const FS_MAXCONTIG = 16;

/** fs_clean bits. */
export const FS_ISCLEAN = 0x1;
export const FS_WASCLEAN = 0x2;

type Kind = 'i8' | 'u8' | 'i32' | 'u32' | 'i64' | 'u64';

/** Byte offsets of the superblock fields this package reads (REFERENCE §5.2). */
export const FS_FIELDS = {
  sblkno: [8, 'i32'],
  cblkno: [12, 'i32'],
  iblkno: [16, 'i32'],
  dblkno: [20, 'i32'],
  old_cgoffset: [24, 'i32'],
  old_cgmask: [28, 'i32'],
  old_time: [32, 'i32'],
  old_size: [36, 'i32'],
  old_dsize: [40, 'i32'],
  ncg: [44, 'u32'],
  bsize: [48, 'i32'],
  fsize: [52, 'i32'],
  frag: [56, 'i32'],
  minfree: [60, 'i32'],
  bmask: [72, 'i32'],
  fmask: [76, 'i32'],
  bshift: [80, 'i32'],
  fshift: [84, 'i32'],
  maxcontig: [88, 'i32'],
  maxbpg: [92, 'i32'],
  fragshift: [96, 'i32'],
  fsbtodb: [100, 'i32'],
  sbsize: [104, 'i32'],
  nindir: [116, 'i32'],
  inopb: [120, 'u32'],
  optim: [128, 'i32'],
  id0: [144, 'i32'],
  id1: [148, 'i32'],
  old_csaddr: [152, 'i32'],
  cssize: [156, 'i32'],
  cgsize: [160, 'i32'],
  ipg: [184, 'u32'],
  fpg: [188, 'i32'],
  old_cs_ndir: [192, 'i32'],
  old_cs_nbfree: [196, 'i32'],
  old_cs_nifree: [200, 'i32'],
  old_cs_nffree: [204, 'i32'],
  fmod: [208, 'i8'],
  clean: [209, 'u8'],
  ronly: [210, 'i8'],
  old_flags: [211, 'u8'],
  maxbsize: [860, 'i32'],
  journal_version: [864, 'u8'],
  journal_location: [865, 'u8'],
  sblockloc: [1000, 'i64'],
  cs_ndir: [1008, 'i64'],
  cs_nbfree: [1016, 'i64'],
  cs_nifree: [1024, 'i64'],
  cs_nffree: [1032, 'i64'],
  time: [1072, 'i64'],
  size: [1080, 'i64'],
  dsize: [1088, 'i64'],
  csaddr: [1096, 'i64'],
  pendingblocks: [1104, 'i64'],
  pendinginodes: [1112, 'u32'],
  flags: [1312, 'u32'],
  contigsumsize: [1316, 'i32'],
  maxsymlinklen: [1320, 'i32'],
  old_inodefmt: [1324, 'i32'],
  maxfilesize: [1328, 'u64'],
  qbmask: [1336, 'i64'],
  qfmask: [1344, 'i64'],
  state: [1352, 'i32'],
  magic: [1372, 'u32'],
} as const satisfies Record<string, readonly [number, Kind]>;

export type FsField = keyof typeof FS_FIELDS;

/** fsmnt[468] at 212 and volname[32] at 680 (NUL-terminated strings). */
const FSMNT_OFF = 212;
const FSMNT_LEN = 468;
const VOLNAME_OFF = 680;
const VOLNAME_LEN = 32;

/** The decoded superblock: every field of FS_FIELDS plus the derived UFS flavour. */
export type Fs = { -readonly [K in FsField]: number } & {
  /** 1 or 2. */
  ufsVersion: 1 | 2;
  /** Volume byte order: true = little-endian. */
  le: boolean;
  fsmnt: string;
  volname: string;
};

function readKind(v: DiskView, off: number, kind: Kind): number {
  switch (kind) {
    case 'i8':
      return v.i8(off);
    case 'u8':
      return v.u8(off);
    case 'i32':
      return v.i32(off);
    case 'u32':
      return v.u32(off);
    case 'i64':
      return v.i64(off);
    case 'u64':
      return v.u64(off);
  }
}

function cstr(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return new TextDecoder('utf-8', { fatal: false }).decode(nul < 0 ? s : s.subarray(0, nul));
}

/**
 * The byte order and UFS version the magic at 1372 implies, or null if it is no FFS magic.
 * The magic is read little-endian; the swapped constants then mean a big-endian volume.
 */
export function probeMagic(sb: Uint8Array): { le: boolean; ufsVersion: 1 | 2 } | null {
  if (sb.byteLength < SIZEOF_FS) return null;
  const m = new DataView(sb.buffer, sb.byteOffset, sb.byteLength).getUint32(FS_FIELDS.magic[0], true);
  switch (m) {
    case FS_UFS1_MAGIC:
      return { le: true, ufsVersion: 1 };
    case FS_UFS2_MAGIC:
      return { le: true, ufsVersion: 2 };
    case FS_UFS1_MAGIC_SWAPPED:
      return { le: false, ufsVersion: 1 };
    case FS_UFS2_MAGIC_SWAPPED:
      return { le: false, ufsVersion: 2 };
    default:
      return null;
  }
}

/**
 * Decode a superblock (at least SIZEOF_FS bytes) in the given byte order. No validation here:
 * see validateFs. For UFS1 without FS_FLAGS_UPDATED the 64-bit fields are filled from the old ones
 * and sblockloc is set to `probeLoc` (ffs_oldfscompat_read).
 */
export function decodeFs(sb: Uint8Array, le: boolean, ufsVersion: 1 | 2, probeLoc: number): Fs {
  const v = new DiskView(sb, le);
  const out: Record<string, number | string | boolean> = {};
  for (const [name, [off, kind]] of Object.entries(FS_FIELDS)) out[name] = readKind(v, off, kind);
  const fs = out as unknown as Fs;
  fs.ufsVersion = ufsVersion;
  fs.le = le;
  fs.fsmnt = cstr(sb, FSMNT_OFF, FSMNT_LEN);
  fs.volname = cstr(sb, VOLNAME_OFF, VOLNAME_LEN);
  if (ufsVersion === 1 && (fs.old_flags & FS_FLAGS_UPDATED) === 0) {
    fs.time = fs.old_time;
    fs.size = fs.old_size;
    fs.dsize = fs.old_dsize;
    fs.csaddr = fs.old_csaddr;
    fs.cs_ndir = fs.old_cs_ndir;
    fs.cs_nbfree = fs.old_cs_nbfree;
    fs.cs_nifree = fs.old_cs_nifree;
    fs.cs_nffree = fs.old_cs_nffree;
    fs.sblockloc = probeLoc;
    fs.flags = fs.old_flags;
    fs.pendingblocks = 0;
    fs.pendinginodes = 0;
  }
  return fs;
}

function writeKind(v: DiskView, off: number, kind: Kind, val: number): void {
  switch (kind) {
    case 'i8':
    case 'u8':
      v.setU8(off, val);
      return;
    case 'i32':
      v.setI32(off, val);
      return;
    case 'u32':
      v.setU32(off, val);
      return;
    case 'i64':
    case 'u64':
      v.setI64(off, Number.isSafeInteger(val) ? val : 0);
      return;
  }
}

function putCstr(b: Uint8Array, off: number, len: number, s: string): void {
  b.fill(0, off, off + len);
  const enc = new TextEncoder().encode(s).subarray(0, len - 1);
  b.set(enc, off);
}

/**
 * Encode `fs` into the superblock bytes `sb` (fields this package does not model are left as they
 * are). UFS1 also keeps the old 32-bit copies current (ffs_oldfscompat_write): time and cstotal
 * always, size/dsize/csaddr/flags on volumes without FS_FLAGS_UPDATED.
 */
export function encodeFs(fs: Fs, sb: Uint8Array): void {
  const v = new DiskView(sb, fs.le);
  if (fs.ufsVersion === 1) {
    fs.old_time = fs.time;
    fs.old_cs_ndir = fs.cs_ndir;
    fs.old_cs_nbfree = fs.cs_nbfree;
    fs.old_cs_nifree = fs.cs_nifree;
    fs.old_cs_nffree = fs.cs_nffree;
    if ((fs.old_flags & FS_FLAGS_UPDATED) === 0) {
      fs.old_size = fs.size;
      fs.old_dsize = fs.dsize;
      fs.old_csaddr = fs.csaddr;
      fs.old_flags = fs.flags & 0xff;
    }
  }
  const updated = fs.ufsVersion === 2 || (fs.old_flags & FS_FLAGS_UPDATED) !== 0;
  for (const [name, [off, kind]] of Object.entries(FS_FIELDS)) {
    // An old-layout UFS1 superblock has no 64-bit area: leave those bytes as found.
    if (!updated && off >= 1000 && off < 1312 + 4) continue;
    writeKind(v, off, kind, fs[name as FsField]);
  }
  putCstr(sb, FSMNT_OFF, FSMNT_LEN, fs.fsmnt);
  putCstr(sb, VOLNAME_OFF, VOLNAME_LEN, fs.volname);
}
