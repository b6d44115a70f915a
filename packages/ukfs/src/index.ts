/**
 * @rumpts/ukfs — ukfs(3): mount file-system images inside a rump kernel and work on them from Node.
 * The C-named layer is `@rumpts/ukfs/compat`; the `fsu` command-line tools are this package's bin.
 *
 * @packageDocumentation
 */
export { type MountOptions, UkfsLib, ukfsMountFlags, UKFS_PARTITION_NA, UKFS_PARTITION_NONE } from './lib.js';
export { Ukfs, type UkfsMountInfo, UKFS_DEFAULTMP, UKFS_RELFLAG_FORCE, UKFS_RELFLAG_NOUNMOUNT } from './ukfs.js';
export { isModuleEntry, type ModloadDirResult, modloadDir } from './modload.js';
export {
  type ProbedDevice, type UkfsPart, UKFS_DISKLABEL_MAGICLEN, UKFS_DISKLABEL_SCANMAGIC, UKFS_MAXPARTITIONS, UKFS_OFFSET_MINLEN,
  UKFS_OFFSET_SCANMAGIC, UKFS_PARTITION_SCANMAGIC, parseDevpath, partToString, partWindow, resolvePart,
} from './part.js';
export { parseSize } from './size.js';
