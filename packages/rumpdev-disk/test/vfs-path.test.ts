/**
 * The path a file system takes: mount opens the partition through the VFS (openBlockDevice), writes go
 * through the buffer cache as delayed writes, and the VFS's sync and unmount reach them.
 */
import { describe, expect, it } from 'vitest';
import * as rumpvfs from '@rumpts/rumpvfs';
import { type BlockDevice, type Mount, type VfsOps, VDIR, deadfs_vnodeops, vfs_attach } from '@rumpts/rumpvfs';
import { rump_init } from '@rumpts/librump';
import * as disk from '../src/index.js';
import { FS_BSDFFS, MemoryBlockDevice, bufcacheOf, disk_attach, makeDiskLabel, writeDiskLabel } from '../src/index.js';

/** A file system that only writes one delayed block at mount, for the test. */
function toyfs(onMount: (dev: BlockDevice) => void): VfsOps {
  return {
    name: 'bctest',
    vnodeops: deadfs_vnodeops,
    mount(mp: Mount, data, ctx) {
      const fspec = (data as { fspec?: unknown } | undefined)?.fspec;
      if (typeof fspec !== 'string') throw new Error('fspec');
      onMount(ctx.openBlockDevice(fspec));
      mp.data = null;
    },
    unmount() {},
    rootKey: () => 2,
    statvfs: () => ({ bsize: 512, frsize: 512, iosize: 512, blocks: 0, bfree: 0, bavail: 0, bresvd: 0, files: 0, ffree: 0, favail: 0, fresvd: 0, namemax: 255 }),
    sync() {},
    loadvnode: () => ({ type: VDIR, data: null }),
  };
}

describe('buffer cache under the VFS', () => {
  it('sync(2) and unmount write back delayed writes of a mounted partition', async () => {
    const k = await rump_init({ libraries: [rumpvfs, disk] });
    const backing = new MemoryBlockDevice(8192 * 512);
    writeDiskLabel(backing, makeDiskLabel({ secperunit: 8192, partitions: { e: { offset: 1024, size: 4096, fstype: FS_BSDFFS } } }));
    const u = disk_attach(k, backing);
    u.mknodes();
    const cache = bufcacheOf(k);
    let dev: BlockDevice | undefined;
    vfs_attach(
      k,
      toyfs((d) => {
        dev = d;
        const bp = cache.getblk(d, 8, 4096);
        bp.data.fill(0x6b);
        cache.bdwrite(bp);
      }),
    );
    k.proc.mkdir('/mnt', 0o755);
    k.proc.mount('bctest', '/mnt', 0, { fspec: '/dev/ld0e' });
    expect(dev).toBe(u.partition('e'));
    expect(backing.bytes[(1024 + 8) * 512]).toBe(0);
    k.proc.sync();
    expect(backing.bytes[(1024 + 8) * 512]).toBe(0x6b);
    expect(backing.bytes[(1024 + 16) * 512 - 1]).toBe(0x6b);
    // Another delayed write, then unmount: the device's last close writes it and empties the cache.
    const bp = cache.getblk(u.partition('e'), 0, 512);
    bp.data.fill(0x11);
    cache.bdwrite(bp);
    k.proc.unmount('/mnt', 0);
    expect(backing.bytes[1024 * 512]).toBe(0x11);
    expect(cache.nbufs).toBe(0);
    k.halt();
  });
});
