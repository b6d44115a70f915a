/**
 * @rumpts/rumpdev-disk — block devices (memory and host-file backings), the buffer cache (bio), NetBSD
 * disklabel, MBR (with logical partitions) and GPT codecs, and the disk driver whose minors select
 * disklabel partitions.
 */
export { checkSecsize, checkTransfer, isPowerOfTwo } from './blkdev/bounds.js';
export { type VectoredBlockDevice, isVectored } from './blkdev/vectored.js';
export { MemoryBlockDevice, type MemoryDiskOptions } from './blkdev/memdisk.js';
export { HostFileBlockDevice, type HostDiskOptions } from '@rumpts/etfs';
// The image builders' host lstat (exact times, no objects per call), for file systems that see only this package.
export { ST_ATIME, ST_FIELDS, ST_GID, ST_INO, ST_MODE, ST_NLINK, ST_RDEV, ST_SIZE, ST_UID, hostLinkKey, hostLstat } from '@rumpts/etfs';
// Host names that are not UTF-8, for the same builders.
export { type HostName, hostDirNames, hostErrorMessage, hostNameText, hostPathOf, joinHostName, undecodableNames } from '@rumpts/etfs';
export { WindowBlockDevice } from './blkdev/window.js';
export { GAP_BYTES, type GapFill, STAGE_BYTES, StagedDevice } from './blkdev/stagedev.js';
export { type ImageLock, type ImageLockOptions, describeHolder, lockImage } from './blkdev/imagelock.js';

export { BC_INVAL, B_BUSY, B_DELWRI, B_DONE, B_INVAL, Buf, btodb, dbtob } from './bio/buf.js';
export { BufCache, type BufCacheOptions, type BufCacheStats, MAXBUFSIZE, MAXCLUSTER } from './bio/bufcache.js';
export { BUFCACHE_DEFAULT_MAX, BUFCACHE_SUBSYSTEM, bufcacheOf, defaultBufcacheMax } from './bio/kernel.js';
export { pageAlignedBuffer } from './bio/pagebuf.js';

export * from './label/constants.js';
export {
  type ByteOrder,
  type CheckOptions,
  type DecodeOptions,
  type DiskLabel,
  type DiskPartition,
  type FoundLabel,
  type ScanOptions,
  checkDiskLabel,
  decodeDiskLabel,
  disklabelSize,
  dkcksum,
  encodeDiskLabel,
  findDiskLabel,
  labelByteOrder,
} from './label/disklabel.js';
export * from './label/mbr.js';
export {
  GPT_DEFAULT_ENTRIES, GPT_ENTRY_SIZE, GPT_HEADER_SIZE, GPT_MAX_ENTRIES, GPT_NAME_CHARS, GPT_REVISION, GPT_SIGNATURE, GPT_TYPE, MBR_PTYPE_PMBR,
  type Gpt, type GptEntry, type GptHeader, type GptPartitionSpec, type MakeGptOptions, type ReadBytes,
  crc32, decodeGptHeader, encodeGpt, gptUsableRange, guidFromString, guidToString, randomGuid, readGpt,
} from './label/gpt.js';
export { type PartitionInfo, type PartitionScheme, type PartitionTable, findPartition, readPartitionTable } from './label/partitions.js';
export {
  type LabelLocation,
  type MakeLabelOptions,
  type PartitionSpec,
  type ReadLabel,
  type ReadLabelOptions,
  locateDiskLabel,
  makeDiskLabel,
  readDiskLabel,
  readMbr,
  writeDiskLabel,
  writeMbr,
} from './label/labelio.js';

export * from './disk/dioctl.js';
export {
  DISK_DRIVER_NAME,
  DISK_SUBSYSTEM,
  DiskDriver,
  type DiskAttachOptions,
  DiskUnit,
  LD_BMAJOR,
  LD_CMAJOR,
  MAXUNITS,
  PartitionDevice,
  RawPartitionDevice,
  diskDriverOf,
  disk_attach,
  disk_detach,
} from './disk/disk.js';

import { rumpdev_disk_component } from './component.js';
export { rumpdev_disk_component };
/** The components this library links into a kernel (rump_init({ libraries: ['rumpvfs', 'rumpdev_disk'] })). */
export const components = [rumpdev_disk_component];
