/** The rumpvfs conformance kit (NetBSD tests/fs/vfs cases) against tmpfs mounted at /mnt. */
import { rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { conformance } from '@rumpts/rumpvfs/testkit';
import * as tmpfs from '../src/index.js';

conformance('tmpfs', async () => {
  const kernel = await rump_init({ libraries: [rumpvfs, tmpfs] });
  const proc = kernel.proc;
  proc.mkdir('/mnt', 0o755);
  proc.mount('tmpfs', '/mnt', 0, {});
  return { kernel, proc, mountpoint: '/mnt', cleanup: () => kernel.halt() };
});
