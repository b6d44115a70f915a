/**
 * The disk driver (dksubr.c + a driver such as ld(4)): units over a backing BlockDevice, attached to
 * the kernel's device switch with a block and a character major. The minor selects unit and
 * partition (unit * MAXPARTITIONS + partition); each partition device sees exactly its disklabel
 * window, the raw partition 'd' the whole disk. DIOCGDINFO returns the label.
 */
import { FWRITE, type Kernel, type Proc, RB_NOSYNC, S_IFBLK, S_IFCHR, errno } from '@rumpts/librump';
import { type BlockDevice, type Bdevsw, type CharDevice, type Cdevsw, devswOf, makedev } from '@rumpts/rumpvfs';
import { checkTransfer } from '../blkdev/bounds.js';
import { type VectoredBlockDevice, devReadv, devWritev, totalLength } from '../blkdev/vectored.js';
import { BUFCACHE_SUBSYSTEM } from '../bio/kernel.js';
import type { BufCache } from '../bio/bufcache.js';
import { DISKLABEL_SIZE, DKTYPE_LD, MAXPARTITIONS, RAW_PART, partitionIndex, partitionLetter } from '../label/constants.js';
import { type DiskLabel, checkDiskLabel, encodeDiskLabel } from '../label/disklabel.js';
import { type LabelLocation, makeDiskLabel, readDiskLabel, writeDiskLabel } from '../label/labelio.js';
import { DIOCCACHESYNC, DIOCGDINFO, DIOCGMEDIASIZE, DIOCGSECTORSIZE, DIOCSDINFO, DIOCWDINFO } from './dioctl.js';

/** The name the kernel's subsystem registry keeps the {@link DiskDriver} under. */
export const DISK_SUBSYSTEM = 'disk';
/** The driver's name (device nodes /dev/ld0a, /dev/rld0a). */
export const DISK_DRIVER_NAME = 'ld';
/** ld(4)'s block major on amd64 (majors.amd64); another free major is used if it is taken. */
export const LD_BMAJOR = 19;
/** ld(4)'s character major on amd64; if either is taken, both become one free major. */
export const LD_CMAJOR = 69;
/** Units per kernel: minors are 20 bits, so unit * 16 + 15 must fit. */
export const MAXUNITS = 4096;

/** How {@link disk_attach} treats the label on the media. */
export interface DiskAttachOptions {
  /** Ignore the label on the media and use the default one (to rewrite a broken label). */
  nolabel?: boolean;
}

function labelCopy(l: DiskLabel): DiskLabel {
  return { ...l, drivedata: [...l.drivedata], partitions: l.partitions.map((p) => ({ ...p })) };
}

/** One disk (struct dk_softc + struct disk). */
export class DiskUnit {
  /** The unit's name, e.g. 'ld0' (device nodes /dev/ld0a, /dev/rld0a). */
  readonly name: string;
  #label: DiskLabel;
  #location: LabelLocation | null;
  readonly #parts = new Map<number, PartitionDevice>();
  readonly #chars = new Map<number, RawPartitionDevice>();
  #detached = false;

  /** @internal made by disk_attach. */
  constructor(
    /** The driver (per kernel) the unit belongs to. */
    readonly driver: DiskDriver,
    /** Unit number: the N of ldN, and minor / MAXPARTITIONS. */
    readonly unit: number,
    /** The whole disk. */
    readonly backing: BlockDevice,
    opts: DiskAttachOptions,
  ) {
    this.name = `${DISK_DRIVER_NAME}${unit}`;
    const found = opts.nolabel ? null : readDiskLabel(backing);
    this.#label = found ? found.label : this.defaultLabel();
    this.#location = found;
  }

  /** The label the driver uses when the media has none: 'c' and 'd' the whole disk. */
  defaultLabel(): DiskLabel {
    const secperunit = Math.floor(this.backing.size / this.backing.secsize);
    return makeDiskLabel({ secperunit, secsize: this.backing.secsize, type: DKTYPE_LD, typename: 'rumpts disk', packname: 'default label' });
  }

  /** A copy of the in-core label. */
  get label(): DiskLabel {
    return labelCopy(this.#label);
  }

  /** Where the label was found on the media, or null if the default label is in use. */
  get labelLocation(): LabelLocation | null {
    return this.#location;
  }

  /** Set by disk_detach; every partition device fails with ENXIO afterwards. */
  get detached(): boolean {
    return this.#detached;
  }

  /** Partition index of a letter or number; EINVAL outside 0 … MAXPARTITIONS-1. */
  static part(part: number | string): number {
    const i = typeof part === 'string' ? partitionIndex(part) : part;
    if (!Number.isInteger(i) || i < 0 || i >= MAXPARTITIONS) throw errno('EINVAL', `bad partition ${String(part)}`);
    return i;
  }

  /** The minor of a partition: unit * MAXPARTITIONS + partition index. */
  minor(part: number | string): number {
    return this.unit * MAXPARTITIONS + DiskUnit.part(part);
  }

  /** dev_t of the block device for a partition. */
  bdev(part: number | string): number {
    return makedev(this.driver.bmajor, this.minor(part));
  }

  /** dev_t of the character (raw) device for a partition. */
  cdev(part: number | string): number {
    return makedev(this.driver.cmajor, this.minor(part));
  }

  /** Byte window [start, start + size) of a partition; ENXIO if the label does not define it. */
  window(part: number): {
    /** Byte offset of the partition on the disk. */
    start: number;
    /** Its size in bytes. */
    size: number;
  } {
    if (this.#detached) throw errno('ENXIO', `${this.name} is detached`);
    if (part === RAW_PART) return { start: 0, size: this.backing.size };
    const p = this.#label.partitions[part];
    if (!p || p.size === 0) throw errno('ENXIO', `${this.name}${partitionLetter(part)}: no such partition`);
    return { start: p.offset * this.#label.secsize, size: p.size * this.#label.secsize };
  }

  /** The block device of a partition (the same object on every call, so the buffer cache can key on it). */
  partition(part: number | string): PartitionDevice {
    const i = DiskUnit.part(part);
    this.window(i);
    let d = this.#parts.get(i);
    if (!d) {
      d = new PartitionDevice(this, i);
      this.#parts.set(i, d);
    }
    return d;
  }

  /** The character device of a partition. */
  raw(part: number | string): RawPartitionDevice {
    const i = DiskUnit.part(part);
    this.window(i);
    let d = this.#chars.get(i);
    if (!d) {
      d = new RawPartitionDevice(this.partition(i));
      this.#chars.set(i, d);
    }
    return d;
  }

  /** Partitions present in the label (size > 0) plus the raw one. */
  partitions(): number[] {
    const out: number[] = [];
    const n = Math.max(this.#label.partitions.length, RAW_PART + 1);
    for (let i = 0; i < n; i++) {
      if (i === RAW_PART || (this.#label.partitions[i]?.size ?? 0) > 0) out.push(i);
    }
    return out;
  }

  /**
   * DIOCSDINFO / DIOCWDINFO: replace the in-core label (checked against the media), optionally writing
   * it to the disk. Cached buffers of the partitions are written back and dropped first, since their
   * windows may move.
   */
  setLabel(label: DiskLabel, opts: { write?: boolean } = {}): void {
    if (this.#detached) throw errno('ENXIO', `${this.name} is detached`);
    if (label.secsize !== this.backing.secsize) throw errno('EINVAL', `disklabel: d_secsize ${label.secsize} differs from the device's ${this.backing.secsize}`);
    checkDiskLabel(label, { mediaSectors: Math.floor(this.backing.size / this.backing.secsize) });
    this.invalidateCaches();
    if (opts.write) writeDiskLabel(this.backing, label);
    this.#label = labelCopy(label);
    delete this.#label.checksum;
    delete this.#label.byteOrder;
    if (opts.write) this.#location = readDiskLabel(this.backing);
  }

  /** Write back and drop this disk's buffers in the kernel's buffer cache. */
  invalidateCaches(): void {
    const cache = this.driver.kernel.getSubsystem<BufCache>(BUFCACHE_SUBSYSTEM);
    if (!cache) return;
    for (const d of this.#parts.values()) cache.invalidate(d);
  }

  /** Create /dev/<name><p> (block) and /dev/r<name><p> (character) for every partition present. */
  mknodes(proc: Proc = this.driver.kernel.proc, dir = '/dev'): string[] {
    const made: string[] = [];
    for (const i of this.partitions()) {
      const l = partitionLetter(i);
      for (const [path, mode, dev] of [
        [`${dir}/${this.name}${l}`, S_IFBLK | 0o640, this.bdev(i)],
        [`${dir}/r${this.name}${l}`, S_IFCHR | 0o640, this.cdev(i)],
      ] as const) {
        proc.mknod(path, mode, dev);
        made.push(path);
      }
    }
    return made;
  }

  /** @internal disk_detach */
  _detach(): void {
    this.invalidateCaches();
    this.#detached = true;
  }
}

/** A partition as a block device: every request is checked against the partition's window. */
export class PartitionDevice implements VectoredBlockDevice {
  readonly secsize: number;

  constructor(
    /** The disk the partition is on. */
    readonly disk: DiskUnit,
    /** Partition index (0 = 'a'; RAW_PART 'd' is the whole disk). */
    readonly part: number,
  ) {
    this.secsize = disk.backing.secsize;
  }

  /** The partition's name, e.g. 'ld0e'. */
  get name(): string {
    return `${this.disk.name}${partitionLetter(this.part)}`;
  }

  get size(): number {
    return this.disk.window(this.part).size;
  }

  get readonly(): boolean {
    return this.disk.backing.readonly;
  }

  #check(what: string, offset: number, len: number): number {
    const w = this.disk.window(this.part);
    checkTransfer(`${what} ${this.name}`, offset, len, w.size, this.secsize);
    return w.start + offset;
  }

  read(buf: Uint8Array, offset: number): void {
    this.disk.backing.read(buf, this.#check('read', offset, buf.length));
  }

  write(buf: Uint8Array, offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.name} is read-only`);
    this.disk.backing.write(buf, this.#check('write', offset, buf.length));
  }

  readv(bufs: readonly Uint8Array[], offset: number): void {
    devReadv(this.disk.backing, bufs, this.#check('read', offset, totalLength(bufs)));
  }

  writev(bufs: readonly Uint8Array[], offset: number): void {
    if (this.readonly) throw errno('EROFS', `${this.name} is read-only`);
    devWritev(this.disk.backing, bufs, this.#check('write', offset, totalLength(bufs)));
  }

  /** Delayed writes in the buffer cache first, then the backing's flush (what the VFS's sync and unmount call). */
  flush(): void {
    this.disk.driver.kernel.getSubsystem<BufCache>(BUFCACHE_SUBSYSTEM)?.writeback(this);
    if (!this.readonly) this.disk.backing.flush();
  }

  ioctl(cmd: number, arg: unknown): unknown {
    return diskioctl(this, cmd, arg);
  }
}

/**
 * The character device of a partition (physio): whole sectors only (EINVAL otherwise); a transfer
 * starting at the end returns 0, one crossing it is cut short, one starting beyond is EINVAL — rumpblk's
 * rules. It does not go through the buffer cache.
 */
export class RawPartitionDevice implements CharDevice {
  /** @param bdev The partition's block device, which the raw device reads and writes through (uncached). */
  constructor(readonly bdev: PartitionDevice) {}

  get size(): number {
    return this.bdev.size;
  }

  #clip(offset: number, len: number): number {
    const ss = this.bdev.secsize;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % ss !== 0 || len % ss !== 0) {
      throw errno('EINVAL', `${this.bdev.name}: raw transfer of ${len} bytes at ${offset} is not in whole ${ss}-byte sectors`);
    }
    const size = this.bdev.size;
    if (offset > size) throw errno('EINVAL', `${this.bdev.name}: offset ${offset} is past the end (${size} bytes)`);
    return Math.min(len, size - offset);
  }

  read(buf: Uint8Array, offset: number): number {
    const n = this.#clip(offset, buf.length);
    if (n > 0) this.bdev.read(buf.subarray(0, n), offset);
    return n;
  }

  write(buf: Uint8Array, offset: number): number {
    const n = this.#clip(offset, buf.length);
    if (n === 0 && buf.length > 0) throw errno('ENOSPC', `${this.bdev.name}: write at the end of the device`);
    if (n > 0) this.bdev.write(buf.subarray(0, n), offset);
    return n;
  }

  ioctl(cmd: number, arg: unknown): unknown {
    return diskioctl(this.bdev, cmd, arg);
  }
}

function isLabel(x: unknown): x is DiskLabel {
  return typeof x === 'object' && x !== null && Array.isArray((x as DiskLabel).partitions) && typeof (x as DiskLabel).secsize === 'number';
}

/**
 * dkioctl: DIOCGDINFO returns a copy of the label (and, given a Uint8Array of at least 404 bytes,
 * encodes struct disklabel into it as the C call does); DIOCSDINFO/DIOCWDINFO take a DiskLabel;
 * DIOCGMEDIASIZE the partition's bytes; DIOCGSECTORSIZE; DIOCCACHESYNC flushes. Others: ENOTTY.
 */
function diskioctl(dev: PartitionDevice, cmd: number, arg: unknown): unknown {
  const disk = dev.disk;
  switch (cmd) {
    case DIOCGDINFO: {
      const l = disk.label;
      if (arg instanceof Uint8Array) {
        if (arg.length < DISKLABEL_SIZE) throw errno('EINVAL', `DIOCGDINFO needs ${DISKLABEL_SIZE} bytes`);
        arg.fill(0, 0, DISKLABEL_SIZE);
        arg.set(encodeDiskLabel(l));
      }
      return l;
    }
    case DIOCSDINFO:
    case DIOCWDINFO:
      if (!isLabel(arg)) throw errno('EINVAL', 'DIOCSDINFO/DIOCWDINFO need a DiskLabel');
      if (dev.readonly && cmd === DIOCWDINFO) throw errno('EBADF', `${dev.name} is read-only`);
      disk.setLabel(arg, { write: cmd === DIOCWDINFO });
      return 0;
    case DIOCGMEDIASIZE:
      return dev.size;
    case DIOCGSECTORSIZE:
      return dev.secsize;
    case DIOCCACHESYNC:
      dev.flush();
      return 0;
    default:
      throw errno('ENOTTY', `${dev.name}: unknown ioctl 0x${(cmd >>> 0).toString(16)}`);
  }
}

/** The driver's per-kernel state: its majors and units. */
export class DiskDriver {
  /** Block major the driver is attached at (LD_BMAJOR unless taken). */
  readonly bmajor: number;
  /** Character major the driver is attached at (LD_CMAJOR unless taken). */
  readonly cmajor: number;
  /** Units by unit number; a detached unit leaves a hole reused by the next attach. */
  readonly units: (DiskUnit | undefined)[] = [];
  /** Open counts per minor, for last-close handling. */
  readonly #bopen = new Map<number, number>();

  /** @param kernel The kernel whose device switch the driver attaches to. */
  constructor(readonly kernel: Kernel) {
    const devsw = devswOf(kernel);
    const unitOf = (minor: number): DiskUnit => {
      const u = this.units[Math.floor(minor / MAXPARTITIONS)];
      if (!u || u.detached) throw errno('ENXIO', `${DISK_DRIVER_NAME}: no unit for minor ${minor}`);
      return u;
    };
    const bdevsw: Bdevsw = {
      name: DISK_DRIVER_NAME,
      open: (minor, mode) => {
        const d = unitOf(minor).partition(minor % MAXPARTITIONS);
        if ((mode & FWRITE) !== 0 && d.readonly) throw errno('EROFS', `${d.name} is read-only`);
        this.#bopen.set(minor, (this.#bopen.get(minor) ?? 0) + 1);
        return d;
      },
      close: (minor) => {
        const n = (this.#bopen.get(minor) ?? 1) - 1;
        if (n > 0) {
          this.#bopen.set(minor, n);
          return;
        }
        this.#bopen.delete(minor);
        // Last close: delayed writes reach the media and the cache lets go of the device — except
        // at a halt with RB_NOSYNC, which writes nothing back.
        const u = this.units[Math.floor(minor / MAXPARTITIONS)];
        const cache = this.kernel.getSubsystem<BufCache>(BUFCACHE_SUBSYSTEM);
        const save = ((this.kernel.haltHowto ?? 0) & RB_NOSYNC) === 0;
        if (u && cache && !u.detached) cache.invalidate(u.partition(minor % MAXPARTITIONS), { save });
      },
    };
    const cdevsw: Cdevsw = {
      name: DISK_DRIVER_NAME,
      open: (minor, mode) => {
        const d = unitOf(minor).raw(minor % MAXPARTITIONS);
        if ((mode & FWRITE) !== 0 && d.bdev.readonly) throw errno('EROFS', `${d.bdev.name} is read-only`);
        return d;
      },
    };
    const free = (m: number): boolean => {
      try {
        devsw.bdev(makedev(m, 0));
        return false;
      } catch {
        try {
          devsw.cdev(makedev(m, 0));
          return false;
        } catch {
          return true;
        }
      }
    };
    const fixed = free(LD_BMAJOR) && free(LD_CMAJOR);
    this.bmajor = fixed ? LD_BMAJOR : devsw.freeMajor();
    this.cmajor = fixed ? LD_CMAJOR : this.bmajor;
    devsw.attach(this.bmajor, bdevsw, this.cmajor, cdevsw);
  }

  /** Attach a disk: read its label (EINVAL if present but bad) and give it the lowest free unit. */
  attach(backing: BlockDevice, opts: DiskAttachOptions = {}): DiskUnit {
    let unit = this.units.findIndex((u) => u === undefined);
    if (unit < 0) unit = this.units.length;
    if (unit >= MAXUNITS) throw errno('ENXIO', `${DISK_DRIVER_NAME}: no free units`);
    const u = new DiskUnit(this, unit, backing, opts);
    this.units[unit] = u;
    this.kernel.aprint_verbose(`${u.name}: ${backing.size} bytes, ${backing.secsize} bytes/sect, ${u.labelLocation ? 'disklabel' : 'no disklabel'}`);
    return u;
  }

  /** Remove a unit; EBUSY while one of its partitions is open, ENXIO if it is not attached here. */
  detach(u: DiskUnit): void {
    if (this.units[u.unit] !== u) throw errno('ENXIO', `${u.name} is not attached`);
    for (const m of this.#bopen.keys()) {
      if (Math.floor(m / MAXPARTITIONS) === u.unit) throw errno('EBUSY', `${u.name} is open`);
    }
    u._detach();
    this.units[u.unit] = undefined;
  }
}

/** The kernel's disk driver, attached to its device switch on first use. ENOSYS without rumpvfs. */
export function diskDriverOf(kernel: Kernel): DiskDriver {
  const have = kernel.getSubsystem<DiskDriver>(DISK_SUBSYSTEM);
  if (have) return have;
  kernel.assertRunning('disk');
  const d = new DiskDriver(kernel);
  kernel.setSubsystem(DISK_SUBSYSTEM, d);
  return d;
}

/** disk_attach: a new unit over `backing`; see DiskUnit for its devices. */
export function disk_attach(kernel: Kernel, backing: BlockDevice, opts: DiskAttachOptions = {}): DiskUnit {
  return diskDriverOf(kernel).attach(backing, opts);
}

/** disk_detach: write back its buffers and remove the unit; EBUSY while a partition is open. */
export function disk_detach(kernel: Kernel, unit: DiskUnit | number): void {
  const d = diskDriverOf(kernel);
  const u = typeof unit === 'number' ? d.units[unit] : unit;
  if (!u) throw errno('ENXIO', `${typeof unit === 'number' ? `${DISK_DRIVER_NAME}${unit}` : unit.name} is not attached`);
  d.detach(u);
}
