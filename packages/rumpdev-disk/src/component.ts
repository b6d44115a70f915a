/**
 * RUMP_COMPONENT for rumpdev_disk: the disk driver on the device switch and the buffer cache, made at
 * boot; at halt (fini) every delayed write still cached is written back — or, at a halt with
 * RB_NOSYNC, dropped unwritten (cpu_reboot skips the sync: what was not written is lost, as at a power cut).
 */
import { type Kernel, RB_NOSYNC, type RumpComponent } from '@rumpts/librump';
import { BUFCACHE_SUBSYSTEM, bufcacheOf } from './bio/kernel.js';
import type { BufCache } from './bio/bufcache.js';
import { diskDriverOf } from './disk/disk.js';

/**
 * The rumpdev_disk component (faction dev, needs rumpvfs): makes the disk driver and the buffer
 * cache at boot, and writes every delayed write back at halt (drops them at a halt with RB_NOSYNC).
 */
export const rumpdev_disk_component: RumpComponent = {
  name: 'rumpdev_disk',
  faction: 'dev',
  requires: ['rumpvfs'],
  init(kernel: Kernel): void {
    bufcacheOf(kernel);
    diskDriverOf(kernel);
  },
  fini(kernel: Kernel): void {
    const cache = kernel.getSubsystem<BufCache>(BUFCACHE_SUBSYSTEM);
    if (((kernel.haltHowto ?? 0) & RB_NOSYNC) !== 0) cache?.discard();
    else cache?.sync();
  },
};
