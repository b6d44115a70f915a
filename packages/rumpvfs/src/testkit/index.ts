/**
 * @rumpts/rumpvfs/testkit — the vnode-operations conformance suite for file-system authors.
 *
 *   import { conformance } from '@rumpts/rumpvfs/testkit';
 *   conformance('tmpfs', async () => { ...mount a fresh tmpfs...; return { kernel, proc, mountpoint, cleanup } });
 *
 * registers vitest cases modelled on NetBSD's tests/fs/vfs (t_vnops, t_io, t_vfsops, t_ro,
 * t_rwtoro) plus directory-reading, link-count and attribute cases. Call it at the top level of
 * a *.test.ts file; vitest must be installed (it is a peer dependency).
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import { t_attrs } from './t_attrs.js';
import { t_dirs } from './t_dirs.js';
import { t_io } from './t_io.js';
import { t_namespace } from './t_namespace.js';
import { t_vfsops } from './t_vfsops.js';
import { t_vnops } from './t_vnops.js';
import { type ConformanceEnv, type ConformanceFeatures, type ConformanceSetup, type Kit, resolveFeatures } from './types.js';

export type { ConformanceEnv, ConformanceFeatures, ConformanceSetup } from './types.js';
export { expectErrno } from './helpers.js';

/**
 * Register the conformance cases for file system `fsName` (its vfsops name: statvfs's
 * f_fstypename must equal it). `setup` mounts a fresh, empty instance for every case.
 */
export function conformance(fsName: string, setup: ConformanceSetup, features?: ConformanceFeatures): void {
  const f = resolveFeatures(features);
  describe(`${fsName} conformance`, () => {
    let current: ConformanceEnv | undefined;
    beforeEach(async () => {
      current = await setup();
    });
    afterEach(async () => {
      const e = current;
      current = undefined;
      await e?.cleanup();
    });
    const env = (): ConformanceEnv => {
      if (!current) throw new Error('conformance: no environment (setup failed?)');
      return current;
    };
    const kit: Kit = {
      fsName,
      features: f,
      env,
      test(name, fn, timeoutMs) {
        it(name, () => fn(env()), timeoutMs);
      },
    };
    describe('t_vnops', () => t_vnops(kit));
    describe('t_io', () => t_io(kit));
    describe('t_vfsops', () => t_vfsops(kit));
    describe('namespace', () => t_namespace(kit));
    describe('dirs', () => t_dirs(kit));
    describe('attrs', () => t_attrs(kit));
  });
}
