import { describe, expect, it } from 'vitest';
import { type BlockDevice } from '@rumpts/rumpvfs';
import * as rumpvfs from '@rumpts/rumpvfs';
import { Kmem, RB_NOSYNC, errno, rump_init } from '@rumpts/librump';
import * as disk from '../src/index.js';
import { BC_INVAL, B_DONE, BufCache, MemoryBlockDevice, bufcacheOf } from '../src/index.js';
import { codeOf, pattern, sha } from './helpers.js';

/** A memory device that counts device requests, to see what reached the "media". */
class CountingDevice extends MemoryBlockDevice {
  reads = 0;
  writes = 0;
  override read(buf: Uint8Array, offset: number): void {
    this.reads++;
    super.read(buf, offset);
  }
  override write(buf: Uint8Array, offset: number): void {
    this.writes++;
    super.write(buf, offset);
  }
  override readv(bufs: readonly Uint8Array[], offset: number): void {
    this.reads++;
    let off = offset;
    for (const b of bufs) {
      super.read(b, off);
      off += b.length;
    }
  }
  override writev(bufs: readonly Uint8Array[], offset: number): void {
    this.writes++;
    let off = offset;
    for (const b of bufs) {
      super.write(b, off);
      off += b.length;
    }
  }
}

const boot = (memlimit?: number) => rump_init({ libraries: [rumpvfs, disk], ...(memlimit ? { memlimit } : {}) });

describe('buffer cache: bio calls', () => {
  it('bread reads the device once, then hits', () => {
    const bytes = pattern(65536);
    const dev = new CountingDevice(bytes);
    const c = new BufCache();
    const bp = c.bread(dev, 16, 4096); // DEV_BSIZE units: byte 8192
    expect(bp.offset).toBe(8192);
    expect(bp.data).toEqual(bytes.slice(8192, 12288));
    expect(bp.flags & B_DONE).toBe(B_DONE);
    c.brelse(bp);
    const again = c.bread(dev, 16, 4096);
    expect(again).toBe(bp);
    c.brelse(again);
    expect(c.stats.hits).toBe(1);
    expect(c.stats.misses).toBe(1);
    expect(dev.reads).toBe(1);
  });

  it('bdwrite is delayed until flush; bwrite writes at once', () => {
    const bytes = new Uint8Array(65536);
    const dev = new CountingDevice(bytes);
    const c = new BufCache();
    const bp = c.getblk(dev, 8, 1024);
    bp.data.set(pattern(1024, 2));
    c.bdwrite(bp);
    expect(c.ndirty).toBe(1);
    expect(dev.writes).toBe(0);
    expect(sha(bytes.subarray(4096, 5120))).toBe(sha(new Uint8Array(1024)));
    // A later bread sees the delayed data without touching the device.
    const r = c.bread(dev, 8, 1024);
    expect(r.data).toEqual(pattern(1024, 2));
    c.brelse(r);
    expect(dev.reads).toBe(0);
    c.flush(dev);
    expect(c.ndirty).toBe(0);
    expect(bytes.slice(4096, 5120)).toEqual(pattern(1024, 2));
    const w = c.getblk(dev, 0, 512);
    w.data.fill(0xaa);
    c.bwrite(w);
    expect(bytes[0]).toBe(0xaa);
    expect(c.stats.writes).toBe(2);
    expect(c.stats.byteswritten).toBe(1536);
  });

  it('flush writes adjacent delayed buffers as one request', () => {
    const dev = new CountingDevice(65536);
    const c = new BufCache();
    for (let i = 0; i < 8; i++) {
      const bp = c.getblk(dev, i * 8, 4096);
      bp.data.fill(i + 1);
      c.bdwrite(bp);
    }
    c.flush(dev);
    expect(dev.writes).toBe(1);
    for (let i = 0; i < 8; i++) expect(dev.bytes[i * 4096 + 100]).toBe(i + 1);
  });

  it('brelse(BC_INVAL) discards a delayed write; an unfilled getblk is not cached', () => {
    const bytes = pattern(8192, 3);
    const dev = new CountingDevice(bytes);
    const c = new BufCache();
    const bp = c.bread(dev, 0, 1024);
    bp.data.fill(0);
    c.bdwrite(bp);
    const again = c.getblk(dev, 0, 1024);
    c.brelse(again, BC_INVAL);
    c.flush(dev);
    expect(bytes.slice(0, 1024)).toEqual(pattern(8192, 3).slice(0, 1024));
    const g = c.getblk(dev, 4, 512);
    c.brelse(g);
    expect(c.incore(dev, 4)).toBeUndefined();
  });

  it('a held buffer cannot be taken twice, released twice, or used after discard', () => {
    const dev = new MemoryBlockDevice(8192);
    const c = new BufCache();
    const bp = c.bread(dev, 0, 1024);
    expect(codeOf(() => c.bread(dev, 0, 1024))).toBe('EDEADLK');
    expect(codeOf(() => c.bread(dev, 1, 512))).toBe('EDEADLK'); // overlaps the held one
    c.brelse(bp);
    expect(codeOf(() => c.brelse(bp))).toBe('EINVAL');
    const b2 = c.bread(dev, 0, 1024);
    c.brelse(b2, BC_INVAL);
    expect(codeOf(() => c.bwrite(b2))).toBe('EINVAL');
  });

  it('cachedIn: any cached buffer of any size overlapping a range, on that device only', () => {
    const dev = new MemoryBlockDevice(1 << 20);
    const other = new MemoryBlockDevice(1 << 20);
    const c = new BufCache();
    expect(c.cachedIn(dev, 0, 2048)).toBe(false);
    // A 4 KiB buffer at block 300 (300..307) and a 64 KiB one at block 1024 (1024..1151).
    c.brelse(c.bread(dev, 300, 4096));
    const big = c.getblk(dev, 1024, 65536);
    c.bdwrite(big);
    for (const [blk, n, want] of [
      [0, 300, false], [0, 301, true], [307, 1, true], [308, 716, false], [308, 717, true], [1151, 10, true], [1152, 100, false], [200, 2000, true],
    ] as const) {
      expect([blk, n, c.cachedIn(dev, blk, n)]).toEqual([blk, n, want]);
    }
    expect(c.cachedIn(other, 0, 2048)).toBe(false);
    c.flush(dev);
    c.invalidate(dev);
    expect(c.cachedIn(dev, 0, 2048)).toBe(false);
  });

  it('a request overlapping cached buffers of another shape sees their delayed writes', () => {
    const bytes = new Uint8Array(65536);
    const dev = new MemoryBlockDevice(bytes);
    const c = new BufCache();
    // Two 1 KiB fragments written delayed, then the 8 KiB block containing them read.
    for (const [blk, v] of [[2, 0x11], [6, 0x22]] as const) {
      const bp = c.getblk(dev, blk, 1024);
      bp.data.fill(v);
      c.bdwrite(bp);
    }
    const big = c.bread(dev, 0, 8192);
    expect(big.data[1024]).toBe(0x11);
    expect(big.data[3072 + 1023]).toBe(0x22);
    expect(big.data[0]).toBe(0);
    expect(c.incore(dev, 2)).toBeUndefined();
    c.brelse(big);
    // Resizing at the same block number: old delayed data reaches the media first.
    const bp = c.getblk(dev, 0, 8192);
    bp.data.fill(0x33);
    c.bdwrite(bp);
    const small = c.bread(dev, 0, 2048);
    expect(small.data[2047]).toBe(0x33);
    c.brelse(small);
    expect(bytes[8191]).toBe(0x33);
  });

  it('checks requests against the device: alignment, size, end', () => {
    const dev = new MemoryBlockDevice(8192, { secsize: 2048 });
    const c = new BufCache();
    expect(codeOf(() => c.bread(dev, 1, 2048))).toBe('EINVAL'); // byte 512 is not a 2048-byte sector
    expect(codeOf(() => c.bread(dev, 0, 1000))).toBe('EINVAL');
    expect(codeOf(() => c.bread(dev, 0, 1024))).toBe('EINVAL');
    expect(codeOf(() => c.bread(dev, 16, 2048))).toBe('ENXIO');
    expect(codeOf(() => c.bread(dev, -4, 2048))).toBe('EINVAL');
    const bp = c.bread(dev, 12, 2048);
    c.brelse(bp);
    const ro = new MemoryBlockDevice(8192, { readonly: true });
    const r = c.bread(ro, 0, 512);
    expect(codeOf(() => c.bdwrite(r))).toBe('EROFS');
  });

  it('sequential reading is clustered: fewer device requests than blocks', () => {
    const bytes = pattern(4 * 1024 * 1024, 9);
    const dev = new CountingDevice(bytes);
    const c = new BufCache({ maxbytes: 8 * 1024 * 1024 });
    const out = new Uint8Array(bytes.length);
    for (let off = 0; off < bytes.length; off += 16384) {
      const bp = c.bread(dev, off / 512, 16384);
      out.set(bp.data, off);
      c.brelse(bp);
    }
    expect(sha(out)).toBe(sha(bytes));
    expect(dev.reads).toBe(c.stats.reads);
    expect(c.stats.reads).toBeLessThan(bytes.length / 16384 / 4);
    expect(c.stats.bytesread).toBe(bytes.length);
    // Past a quarter of the cache the scan recycles aged buffers instead of filling the cache.
    expect(c.bytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('a long sequential scan does not push other cached blocks out (AGE queue)', () => {
    const dev = new CountingDevice(pattern(16 * 1024 * 1024, 12));
    const c = new BufCache({ maxbytes: 1024 * 1024 });
    // "Metadata": four 4 KiB blocks near the end of the disk, read once.
    const meta = [30000, 30008, 30016, 30024];
    for (const b of meta) c.brelse(c.bread(dev, b, 4096));
    // A 8 MiB scan, eight times the cache.
    for (let blk = 0; blk < 16384; blk += 128) c.brelse(c.bread(dev, blk, 65536));
    const reads = dev.reads;
    for (const b of meta) c.brelse(c.bread(dev, b, 4096));
    expect(dev.reads).toBe(reads);
    expect(c.bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('invalidate drops a device, writing back first unless told not to', () => {
    const bytes = new Uint8Array(8192);
    const dev = new MemoryBlockDevice(bytes);
    const c = new BufCache();
    const a = c.getblk(dev, 0, 512);
    a.data.fill(1);
    c.bdwrite(a);
    c.invalidate(dev);
    expect(bytes[0]).toBe(1);
    expect(c.nbufs).toBe(0);
    const b = c.getblk(dev, 0, 512);
    b.data.fill(2);
    c.bdwrite(b);
    c.invalidate(dev, { save: false });
    expect(bytes[0]).toBe(1);
    const held = c.bread(dev, 0, 512);
    expect(codeOf(() => c.invalidate(dev))).toBe('EBUSY');
    c.brelse(held);
  });
});

describe('buffer cache: memory', () => {
  it('stays under its cap and charges every byte to kmem', () => {
    const kmem = new Kmem(1 << 20);
    const c = new BufCache({ kmem, maxbytes: 256 * 1024 });
    kmem.registerReclaimer({ name: 'bufcache', reclaim: (n) => c.reclaim(n) });
    const dev = new MemoryBlockDevice(pattern(4 * 1024 * 1024, 5));
    for (let blk = 0; blk < 8192; blk += 16) {
      const bp = c.bread(dev, blk, 8192);
      c.brelse(bp);
      expect(c.bytes).toBeLessThanOrEqual(256 * 1024);
      expect(kmem.inuse).toBe(c.bytes);
    }
    c.maxbytes = 64 * 1024;
    expect(c.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(kmem.inuse).toBe(c.bytes);
  });

  it('a 1 MiB memlimit holds while reading 64 MiB; data is right; counters are in sysctl', async () => {
    const k = await boot(1 << 20);
    const c = bufcacheOf(k);
    const size = 64 * 1024 * 1024;
    const bytes = pattern(size, 77);
    const dev = new MemoryBlockDevice(bytes);
    const bs = 65536;
    const h = new Uint8Array(32);
    for (let off = 0; off < size; off += bs) {
      const bp = c.bread(dev, off / 512, bs);
      // Spot-check the content against the source at a varying position.
      const at = (off / bs) % (bs - 32);
      h.set(bp.data.subarray(at, at + 32));
      expect(h).toEqual(bytes.subarray(off + at, off + at + 32));
      c.brelse(bp);
    }
    expect(k.kmem.peak).toBeLessThanOrEqual(1 << 20);
    expect(c.bytes).toBeLessThanOrEqual(c.maxbytes);
    expect(k.sysctl('vfs.bufcache.bytesread')).toBe(size);
    expect(k.sysctl('vfs.bufcache.misses')).toBe(c.stats.misses);
    expect(k.sysctl('vfs.bufcache.hits')).toBe(c.stats.hits);
    expect((k.sysctl('vfs.bufcache.reads') as number) < size / bs).toBe(true);
    k.halt();
  });

  it('memory pressure from elsewhere shrinks the cache, writing delayed buffers back', async () => {
    const k = await boot(2 << 20);
    const c = bufcacheOf(k);
    k.sysctl('vfs.bufcache.maxbytes', 1 << 20);
    const bytes = new Uint8Array(4 << 20);
    const dev = new MemoryBlockDevice(bytes);
    for (let i = 0; i < 16; i++) {
      const bp = c.getblk(dev, i * 128, 65536);
      bp.data.fill(i + 1);
      c.bdwrite(bp);
    }
    expect(c.bytes).toBe(1 << 20);
    expect(bytes[0]).toBe(0);
    // Another kernel consumer needs 1.5 MiB: the cache must give up at least 512 KiB.
    k.kmem.charge(1.5 * (1 << 20), 'test');
    expect(c.bytes).toBeLessThanOrEqual(512 * 1024);
    expect(bytes[0]).toBe(1); // the evicted, oldest buffer was written back first
    k.kmem.uncharge(1.5 * (1 << 20));
    k.halt();
  });
});

describe('buffer cache: device errors', () => {
  it('a failed read leaves nothing cached and nothing charged', () => {
    const kmem = new Kmem(1 << 20);
    const c = new BufCache({ kmem });
    const dev = new CountingDevice(65536);
    dev.read = () => {
      throw errno('EIO', 'injected');
    };
    dev.readv = () => {
      throw errno('EIO', 'injected');
    };
    expect(codeOf(() => c.bread(dev, 0, 4096))).toBe('EIO');
    expect(c.nbufs).toBe(0);
    expect(kmem.inuse).toBe(0);
  });

  it('a write-back that fails during eviction keeps the buffer dirty and reports it', () => {
    const lines: string[] = [];
    const c = new BufCache({ maxbytes: 8192, printf: (l) => lines.push(l) });
    const bad = new CountingDevice(65536);
    const bp = c.getblk(bad, 0, 4096);
    bp.data.fill(1);
    c.bdwrite(bp);
    bad.write = () => {
      throw errno('EIO', 'injected');
    };
    bad.writev = () => {
      throw errno('EIO', 'injected');
    };
    const good = new MemoryBlockDevice(65536);
    // Not sequential, so these go through the LRU rather than the AGE queue.
    for (const b of [0, 40, 16, 56]) c.brelse(c.bread(good, b, 4096));
    expect(c.incore(bad, 0)?.dirty).toBe(true);
    expect(lines.some((l) => l.includes('kept dirty'))).toBe(true);
    expect(codeOf(() => c.flush(bad))).toBe('EIO');
  });
});

describe('buffer cache: write-back on sync and halt', () => {
  it('sync writes back every device', async () => {
    const k = await boot();
    const c = bufcacheOf(k);
    const devs: BlockDevice[] = [new MemoryBlockDevice(8192), new MemoryBlockDevice(8192)];
    for (const d of devs) {
      const bp = c.getblk(d, 2, 512);
      bp.data.fill(0x5a);
      c.bdwrite(bp);
    }
    expect(k.sysctl('vfs.bufcache.dirty')).toBe(2);
    c.sync();
    for (const d of devs) expect((d as MemoryBlockDevice).bytes[1024]).toBe(0x5a);
    expect(k.sysctl('vfs.bufcache.dirty')).toBe(0);
    k.halt();
  });

  it('halt writes back delayed writes', async () => {
    const k = await boot();
    const c = bufcacheOf(k);
    const bytes = new Uint8Array(8192);
    const dev = new MemoryBlockDevice(bytes);
    const bp = c.getblk(dev, 4, 1024);
    bp.data.fill(0x77);
    c.bdwrite(bp);
    expect(bytes[2048]).toBe(0);
    k.halt();
    expect(bytes[2048]).toBe(0x77);
    expect(bytes[3071]).toBe(0x77);
  });

  it('halt with RB_NOSYNC drops delayed writes unwritten, and the cache lets go of them', async () => {
    const k = await boot();
    const c = bufcacheOf(k);
    const dev = new CountingDevice(8192);
    const bp = c.getblk(dev, 4, 1024);
    bp.data.fill(0x77);
    c.bdwrite(bp);
    expect(c.ndirty).toBe(1);
    k.halt(RB_NOSYNC);
    expect(dev.writes).toBe(0);
    expect(dev.bytes.every((b) => b === 0)).toBe(true);
    expect(c.ndirty).toBe(0);
    expect(c.nbufs).toBe(0);
    expect(k.haltHowto).toBe(RB_NOSYNC);
  });
});
