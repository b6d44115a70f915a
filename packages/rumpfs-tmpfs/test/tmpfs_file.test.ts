import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errno } from '@rumpts/librump';
import { TMPFS_PAGE_SIZE, TmpfsFile, type TmpfsAllocator } from '../src/tmpfs_file.js';

/** An allocator with a byte budget, like a size-limited mount. */
function budget(limit: number): TmpfsAllocator & { used: number } {
  return {
    used: 0,
    charge(bytes: number, what: string) {
      if (this.used + bytes > limit) throw errno('ENOSPC', what);
      this.used += bytes;
    },
    uncharge(bytes: number) {
      this.used -= bytes;
    },
  };
}

describe('TmpfsFile (sparse pages)', () => {
  it('reads back what was written across page boundaries', () => {
    const a = budget(Infinity);
    const f = new TmpfsFile(a);
    const data = randomBytes(3 * TMPFS_PAGE_SIZE + 100);
    f.write(data, 1000);
    const out = new Uint8Array(data.length);
    expect(f.read(out, 1000, 1000 + data.length)).toBe(data.length);
    expect(Buffer.from(out).equals(data)).toBe(true);
    // bytes 1000 .. 1000+3*4096+100 touch pages 0..3
    expect(f.npages).toBe(4);
    expect(a.used).toBe(4 * TMPFS_PAGE_SIZE);
  });

  it('does not store holes, and holes read as zeros', () => {
    const a = budget(Infinity);
    const f = new TmpfsFile(a);
    const far = 1000 * TMPFS_PAGE_SIZE + 7;
    f.write(Uint8Array.of(1, 2, 3), far);
    expect(f.npages).toBe(1);
    const out = new Uint8Array(TMPFS_PAGE_SIZE * 2).fill(0xaa);
    expect(f.read(out, 5 * TMPFS_PAGE_SIZE, far + 3)).toBe(out.length);
    expect(out.every((b) => b === 0)).toBe(true);
    const tail = new Uint8Array(10);
    expect(f.read(tail, far, far + 3)).toBe(3);
    expect([...tail.subarray(0, 3)]).toEqual([1, 2, 3]);
  });

  it('stops reading at the file size', () => {
    const f = new TmpfsFile(budget(Infinity));
    f.write(new Uint8Array(10).fill(9), 0);
    const out = new Uint8Array(100);
    expect(f.read(out, 4, 10)).toBe(6);
    expect(f.read(out, 10, 10)).toBe(0);
    expect(f.read(out, 50, 10)).toBe(0);
  });

  it('fails a write that does not fit without changing anything', () => {
    const a = budget(2 * TMPFS_PAGE_SIZE);
    const f = new TmpfsFile(a);
    f.write(new Uint8Array(10).fill(1), 0);
    expect(() => f.write(new Uint8Array(2 * TMPFS_PAGE_SIZE).fill(2), 5)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(f.npages).toBe(1);
    expect(a.used).toBe(TMPFS_PAGE_SIZE);
    const out = new Uint8Array(10);
    f.read(out, 0, 10);
    expect([...out]).toEqual(new Array<number>(10).fill(1));
  });

  it('truncate frees whole pages and zeroes the tail of the last one', () => {
    const a = budget(Infinity);
    const f = new TmpfsFile(a);
    f.write(new Uint8Array(3 * TMPFS_PAGE_SIZE).fill(0xff), 0);
    f.truncate(TMPFS_PAGE_SIZE + 10);
    expect(f.npages).toBe(2);
    expect(a.used).toBe(2 * TMPFS_PAGE_SIZE);
    // Grow again: bytes past the old cut must be zero, not the old 0xff.
    const out = new Uint8Array(20);
    expect(f.read(out, TMPFS_PAGE_SIZE, 3 * TMPFS_PAGE_SIZE)).toBe(20);
    expect([...out]).toEqual([...new Array<number>(10).fill(0xff), ...new Array<number>(10).fill(0)]);
    f.free();
    expect(f.npages).toBe(0);
    expect(a.used).toBe(0);
  });
});
