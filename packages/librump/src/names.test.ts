import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRumpError } from './errno.js';
import { decodeName, encodeName, nameByteLength, nameHasEscapes, nameHostPath, nameText } from './names.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('names are bytes (decodeName / encodeName)', () => {
  it('round-trips every byte string exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = decodeName(b);
        expect(Buffer.from(encodeName(s)).equals(Buffer.from(b))).toBe(true);
        expect(nameByteLength(s)).toBe(b.length);
        // Decoding again gives the same name: the mapping is a function of the bytes.
        expect(decodeName(encodeName(s))).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips byte strings built from valid and invalid pieces', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 4 }).map((s) => Buffer.from(s)),
      fc.constantFrom(bytes(0x80), bytes(0xff), bytes(0xc3), bytes(0xe9), bytes(0xed, 0xa0, 0x80), bytes(0xf4, 0x90, 0x80, 0x80), bytes(0xc0, 0xaf), bytes(0xef, 0xbb, 0xbf)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (ps) => {
        const b = Buffer.concat(ps);
        expect(Buffer.from(encodeName(decodeName(b))).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is UTF-8 for text: valid names decode to their text and encode as TextEncoder does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (s) => {
        const b = new TextEncoder().encode(s);
        expect(Buffer.from(encodeName(s)).equals(Buffer.from(b))).toBe(true);
        expect(decodeName(b)).toBe(s);
        expect(nameByteLength(s)).toBe(b.length);
        expect(nameHasEscapes(s)).toBe(false);
        expect(nameText(s)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes each byte outside a valid sequence as U+DC00 + byte', () => {
    // Latin-1 "café" (e9), a lone continuation byte, an overlong '/', a UTF-16 surrogate in UTF-8, past U+10FFFF.
    expect(decodeName(bytes(0x63, 0x61, 0x66, 0xe9))).toBe('caf\udce9');
    expect(decodeName(bytes(0x80, 0x41))).toBe('\udc80A');
    expect(decodeName(bytes(0xc0, 0xaf))).toBe('\udcc0\udcaf');
    expect(decodeName(bytes(0xed, 0xa0, 0x80))).toBe('\udced\udca0\udc80');
    expect(decodeName(bytes(0xf4, 0x90, 0x80, 0x80))).toBe('\udcf4\udc90\udc80\udc80');
    // A truncated sequence before valid text: only its bytes are escaped.
    expect(decodeName(bytes(0xc3, 0xc3, 0xa9))).toBe('\udcc3é');
    // A leading byte order mark is part of the name.
    expect(decodeName(bytes(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
    // A real U+FFFD is text, not an escape.
    expect(decodeName(bytes(0xef, 0xbf, 0xbd))).toBe('\ufffd');
    expect(nameHasEscapes('\ufffd')).toBe(false);
  });

  it('shows escaped bytes as \\xNN', () => {
    expect(nameText('caf\udce9.txt')).toBe('caf\\xe9.txt');
    expect(nameHasEscapes('caf\udce9')).toBe(true);
    // The low half of a surrogate pair (U+10080 is D800 DC80) is not an escape.
    expect(nameHasEscapes('\ud800\udc80')).toBe(false);
    expect(nameText('\ud800\udc80')).toBe('\ud800\udc80');
  });

  it('refuses a lone surrogate that is not an escaped byte (EILSEQ)', () => {
    for (const s of ['a\ud800', '\ud800b', '\udc00', '\udc7f', '\udfff']) {
      let err: unknown;
      try {
        encodeName(s);
      } catch (e) {
        err = e;
      }
      expect(isRumpError(err) && err.code === 'EILSEQ').toBe(true);
    }
  });

  it('gives a host path: the string itself without surrogates, else a Buffer of the exact bytes', () => {
    expect(nameHostPath('/tmp/café')).toBe('/tmp/café');
    expect(nameHostPath('/tmp/\u{1F600}')).toEqual(Buffer.from('/tmp/\u{1F600}'));
    const b = nameHostPath('/tmp/caf\udce9');
    expect(Buffer.isBuffer(b) && b.equals(Buffer.from([...Buffer.from('/tmp/caf'), 0xe9]))).toBe(true);
    expect(() => nameHostPath('/tmp/\ud800')).toThrow(/lone surrogate/);
  });
});

