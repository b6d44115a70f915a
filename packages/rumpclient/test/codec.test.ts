import { describe, expect, it } from 'vitest';
import { ProtocolError, Reader, type WireValue, Writer } from '../src/rumpts/codec.js';
import { beginFrame, endFrame, FrameReader, HEADER_SIZE, K_CALL } from '../src/rumpts/frame.js';

function roundtrip(v: WireValue): WireValue {
  const w = new Writer(8);
  w.value(v);
  const r = new Reader(w.buf, 0, w.pos);
  const out = r.value();
  expect(r.remaining).toBe(0);
  return out;
}

describe('value codec', () => {
  it('round-trips every kind of value', () => {
    const stat = {
      dev: 1, ino: 2 ** 40 + 3, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 2 ** 53 - 1, blocks: 8, blksize: 4096, flags: 0, gen: 7,
      atime: { sec: 1, nsec: 2 }, mtime: { sec: -5, nsec: 999_999_999 }, ctime: { sec: 0, nsec: 0 }, birthtime: { sec: 1.7e9, nsec: 1 },
    };
    const values: WireValue[] = [
      null, true, false, 0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, 0.5, -0, 'héllo ✓', '', new Uint8Array([0, 1, 255]),
      [1, 'a', [null, new Uint8Array(0)]], { a: 1, b: { c: 'd' }, e: [true] }, stat,
    ];
    for (const v of values) expect(roundtrip(v)).toEqual(v);
    expect(Object.is(roundtrip(-0), -0)).toBe(true);
  });

  it('rejects truncated and malformed input with ProtocolError', () => {
    const w = new Writer();
    w.value({ name: 'x'.repeat(100) });
    for (let cut = 0; cut < w.pos; cut += 7) {
      expect(() => new Reader(w.buf, 0, cut).value()).toThrow(ProtocolError);
    }
    expect(() => new Reader(Buffer.from([0xee])).value()).toThrow(/unknown value tag/);
    // an array claiming 2^32-1 elements in 4 bytes
    expect(() => new Reader(Buffer.from([7, 0xff, 0xff, 0xff, 0xff])).value()).toThrow(/array of/);
    let deep: WireValue = 1;
    for (let i = 0; i < 12; i++) deep = [deep];
    expect(() => new Writer().value(deep)).toThrow(/nested too deeply/);
  });
});

describe('FrameReader', () => {
  function frames(n: number): Buffer {
    const w = new Writer();
    for (let i = 0; i < n; i++) {
      const at = beginFrame(w, i + 1, K_CALL, 8);
      w.value(['/f'.repeat(i)]);
      endFrame(w, at);
    }
    return Buffer.from(w.buf.subarray(0, w.pos));
  }

  it('reassembles frames split at every byte boundary', () => {
    const all = frames(5);
    for (let step = 1; step <= 13; step++) {
      const fr = new FrameReader();
      const got: number[] = [];
      for (let i = 0; i < all.length; i += step) for (const f of fr.push(all.subarray(i, i + step))) got.push(f.id);
      expect(got).toEqual([1, 2, 3, 4, 5]);
      expect(fr.pending).toBe(0);
    }
  });

  it('refuses a length below the header or above the limit as soon as it arrives', () => {
    const small = Buffer.alloc(4);
    small.writeUInt32LE(HEADER_SIZE - 1);
    expect(() => new FrameReader().push(small)).toThrow(/below the 12-byte header/);
    const big = Buffer.alloc(4);
    big.writeUInt32LE(1025);
    expect(() => new FrameReader(1024).push(big)).toThrow(/exceeds the limit of 1024/);
  });
});

describe('strings are bytes where names are', () => {
  it('a name with escaped bytes goes as those bytes and comes back as the same string; bytes that are not UTF-8 read as escapes', () => {
    for (const s of ['caf\uDCE9', 'caf\uFFFD', '/tmp/d\uDCFF/x\uDC80', '\u{1F600}\uDCC3']) {
      const w = new Writer();
      w.value(s);
      expect(new Reader(w.buf, 0, w.pos).value()).toBe(s);
    }
    const w = new Writer();
    w.value('caf\uDCE9');
    expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(Buffer.from([5, 4, 0, 0, 0, 0x63, 0x61, 0x66, 0xe9]));
    expect(new Reader(Buffer.from([5, 2, 0, 0, 0, 0xc3, 0x28])).value()).toBe('\uDCC3(');
    // A lone surrogate that is no byte has no byte form: U+FFFD, as UTF-8 writes it, and the frame stays whole.
    const odd = new Writer();
    odd.value(['x\uD800', 'caf\uDCE9']);
    expect(new Reader(odd.buf, 0, odd.pos).value()).toEqual(['x\uFFFD', 'caf\uDCE9']);
  });
});
