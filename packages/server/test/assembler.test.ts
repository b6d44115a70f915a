/** Frame reassembly: linear (each byte copied at most once), exact, and the limit checked early. */
import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../src/protocol/assembler.js';
import { ProtocolError } from '../src/protocol/codec.js';
import { FrameReader, HEADER_SIZE, RUMPTS_LAYOUT } from '../src/protocol/frame.js';

/** A frame of `len` bytes: the u32 length, then a pattern that depends on `seed`. */
function frame(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 4; i < len; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  b.writeUInt32LE(len, 0);
  return b;
}

function pieces(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length; at += size) out.push(Buffer.from(b.subarray(at, at + size)));
  return out;
}

describe('FrameAssembler', () => {
  it('a 4 MiB frame sent in 8 KiB pieces is copied once, not once per piece', () => {
    const MiB4 = 4 * 1024 * 1024;
    const f = frame(MiB4, 1);
    const a = new FrameAssembler(RUMPTS_LAYOUT, MiB4);
    const parts = pieces(f, 8192);
    expect(parts.length).toBe(512);
    for (const [i, p] of parts.entries()) {
      a.push(p);
      // nothing is joined before the last piece is in
      if (i < parts.length - 1) expect(a.copied).toBe(0);
    }
    const got = a.next();
    expect(got?.length).toBe(MiB4);
    expect(Buffer.compare(got as Buffer, f)).toBe(0);
    // one copy of the frame; re-joining on every push (the old way) would copy 512 × 513 / 2 pieces
    expect(a.copied).toBe(MiB4);
    expect(a.pending).toBe(0);
    expect(a.next()).toBeUndefined();
  });

  it('frames inside one chunk are not copied; every split gives back the same frames', () => {
    const frames = Array.from({ length: 200 }, (_, i) => frame(HEADER_SIZE + ((i * 7919) % 3000), i));
    const stream = Buffer.concat(frames);
    const whole = new FrameAssembler(RUMPTS_LAYOUT, 1 << 20);
    whole.push(stream);
    const out: Buffer[] = [];
    for (let f = whole.next(); f; f = whole.next()) out.push(f);
    expect(out.map((b) => b.toString('hex'))).toEqual(frames.map((b) => b.toString('hex')));
    expect(whole.copied).toBe(0);
    // pseudo-random splits, including 1-byte pieces that cut the length field
    let seed = 12345;
    for (let round = 0; round < 30; round++) {
      // every fifth round in pieces of 1-3 bytes, over the first 20 frames
      const tiny = round % 5 === 0;
      const want = tiny ? frames.slice(0, 20) : frames;
      const input = tiny ? Buffer.concat(want) : stream;
      const a = new FrameAssembler(RUMPTS_LAYOUT, 1 << 20);
      const got: Buffer[] = [];
      for (let at = 0; at < input.length; ) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = tiny ? 1 + (seed % 3) : 1 + (seed % 5000);
        a.push(input.subarray(at, at + n));
        at += n;
        for (let f = a.next(); f; f = a.next()) got.push(Buffer.from(f));
      }
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(g.equals(want[i] as Buffer)).toBe(true));
      expect(a.copied).toBeLessThanOrEqual(input.length);
      expect(a.pending).toBe(0);
    }
  });

  it('refuses a length above the limit as soon as the length field is complete', () => {
    const a = new FrameAssembler(RUMPTS_LAYOUT, 16384, ' before the handshake');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(4 * 1024 * 1024);
    a.push(head.subarray(0, 2)); // not yet known
    expect(() => a.push(head.subarray(2))).toThrow(ProtocolError);
    expect(() => a.push(Buffer.alloc(1))).toThrow(/4194304 exceeds the limit of 16384 bytes before the handshake/);
    const b = new FrameAssembler(RUMPTS_LAYOUT, 16384);
    expect(() => b.push(Buffer.from([5, 0, 0, 0]))).toThrow(/below the 12-byte header/);
  });

  it('the limit can be raised between frames (after the handshake)', () => {
    const a = new FrameAssembler(RUMPTS_LAYOUT, 100);
    a.push(Buffer.concat([frame(50, 1), frame(1000, 2).subarray(0, 10)]));
    expect(a.next()?.length).toBe(50);
    expect(() => a.next()).toThrow(/1000 exceeds the limit of 100/);
    const b = new FrameAssembler(RUMPTS_LAYOUT, 100);
    b.push(frame(50, 1));
    expect(b.next()?.length).toBe(50);
    b.maxFrame = 2000;
    b.push(frame(1000, 2));
    expect(b.next()?.length).toBe(1000);
  });

  it('FrameReader (the client side) decodes headers on the same assembler', () => {
    const r = new FrameReader(1 << 20);
    const f = frame(40, 3);
    f.writeUInt32LE(77, 4);
    f[8] = 4;
    f.writeUInt16LE(9, 10);
    const out = [...r.push(f.subarray(0, 13)), ...r.push(f.subarray(13))];
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 77, kind: 4, op: 9 });
    expect(r.assembler.copied).toBe(40);
  });
});
