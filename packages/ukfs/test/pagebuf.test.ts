/**
 * fsu cat's read buffer (pagebuf.ts): the size asked for, zeroed, made once per command, and the bytes
 * read into it are the image's (the page alignment itself is a speed matter, measured, not asserted).
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PageCopyBuffer, pageAlignedBuffer } from '../src/fsu/pagebuf.js';
import { tmp } from './helpers.js';

describe('pageAlignedBuffer', () => {
  it('is the size asked for, zeroed and writable, also for sizes that are no multiple of a page', () => {
    for (const size of [1, 4095, 65536, 65537, 1 << 20, (1 << 20) + 123]) {
      const b = pageAlignedBuffer(size);
      expect(b.length).toBe(size);
      expect(b.every((x) => x === 0)).toBe(true);
      b[size - 1] = 7;
      expect(b[size - 1]).toBe(7);
    }
    expect(pageAlignedBuffer(0).length).toBe(0);
  });

  it('a host read fills it with the file bytes; a PageCopyBuffer hands out one buffer', () => {
    const f = join(tmp(), 'data');
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    writeFileSync(f, data);
    const c = new PageCopyBuffer(256 << 10);
    const b = c.get();
    expect(c.get()).toBe(b);
    const fd = openSync(f, 'r');
    try {
      expect(readSync(fd, b, 0, b.length, 1000)).toBe(b.length);
    } finally {
      closeSync(fd);
    }
    expect(Buffer.from(b.buffer, b.byteOffset, b.length).equals(data.subarray(1000, 1000 + b.length))).toBe(true);
  });
});
