import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { FS_BSDFFS, MemoryBlockDevice, makeDiskLabel, writeDiskLabel } from '@rumpts/rumpdev-disk';

const dirs: string[] = [];
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rumpts-ukfs-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A small source tree to put in images. */
export function sourceTree(root: string): string {
  const src = join(root, 'src');
  mkdirSync(join(src, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(src, 'hello.txt'), 'hello from makefs\n');
  writeFileSync(join(src, 'dir', 'data.bin'), Buffer.alloc(100_000, 0x5a));
  writeFileSync(join(src, 'dir', 'sub', 'deep.txt'), 'deep\n');
  symlinkSync('hello.txt', join(src, 'link'));
  return src;
}

/** An FFS image made by Debian's makefs from `src`. */
export function makefsImage(root: string, src: string, version: 1 | 2 = 2, name = 'ffs.img'): string {
  const img = join(root, name);
  execFileSync('makefs', ['-t', 'ffs', '-o', `version=${version}`, '-s', '4m', img, src], { stdio: 'pipe' });
  return img;
}

/** A disk image with a NetBSD disklabel whose partition 'e' holds `fsimg` at sector 64. */
export function labeledImage(root: string, fsimg: string): string {
  const fs = readFileSync(fsimg);
  const start = 64;
  const fsSectors = Math.ceil(fs.length / 512);
  const total = start + fsSectors + 16;
  const disk = new MemoryBlockDevice(total * 512);
  const label = makeDiskLabel({ secperunit: total, partitions: { e: { offset: start, size: fsSectors, fstype: FS_BSDFFS } } });
  writeDiskLabel(disk, label);
  disk.bytes.set(fs, start * 512);
  const out = join(root, 'disk.img');
  writeFileSync(out, disk.bytes);
  return out;
}
