/**
 * @rumpts/nodefs — a node:fs-compatible facade over a rump kernel: `openImage(path)` or
 * `createFs(proc | ukfsHandle | client)` gives sync, callback and promise calls, streams, fs.Stats/
 * fs.Dirent and Node-shaped errors, taking the host's own fs.constants.
 */
export { createFs, type FsTarget, type RumpFs } from './createfs.js';
export { AUTODETECT_TYPES, openImage, type OpenedImage, type OpenImageOptions } from './image.js';
export { FD_BIAS, type SyscallTarget } from './core.js';
export { constants, COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE, netbsdConstants } from './constants.js';
export { BigIntStats, Dirent, StatFs, Stats } from './stats.js';
export { FSWatcher, StatWatcher, WATCH_LIMIT } from './watch.js';
export { FileHandle } from './promises.js';
export { type NodeFsError, type NodeSystemError, fsError, nodeErrno } from './errors.js';
export { badEntryName, type RefusedEntriesError, type RefusedEntry } from './entryname.js';
export { hostToNetbsdFlags, stringToFlags } from './flags.js';
export { RemoteProc, type RemoteProcOptions } from './remote/remoteproc.js';
export { type Hijack, type HijackOptions, installHijack, RUMP_FD_BASE } from './hijack/install.js';
