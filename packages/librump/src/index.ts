/**
 * @rumpts/librump — the rump kernel core: boot, components, kernel modules, processes and
 * descriptors, errno, sysctl, kernel memory accounting, halt.
 */
export * from './constants.js';
export { Errno, type ErrnoCode, RumpError, type RumpErrorOptions, errno, errnoCode, isRumpError, strerror } from './errno.js';
export type { Cred, Dirent, MountData, Stat, Statvfs, Timespec, TimesArg } from './types.js';
export { decodeName, encodeName, nameByteLength, nameHasEscapes, nameHostPath, nameText } from './names.js';
export { Sysctl, type SysctlNode, type SysctlValue } from './sysctl.js';
export { Kmem, type Reclaimer } from './kmem.js';
export { FCNTLFLAGS, type FileOps, RumpFile, fflags, oflags } from './file.js';
export { DEFAULT_MAXFILES, Filedesc } from './filedesc.js';
export { VFS_SYSCALL_NAMES, type VfsSyscallName, type VfsSyscalls, enosysTable } from './sysent.js';
export { FACTIONS, type Faction, type RumpComponent, isComponent, orderComponents } from './component.js';
export {
  MODULE_CLASSES, type ModInfo, type ModStat, type ModuleClass, type ModuleSource, RUMP_LIBRARIES, type RumpLibrary, availableLibraries,
  isModInfo, type LibraryOrderProblem, libraryName, libraryOrderProblems, packageCandidates,
} from './module.js';
export { Proc } from './proc.js';
export { makePipe, PIPE_SIZE } from './pipe.js';
export { PipeBuffer, PIPE_BUF } from './pipebuf.js';
export {
  DEFAULT_SYNC_DELAYS, SYNC_DATA, SYNC_DIR, SYNC_MAXDELAY, SYNC_META, SYNCER_TICK_MS, type SyncDelays, type SyncKind, type SyncStep, Syncer,
} from './syncer.js';
export {
  type BootEtfs,
  type EtfsService,
  Kernel,
  type LibraryNamespace,
  type LinkedComponent,
  OSRELEASE,
  OSTYPE,
  RUMPTS_VERSION,
  type RumpInitOptions,
  createKernel,
  rump_init,
} from './kernel.js';
