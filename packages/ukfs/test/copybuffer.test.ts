/** The copy buffer of fsu's streams (copy.ts): one page-aligned buffer of the size asked for, made on first use and reused. */
import { describe, expect, it } from 'vitest';
import { CopyBuffer } from '../src/fsu/copy.js';

describe('CopyBuffer', () => {
  it('hands out one zeroed, page-aligned buffer of its size, the same one each time', () => {
    const c = new CopyBuffer((1 << 20) + 5);
    const b = c.get();
    expect(b.length).toBe((1 << 20) + 5);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(c.get()).toBe(b);
    // Page-aligned: a view at the start of its own resizable ArrayBuffer (V8 maps those pages itself).
    expect(b.byteOffset).toBe(0);
    expect((b.buffer as { resizable?: boolean }).resizable).toBe(true);
  });
});
