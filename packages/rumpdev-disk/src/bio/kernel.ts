/**
 * The per-kernel buffer cache: made on first use (or by the rumpdev_disk component), charged to the
 * kernel's kmem account with a reclaimer, counters under vfs.bufcache.*, written back at halt.
 */
import { type Kernel, RB_NOSYNC, errno } from '@rumpts/librump';
import { BufCache, type BufCacheStats } from './bufcache.js';

/** The name the kernel's subsystem registry keeps the {@link BufCache} under. */
export const BUFCACHE_SUBSYSTEM = 'bufcache';

/** Cache size without a memlimit. */
export const BUFCACHE_DEFAULT_MAX = 128 * 1024 * 1024;
/** Smallest soft cap under a memlimit: one largest FFS block and its read-ahead. */
const BUFCACHE_MIN = 256 * 1024;

/**
 * Default soft cap: with a memlimit NetBSD's rump gives the buffer cache 5% of it (RUMP_MEMLIMIT), here
 * at least 256 KiB so one FFS block and its read-ahead fit, and never more than the limit.
 */
export function defaultBufcacheMax(memlimit: number): number {
  if (!Number.isFinite(memlimit)) return BUFCACHE_DEFAULT_MAX;
  return Math.min(memlimit, Math.max(Math.floor(memlimit * 0.05), BUFCACHE_MIN));
}

const COUNTERS: readonly (keyof BufCacheStats)[] = ['hits', 'misses', 'reads', 'writes', 'bytesread', 'byteswritten'];

/** The kernel's buffer cache, created on first use. */
export function bufcacheOf(kernel: Kernel): BufCache {
  const have = kernel.getSubsystem<BufCache>(BUFCACHE_SUBSYSTEM);
  if (have) return have;
  kernel.assertRunning('bufcache');
  const cache = new BufCache({
    kmem: kernel.kmem,
    maxbytes: defaultBufcacheMax(kernel.kmem.limit),
    printf: (line) => kernel.printf(line),
  });
  kernel.setSubsystem(BUFCACHE_SUBSYSTEM, cache);
  kernel.kmem.registerReclaimer({ name: 'bufcache', reclaim: (bytes) => cache.reclaim(bytes) });
  const s = kernel.sysctl_;
  for (const c of COUNTERS) s.create(`vfs.bufcache.${c}`, { get: () => cache.stats[c], description: `buffer cache ${c}` });
  s.create('vfs.bufcache.bytes', { get: () => cache.bytes, description: 'bytes held by the buffer cache' });
  s.create('vfs.bufcache.nbufs', { get: () => cache.nbufs, description: 'buffers in the buffer cache' });
  s.create('vfs.bufcache.dirty', { get: () => cache.ndirty, description: 'buffers holding delayed writes' });
  s.create('vfs.bufcache.maxbytes', {
    description: 'soft cap on the buffer cache in bytes',
    get: () => cache.maxbytes,
    set: (v) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw errno('EINVAL', 'vfs.bufcache.maxbytes must be a non-negative integer');
      cache.maxbytes = v;
    },
  });
  // Delayed writes reach the media before the kernel stops (vfs_shutdown's sync) — unless the halt
  // is RB_NOSYNC, which writes nothing back (NetBSD's cpu_reboot skips rump_vfs_fini): they are dropped.
  kernel.onHalt((howto) => {
    if ((howto & RB_NOSYNC) !== 0) cache.discard();
    else cache.sync();
  });
  return cache;
}
