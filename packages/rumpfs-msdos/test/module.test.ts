/**
 * The module as a user meets it: `kernel.modload('rumpfs_msdos')` resolves this package by its rump
 * library name and registers type 'msdos'; unloading is refused while a volume is mounted. This
 * loads the built dist/ (turbo builds a package before its tests).
 */
import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUMP_ETFS_BLK, isRumpError, rump_init } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { newfs_msdos } from '../src/index.js';
import { tempDir } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const BUILT = existsSync(join(REPO, 'packages/rumpfs-msdos/dist/index.js'));

describe.skipIf(!BUILT)('loading the module', () => {
  it("kernel.modload('rumpfs_msdos') finds @rumpts/rumpfs-msdos and registers 'msdos'", async () => {
    const t = tempDir('module');
    try {
      const img = join(t.path, 'img');
      writeFileSync(img, new Uint8Array(0));
      truncateSync(img, 4 << 20);
      const dev = new HostFileBlockDevice(img);
      newfs_msdos(dev);
      dev.close();
      const k = await rump_init({ libraries: ['rumpvfs', '@rumpts/etfs'], moduleBase: REPO });
      expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).not.toContain('msdos');
      expect(await k.modload('rumpfs_msdos')).toBe(1);
      expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).toContain('msdos');
      k.etfsRegister('/dev/sd0', img, RUMP_ETFS_BLK);
      k.proc.mkdir('/mnt', 0o755);
      k.proc.mount('msdos', '/mnt', 0, { fspec: '/dev/sd0' });
      expect(k.proc.statvfs('/mnt').fstypename).toBe('msdos');
      let code = 'ok';
      try {
        k.modunload('msdos');
      } catch (e) {
        code = isRumpError(e) ? e.code : String(e);
      }
      expect(code).toBe('EBUSY');
      k.proc.unmount('/mnt', 0);
      k.modunload('msdos');
      expect(String(k.sysctl('vfs.generic.fstypes')).split(' ')).not.toContain('msdos');
      k.halt();
    } finally {
      t.cleanup();
    }
  });
});
