/** NetBSD disklabel constants (sys/sys/disklabel.h, sys/arch/amd64/include/disklabel.h). */

/** d_magic and d_magic2. */
export const DISKMAGIC = 0x82564557;
/** The most partitions a 512-byte sector holds (any arch). */
export const MAXMAXPARTITIONS = 22;
/** Partitions per disk on i386/amd64. */
export const MAXPARTITIONS = 16;
/** The raw partition on i386/amd64: 'd', the whole disk. */
export const RAW_PART = 3;
/** On i386/amd64 'c' is the NetBSD part of the disk (the MBR partition). */
export const NETBSD_PART = 2;
/** Sector of the label on an unpartitioned disk, and inside the NetBSD MBR partition. */
export const LABELSECTOR = 1;
/** Byte offset of the label within LABELSECTOR (0 on i386/amd64). */
export const LABELOFFSET = 0;
/** Sectors the kernel reads and scans for a label (readdisklabel). */
export const LABELSCANSECTORS = 3;
/** Header bytes before d_partitions. */
export const DISKLABEL_HEADER_SIZE = 148;
/** Bytes of one d_partitions entry (struct partition). */
export const DISKLABEL_PARTITION_SIZE = 16;
/** sizeof(struct disklabel) on amd64: the header and MAXPARTITIONS entries. */
export const DISKLABEL_SIZE = DISKLABEL_HEADER_SIZE + MAXPARTITIONS * DISKLABEL_PARTITION_SIZE;
/** Typical boot-area size (d_bbsize). */
export const BBSIZE = 8192;
/** Typical superblock-area size (d_sbsize). */
export const SBLOCKSIZE = 8192;

// p_fstype
/** p_fstype: unused partition. */
export const FS_UNUSED = 0;
/** p_fstype: swap. */
export const FS_SWAP = 1;
/** p_fstype: Sixth Edition file system. */
export const FS_V6 = 2;
/** p_fstype: Seventh Edition file system. */
export const FS_V7 = 3;
/** p_fstype: System V file system. */
export const FS_SYSV = 4;
/** p_fstype: V7 with 1K blocks (4.1BSD, 2.9BSD). */
export const FS_V71K = 5;
/** p_fstype: Eighth Edition file system, 4K blocks. */
export const FS_V8 = 6;
/** p_fstype: 4.2BSD fast file system (FFS/UFS). */
export const FS_BSDFFS = 7;
/** p_fstype: MS-DOS FAT. */
export const FS_MSDOS = 8;
/** p_fstype: 4.4BSD log-structured file system. */
export const FS_BSDLFS = 9;
/** p_fstype: in use, but of an unknown or unsupported type. */
export const FS_OTHER = 10;
/** p_fstype: OS/2 high-performance file system. */
export const FS_HPFS = 11;
/** p_fstype: ISO 9660 (CD-ROM). */
export const FS_ISO9660 = 12;
/** p_fstype: partition holds bootstrap code. */
export const FS_BOOT = 13;
/** p_fstype: AmigaDOS fast file system. */
export const FS_ADOS = 14;
/** p_fstype: Macintosh HFS. */
export const FS_HFS = 15;
/** p_fstype: Acorn Filecore. */
export const FS_FILECORE = 16;
/** p_fstype: Linux ext2. */
export const FS_EX2FS = 17;
/** p_fstype: Windows NTFS. */
export const FS_NTFS = 18;
/** p_fstype: RAIDframe component. */
export const FS_RAID = 19;
/** p_fstype: concatenated disk (ccd(4)) component. */
export const FS_CCD = 20;
/** p_fstype: IBM JFS2. */
export const FS_JFS2 = 21;
/** p_fstype: Apple UFS. */
export const FS_APPLEUFS = 22;
/** p_fstype: Vinum volume manager drive. */
export const FS_VINUM = 23;
/** p_fstype: UDF (DVD, BD). */
export const FS_UDF = 24;
/** p_fstype: System V boot file system. */
export const FS_SYSVBFS = 25;
/** p_fstype: SGI Extent File System. */
export const FS_EFS = 26;
/** p_fstype: ZFS. */
export const FS_ZFS = 27;
/** p_fstype: cryptographic disk (cgd(4)). */
export const FS_CGD = 28;

/** fstypenames[] of disklabel.h, by p_fstype. */
export const FSTYPE_NAMES: readonly string[] = [
  'unused', 'swap', 'Version 6', 'Version 7', 'System V', '4.1BSD', 'Eighth Edition', '4.2BSD', 'MSDOS', '4.4LFS',
  'unknown', 'HPFS', 'ISO9660', 'boot', 'ADOS', 'HFS', 'FILECORE', 'Linux Ext2', 'NTFS', 'RAID', 'ccd', 'jfs',
  'Apple UFS', 'vinum', 'UDF', 'SysVBFS', 'EFS', 'ZFS', 'cgd',
];

// d_type
/** d_type (dktypenames): unknown. */
export const DKTYPE_UNKNOWN = 0;
/** d_type (dktypenames): SCSI disk. */
export const DKTYPE_SCSI = 4;
/** d_type (dktypenames): ESDI disk. */
export const DKTYPE_ESDI = 5;
/** d_type (dktypenames): vnd(4) vnode disk. */
export const DKTYPE_VND = 12;
/** d_type (dktypenames): ATAPI device. */
export const DKTYPE_ATAPI = 13;
/** d_type (dktypenames): ld(4) logical disk. */
export const DKTYPE_LD = 15;
/** d_type (dktypenames): rump disk (rumpdisk). */
export const DKTYPE_RUMPD = 21;
/** d_type (dktypenames): md(4) memory disk. */
export const DKTYPE_MD = 22;

// d_flags
/** d_flags: removable media. */
export const D_REMOVABLE = 0x01;
/** d_flags: the drive corrects errors (ECC). */
export const D_ECC = 0x02;
/** d_flags: bad-sector forwarding is in use. */
export const D_BADSECT = 0x04;
/** d_flags: a disk emulator (memory disk). */
export const D_RAMDISK = 0x08;
/** d_flags: the controller can chain back-to-back transfers. */
export const D_CHAIN = 0x10;
/** d_flags: SCSI MMC sessioned media (CD/DVD). */
export const D_SCSI_MMC = 0x20;

/** The partition letter of an index (0 → 'a'). */
export function partitionLetter(index: number): string {
  return String.fromCharCode(0x61 + index);
}

/** The index of a partition letter ('a' → 0); -1 for anything that is not one character. */
export function partitionIndex(letter: string): number {
  return letter.length === 1 ? letter.charCodeAt(0) - 0x61 : -1;
}
