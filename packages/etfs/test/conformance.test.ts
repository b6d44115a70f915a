/**
 * The rumpvfs conformance kit on a RUMP_ETFS_DIR_SUBDIRS mapping of a fresh host directory at /mnt:
 * what the kernel does there must reach the host and behave like any file system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rump_init, RUMP_ETFS_DIR_SUBDIRS } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { conformance } from '@rumpts/rumpvfs/testkit';
import * as etfs from '../src/index.js';

conformance(
  'etfs',
  async () => {
    const host = mkdtempSync(join(tmpdir(), 'rumpts-etfs-kit-'));
    const kernel = await rump_init({ libraries: [rumpvfs, etfs] });
    kernel.etfsRegister('/mnt', host, RUMP_ETFS_DIR_SUBDIRS);
    return {
      kernel,
      proc: kernel.proc,
      mountpoint: '/mnt',
      cleanup: () => {
        kernel.halt();
        rmSync(host, { recursive: true, force: true });
      },
    };
  },
  // A host directory is not a mount: no unmount or remount, no device nodes, fifos or chflags on the
  // host, no '.'/'..' in readdir, and utimes goes through the host's microsecond interface.
  { unmount: false, readonly: false, devices: false, fifo: false, chflags: false, dotEntries: false, nsec: false, emptySymlink: false, createMany: 500 },
);
