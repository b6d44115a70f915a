import { describe, expect, it } from 'vitest';
import * as rumpvfs from '@rumpts/rumpvfs';
import { devswOf, major, minor } from '@rumpts/rumpvfs';
import { FREAD, FWRITE, O_RDONLY, O_RDWR, S_IFBLK, S_IFCHR, S_IFMT, rump_init } from '@rumpts/librump';
import * as disk from '../src/index.js';
import {
  DIOCCACHESYNC,
  DIOCGDINFO,
  DIOCGMEDIASIZE,
  DIOCGSECTORSIZE,
  DIOCWDINFO,
  type DiskLabel,
  FS_BSDFFS,
  FS_SWAP,
  MAXPARTITIONS,
  MBR_PTYPE_NETBSD,
  MemoryBlockDevice,
  RAW_PART,
  bufcacheOf,
  decodeDiskLabel,
  diskDriverOf,
  disk_attach,
  disk_detach,
  encodeDiskLabel,
  makeDiskLabel,
  readDiskLabel,
  writeDiskLabel,
  writeMbr,
} from '../src/index.js';
import { codeOf, pattern, sha } from './helpers.js';

const boot = () => rump_init({ libraries: [rumpvfs, disk] });
const SECTORS = 8192;

function labelled(): MemoryBlockDevice {
  const dev = new MemoryBlockDevice(pattern(SECTORS * 512, 31));
  writeDiskLabel(
    dev,
    makeDiskLabel({
      secperunit: SECTORS,
      partitions: {
        a: { offset: 64, size: 4000, fstype: FS_BSDFFS, fsize: 1024, frag: 8 },
        b: { offset: 4064, size: 1024, fstype: FS_SWAP },
        e: { offset: 5088, size: 3104, fstype: FS_BSDFFS },
      },
    }),
  );
  return dev;
}

describe('disk driver', () => {
  it('attaches block and character majors; minors are unit * 16 + partition', async () => {
    const k = await boot();
    const drv = diskDriverOf(k);
    const u0 = disk_attach(k, labelled());
    const u1 = disk_attach(k, new MemoryBlockDevice(1 << 20));
    expect([u0.name, u1.name]).toEqual(['ld0', 'ld1']);
    expect(major(u1.bdev('e'))).toBe(drv.bmajor);
    expect(major(u1.cdev('e'))).toBe(drv.cmajor);
    expect(minor(u1.bdev('e'))).toBe(1 * MAXPARTITIONS + 4);
    expect(minor(u0.bdev(RAW_PART))).toBe(3);
    const sw = devswOf(k);
    expect(sw.bdev(u0.bdev('a')).name).toBe('ld');
    expect(sw.cdev(u0.cdev('a')).name).toBe('ld');
    // An absent unit or partition is ENXIO, as is a partition index past the label.
    expect(codeOf(() => sw.bdev(u0.bdev('a')).open(7 * MAXPARTITIONS, FREAD))).toBe('ENXIO');
    expect(codeOf(() => sw.bdev(u0.bdev('f')).open(minor(u0.bdev('f')), FREAD))).toBe('ENXIO');
    expect(codeOf(() => sw.bdev(u1.bdev('a')).open(minor(u1.bdev('a')), FREAD))).toBe('ENXIO'); // unlabelled: no 'a'
    k.halt();
  });

  it('a partition sees exactly its window; I/O past its end never reaches the neighbours', async () => {
    const k = await boot();
    const backing = labelled();
    const before = backing.bytes.slice();
    const u = disk_attach(k, backing);
    const sw = devswOf(k);
    const b = sw.bdev(u.bdev('b')).open(minor(u.bdev('b')), FREAD | FWRITE);
    expect(b.size).toBe(1024 * 512);
    const got = new Uint8Array(b.size);
    b.read(got, 0);
    expect(sha(got)).toBe(sha(before.subarray(4064 * 512, 5088 * 512)));
    const fill = pattern(b.size, 5);
    b.write(fill, 0);
    expect(codeOf(() => b.write(new Uint8Array(512), b.size))).toBe('ENXIO');
    expect(codeOf(() => b.write(new Uint8Array(1024), b.size - 512))).toBe('ENXIO');
    expect(codeOf(() => b.read(new Uint8Array(512), b.size))).toBe('ENXIO');
    expect(codeOf(() => b.read(new Uint8Array(100), 0))).toBe('EINVAL');
    sw.bdev(u.bdev('b')).close?.(minor(u.bdev('b')), FREAD | FWRITE);
    expect(sha(backing.bytes.subarray(0, 4064 * 512))).toBe(sha(before.subarray(0, 4064 * 512)));
    expect(sha(backing.bytes.subarray(4064 * 512, 5088 * 512))).toBe(sha(fill));
    expect(sha(backing.bytes.subarray(5088 * 512))).toBe(sha(before.subarray(5088 * 512)));
    // The raw partition 'd' is the whole disk.
    const d = u.partition('d');
    expect(d.size).toBe(SECTORS * 512);
    k.halt();
  });

  it('the character device reads short at the end and bypasses nothing outside the window', async () => {
    const k = await boot();
    const backing = labelled();
    const u = disk_attach(k, backing);
    const r = devswOf(k).cdev(u.cdev('a')).open(minor(u.cdev('a')), FREAD);
    expect(r.size).toBe(4000 * 512);
    const buf = new Uint8Array(4096);
    expect(r.read(buf, 4000 * 512 - 1024)).toBe(1024);
    expect(buf.subarray(0, 1024)).toEqual(backing.bytes.subarray((64 + 3998) * 512, (64 + 4000) * 512));
    expect(r.read(buf, 4000 * 512)).toBe(0);
    expect(codeOf(() => r.read(buf, 4000 * 512 + 512))).toBe('EINVAL');
    expect(codeOf(() => r.read(buf, 100))).toBe('EINVAL');
    k.halt();
  });

  it('DIOCGDINFO returns the label; DIOCWDINFO writes a new one', async () => {
    const k = await boot();
    const backing = labelled();
    const onDisk = readDiskLabel(backing)?.label as DiskLabel;
    const u = disk_attach(k, backing);
    const a = u.partition('a');
    const l = a.ioctl(DIOCGDINFO, null) as DiskLabel;
    expect(l.partitions).toEqual(onDisk.partitions);
    expect(l.secperunit).toBe(SECTORS);
    const raw = new Uint8Array(404);
    a.ioctl(DIOCGDINFO, raw);
    expect(decodeDiskLabel(raw).partitions).toEqual(onDisk.partitions);
    expect(a.ioctl(DIOCGMEDIASIZE, null)).toBe(4000 * 512);
    expect(a.ioctl(DIOCGSECTORSIZE, null)).toBe(512);
    expect(a.ioctl(DIOCCACHESYNC, 0)).toBe(0);
    expect(codeOf(() => a.ioctl(0x12345678, null))).toBe('ENOTTY');
    // Through the character device too, and with a new label written to the media.
    const next = makeDiskLabel({ secperunit: SECTORS, partitions: { a: { offset: 128, size: 2000, fstype: FS_BSDFFS } } });
    u.raw('d').ioctl(DIOCWDINFO, next);
    expect(u.partition('a').size).toBe(2000 * 512);
    expect(readDiskLabel(backing)?.label.partitions[0]).toEqual(next.partitions[0]);
    const overlap = makeDiskLabel({ secperunit: SECTORS, partitions: { a: { offset: 0, size: 3000, fstype: FS_BSDFFS }, e: { offset: 2000, size: 100, fstype: FS_BSDFFS } } });
    expect(codeOf(() => u.raw('d').ioctl(DIOCWDINFO, overlap))).toBe('EINVAL');
    expect(readDiskLabel(backing)?.label.partitions[0]).toEqual(next.partitions[0]);
    k.halt();
  });

  it('finds the label inside a NetBSD MBR partition', async () => {
    const k = await boot();
    const backing = new MemoryBlockDevice(SECTORS * 512);
    writeMbr(backing, [{ flag: 0x80, type: MBR_PTYPE_NETBSD, start: 63, size: SECTORS - 63 }]);
    writeDiskLabel(backing, makeDiskLabel({ secperunit: SECTORS, netbsdPart: { offset: 63, size: SECTORS - 63 }, partitions: { a: { offset: 63, size: 5000, fstype: FS_BSDFFS } } }));
    const u = disk_attach(k, backing);
    expect(u.labelLocation?.offset).toBe(64 * 512);
    expect(u.partition('a').size).toBe(5000 * 512);
    expect(u.partition('c').size).toBe((SECTORS - 63) * 512);
    k.halt();
  });

  it('a bad label refuses the attach; nolabel attaches with the default label', async () => {
    const k = await boot();
    const backing = labelled();
    backing.bytes[512 + 200] = (backing.bytes[512 + 200] ?? 0) ^ 1;
    const snapshot = sha(backing.bytes);
    expect(codeOf(() => disk_attach(k, backing))).toBe('EINVAL');
    const u = disk_attach(k, backing, { nolabel: true });
    expect(u.partitions()).toEqual([2, 3]);
    expect(u.partition('d').size).toBe(SECTORS * 512);
    expect(sha(backing.bytes)).toBe(snapshot);
    // A non-power-of-two sector size never gets this far.
    expect(codeOf(() => new MemoryBlockDevice(8192, { secsize: 1000 }))).toBe('EINVAL');
    const ls = encodeDiskLabel({ ...makeDiskLabel({ secperunit: 16 }), secsize: 1000 });
    const odd = new MemoryBlockDevice(8192);
    odd.bytes.set(ls, 512);
    expect(codeOf(() => disk_attach(k, odd))).toBe('EINVAL');
    k.halt();
  });

  it('cached delayed writes reach a partition on last close and on detach', async () => {
    const k = await boot();
    const backing = labelled();
    const u = disk_attach(k, backing);
    const sw = devswOf(k).bdev(u.bdev('e'));
    const m = minor(u.bdev('e'));
    const e = sw.open(m, FREAD | FWRITE);
    const c = bufcacheOf(k);
    const bp = c.getblk(e, 0, 8192);
    bp.data.fill(0xe5);
    c.bdwrite(bp);
    expect(backing.bytes[5088 * 512]).not.toBe(0xe5);
    // bdev.flush() — what the VFS calls on sync and unmount — writes the delayed buffers back.
    e.flush();
    expect(backing.bytes[5088 * 512]).toBe(0xe5);
    const bp2 = c.getblk(e, 16, 512);
    bp2.data.fill(0x42);
    c.bdwrite(bp2);
    sw.close?.(m, FREAD | FWRITE);
    expect(backing.bytes[(5088 + 16) * 512]).toBe(0x42);
    expect(c.nbufs).toBe(0);
    const bp3 = c.getblk(u.partition('a'), 0, 512);
    bp3.data.fill(0x99);
    c.bdwrite(bp3);
    disk_detach(k, u);
    expect(backing.bytes[64 * 512]).toBe(0x99);
    expect(codeOf(() => devswOf(k).bdev(u.bdev('a')).open(minor(u.bdev('a')), FREAD))).toBe('ENXIO');
    k.halt();
  });

  it('makes /dev nodes in rumpfs that open to the partitions', async () => {
    const k = await boot();
    const backing = labelled();
    const u = disk_attach(k, backing);
    const made = u.mknodes();
    expect(made).toEqual(['/dev/ld0a', '/dev/rld0a', '/dev/ld0b', '/dev/rld0b', '/dev/ld0c', '/dev/rld0c', '/dev/ld0d', '/dev/rld0d', '/dev/ld0e', '/dev/rld0e']);
    const st = k.proc.stat('/dev/ld0e');
    expect(st.mode & S_IFMT).toBe(S_IFBLK);
    expect(st.rdev).toBe(u.bdev('e'));
    expect(k.proc.stat('/dev/rld0e').mode & S_IFMT).toBe(S_IFCHR);
    const fd = k.proc.open('/dev/rld0b', O_RDONLY);
    const buf = new Uint8Array(1024);
    expect(k.proc.pread(fd, buf, 512)).toBe(1024);
    expect(buf).toEqual(backing.bytes.subarray((4064 + 1) * 512, (4064 + 3) * 512));
    k.proc.close(fd);
    const bfd = k.proc.open('/dev/ld0a', O_RDWR);
    expect(k.proc.pwrite(bfd, new Uint8Array(512).fill(7), 4000 * 512 - 512)).toBe(512);
    k.proc.close(bfd);
    expect(backing.bytes[(64 + 3999) * 512]).toBe(7);
    expect(backing.bytes[(64 + 4000) * 512]).not.toBe(7);
    k.halt();
  });
});
