import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DISKMAGIC,
  type DiskLabel,
  FS_BSDFFS,
  FS_MSDOS,
  FS_SWAP,
  FS_UNUSED,
  HostFileBlockDevice,
  MBR_PTYPE_LNXEXT2,
  MBR_PTYPE_NETBSD,
  MemoryBlockDevice,
  checkDiskLabel,
  decodeDiskLabel,
  decodeMbr,
  encodeDiskLabel,
  encodeMbr,
  findDiskLabel,
  makeDiskLabel,
  readDiskLabel,
  readMbr,
  writeDiskLabel,
  writeMbr,
} from '../src/index.js';
import { type TmpDir, codeOf, pattern, sha, tmp } from './helpers.js';

const haveMmls = spawnSync('mmls', ['-V']).status === 0;

interface MmlsRow {
  slot: string;
  start: number;
  length: number;
  desc: string;
}

/** Partition rows of `mmls -t TYPE [-o OFF] IMG` (sleuthkit), an independent reader. */
function mmls(type: 'bsd' | 'dos', img: string, offset?: number): MmlsRow[] {
  const args = ['-t', type, ...(offset !== undefined ? ['-o', String(offset)] : []), img];
  const out = execFileSync('mmls', args, { encoding: 'utf8' });
  const rows: MmlsRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m && m[1] !== 'Meta' && m[1] !== '-------') rows.push({ slot: m[1] ?? '', start: Number(m[2]), length: Number(m[4]), desc: m[5] ?? '' });
  }
  return rows;
}

/** Checksum check written independently of the codec: XOR of little-endian u16 words is 0. */
function xorWords(bytes: Uint8Array, at: number, len: number): number {
  let x = 0;
  for (let i = 0; i < len; i += 2) x ^= (bytes[at + i] ?? 0) | ((bytes[at + i + 1] ?? 0) << 8);
  return x;
}

const sample = (): DiskLabel =>
  makeDiskLabel({
    secperunit: 16384,
    typename: 'vnd',
    packname: 'rumpts test',
    partitions: {
      a: { offset: 64, size: 8000, fstype: FS_BSDFFS, fsize: 2048, frag: 8, cpg: 16 },
      b: { offset: 8064, size: 2048, fstype: FS_SWAP },
      e: { offset: 10112, size: 6000, fstype: FS_MSDOS },
    },
  });

describe('disklabel codec', () => {
  it('decodes a label built by hand from the documented amd64 layout', () => {
    const b = new Uint8Array(512);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x82564557, true); // d_magic
    v.setUint16(4, 12, true); // d_type vnd
    b.set(new TextEncoder().encode('handmade'), 8); // d_typename
    b.set(new TextEncoder().encode('pack'), 24); // d_packname
    v.setUint32(40, 512, true); // d_secsize
    v.setUint32(44, 32, true); // d_nsectors
    v.setUint32(48, 64, true); // d_ntracks
    v.setUint32(52, 10, true); // d_ncylinders
    v.setUint32(56, 2048, true); // d_secpercyl
    v.setUint32(60, 20480, true); // d_secperunit
    v.setUint16(72, 3600, true); // d_rpm
    v.setUint16(74, 1, true); // d_interleave
    v.setUint32(88, 0x08, true); // d_flags D_RAMDISK
    v.setUint32(132, 0x82564557, true); // d_magic2
    v.setUint16(138, 5, true); // d_npartitions
    v.setUint32(140, 8192, true); // d_bbsize
    v.setUint32(144, 8192, true); // d_sbsize
    const part = (i: number, size: number, offset: number, fstype: number, fsize = 0, frag = 0, cpg = 0) => {
      const o = 148 + 16 * i;
      v.setUint32(o, size, true);
      v.setUint32(o + 4, offset, true);
      v.setUint32(o + 8, fsize, true);
      v.setUint8(o + 12, fstype);
      v.setUint8(o + 13, frag);
      v.setUint16(o + 14, cpg, true);
    };
    part(0, 10000, 63, 7, 2048, 8, 16);
    part(2, 20480, 0, 0);
    part(3, 20480, 0, 0);
    part(4, 10417, 10063, 1);
    v.setUint16(136, xorWords(b, 0, 148 + 16 * 5), true); // d_checksum makes the XOR zero
    const l = decodeDiskLabel(b);
    expect(l.byteOrder).toBe('le');
    expect(l.type).toBe(12);
    expect(l.typename).toBe('handmade');
    expect(l.packname).toBe('pack');
    expect(l.secsize).toBe(512);
    expect(l.secperunit).toBe(20480);
    expect(l.secpercyl).toBe(2048);
    expect(l.rpm).toBe(3600);
    expect(l.flags).toBe(8);
    expect(l.bbsize).toBe(8192);
    expect(l.partitions).toHaveLength(5);
    expect(l.partitions[0]).toEqual({ size: 10000, offset: 63, fsize: 2048, fstype: 7, frag: 8, cpg: 16 });
    expect(l.partitions[4]).toEqual({ size: 10417, offset: 10063, fsize: 0, fstype: 1, frag: 0, cpg: 0 });
    expect(() => checkDiskLabel(l)).not.toThrow();
  });

  it('round-trips in both byte orders, with a checksum that XORs to zero', () => {
    const l = sample();
    for (const byteOrder of ['le', 'be'] as const) {
      const b = encodeDiskLabel(l, { byteOrder });
      expect(b.length).toBe(148 + 16 * l.partitions.length);
      const v = new DataView(b.buffer);
      expect(v.getUint32(0, byteOrder === 'le')).toBe(DISKMAGIC);
      const d = decodeDiskLabel(b);
      expect(d.byteOrder).toBe(byteOrder);
      const { checksum: _c, byteOrder: _o, ...rest } = d;
      expect(rest).toEqual(l);
    }
    expect(xorWords(encodeDiskLabel(l), 0, 148 + 16 * l.partitions.length)).toBe(0);
  });

  it('rejects torn labels, bad checksums, bad counts and fields that do not fit', () => {
    const b = encodeDiskLabel(sample());
    expect(codeOf(() => decodeDiskLabel(b.subarray(0, 200)))).toBe('EINVAL'); // partitions cut off
    expect(codeOf(() => decodeDiskLabel(b.subarray(0, 140)))).toBe('EINVAL'); // header cut off
    const bad = b.slice();
    bad[150] = (bad[150] ?? 0) ^ 0x40;
    expect(codeOf(() => decodeDiskLabel(bad))).toBe('EINVAL');
    expect(() => decodeDiskLabel(bad)).toThrow(/checksum/);
    const many = makeDiskLabel({ secperunit: 1000 });
    many.partitions = Array.from({ length: 17 }, () => ({ size: 0, offset: 0, fsize: 0, fstype: 0, frag: 0, cpg: 0 }));
    const enc = encodeDiskLabel(many);
    expect(decodeDiskLabel(enc).partitions).toHaveLength(17); // ≤ 22 is a valid struct
    expect(codeOf(() => decodeDiskLabel(enc, 0, { maxPartitions: 16 }))).toBe('EINVAL');
    many.partitions.push(...many.partitions.slice(0, 6));
    expect(codeOf(() => encodeDiskLabel(many))).toBe('EINVAL'); // 23
    expect(codeOf(() => decodeDiskLabel(new Uint8Array(512)))).toBe('EINVAL'); // no magic
    const huge = sample();
    huge.secperunit = 2 ** 33;
    expect(codeOf(() => encodeDiskLabel(huge))).toBe('EINVAL');
  });

  it('checks partitions against the media: past the end, overlaps, sector size', () => {
    const past = sample();
    (past.partitions[4] as { size: number }).size = 7000; // e ends at 17112 > 16384
    expect(codeOf(() => checkDiskLabel(past))).toBe('EINVAL');
    expect(codeOf(() => checkDiskLabel(sample(), { mediaSectors: 16000 }))).toBe('EINVAL');
    const overlap = sample();
    (overlap.partitions[1] as { offset: number }).offset = 8000; // b overlaps a
    expect(() => checkDiskLabel(overlap)).toThrow(/overlap/);
    // c and d cover the others by design; an unused partition may overlap too.
    const unused = sample();
    unused.partitions[5] = { offset: 0, size: 100, fsize: 0, fstype: FS_UNUSED, frag: 0, cpg: 0 };
    expect(() => checkDiskLabel(unused)).not.toThrow();
    const ss = sample();
    ss.secsize = 1000;
    expect(codeOf(() => checkDiskLabel(ss))).toBe('EINVAL');
  });

  it('scans like ukfs (4-byte steps over 64 KiB, either byte order) and like the kernel', () => {
    const img = new Uint8Array(65536);
    img.set(encodeDiskLabel(sample(), { byteOrder: 'be' }), 8192 + 12);
    const f = findDiskLabel(img, { step: 4, maxPartitions: 22 });
    expect(f?.at).toBe(8204);
    expect(f?.label.partitions[0]?.offset).toBe(64);
    expect(findDiskLabel(img, { step: 8 })).toBeNull(); // not on an 8-byte boundary
    // A corrupt first candidate: ukfs stops there, a lenient scan finds the good one after it.
    const bad = encodeDiskLabel(sample());
    bad[160] = (bad[160] ?? 0) ^ 1;
    img.set(bad, 1024);
    expect(codeOf(() => findDiskLabel(img, { firstMatchOnly: true }))).toBe('EINVAL');
    expect(findDiskLabel(img)?.at).toBe(8204);
  });
});

describe('MBR codec', () => {
  it('round-trips entries and refuses what is not an MBR', () => {
    const parts = [
      { flag: 0x80, type: MBR_PTYPE_NETBSD, start: 63, size: 100000 },
      { flag: 0, type: MBR_PTYPE_LNXEXT2, start: 100063, size: 5000 },
    ];
    const s = encodeMbr(parts);
    expect(s[510]).toBe(0x55);
    expect(s[511]).toBe(0xaa);
    const d = decodeMbr(s);
    expect(d?.slice(0, 2)).toEqual(parts);
    expect(d?.[2]).toEqual({ flag: 0, type: 0, start: 0, size: 0 });
    expect(decodeMbr(new Uint8Array(512))).toBeNull();
    const fat = new Uint8Array(512);
    fat[446] = 0x4a; // boot code where an entry flag would be
    fat[510] = 0x55;
    fat[511] = 0xaa;
    expect(decodeMbr(fat)).toBeNull();
    expect(codeOf(() => encodeMbr([{ flag: 0, type: 0xa9, start: 2 ** 32, size: 1 }]))).toBe('EINVAL');
  });
});

describe('labels on devices', () => {
  let t: TmpDir;
  beforeEach(() => {
    t = tmp();
  });
  afterEach(() => {
    t.cleanup();
  });

  it('writes at sector 1 of an unpartitioned disk and reads it back', () => {
    const dev = new MemoryBlockDevice(16384 * 512);
    const at = writeDiskLabel(dev, sample());
    expect(at).toBe(512);
    expect(xorWords(dev.bytes, 512, 148 + 16 * 5)).toBe(0);
    const r = readDiskLabel(dev);
    expect(r?.offset).toBe(512);
    expect(r?.mbrPartition).toBeNull();
    expect(r?.label.partitions.map((p) => [p.offset, p.size, p.fstype])).toEqual(sample().partitions.map((p) => [p.offset, p.size, p.fstype]));
    expect(readDiskLabel(new MemoryBlockDevice(65536))).toBeNull();
  });

  it.skipIf(!haveMmls)('sleuthkit mmls -t bsd reads the label we wrote', () => {
    const img = t.file('bsd.img', new Uint8Array(16384 * 512));
    const dev = new HostFileBlockDevice(img);
    const label = sample();
    writeDiskLabel(dev, label);
    dev.close();
    const rows = mmls('bsd', img);
    const used = label.partitions.map((p, i) => ({ ...p, i })).filter((p) => p.size > 0);
    expect(rows).toHaveLength(used.length);
    for (const p of used) {
      const row = rows.find((r) => Number(r.slot) === p.i);
      expect(row, `partition ${p.i}`).toBeDefined();
      expect(row?.start).toBe(p.offset);
      expect(row?.length).toBe(p.size);
      expect(row?.desc).toContain(`(0x${p.fstype.toString(16).padStart(2, '0')})`);
    }
  });

  it.skipIf(!haveMmls)('a label inside a NetBSD MBR partition: mmls -t dos and -t bsd agree, and we find it there', () => {
    const img = t.file('mbr.img', new Uint8Array(16384 * 512));
    const dev = new HostFileBlockDevice(img);
    writeMbr(dev, [
      { flag: 0x80, type: MBR_PTYPE_NETBSD, start: 2048, size: 12288 },
      { flag: 0, type: MBR_PTYPE_LNXEXT2, start: 14336, size: 2048 },
    ]);
    const label = makeDiskLabel({
      secperunit: 16384,
      netbsdPart: { offset: 2048, size: 12288 },
      partitions: { a: { offset: 2048, size: 10240, fstype: FS_BSDFFS }, b: { offset: 12288, size: 2048, fstype: FS_SWAP } },
    });
    expect(writeDiskLabel(dev, label)).toBe((2048 + 1) * 512);
    const dos = mmls('dos', img);
    expect(dos.map((r) => [r.start, r.length])).toEqual([
      [2048, 12288],
      [14336, 2048],
    ]);
    expect(dos[0]?.desc).toContain('NetBSD (0xa9)');
    const bsd = mmls('bsd', img, 2048);
    const a = bsd.find((r) => r.slot === '000');
    expect([a?.start, a?.length, a?.desc.includes('(0x07)')]).toEqual([2048, 10240, true]);
    expect(bsd.find((r) => r.slot === '001')?.start).toBe(12288);
    // Nothing at sector 1 of the disk: the label lives only in the partition.
    const raw = readFileSync(img);
    expect(raw.subarray(512, 1024).every((x) => x === 0)).toBe(true);
    const r = readDiskLabel(dev);
    expect(r?.offset).toBe(2049 * 512);
    expect(r?.mbrPartition?.start).toBe(2048);
    expect(r?.label.partitions[0]?.size).toBe(10240);
    expect(readMbr(dev)?.[0]?.type).toBe(MBR_PTYPE_NETBSD);
    dev.close();
  });

  it('refuses bad labels and MBRs with a clear error and leaves the image unmodified', () => {
    const img = t.file('img', pattern(16384 * 512, 21));
    const before = sha(readFileSync(img));
    const dev = new HostFileBlockDevice(img);
    const past = sample();
    (past.partitions[4] as { size: number }).size = 7000;
    expect(codeOf(() => writeDiskLabel(dev, past))).toBe('EINVAL');
    const overlap = sample();
    (overlap.partitions[1] as { offset: number }).offset = 100;
    expect(codeOf(() => writeDiskLabel(dev, overlap))).toBe('EINVAL');
    const ss = sample();
    ss.secsize = 768;
    expect(codeOf(() => writeDiskLabel(dev, ss))).toBe('EINVAL');
    expect(codeOf(() => writeMbr(dev, [{ flag: 0, type: MBR_PTYPE_NETBSD, start: 2048, size: 16384 }]))).toBe('EINVAL');
    expect(codeOf(() => writeMbr(dev, [{ flag: 0, type: MBR_PTYPE_NETBSD, start: 2048, size: 4096 }, { flag: 0, type: 0x83, start: 4096, size: 100 }]))).toBe('EINVAL');
    dev.close();
    expect(sha(readFileSync(img))).toBe(before);
  });

  it('a torn or wrong-checksum label on the media is EINVAL, not "no label"', () => {
    const dev = new MemoryBlockDevice(16384 * 512);
    writeDiskLabel(dev, sample());
    const snapshot = dev.bytes.slice();
    dev.bytes[512 + 148 + 3] = (dev.bytes[512 + 148 + 3] ?? 0) ^ 0xff; // a's size
    expect(codeOf(() => readDiskLabel(dev))).toBe('EINVAL');
    dev.bytes.set(snapshot);
    // npartitions claiming 17 > MAXPARTITIONS on amd64, with a matching checksum.
    const l17 = sample();
    while (l17.partitions.length < 17) l17.partitions.push({ size: 0, offset: 0, fsize: 0, fstype: 0, frag: 0, cpg: 0 });
    dev.bytes.set(encodeDiskLabel(l17), 512);
    expect(codeOf(() => readDiskLabel(dev))).toBe('EINVAL');
    // Partitions past the media end on a smaller disk holding the same label.
    const small = new MemoryBlockDevice(8192 * 512);
    small.bytes.set(encodeDiskLabel(sample()), 512);
    expect(codeOf(() => readDiskLabel(small))).toBe('EINVAL');
    // An MBR whose NetBSD partition runs past the media.
    const m = new MemoryBlockDevice(4096 * 512);
    m.bytes.set(encodeMbr([{ flag: 0, type: MBR_PTYPE_NETBSD, start: 63, size: 100000 }]), 0);
    expect(codeOf(() => readDiskLabel(m))).toBe('EINVAL');
  });

  it('a label written through one host device is read through a read-only one', () => {
    const p = join(t.path, 'x.img');
    writeFileSync(p, new Uint8Array(4096 * 512));
    const dev = new HostFileBlockDevice(p);
    writeDiskLabel(dev, makeDiskLabel({ secperunit: 4096, partitions: { a: { offset: 16, size: 4000, fstype: FS_BSDFFS } } }));
    dev.close();
    const ro = new HostFileBlockDevice(p, { readonly: true });
    expect(readDiskLabel(ro)?.label.partitions[0]?.size).toBe(4000);
    expect(codeOf(() => writeDiskLabel(ro, makeDiskLabel({ secperunit: 4096 })))).toBe('EROFS');
    ro.close();
  });
});
