/**
 * The codecs against values worked out by hand from ECMA-119 and RRIP (IEEE P1282), not from the
 * code: both-endian numbers, the two date forms, ISO name translation, and the Rock Ridge entries
 * (PX, NM with continuation, SL with ROOT/PARENT/CONTINUE components, TF, CL/PL/RE, ST).
 */
import { describe, expect, it } from 'vitest';
import { ISOFSMNT_GENS, ISOFSMNT_NOCASETRANS, isofntrans, ondisk, parseRrip, suspSkip } from '../src/index.js';

const bytes = (...xs: (number | string)[]): Uint8Array =>
  Uint8Array.from(xs.flatMap((x) => (typeof x === 'string' ? [...Buffer.from(x, 'latin1')] : [x])));
/** A both-endian 32-bit field (ECMA-119 7.3.3). */
const both32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** A SUSP entry: signature, length, version 1, data. */
const entry = (sig: string, ...data: (number | string)[]): number[] => {
  const d = [...bytes(...data)];
  return [...Buffer.from(sig, 'latin1'), 4 + d.length, 1, ...d];
};
const noCE = (): Uint8Array => {
  throw new Error('no continuation expected');
};

describe('ECMA-119 numbers and dates', () => {
  it('reads the little-endian half of both-endian numbers', () => {
    expect(ondisk.isonum_733(Uint8Array.from(both32(0x12345678)), 0)).toBe(0x12345678);
    expect(ondisk.isonum_723(Uint8Array.from([0x00, 0x08, 0x08, 0x00]), 0)).toBe(2048);
    expect(ondisk.isonum_712(Uint8Array.from([0xfc]), 0)).toBe(-4);
  });

  it('7-byte dates: 2024-03-05 06:07:08 at GMT+1 (offset 4 quarter hours) is 05:07:08Z', () => {
    const t = ondisk.decodeDate7(Uint8Array.from([124, 3, 5, 6, 7, 8, 4]), 0);
    expect(t).toEqual({ sec: Date.UTC(2024, 2, 5, 5, 7, 8) / 1000, nsec: 0 });
    expect(ondisk.decodeDate7(new Uint8Array(7), 0)).toEqual({ sec: 0, nsec: 0 });
  });

  it('17-byte dates keep hundredths; GMT-2 (offset -8) adds two hours', () => {
    const b = bytes('2001020304050699', 0xf8);
    expect(ondisk.decodeDate17(b, 0)).toEqual({ sec: Date.UTC(2001, 1, 3, 6, 5, 6) / 1000, nsec: 990_000_000 });
  });

  it('decodes a directory record and finds its system use area after the padding byte', () => {
    // 'AB;1' is 4 bytes (even): one padding byte, then SU.
    const rec = bytes(33 + 4 + 1 + 4, 0, ...both32(20), ...both32(2048), 124, 1, 1, 0, 0, 0, 0, 0x02, 0, 0, 1, 0, 0, 1, 4, 'AB;1', 0, 'ST', 4, 1);
    const r = ondisk.decodeDirRecord(rec, 0);
    expect(r).not.toBeNull();
    expect(r?.extent).toBe(20);
    expect(r?.size).toBe(2048);
    expect(r?.flags).toBe(ondisk.ISO_FILE_DIRECTORY);
    expect(Buffer.from(r!.name).toString()).toBe('AB;1');
    expect(Buffer.from(r!.systemUse).toString('latin1')).toBe('ST\x04\x01');
    expect(ondisk.decodeDirRecord(Uint8Array.from([0, 0, 0]), 0)).toBeNull();
    expect(() => ondisk.decodeDirRecord(Uint8Array.from([20]), 0)).toThrow(/shorter/);
  });
});

describe('Joliet', () => {
  it('levels from the escape sequences at byte 88 of a supplementary descriptor', () => {
    const svd = new Uint8Array(2048);
    svd.set(Buffer.from('%/E', 'latin1'), 88);
    expect(ondisk.jolietLevel(svd)).toBe(3);
    svd.set(Buffer.from('%/@', 'latin1'), 88);
    expect(ondisk.jolietLevel(svd)).toBe(1);
    expect(ondisk.jolietLevel(new Uint8Array(2048))).toBe(0);
  });

  it('names are UCS-2 big-endian, keep their case, and lose ;1', () => {
    // "Ab\u00e9;1" in UCS-2 BE.
    const id = Uint8Array.from([0, 0x41, 0, 0x62, 0, 0xe9, 0, 0x3b, 0, 0x31]);
    expect(ondisk.decodeJolietName(id)).toBe('Ab\u00e9;1');
    expect(isofntrans(id, 0, true)).toBe('Ab\u00e9');
  });
});

describe('ISO 9660 name translation (isofntrans)', () => {
  it('drops the version and a trailing dot, lower-cases', () => {
    expect(isofntrans(bytes('README.TXT;1'), 0)).toBe('readme.txt');
    expect(isofntrans(bytes('MAKEFILE.;1'), 0)).toBe('makefile');
    expect(isofntrans(bytes('README.TXT;1'), ISOFSMNT_GENS)).toBe('readme.txt;1');
    expect(isofntrans(bytes('README.TXT;1'), ISOFSMNT_NOCASETRANS)).toBe('README.TXT');
  });
});

describe('Rock Ridge entries', () => {
  it('SP in the root: LEN_SKP, else not Rock Ridge', () => {
    expect(suspSkip(Uint8Array.from(entry('SP', 0xbe, 0xef, 3)))).toBe(3);
    expect(suspSkip(Uint8Array.from(entry('SP', 0xbe, 0xee, 0)))).toBeNull();
    expect(suspSkip(new Uint8Array(0))).toBeNull();
  });

  it('PX, NM split over two entries, TF (modify and access, short form), PN', () => {
    const su = Uint8Array.from([
      ...entry('PX', ...both32(0o100640), ...both32(1), ...both32(1000), ...both32(100), ...both32(77)),
      ...entry('NM', 0x01, 'long-'),
      ...entry('NM', 0x00, 'name'),
      ...entry('TF', 0x06, 124, 3, 5, 6, 7, 8, 0, 100, 1, 1, 0, 0, 0, 0),
      ...entry('PN', ...both32(0), ...both32(0x1234)),
      ...entry('ST'),
      ...entry('NM', 0x00, 'after-ST-is-ignored'),
    ]);
    const rr = parseRrip(su, 0, noCE);
    expect(rr.px).toEqual({ mode: 0o100640, nlink: 1, uid: 1000, gid: 100, ino: 77 });
    expect(rr.name).toBe('long-name');
    expect(rr.times?.mtime).toEqual({ sec: Date.UTC(2024, 2, 5, 6, 7, 8) / 1000, nsec: 0 });
    expect(rr.times?.atime).toEqual({ sec: Date.UTC(2000, 0, 1) / 1000, nsec: 0 });
    expect(rr.rdev).toBe(0x1234);
  });

  it('SL: ROOT makes it absolute, PARENT/CURRENT are .. and ., CONTINUE joins components', () => {
    const comp = (flags: number, s = ''): number[] => [flags, s.length, ...Buffer.from(s, 'latin1')];
    const abs = parseRrip(Uint8Array.from(entry('SL', 0, ...comp(0x08), ...comp(0, 'usr'), ...comp(0, 'share'))), 0, noCE);
    expect(abs.symlink).toBe('/usr/share');
    const rel = parseRrip(Uint8Array.from(entry('SL', 0, ...comp(0x04), ...comp(0x02), ...comp(0, 'x'))), 0, noCE);
    expect(rel.symlink).toBe('.././x');
    // A component split over two SL entries (component CONTINUE, entry CONTINUE).
    const split = parseRrip(Uint8Array.from([...entry('SL', 1, ...comp(0x01, 'very-')), ...entry('SL', 0, ...comp(0, 'long'), ...comp(0, 'tail'))]), 0, noCE);
    expect(split.symlink).toBe('very-long/tail');
    expect(parseRrip(Uint8Array.from(entry('SL', 0, ...comp(0x08))), 0, noCE).symlink).toBe('/');
  });

  it('CL, PL, RE; a continuation area is read through the callback', () => {
    const asked: number[][] = [];
    const rr = parseRrip(Uint8Array.from([...entry('RE'), ...entry('CE', ...both32(30), ...both32(100), ...both32(16))]), 0, (b, o, l) => {
      asked.push([b, o, l]);
      return Uint8Array.from([...entry('CL', ...both32(44)), ...entry('PL', ...both32(9))]);
    });
    expect(asked).toEqual([[30, 100, 16]]);
    expect(rr.relocated).toBe(true);
    expect(rr.childLink).toBe(44);
    expect(rr.parentLink).toBe(9);
  });
});
