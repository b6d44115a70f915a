/** fsu cat's read buffer (pagebuf.ts): one buffer of the size asked for, made on first use and reused. */
import { describe, expect, it } from 'vitest';
import { PageCopyBuffer } from '../src/fsu/pagebuf.js';

describe('PageCopyBuffer', () => {
  it('hands out one zeroed buffer of its size, the same one each time', () => {
    const c = new PageCopyBuffer((1 << 20) + 5);
    const b = c.get();
    expect(b.length).toBe((1 << 20) + 5);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(c.get()).toBe(b);
  });
});
