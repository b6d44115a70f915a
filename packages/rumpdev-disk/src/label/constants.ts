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
export const LABELOFFSET = 0;
/** Sectors the kernel reads and scans for a label (readdisklabel). */
export const LABELSCANSECTORS = 3;
/** Header bytes before d_partitions; each partition entry is 16 bytes. */
export const DISKLABEL_HEADER_SIZE = 148;
export const DISKLABEL_PARTITION_SIZE = 16;
/** sizeof(struct disklabel) on amd64: the header and MAXPARTITIONS entries. */
export const DISKLABEL_SIZE = DISKLABEL_HEADER_SIZE + MAXPARTITIONS * DISKLABEL_PARTITION_SIZE;
/** Typical boot-area and superblock-area sizes. */
export const BBSIZE = 8192;
export const SBLOCKSIZE = 8192;

// p_fstype
export const FS_UNUSED = 0;
export const FS_SWAP = 1;
export const FS_V6 = 2;
export const FS_V7 = 3;
export const FS_SYSV = 4;
export const FS_V71K = 5;
export const FS_V8 = 6;
export const FS_BSDFFS = 7;
export const FS_MSDOS = 8;
export const FS_BSDLFS = 9;
export const FS_OTHER = 10;
export const FS_HPFS = 11;
export const FS_ISO9660 = 12;
export const FS_BOOT = 13;
export const FS_ADOS = 14;
export const FS_HFS = 15;
export const FS_FILECORE = 16;
export const FS_EX2FS = 17;
export const FS_NTFS = 18;
export const FS_RAID = 19;
export const FS_CCD = 20;
export const FS_JFS2 = 21;
export const FS_APPLEUFS = 22;
export const FS_VINUM = 23;
export const FS_UDF = 24;
export const FS_SYSVBFS = 25;
export const FS_EFS = 26;
export const FS_ZFS = 27;
export const FS_CGD = 28;

/** fstypenames[] of disklabel.h, by p_fstype. */
export const FSTYPE_NAMES: readonly string[] = [
  'unused', 'swap', 'Version 6', 'Version 7', 'System V', '4.1BSD', 'Eighth Edition', '4.2BSD', 'MSDOS', '4.4LFS',
  'unknown', 'HPFS', 'ISO9660', 'boot', 'ADOS', 'HFS', 'FILECORE', 'Linux Ext2', 'NTFS', 'RAID', 'ccd', 'jfs',
  'Apple UFS', 'vinum', 'UDF', 'SysVBFS', 'EFS', 'ZFS', 'cgd',
];

// d_type
export const DKTYPE_UNKNOWN = 0;
export const DKTYPE_SCSI = 4;
export const DKTYPE_ESDI = 5;
export const DKTYPE_VND = 12;
export const DKTYPE_ATAPI = 13;
export const DKTYPE_LD = 15;
export const DKTYPE_RUMPD = 21;
export const DKTYPE_MD = 22;

// d_flags
export const D_REMOVABLE = 0x01;
export const D_ECC = 0x02;
export const D_BADSECT = 0x04;
export const D_RAMDISK = 0x08;
export const D_CHAIN = 0x10;
export const D_SCSI_MMC = 0x20;

/** Partition letter ('a'…) of an index, and back. */
export function partitionLetter(index: number): string {
  return String.fromCharCode(0x61 + index);
}

export function partitionIndex(letter: string): number {
  return letter.length === 1 ? letter.charCodeAt(0) - 0x61 : -1;
}
