import { describe, expect, it } from 'vitest';
import { Kmem } from './kmem.js';
import { rump_init } from './kernel.js';

/** A toy cache of fixed-size entries that charges the kernel account, like the buffer cache will. */
class TestCache {
  entries: number[] = [];
  reclaimed = 0;
  constructor(
    private kmem: Kmem,
    private size: number,
  ) {
    kmem.registerReclaimer({ name: 'testcache', reclaim: (n) => this.shrink(n) });
  }
  add(): void {
    this.kmem.charge(this.size, 'testcache');
    this.entries.push(this.size);
  }
  shrink(need: number): number {
    let freed = 0;
    while (freed < need && this.entries.length > 0) {
      const s = this.entries.shift() as number;
      this.kmem.uncharge(s);
      freed += s;
    }
    this.reclaimed += freed;
    return freed;
  }
}

describe('kmem', () => {
  it('shrinks registered caches before failing with ENOMEM', async () => {
    const k = await rump_init({ memlimit: 10_000 });
    const cache = new TestCache(k.kmem, 1000);
    for (let i = 0; i < 10; i++) cache.add();
    expect(k.kmem.inuse).toBe(10_000);
    // A new allocation that does not fit pushes the cache out first.
    k.kmem.charge(3000, 'something else');
    expect(cache.reclaimed).toBe(3000);
    expect(cache.entries.length).toBe(7);
    expect(k.kmem.inuse).toBe(10_000);
    expect(k.sysctl('kern.rump.meminuse')).toBe(10_000);
    // More than the cache can give: everything it has goes, then ENOMEM.
    expect(() => k.kmem.charge(8000, 'big')).toThrow(expect.objectContaining({ code: 'ENOMEM', errno: 12 }));
    expect(cache.entries.length).toBe(0);
    expect(k.kmem.inuse).toBe(3000);
    expect(k.kmem.inuse).toBeLessThanOrEqual(k.kmem.limit);
  });

  it('never exceeds the limit and counts peak', () => {
    const m = new Kmem(100);
    m.charge(60);
    expect(m.tryCharge(50)).toBe(false);
    expect(m.tryCharge(40)).toBe(true);
    expect(m.peak).toBe(100);
    m.uncharge(100);
    expect(m.inuse).toBe(0);
    expect(() => new Kmem(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('is unlimited by default and reports -1', async () => {
    const k = await rump_init();
    expect(k.sysctl('kern.rump.memlimit')).toBe(-1);
    k.kmem.charge(2 ** 40);
    expect(k.kmem.inuse).toBe(2 ** 40);
  });
});
