/**
 * openImage(path, { readOnly, type, log }): one call from an image file to a node:fs facade.
 * Boots a ukfs kernel, mounts the image (type given or detected; MNT_NODEV|MNT_NOSUID unless asked
 * otherwise — a device node inside an untrusted image must not reach a kernel device), and returns
 * the facade with `close()`, which syncs and halts.
 *
 * An image never closed is synced and halted at process exit, so a script that writes and ends
 * loses nothing: on 'beforeExit' (the event loop ran dry), on 'exit' (process.exit(); everything
 * here is synchronous, as 'exit' requires), and on SIGINT/SIGTERM/SIGHUP when nothing else listens
 * for the signal (the default would kill the process unsynced): the images are closed and the
 * signal raised again, so the process still ends by it.
 */
import { statSync } from 'node:fs';
import {
  errno, isRumpError, MNT_LOG, MNT_NODEV, MNT_NOSUID, MNT_RDONLY, type Proc, strerror,
} from '@rumpts/librump';
import { type Ukfs, UkfsLib } from '@rumpts/ukfs';
import { toPath } from './args.js';
import { createFs, type RumpFs } from './createfs.js';
import { fsError, translate } from './errors.js';

/** File-system types tried, in order, when `type` is not given (as fsu does). */
export const AUTODETECT_TYPES: readonly string[] = ['ffs', 'cd9660'];

/** How {@link openImage} mounts the image: type, read-only, the WAPBL log, nodev/nosuid, kernel messages. */
export interface OpenImageOptions {
  /** Mount read-only (MNT_RDONLY); needed for cd9660. Default false. */
  readOnly?: boolean;
  /** File-system type ('ffs', 'cd9660', or a module's name); default: detected. */
  type?: string;
  /** Mount FFS with the WAPBL journal (MNT_LOG): a crash replays on the next mount. Default false. */
  log?: boolean;
  /** Device nodes in the image stay inert (MNT_NODEV). Default true; false only for images you trust. */
  nodev?: boolean;
  /** Set-id bits in the image are ignored (MNT_NOSUID). Default true. */
  nosuid?: boolean;
  /** Where the kernel's messages go (default: nowhere). */
  logger?: (line: string) => void;
}

/** What openImage gives: the facade over the mounted image and the way to end it. */
export interface OpenedImage {
  /** A node:fs-compatible facade whose `/` is the image's root. */
  readonly fs: RumpFs;
  /** The file-system type mounted ('ffs', 'cd9660'…). */
  readonly type: string;
  /** Write everything dirty to the image now (sync(2)); the image stays open. */
  sync(): void;
  /** Sync, unmount and halt. Later facade calls fail with EBADF. Calling it again does nothing. */
  close(): Promise<void>;
  /** True once close has run (or the exit hooks closed the image). */
  readonly closed: boolean;
  /** `await using img = await openImage(…)`: close at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Images opened and not yet closed: what the exit hooks close. */
const open = new Set<ImageState>();

class ImageState {
  closed = false;
  constructor(
    readonly lib: UkfsLib,
    readonly handle: Ukfs,
    readonly path: string,
  ) {}

  sync(): void {
    if (this.closed) throw fsError('EBADF', 9, 'sync', this.path);
    try {
      this.lib.kernel.proc.sync();
    } catch (e) {
      throw translate(e, 'sync', this.path);
    }
  }

  /** Synchronous: sync, then halt (the kernel's shutdown unmounts every file system cleanly). */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    if (open.size === 0) removeHooks();
    // The kernel halts itself at process exit (rump_init's syncOnExit), which syncs and unmounts:
    // when its hook ran first there is nothing left to do.
    if (!this.lib.kernel.running) return;
    let failure: unknown;
    try {
      this.lib.kernel.proc.sync();
    } catch (e) {
      failure = e;
    }
    // halt exits every process (closing the facade's files) and unmounts: it never throws
    this.lib.kernel.halt();
    if (failure !== undefined) throw translate(failure, 'sync', this.path);
  }
}

// ---- exit hooks: installed while at least one image is open ----

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

function closeAll(reason: string): void {
  for (const img of [...open]) {
    try {
      img.closeNow();
    } catch (e) {
      // nobody is left to catch it: say so on stderr, once per image
      process.stderr.write(`@rumpts/nodefs: ${reason}: closing ${img.path} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

const onBeforeExit = (): void => closeAll('before exit');
const onExit = (): void => closeAll('at exit');
const onSignal = (signal: NodeJS.Signals): void => {
  // another listener means the program handles the signal itself (and may go on): leave it be
  if (process.listenerCount(signal) > 1) return;
  closeAll(`on ${signal}`);
  removeHooks();
  process.kill(process.pid, signal);
};

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function removeHooks(): void {
  if (!hooked) return;
  hooked = false;
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** The host file must be an image: a regular file or a block device. */
function checkHostImage(path: string): void {
  // the host's own error (ENOENT, EACCES…) as node:fs reports it
  const st = statSync(path);
  if (st.isFile() || st.isBlockDevice()) return;
  const what = st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isFIFO() ? 'a FIFO' : 'not a regular file';
  const e = fsError(st.isDirectory() ? 'EISDIR' : 'EFTYPE', st.isDirectory() ? 21 : 79, 'open', path);
  e.message += `: ${what}, not a disk image`;
  throw e;
}

/** Mount with the type given, or each of AUTODETECT_TYPES in turn; errors about the image itself stop the search. */
async function mountImage(lib: UkfsLib, path: string, type: string | undefined, flags: number): Promise<{ handle: Ukfs; type: string }> {
  if (type !== undefined) {
    await lib.ensureFs(type);
    return { handle: lib.mount(type, path, { flags, mountpath: '/image' }), type };
  }
  const tried: string[] = [];
  for (const t of AUTODETECT_TYPES) {
    try {
      await lib.ensureFs(t);
    } catch {
      continue;
    }
    try {
      return { handle: lib.mount(t, path, { flags, mountpath: '/image' }), type: t };
    } catch (e) {
      if (isRumpError(e) && e.code === 'EROFS' && (flags & MNT_RDONLY) === 0) {
        // a read-only file system (cd9660) refuses a read-write mount whatever the image holds:
        // only a read-only probe says whether the image is one
        let recognised = false;
        try {
          lib.mount(t, path, { flags: flags | MNT_RDONLY, mountpath: '/probe' }).release();
          recognised = true;
        } catch {
          // not this type
        }
        if (recognised) throw errno('EROFS', `a ${t} image mounts read-only: pass { readOnly: true }`);
        tried.push(`${t}: not recognised`);
        continue;
      }
      if (isRumpError(e) && ['ENOENT', 'EACCES', 'EPERM', 'EBUSY'].includes(e.code)) throw e;
      tried.push(`${t}: ${isRumpError(e) ? (e.detail ?? strerror(e.errno)) : String(e)}`);
    }
  }
  throw errno('EFTYPE', `no known file system on the image (${tried.join('; ') || 'no file system modules'})`);
}

/** A mount failure Node-shaped, with the kernel's explanation after Node's message. */
function mountError(e: unknown, path: string): unknown {
  const out = translate(e, 'mount', path);
  if (isRumpError(e) && e.detail !== undefined && out instanceof Error) out.message += `: ${e.detail}`;
  return out;
}

/**
 * Open a disk image as a node:fs facade: `const { fs, close } = await openImage('disk.img')`.
 * Errors are Node-shaped (`code`, `errno`, `syscall: 'mount'`, `path`).
 */
export async function openImage(path: unknown, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const p = toPath(path);
  checkHostImage(p);
  let flags = options.readOnly === true ? MNT_RDONLY : 0;
  if (options.log === true) flags |= MNT_LOG;
  if (options.nodev !== false) flags |= MNT_NODEV;
  if (options.nosuid !== false) flags |= MNT_NOSUID;
  const lib = await UkfsLib.init({ logger: options.logger ?? (() => {}) });
  let mounted: { handle: Ukfs; type: string };
  try {
    mounted = await mountImage(lib, p, options.type, flags);
  } catch (e) {
    lib.halt();
    throw mountError(e, p);
  }
  const state = new ImageState(lib, mounted.handle, p);
  open.add(state);
  installHooks();
  // the facade finds the handle's process on every call: once closed, every call is EBADF
  const target = {
    get proc(): Proc {
      if (state.closed) throw errno('EBADF', `${p} is closed`);
      return mounted.handle.proc;
    },
  };
  const fs = createFs(target);
  const close = (): Promise<void> => {
    try {
      state.closeNow();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return {
    fs,
    type: mounted.type,
    sync: () => state.sync(),
    close,
    get closed(): boolean {
      return state.closed;
    },
    [Symbol.asyncDispose]: close,
  };
}
