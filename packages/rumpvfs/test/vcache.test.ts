import { describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { Mount, VREG, type VfsOps, type VnodeOps, vrele } from '../src/index.js';
import { vfsKernel } from './helpers.js';

/** A mount whose loadvnode hands out plain nodes, enough to exercise the vnode cache alone. */
async function bareMount(): Promise<{ mp: Mount; loads: number[]; halt: () => void }> {
  const k = await vfsKernel();
  const loads: number[] = [];
  const ops = {
    name: 'bare',
    vnodeops: {} as VnodeOps,
    mount: () => {},
    unmount: () => {},
    rootKey: () => 1,
    statvfs: () => ({ bsize: 512, frsize: 512, iosize: 512, blocks: 0, bfree: 0, bavail: 0, bresvd: 0, files: 0, ffree: 0, favail: 0, fresvd: 0, namemax: 255 }),
    sync: () => {},
    loadvnode: (_mp: Mount, key: number) => {
      loads.push(key);
      return { type: VREG, data: { key } };
    },
  } satisfies VfsOps;
  return { mp: new Mount(k, ops, 0, null, '/bare', 77), loads, halt: () => k.halt() };
}

describe('vcacheRekey', () => {
  it('moves a vnode to a new file id, keeping its references', async () => {
    const { mp, loads, halt } = await bareMount();
    const vp = mp.vcacheGet(10);
    expect(vp.usecount).toBe(1);
    mp.vcacheRekey(vp, 20);
    expect(vp.key).toBe(20);
    expect(mp.vcachePeek(10)).toBeUndefined();
    expect(mp.vcachePeek(20)).toBe(vp);
    expect(vp.usecount).toBe(1);
    // The old id is free for a new node, the new one finds the moved vnode without loading.
    const again = mp.vcacheGet(20);
    expect(again).toBe(vp);
    const other = mp.vcacheGet(10);
    expect(other).not.toBe(vp);
    expect(loads).toEqual([10, 10]);
    vrele(again);
    vrele(vp);
    vrele(other);
    halt();
  });

  it('refuses an id that is taken, and a vnode of another mount', async () => {
    const a = await bareMount();
    const b = await bareMount();
    const v1 = a.mp.vcacheGet(1);
    const v2 = a.mp.vcacheGet(2);
    const code = (fn: () => void): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isRumpError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(code(() => a.mp.vcacheRekey(v1, 2))).toBe('EEXIST');
    expect(code(() => b.mp.vcacheRekey(v1, 5))).toBe('EINVAL');
    expect(v1.key).toBe(1);
    a.mp.vcacheRekey(v1, 1); // same id: nothing to do
    vrele(v1);
    vrele(v2);
    a.halt();
    b.halt();
  });
});
