/** The conformance kit against rumpfs mounted at /mnt (unlike NetBSD's rumpfs, ours renames and links). */
import { rump_init } from '@rumpts/librump';
import * as rumpvfs from '../src/index.js';
import { conformance } from '../src/testkit/index.js';

conformance(
  'rumpfs',
  async () => {
    const kernel = await rump_init({ libraries: [rumpvfs] });
    const proc = kernel.proc;
    proc.mkdir('/mnt', 0o755);
    proc.mount('rumpfs', '/mnt', 0, {});
    return { kernel, proc, mountpoint: '/mnt', cleanup: () => kernel.halt() };
  },
  { dotEntries: false },
);
