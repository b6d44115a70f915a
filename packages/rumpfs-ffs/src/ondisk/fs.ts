/**
 * struct fs, the superblock (sys/ufs/ffs/fs.h): one field table, one decoder. The layout is the same
 * for UFS1 and UFS2; UFS1 volumes written before FS_FLAGS_UPDATED keep time/size/dsize/csaddr/cstotal
 * in the old 32-bit fields, which `decodeFs` folds into the 64-bit ones as ffs_oldfscompat_read does.
 */
import { DiskView } from './bswap.js';

/**
 * SBLOCKSIZE: the bytes reserved for (and read as) a superblock at each location; only SIZEOF_FS of them are
 * struct fs.
 */
export const SBLOCKSIZE = 8192;
/** sizeof(struct fs). */
export const SIZEOF_FS = 1376;
/**
 * SBLOCK_UFS2: the superblock offset newfs(8) uses for UFS2, 64 KiB in to leave room for a disk label and a
 * larger bootstrap.
 */
export const SBLOCK_UFS2 = 65536;
/** SBLOCK_UFS1: the superblock offset of UFS1, after the 8 KiB boot block area (BBSIZE). */
export const SBLOCK_UFS1 = 8192;
/** SBLOCK_FLOPPY: a superblock at byte 0, for media with no boot area. */
export const SBLOCK_FLOPPY = 0;
/** SBLOCK_PIGGY: 256 KiB, the last place tried, for systems with very large bootstraps. */
export const SBLOCK_PIGGY = 262144;
/** SBLOCKSEARCH: the superblock offsets ffs_sbread probes, in NetBSD's order (UFS2 first). */
export const SBLOCKSEARCH: readonly number[] = [SBLOCK_UFS2, SBLOCK_UFS1, SBLOCK_FLOPPY, SBLOCK_PIGGY];

/** FS_UFS1_MAGIC: fs_magic of a UFS1 volume in host (little-endian) byte order. */
export const FS_UFS1_MAGIC = 0x00011954;
/** FS_UFS2_MAGIC: fs_magic of a UFS2 volume in host (little-endian) byte order. */
export const FS_UFS2_MAGIC = 0x19540119;
/** FS_UFS1_MAGIC byte-swapped: what a big-endian UFS1 volume's magic reads as little-endian (FFS_EI). */
export const FS_UFS1_MAGIC_SWAPPED = 0x54190100;
/** FS_UFS2_MAGIC byte-swapped: what a big-endian UFS2 volume's magic reads as little-endian (FFS_EI). */
export const FS_UFS2_MAGIC_SWAPPED = 0x19015419;

/** FS_UNCLEAN (fs_flags): the file system was not unmounted cleanly; run fsck_ffs(8). */
export const FS_UNCLEAN = 0x1;
/** FS_DOSOFTDEP (fs_flags): soft dependencies were in use; a known flag, so the volume mounts without them. */
export const FS_DOSOFTDEP = 0x2;
/** FS_NEEDSFSCK (fs_flags): an inconsistency was seen; a full fsck_ffs(8) is required. */
export const FS_NEEDSFSCK = 0x4;
/**
 * FS_FLAGS_UPDATED (fs_old_flags): the superblock uses the 4.4 layout, with the 64-bit fields and fs_flags
 * valid; a UFS1 volume without it keeps its sizes in the old 32-bit fields.
 */
export const FS_FLAGS_UPDATED = 0x80;
/** FS_DOWAPBL (fs_flags): a WAPBL journal is active; a mount that finds it set replays the log first. */
export const FS_DOWAPBL = 0x100;
/** FS_DOQUOTA2 (fs_flags): quotas are kept in the file system (quota2), not in quota files. */
export const FS_DOQUOTA2 = 0x200;
/** The fs_flags bits this kernel knows (ffs_mountfs: anything else refuses the mount). */
export const FS_KNOWN_FLAGS = FS_DOSOFTDEP | FS_DOWAPBL | FS_DOQUOTA2;

/**
 * FS_42INODEFMT (fs_old_inodefmt): the 4.2BSD format: uid/gid in di_ouid/di_ogid, no short symlinks, no d_type
 * in directories.
 */
export const FS_42INODEFMT = -1;
/** FS_44INODEFMT (fs_old_inodefmt): the 4.4BSD format every newfs(8) since writes. */
export const FS_44INODEFMT = 2;

/** FS_MAXCONTIG: the cluster summary (fs_contigsumsize) tracks free runs up to this many blocks. */
export const FS_MAXCONTIG = 16;

/** FS_ISCLEAN (fs_clean): unmounted cleanly; no fsck needed. */
export const FS_ISCLEAN = 0x1;
/**
 * FS_WASCLEAN (fs_clean): was clean when mounted read-write; turned back into FS_ISCLEAN at unmount (the normal
 * on-disk value while a WAPBL log is in use).
 */
export const FS_WASCLEAN = 0x2;

type Kind = 'i8' | 'u8' | 'i32' | 'u32' | 'i64' | 'u64';

/** Byte offsets of the superblock fields this package reads (NetBSD sys/ufs/ffs/fs.h, struct fs). */
export const FS_FIELDS = {
  /** fs_sblkno: fragment offset of the backup superblock from the start of each cylinder group. */
  sblkno: [8, 'i32'],
  /** fs_cblkno: fragment offset of the cylinder-group block (struct cg) within a cylinder group. */
  cblkno: [12, 'i32'],
  /** fs_iblkno: fragment offset of the first inode block within a cylinder group. */
  iblkno: [16, 'i32'],
  /** fs_dblkno: fragment offset of the first data fragment within a cylinder group. */
  dblkno: [20, 'i32'],
  /** fs_old_cgoffset: UFS1's historic per-cylinder-group shift of the metadata, in fragments (see cgstart). */
  old_cgoffset: [24, 'i32'],
  /** fs_old_cgmask: UFS1's rotation mask: cgstart adds fs_old_cgoffset × (c & ~fs_old_cgmask); newfs writes -1. */
  old_cgmask: [28, 'i32'],
  /** fs_old_time: last write time, 32-bit seconds (UFS1 without FS_FLAGS_UPDATED). */
  old_time: [32, 'i32'],
  /** fs_old_size: 32-bit fs_size of old UFS1 superblocks. */
  old_size: [36, 'i32'],
  /** fs_old_dsize: 32-bit fs_dsize of old UFS1 superblocks. */
  old_dsize: [40, 'i32'],
  /** fs_ncg: number of cylinder groups. */
  ncg: [44, 'u32'],
  /** fs_bsize: block size in bytes (a power of two, MINBSIZE..MAXBSIZE). */
  bsize: [48, 'i32'],
  /** fs_fsize: fragment size in bytes, the unit of all block addresses. */
  fsize: [52, 'i32'],
  /** fs_frag: fragments per block (bsize / fsize, at most 8). */
  frag: [56, 'i32'],
  /** fs_minfree: percentage of data blocks kept free for root (newfs -m, default 5). */
  minfree: [60, 'i32'],
  /** fs_bmask: ~(bsize - 1), for blkoff(). */
  bmask: [72, 'i32'],
  /** fs_fmask: ~(fsize - 1), for fragoff(). */
  fmask: [76, 'i32'],
  /** fs_bshift: log2(bsize), for lblkno(). */
  bshift: [80, 'i32'],
  /** fs_fshift: log2(fsize), for numfrags(). */
  fshift: [84, 'i32'],
  /** fs_maxcontig: the most contiguous blocks the allocator clusters into one transfer (newfs -a maxcontig). */
  maxcontig: [88, 'i32'],
  /** fs_maxbpg: the most blocks one file may take in a cylinder group before allocation moves on (newfs -e). */
  maxbpg: [92, 'i32'],
  /** fs_fragshift: log2(frag), block number to fragment number. */
  fragshift: [96, 'i32'],
  /** fs_fsbtodb: log2(fsize / DEV_BSIZE), fragment number to 512-byte sector. */
  fsbtodb: [100, 'i32'],
  /** fs_sbsize: bytes of superblock actually written (between SIZEOF_FS and SBLOCKSIZE). */
  sbsize: [104, 'i32'],
  /** fs_nindir: block pointers per indirect block (bsize/4 on UFS1, bsize/8 on UFS2). */
  nindir: [116, 'i32'],
  /** fs_inopb: inodes per block (bsize/128 on UFS1, bsize/256 on UFS2). */
  inopb: [120, 'u32'],
  /** fs_optim: allocation preference, FS_OPTTIME (0) or FS_OPTSPACE (1) (newfs -o, tunefs(8)). */
  optim: [128, 'i32'],
  /** fs_id[0]: first word of the file-system id (newfs puts the creation time here). */
  id0: [144, 'i32'],
  /** fs_id[1]: second word of the file-system id (random). */
  id1: [148, 'i32'],
  /** fs_old_csaddr: 32-bit fs_csaddr of old UFS1 superblocks. */
  old_csaddr: [152, 'i32'],
  /** fs_cssize: bytes of the cylinder-group summary array (struct csum[ncg]) at fs_csaddr. */
  cssize: [156, 'i32'],
  /** fs_cgsize: bytes of a cylinder-group block (struct cg and its maps), at most bsize. */
  cgsize: [160, 'i32'],
  /** fs_ipg: inodes per cylinder group. */
  ipg: [184, 'u32'],
  /** fs_fpg: fragments per cylinder group. */
  fpg: [188, 'i32'],
  /** fs_old_cstotal.cs_ndir: the 32-bit directory count of UFS1 superblocks. */
  old_cs_ndir: [192, 'i32'],
  /** fs_old_cstotal.cs_nbfree: the 32-bit free-block count of UFS1 superblocks. */
  old_cs_nbfree: [196, 'i32'],
  /** fs_old_cstotal.cs_nifree: the 32-bit free-inode count of UFS1 superblocks. */
  old_cs_nifree: [200, 'i32'],
  /** fs_old_cstotal.cs_nffree: the 32-bit free-fragment count of UFS1 superblocks. */
  old_cs_nffree: [204, 'i32'],
  /** fs_fmod: in-core "superblock modified" flag; cleared at mount. */
  fmod: [208, 'i8'],
  /** fs_clean: FS_ISCLEAN / FS_WASCLEAN bits. */
  clean: [209, 'u8'],
  /** fs_ronly: in-core "mounted read-only" flag; cleared at mount. */
  ronly: [210, 'i8'],
  /** fs_old_flags: the 8-bit flag byte of old superblocks; FS_FLAGS_UPDATED says fs_flags is the real one. */
  old_flags: [211, 'u8'],
  /** fs_maxbsize: largest block size a file may use (the "blocking factor"); newfs sets it to bsize. */
  maxbsize: [860, 'i32'],
  /**
   * fs_journal_version: WAPBL format version (UFS_WAPBL_VERSION, 1) or 0 with no journal; never byte-swapped.
   */
  journal_version: [864, 'u8'],
  /**
   * fs_journal_location: where the WAPBL log is: 0 none, 1 after the end of the file system, 2 in a file (an
   * SF_LOG inode).
   */
  journal_location: [865, 'u8'],
  /**
   * fs_sblockloc: byte offset of this (the standard) superblock; ffs_sbread rejects a superblock found
   * elsewhere, which rules out the backups.
   */
  sblockloc: [1000, 'i64'],
  /** fs_cstotal.cs_ndir: directories in the file system. */
  cs_ndir: [1008, 'i64'],
  /** fs_cstotal.cs_nbfree: free whole blocks. */
  cs_nbfree: [1016, 'i64'],
  /** fs_cstotal.cs_nifree: free inodes. */
  cs_nifree: [1024, 'i64'],
  /** fs_cstotal.cs_nffree: free fragments not part of a free whole block. */
  cs_nffree: [1032, 'i64'],
  /** fs_time: last time the superblock was written (seconds since the epoch). */
  time: [1072, 'i64'],
  /** fs_size: fragments in the file system. */
  size: [1080, 'i64'],
  /** fs_dsize: data fragments (fs_size less the metadata). */
  dsize: [1088, 'i64'],
  /** fs_csaddr: fragment address of the cylinder-group summary array. */
  csaddr: [1096, 'i64'],
  /** fs_pendingblocks: blocks being freed (soft updates); written as 0 here. */
  pendingblocks: [1104, 'i64'],
  /** fs_pendinginodes: inodes being freed (soft updates); written as 0 here. */
  pendinginodes: [1112, 'u32'],
  /** fs_flags: FS_* flags (FS_DOWAPBL, FS_DOQUOTA2, ...); valid with FS_FLAGS_UPDATED. */
  flags: [1312, 'u32'],
  /**
   * fs_contigsumsize: length of the per-cg cluster summary (free runs counted up to this many blocks; 0 = no
   * cluster maps).
   */
  contigsumsize: [1316, 'i32'],
  /**
   * fs_maxsymlinklen: targets shorter than this are stored in the inode itself (60 UFS1, 120 UFS2, 0 for
   * FS_42INODEFMT).
   */
  maxsymlinklen: [1320, 'i32'],
  /** fs_old_inodefmt: FS_42INODEFMT or FS_44INODEFMT. */
  old_inodefmt: [1324, 'i32'],
  /** fs_maxfilesize: the largest file size the block-pointer tree can map. */
  maxfilesize: [1328, 'u64'],
  /** fs_qbmask: ~fs_bmask widened to 64 bits, for offsets in large files. */
  qbmask: [1336, 'i64'],
  /** fs_qfmask: ~fs_fmask widened to 64 bits. */
  qfmask: [1344, 'i64'],
  /** fs_state: validates fs_clean on some systems; unused by NetBSD. */
  state: [1352, 'i32'],
  /** fs_magic: FS_UFS1_MAGIC or FS_UFS2_MAGIC, the last field of struct fs. */
  magic: [1372, 'u32'],
} as const satisfies Record<string, readonly [number, Kind]>;

/** The name of a superblock field this package models: a key of FS_FIELDS, and of Fs. */
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
  /** fs_fsmnt: where the file system was last mounted (NUL-terminated, 468 bytes on disk). */
  fsmnt: string;
  /** fs_volname: the volume name (makefs -o label; 32 bytes on disk, NUL-terminated). */
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
export function probeMagic(sb: Uint8Array): {
  /** Volume byte order: true = little-endian. */
  le: boolean;
  /** 1 or 2, from which magic matched. */
  ufsVersion: 1 | 2;
} | null {
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
  // Built key by key, the object is in V8's dictionary mode (every fs.X a hash lookup, and the
  // kernel reads fs.X everywhere); a spread copy has fast, fixed-shape properties.
  return { ...fs };
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
