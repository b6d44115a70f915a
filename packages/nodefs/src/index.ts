/**
 * @rumpts/nodefs — a node:fs-compatible facade over a rump kernel: `createFs(proc | ukfsHandle)`
 * gives sync, callback and promise calls, streams, fs.Stats/fs.Dirent and Node-shaped errors.
 */
export { createFs, type FsTarget, type RumpFs } from './createfs.js';
export { FD_BIAS, type SyscallTarget } from './core.js';
export { constants, COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } from './constants.js';
export { BigIntStats, Dirent, Stats } from './stats.js';
export { FileHandle } from './promises.js';
export { type NodeFsError, fsError, nodeErrno } from './errors.js';
export { stringToFlags } from './flags.js';
export { RemoteProc, type RemoteProcOptions } from './remote/remoteproc.js';
export { type Hijack, type HijackOptions, installHijack, RUMP_FD_BASE } from './hijack/install.js';
