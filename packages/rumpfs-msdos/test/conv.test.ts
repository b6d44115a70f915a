/**
 * Name and time conversion (msdosfs_conv.c): NetBSD's 8.3 rules worked through by hand for each
 * case — extensions, dropped characters, `~N` generations, blanks, code page 850 — the long-name
 * checksum against entries mtools wrote, and DOS times with their 2-second granularity and offset.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DosConv, dos2unixfn, foldName, unix2dosfn, winChksum, winSlotCnt } from '../src/index.js';
import { dos2unixtime, unix2dostime } from '../src/ondisk/dostime.js';
import { LCASE_BASE, LCASE_EXT } from '../src/ondisk/direntry.js';
import { HAVE_MKFS_FAT, HAVE_MTOOLS, MTOOLS_ENV, mkfsFat, tempDir } from './helpers.js';
import { Surgeon } from './surgeon.js';

const dn = (s: string): string => {
  const r = unix2dosfn(s, 1);
  return `${String.fromCharCode(...r.dn)}|${r.conv}`;
};

describe('unix2dosfn (NetBSD rules)', () => {
  it('keeps names that are already 8.3 and upper case', () => {
    expect(dn('README.TXT')).toBe(`README  TXT|${DosConv.SAME}`);
    expect(dn('A')).toBe(`A          |${DosConv.SAME}`);
    expect(dn('12345678.123')).toBe(`12345678123|${DosConv.SAME}`);
  });
  it('upper-cases without loss: long-name entries needed, no generation', () => {
    expect(dn('readme.txt')).toBe(`README  TXT|${DosConv.CASE}`);
    expect(dn('Makefile')).toBe(`MAKEFILE   |${DosConv.CASE}`);
    // A blank inside a base name that fits is kept.
    expect(dn('a b.c')).toBe(`A B     C  |${DosConv.CASE}`);
  });
  it('drops what does not fit and inserts ~1', () => {
    expect(dn('A Long File Name.data')).toBe(`ALONGF~1DAT|${DosConv.GEN}`);
    expect(dn('file.tar.gz')).toBe(`FILETA~1GZ |${DosConv.GEN}`);
    expect(dn('.hidden')).toBe(`HIDDEN~1   |${DosConv.GEN}`);
    expect(dn('a+b[1].txt')).toBe(`A+B1~1  TXT|${DosConv.GEN}`);
    expect(dn('x.markdown')).toBe(`X~1     MAR|${DosConv.GEN}`);
  });
  it('numbers generations, cutting the base name to make room', () => {
    expect(String.fromCharCode(...unix2dosfn('A Long File Name.data', 9).dn)).toBe('ALONGF~9DAT');
    expect(String.fromCharCode(...unix2dosfn('A Long File Name.data', 10).dn)).toBe('ALONGF~10DAT'.slice(0, 5) + '~10DAT');
    expect(String.fromCharCode(...unix2dosfn('A Long File Name.data', 123456).dn)).toBe('A~123456DAT');
    expect(unix2dosfn('A Long File Name.data', 1234567).conv).toBe(DosConv.NONE);
    // A lossless name has no generation other than 1.
    expect(unix2dosfn('readme.txt', 2).conv).toBe(DosConv.NONE);
  });
  it('refuses names of only dots and blanks; keeps . and ..', () => {
    expect(unix2dosfn('...', 1).conv).toBe(DosConv.NONE);
    expect(unix2dosfn('  ', 1).conv).toBe(DosConv.NONE);
    expect(dn('.')).toBe(`.          |${DosConv.SAME}`);
    expect(dn('..')).toBe(`..         |${DosConv.SAME}`);
  });
  it('maps Latin-1 to code page 850 and drops what has no 8.3 form', () => {
    expect(unix2dosfn('über.txt', 1).dn[0]).toBe(0x9a); // Ü in CP850
    expect(unix2dosfn('über.txt', 1).conv).toBe(DosConv.CASE);
    expect(dn('日本.txt')).toBe(`_~1     TXT|${DosConv.GEN}`);
    // A first byte of 0xE5 (CP850 Õ) is stored as 0x05, and shown as itself.
    const e5 = unix2dosfn('Õx', 1).dn;
    expect(e5[0]).toBe(0x05);
    expect(dos2unixfn(e5, 0)).toBe('Õx'.toUpperCase());
  });
  it('shows short names as stored, lower-casing the parts the NT bits name', () => {
    const b = new Uint8Array([...'HELLO   TXT'].map((c) => c.charCodeAt(0)));
    expect(dos2unixfn(b, 0)).toBe('HELLO.TXT');
    expect(dos2unixfn(b, LCASE_BASE)).toBe('hello.TXT');
    expect(dos2unixfn(b, LCASE_BASE | LCASE_EXT)).toBe('hello.txt');
    expect(dos2unixfn(new Uint8Array([...'NOEXT      '].map((c) => c.charCodeAt(0))), LCASE_EXT)).toBe('NOEXT');
    // '/' is never shown from a damaged entry.
    expect(dos2unixfn(new Uint8Array([...'A/B        '].map((c) => c.charCodeAt(0))), 0)).toBe('A?B');
  });
  it('counts long-name slots without trailing dots and blanks; folds case per character', () => {
    expect(winSlotCnt('a'.repeat(13))).toBe(1);
    expect(winSlotCnt('a'.repeat(14))).toBe(2);
    expect(winSlotCnt(`${'a'.repeat(13)}...  `)).toBe(1);
    expect(winSlotCnt('a'.repeat(256))).toBe(0);
    expect(foldName('ÄbC.TxT')).toBe('äbc.txt');
    expect(foldName('İ')).toBe('İ'); // lower-casing would change the length: kept
  });
});

describe.skipIf(!(HAVE_MKFS_FAT && HAVE_MTOOLS))('winChksum against mtools', () => {
  it('every long-name entry mtools wrote carries the checksum of its short name', () => {
    const t = tempDir('chk');
    try {
      const img = join(t.path, 'img');
      mkfsFat(img, 2048);
      // The last name fits code page 850 in 8.3: mtools stores it short, with the NT lower-case bits.
      const names = ['A Long File Name.data', 'another long name', 'x.markdown', 'file.tar.gz', 'ünïcødé.txt'];
      for (const n of names) {
        const f = join(t.path, n);
        writeFileSync(f, n);
        execFileSync('mcopy', ['-i', img, f, '::'], { env: { ...MTOOLS_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
      }
      const s = new Surgeon(img);
      for (const n of names) {
        const hit = s.find(`/${n}`);
        expect(hit.lfn.length, n).toBe(n === 'ünïcødé.txt' ? 0 : Math.ceil(n.length / 13));
        for (const at of hit.lfn) expect(s.b[at + 13], n).toBe(winChksum(hit.e.name));
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('DOS times', () => {
  it('rounds down to even seconds in local time and back', () => {
    const t = unix2dostime({ sec: Date.UTC(2024, 4, 17, 12, 30, 45) / 1000, nsec: 500_000_000 }, 0);
    expect(dos2unixtime(t.date, t.time, 0, 0).sec).toBe(Date.UTC(2024, 4, 17, 12, 30, 44) / 1000);
    // The creation time keeps the odd second and hundredths.
    expect(dos2unixtime(t.date, t.time, t.hundredths, 0)).toEqual({ sec: Date.UTC(2024, 4, 17, 12, 30, 45) / 1000, nsec: 500_000_000 });
    // gmtoff: stored as local time, read back as the same instant.
    const east = unix2dostime({ sec: Date.UTC(2024, 0, 1, 23, 0, 0) / 1000, nsec: 0 }, 3600);
    expect(east.date).toBe(((2024 - 1980) << 9) | (1 << 5) | 2); // local date is the 2nd
    expect(dos2unixtime(east.date, east.time, 0, 3600).sec).toBe(Date.UTC(2024, 0, 1, 23, 0, 0) / 1000);
  });
  it('clamps to the DOS range and treats date 0 as unset', () => {
    const early = unix2dostime({ sec: 0, nsec: 0 }, 0);
    expect(dos2unixtime(early.date, early.time, 0, 0).sec).toBe(Date.UTC(1980, 0, 1) / 1000);
    const late = unix2dostime({ sec: Date.UTC(2200, 0, 1) / 1000, nsec: 0 }, 0);
    expect(dos2unixtime(late.date, late.time, 0, 0).sec).toBe(Date.UTC(2107, 11, 31, 23, 59, 58) / 1000);
    expect(dos2unixtime(0, 0, 0, 0)).toEqual({ sec: 0, nsec: 0 });
  });
});
