import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUMP_ETFS_SIZE_ENDOFF } from '@rumpts/librump';
import { HostFileBlockDevice, MemoryBlockDevice, WindowBlockDevice } from '../src/index.js';
import { type TmpDir, codeOf, pattern, sha, tmp } from './helpers.js';

describe('memory block device', () => {
  it('reads and writes whole sectors in place', () => {
    const bytes = pattern(8192);
    const dev = new MemoryBlockDevice(bytes);
    expect(dev.size).toBe(8192);
    const buf = new Uint8Array(1024);
    dev.read(buf, 512);
    expect(buf).toEqual(bytes.slice(512, 1536));
    const w = pattern(512, 7);
    dev.write(w, 4096);
    expect(bytes.slice(4096, 4608)).toEqual(w);
  });

  it('refuses misaligned, out-of-range and read-only I/O', () => {
    const dev = new MemoryBlockDevice(4096);
    expect(codeOf(() => dev.read(new Uint8Array(100), 0))).toBe('EINVAL');
    expect(codeOf(() => dev.read(new Uint8Array(512), 100))).toBe('EINVAL');
    expect(codeOf(() => dev.read(new Uint8Array(512), 4096))).toBe('ENXIO');
    expect(codeOf(() => dev.read(new Uint8Array(1024), 3584))).toBe('ENXIO');
    expect(codeOf(() => dev.read(new Uint8Array(512), -512))).toBe('EINVAL');
    const ro = new MemoryBlockDevice(4096, { readonly: true });
    expect(codeOf(() => ro.write(new Uint8Array(512), 0))).toBe('EROFS');
  });

  it('only whole sectors of a ragged array are addressable; sector size must be a power of two', () => {
    expect(new MemoryBlockDevice(1000).size).toBe(512);
    expect(new MemoryBlockDevice(8192, { secsize: 2048 }).secsize).toBe(2048);
    expect(codeOf(() => new MemoryBlockDevice(4096, { secsize: 1000 }))).toBe('EINVAL');
    expect(codeOf(() => new MemoryBlockDevice(4096, { secsize: 1536 }))).toBe('EINVAL');
  });
});

describe('host file block device', () => {
  let t: TmpDir;
  beforeEach(() => {
    t = tmp();
  });
  afterEach(() => {
    t.cleanup();
  });

  it('sees exactly its window [begin, begin+size) and never touches bytes outside it', () => {
    const orig = pattern(64 * 1024);
    const path = t.file('img', orig);
    const dev = new HostFileBlockDevice(path, { begin: 8192, size: 16384 });
    expect(dev.size).toBe(16384);
    expect(dev.readonly).toBe(false);
    const buf = new Uint8Array(16384);
    dev.read(buf, 0);
    expect(sha(buf)).toBe(sha(orig.subarray(8192, 8192 + 16384)));
    // Fill the whole window; everything outside must stay as it was.
    const fill = pattern(16384, 99);
    dev.write(fill, 0);
    expect(codeOf(() => dev.write(new Uint8Array(512), 16384))).toBe('ENXIO');
    expect(codeOf(() => dev.write(new Uint8Array(1024), 15872))).toBe('ENXIO');
    expect(codeOf(() => dev.read(new Uint8Array(512), 16384))).toBe('ENXIO');
    dev.flush();
    dev.close();
    const after = readFileSync(path);
    expect(sha(after.subarray(0, 8192))).toBe(sha(orig.subarray(0, 8192)));
    expect(sha(after.subarray(8192, 8192 + 16384))).toBe(sha(fill));
    expect(sha(after.subarray(8192 + 16384))).toBe(sha(orig.subarray(8192 + 16384)));
    expect(codeOf(() => dev.read(new Uint8Array(512), 0))).toBe('ENXIO');
  });

  it('vectored I/O stays inside the window too', () => {
    const orig = pattern(32768, 3);
    const path = t.file('img', orig);
    const dev = new HostFileBlockDevice(path, { begin: 4096, size: 8192 });
    const a = new Uint8Array(1024);
    const b = new Uint8Array(2048);
    dev.readv([a, b], 512);
    expect(a).toEqual(orig.slice(4096 + 512, 4096 + 1536));
    expect(b).toEqual(orig.slice(4096 + 1536, 4096 + 3584));
    expect(codeOf(() => dev.writev([new Uint8Array(4096), new Uint8Array(4608)], 0))).toBe('ENXIO');
    dev.writev([pattern(512, 5), pattern(512, 6)], 7168);
    dev.close();
    const after = readFileSync(path);
    expect(after.subarray(4096 + 7168, 4096 + 7680)).toEqual(Buffer.from(pattern(512, 5)));
    expect(after.subarray(4096 + 7680, 4096 + 8192)).toEqual(Buffer.from(pattern(512, 6)));
    expect(sha(after.subarray(4096 + 8192))).toBe(sha(orig.subarray(4096 + 8192)));
  });

  it('ENDOFF maps to the end of the file; bad windows are EINVAL as etfs says', () => {
    const path = t.file('img', pattern(10240));
    const whole = new HostFileBlockDevice(path, { begin: 1024, size: RUMP_ETFS_SIZE_ENDOFF });
    expect(whole.size).toBe(10240 - 1024);
    whole.close();
    expect(codeOf(() => new HostFileBlockDevice(path, { begin: 20000 }))).toBe('EINVAL');
    expect(codeOf(() => new HostFileBlockDevice(path, { begin: 1024, size: 10240 }))).toBe('EINVAL');
    expect(codeOf(() => new HostFileBlockDevice(`${t.path}/missing`))).toBe('ENOENT');
    expect(codeOf(() => new HostFileBlockDevice(t.path))).toBe('EINVAL');
  });

  it('read-only opens refuse writes and leave the file alone', () => {
    const orig = pattern(4096, 11);
    const path = t.file('img', orig);
    const dev = new HostFileBlockDevice(path, { readonly: true });
    expect(dev.readonly).toBe(true);
    expect(codeOf(() => dev.write(new Uint8Array(512), 0))).toBe('EROFS');
    dev.close();
    expect(sha(readFileSync(path))).toBe(sha(orig));
  });
});

describe('window block device', () => {
  it('offsets into its parent and is bounded by its own size', () => {
    const bytes = pattern(16384, 4);
    const parent = new MemoryBlockDevice(bytes);
    const w = new WindowBlockDevice(parent, 4096, 2048, { name: 'w' });
    const buf = new Uint8Array(2048);
    w.read(buf, 0);
    expect(buf).toEqual(bytes.slice(4096, 6144));
    expect(codeOf(() => w.read(new Uint8Array(512), 2048))).toBe('ENXIO');
    expect(codeOf(() => new WindowBlockDevice(parent, 16000, 1024))).toBe('EINVAL');
    expect(codeOf(() => new WindowBlockDevice(parent, 15872, 1024))).toBe('EINVAL');
  });
});
