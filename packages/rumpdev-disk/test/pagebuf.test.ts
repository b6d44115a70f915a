/**
 * pageAlignedBuffer: the size asked for, zeroed, fixed in length, and a host read fills it with the
 * file's bytes (its page alignment is a speed matter, measured, not asserted).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pageAlignedBuffer } from '../src/index.js';
import { pattern, tmp } from './helpers.js';

describe('pageAlignedBuffer', () => {
  it('is the size asked for, zeroed and writable, also for sizes that are no multiple of a page', () => {
    for (const size of [1, 4095, 65536, 65537, 256 << 10, (1 << 20) + 123]) {
      const b = pageAlignedBuffer(size);
      expect(b.length).toBe(size);
      expect(b.byteOffset).toBe(0);
      expect(b.every((x) => x === 0)).toBe(true);
      b[size - 1] = 7;
      expect(b[size - 1]).toBe(7);
      // A view of fixed length: it never grows or shrinks with its buffer.
      expect(b.subarray(0).length).toBe(size);
    }
    expect(pageAlignedBuffer(0).length).toBe(0);
  });

  it('a host read fills it with the file bytes', () => {
    const t = tmp();
    try {
      const data = pattern(300_000, 5);
      const f = t.file('data', data);
      const b = pageAlignedBuffer(256 << 10);
      const fd = openSync(f, 'r');
      try {
        expect(readSync(fd, b, 0, b.length, 1000)).toBe(b.length);
      } finally {
        closeSync(fd);
      }
      expect(Buffer.from(b.buffer, b.byteOffset, b.length).equals(Buffer.from(data.subarray(1000, 1000 + b.length)))).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});
