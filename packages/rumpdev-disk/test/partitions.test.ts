/**
 * GPT and MBR partition tables against independent tools: tables made by sgdisk and sfdisk read
 * the same in ours as in `sfdisk --dump` and sleuthkit's `mmls`; tables we write pass `sgdisk -v` and
 * read the same in sfdisk and mmls; a damaged primary GPT header or entry array falls back to the
 * backup; MBR extended chains with logical partitions, and chains that loop or leave their partition.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { openSync, closeSync, readSync, writeSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import {
  GPT_TYPE, type PartitionInfo, crc32, encodeGpt, encodeMbrChain, findPartition, guidFromString, guidToString, readGpt, readPartitionTable,
} from '../src/index.js';
import { type TmpDir, tmp } from './helpers.js';

const has = (cmd: string, arg: string): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
const HAVE_SGDISK = has('sgdisk', '--version');
const HAVE_SFDISK = has('sfdisk', '--version');
const HAVE_MMLS = spawnSync('mmls', ['-V']).status === 0;

function reader(path: string): (offset: number, length: number) => Uint8Array {
  return (offset, length) => {
    const fd = openSync(path, 'r');
    try {
      const b = new Uint8Array(length);
      readSync(fd, b, 0, length, offset);
      return b;
    } finally {
      closeSync(fd);
    }
  };
}

function table(path: string, size: number): PartitionInfo[] {
  return readPartitionTable(reader(path), size)?.partitions ?? [];
}

/** `sfdisk --dump` rows: index → { start, size, type, name }. */
function sfdiskDump(img: string): Map<number, { start: number; size: number; type: string; name: string }> {
  const out = execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8' });
  const rows = new Map<number, { start: number; size: number; type: string; name: string }>();
  for (const line of out.split('\n')) {
    const m = /(\d+) : start=\s*(\d+), size=\s*(\d+), type=([0-9A-Fa-f-]+)(?:.*name="([^"]*)")?/.exec(line);
    // sfdisk writes a name's non-ASCII bytes as \xHH escapes of its UTF-8.
    const name = Buffer.from((m?.[5] ?? '').replace(/\\x([0-9a-f]{2})/gi, (_s, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    if (m) rows.set(Number(m[1]), { start: Number(m[2]), size: Number(m[3]), type: m[4]!.toLowerCase(), name });
  }
  return rows;
}

/** mmls partition rows (not Meta, not Unallocated): [start, length, description]. */
function mmls(type: 'gpt' | 'dos', img: string): [number, number, string][] {
  const out = execFileSync('mmls', ['-t', type, img], { encoding: 'utf8' });
  const rows: [number, number, string][] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\d{3}(?::\d{3})?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push([Number(m[2]), Number(m[4]), m[5]!.trim()]);
  }
  return rows;
}

let d: TmpDir;
beforeEach(() => {
  d = tmp();
});
afterEach(() => d.cleanup());

const SIZE = 20 << 20;
function blank(name: string, size = SIZE): string {
  const p = join(d.path, name);
  writeFileSync(p, new Uint8Array(0));
  truncateSync(p, size);
  return p;
}

function writeAll(path: string, writes: [number, Uint8Array][]): void {
  const fd = openSync(path, 'r+');
  try {
    for (const [at, b] of writes) writeSync(fd, b, 0, b.length, at);
  } finally {
    closeSync(fd);
  }
}

describe('no table', () => {
  it('a FAT boot sector (signature, no partitions) and a blank disk hold no partition table', () => {
    const fat = blank('fat.img', 8 << 20);
    if (spawnSync('mkfs.fat', ['--help'], { stdio: 'ignore' }).error === undefined) {
      execFileSync('mkfs.fat', [fat], { stdio: 'ignore' });
      expect(readPartitionTable(reader(fat), 8 << 20)).toBeNull();
    }
    const empty = blank('empty.img', 1 << 20);
    writeAll(empty, encodeMbrChain([], null, []));
    expect(readPartitionTable(reader(empty), 1 << 20)).toBeNull();
    expect(readPartitionTable(reader(blank('zero.img', 1 << 20)), 1 << 20)).toBeNull();
  });
});

describe('codecs', () => {
  it('CRC-32 and GUID strings match the published values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const b = guidFromString(GPT_TYPE.EFI_SYSTEM);
    expect([...b.subarray(0, 4)]).toEqual([0x28, 0x73, 0x2a, 0xc1]); // the first field little-endian on disk
    expect(guidToString(b)).toBe(GPT_TYPE.EFI_SYSTEM);
  });
});

describe.skipIf(!(HAVE_SGDISK && HAVE_SFDISK && HAVE_MMLS))('GPT', () => {
  it('a table sgdisk made reads as sfdisk and mmls read it', () => {
    const img = blank('g.img');
    execFileSync('sgdisk', ['-n', '1:2048:+1M', '-t', '1:EF00', '-c', '1:EFI System', '-n', '3:0:+4M', '-t', '3:A902', '-c', '3:netbsd root', img], { stdio: 'ignore' });
    const parts = table(img, SIZE);
    const dump = sfdiskDump(img);
    expect(parts.map((p) => [p.index, p.startSector, p.sectors, p.type.toLowerCase(), p.name])).toEqual(
      [...dump.entries()].map(([i, r]) => [i, r.start, r.size, r.type, r.name]));
    expect(parts.map((p) => [p.startSector, p.sectors, p.name])).toEqual(mmls('gpt', img).map(([s, l, n]) => [s, l, n]));
    expect(parts[1]?.type).toBe(GPT_TYPE.NETBSD_FFS);
    const g = readGpt(reader(img), SIZE);
    expect(g?.primaryOk && g.backupOk && g.problems).toEqual([]);
  });

  it('a table we write passes sgdisk -v and reads the same in sfdisk and mmls', () => {
    const img = blank('ours.img');
    writeAll(img, encodeGpt({
      sectors: SIZE / 512,
      partitions: [
        { type: GPT_TYPE.EFI_SYSTEM, start: 2048, end: 6143, name: 'EFI system partition' },
        { type: GPT_TYPE.NETBSD_FFS, start: 6144, end: 30719, name: 'ffs' },
        { type: GPT_TYPE.LINUX_DATA, start: 30720, end: SIZE / 512 - 34, name: 'ünïcødé' },
      ],
    }));
    const v = execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' });
    expect(v).toContain('No problems found');
    const dump = sfdiskDump(img);
    expect([...dump.values()].map((r) => [r.start, r.size, r.type, r.name])).toEqual([
      [2048, 4096, GPT_TYPE.EFI_SYSTEM.toLowerCase(), 'EFI system partition'],
      [6144, 24576, GPT_TYPE.NETBSD_FFS.toLowerCase(), 'ffs'],
      [30720, SIZE / 512 - 34 - 30720 + 1, GPT_TYPE.LINUX_DATA.toLowerCase(), 'ünïcødé'],
    ]);
    expect(table(img, SIZE).map((p) => [p.startSector, p.sectors, p.name])).toEqual(mmls('gpt', img).map(([s, l, n]) => [s, l, n]));
  });

  it('a damaged primary header or entry array: the backup is used and the damage reported', () => {
    for (const [what, at] of [['header', 512 + 20], ['entries', 2 * 512 + 40]] as const) {
      const img = blank(`bad-${what}.img`);
      execFileSync('sgdisk', ['-n', '1:2048:+1M', '-t', '1:EF00', '-n', '2:0:+2M', img], { stdio: 'ignore' });
      const good = table(img, SIZE);
      writeAll(img, [[at, new Uint8Array([0x55, 0x66, 0x77])]]);
      const g = readGpt(reader(img), SIZE);
      expect(g?.usedBackup, what).toBe(true);
      expect(g?.problems.join('; ')).toMatch(what === 'header' ? /primary header: header CRC mismatch; using the backup/ : /primary header: entry array CRC mismatch/);
      expect(table(img, SIZE)).toEqual(good);
      // sgdisk sees the damage too.
      expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toMatch(/corrupt GPT/);
    }
  });

  it('both headers gone but the protective MBR left: EINVAL, not "no table"', () => {
    const img = blank('gone.img');
    execFileSync('sgdisk', ['-n', '1:2048:+1M', img], { stdio: 'ignore' });
    writeAll(img, [[512, new Uint8Array(8)], [SIZE - 512, new Uint8Array(8)]]);
    let code = '';
    try {
      readGpt(reader(img), SIZE);
    } catch (e) {
      code = isRumpError(e) ? e.code : String(e);
    }
    expect(code).toBe('EINVAL');
  });
});

describe.skipIf(!(HAVE_SFDISK && HAVE_MMLS))('MBR with logical partitions', () => {
  it('sfdisk\'s extended chain reads as sfdisk and mmls read it', () => {
    const img = blank('d.img');
    execFileSync('sfdisk', [img], { input: 'label: dos\nstart=2048,size=2048,type=c\nstart=4096,size=30000,type=f\nstart=6144,size=2048,type=83\nstart=10240,size=4096,type=a9\nstart=16384,size=1024,type=6\n', stdio: ['pipe', 'ignore', 'ignore'] });
    const parts = table(img, SIZE);
    const dump = sfdiskDump(img);
    expect(parts.map((p) => [p.index, p.startSector, p.sectors, p.type])).toEqual([...dump.entries()].map(([i, r]) => [i, r.start, r.size, r.type.padStart(2, '0')]));
    const viaMmls = mmls('dos', img).map(([s, l]) => [s, l]);
    expect(parts.filter((p) => p.type !== '0f').map((p) => [p.startSector, p.sectors])).toEqual(viaMmls);
    expect(findPartition(reader(img), SIZE, 'mbr', 6).offset).toBe(10240 * 512);
  });

  it('a chain we write reads the same in sfdisk and mmls', () => {
    const img = blank('ours-dos.img');
    writeAll(img, encodeMbrChain(
      [{ flag: 0x80, type: 0x0c, start: 2048, size: 4096 }],
      { start: 8192, size: 20000 },
      [{ flag: 0, type: 0x83, start: 10240, size: 2048 }, { flag: 0, type: 0xa9, start: 14336, size: 4096 }, { flag: 0, type: 0x06, start: 20480, size: 4096 }],
    ));
    const dump = sfdiskDump(img);
    expect([...dump.entries()].map(([i, r]) => [i, r.start, r.size, r.type])).toEqual([
      [1, 2048, 4096, 'c'], [2, 8192, 20000, 'f'], [5, 10240, 2048, '83'], [6, 14336, 4096, 'a9'], [7, 20480, 4096, '6'],
    ]);
    expect(table(img, SIZE).map((p) => [p.index, p.startSector, p.sectors, p.active ?? false])).toEqual([
      [1, 2048, 4096, true], [2, 8192, 20000, false], [5, 10240, 2048, false], [6, 14336, 4096, false], [7, 20480, 4096, false],
    ]);
    expect(mmls('dos', img).map(([s, l]) => [s, l])).toEqual([[2048, 4096], [10240, 2048], [14336, 4096], [20480, 4096]]);
  });

  it('a chain that loops or leaves its extended partition ends there, reported', () => {
    const img = blank('loop.img');
    writeAll(img, encodeMbrChain([], { start: 4096, size: 8192 }, [{ flag: 0, type: 0x83, start: 6144, size: 100 }, { flag: 0, type: 0x83, start: 8192, size: 100 }]));
    // Point the second EBR's "next" back at the first.
    const ebr2 = 8191 * 512;
    const loop = new Uint8Array(16);
    loop.set([0, 0, 0, 0, 0x05, 0, 0, 0]);
    new DataView(loop.buffer).setUint32(8, 0, true);
    new DataView(loop.buffer).setUint32(12, 100, true);
    writeAll(img, [[ebr2 + 446 + 16, loop]]);
    const t = readPartitionTable(reader(img), SIZE);
    expect(t?.partitions.map((p) => p.index)).toEqual([1, 5, 6]);
    expect(t?.problems.join('; ')).toMatch(/loops at sector 4096/);
    let code = '';
    try {
      findPartition(reader(img), SIZE, 'mbr', 7);
    } catch (e) {
      code = isRumpError(e) ? e.code : String(e);
    }
    expect(code).toBe('ENOENT');
  });
});
