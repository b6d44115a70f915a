/**
 * Rock Ridge names and symlink targets are bytes (librump names.ts): xorriso copies host names that
 * are not valid UTF-8 (Latin-1) into NM and SL entries byte-exact, and we read each back as a string
 * holding the stray bytes as U+DC00 + byte — distinct from a real U+FFFD, from the other bad byte,
 * from the same name without a leading BOM — so each lookup finds its own file. A long name or
 * target that xorriso splits across entries in the middle of a UTF-8 sequence is decoded whole.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeName, nameByteLength } from '@rumpts/librump';
import { ISOFSMNT_NOCASETRANS, isofntrans, ondisk } from '../src/index.js';
import { HAVE_XORRISO, code, listDir, mountImage, readAll, tempDir, xorrisoIso } from './helpers.js';

/** Bytes of a host name made of parts: strings (UTF-8) and byte values. */
const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Host name bytes, the name we must show for them, the file's content. */
const FILES: [Buffer, string, string][] = [
  [bytes('caf', [0xe9]), 'caf\uDCE9', 'one'],
  [bytes('caf', [0xe8]), 'caf\uDCE8', 'two'],
  [bytes('caf\uFFFD'), 'caf\uFFFD', 'three'],
  [bytes([0xef, 0xbb, 0xbf], 'bom'), '\uFEFFbom', 'with-bom'],
  [bytes('bom'), 'bom', 'no-bom'],
  // 255 bytes: longer than one NM entry holds, split by xorriso inside an 'é' (C3 | A9).
  [bytes('ab', 'é'.repeat(126)), `ab${'é'.repeat(126)}`, 'long'],
];
const LONG_TARGET = `x${'é'.repeat(127)}/y`;

describe.skipIf(!HAVE_XORRISO)('cd9660: Rock Ridge names are bytes', () => {
  const t = tempDir('nbytes');
  afterAll(() => t.cleanup());

  it('every NM name distinct, each lookup reads its own file, SL targets exact', async () => {
    const src = join(t.dir, 'src');
    mkdirSync(src);
    const at = (...rel: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${src}/`), ...rel]);
    for (const [name, , data] of FILES) writeFileSync(at(name), data);
    mkdirSync(at(bytes('d', [0xe9], 'j', [0xe0])));
    writeFileSync(at(bytes('d', [0xe9], 'j', [0xe0], '/inner')), 'inner');
    symlinkSync(bytes('cible-', [0xe8], '/x'), at(bytes('lien-', [0xe9])));
    symlinkSync(Buffer.from(LONG_TARGET), at(Buffer.from('longlink')));
    const iso = xorrisoIso(src, join(t.dir, 'n.iso'));
    const img = readFileSync(iso);
    // The image holds the Latin-1 bytes as they are, and the long name's first NM piece (CONTINUE
    // set) ends inside a UTF-8 sequence: what this test is about.
    expect(img.includes(bytes('NM\x09\x01\x00caf', [0xe9]))).toBe(true);
    let split = false;
    for (let i = img.indexOf('NM'); i >= 0; i = img.indexOf('NM', i + 1)) {
      const len = img[i + 2]!;
      if (img[i + 3] === 1 && (img[i + 4]! & 1) === 1 && img[i + len - 1] === 0xc3) split = true;
    }
    expect(split).toBe(true);

    const k = await mountImage(iso);
    try {
      const p = k.proc;
      const names = listDir(k, '/mnt').filter((n) => n !== '.' && n !== '..');
      expect(names.sort()).toEqual([...FILES.map(([, n]) => n), 'd\uDCE9j\uDCE0', 'lien-\uDCE9', 'longlink'].sort());
      for (const [, name, data] of FILES) expect(readAll(k, `/mnt/${name}`).toString(), name).toBe(data);
      expect(readAll(k, '/mnt/d\uDCE9j\uDCE0/inner').toString()).toBe('inner');
      expect(p.readlink('/mnt/lien-\uDCE9')).toBe('cible-\uDCE8/x');
      expect(p.lstat('/mnt/lien-\uDCE9').size).toBe(9);
      expect(p.readlink('/mnt/longlink')).toBe(LONG_TARGET);
      expect(p.lstat('/mnt/longlink').size).toBe(nameByteLength(LONG_TARGET));
      // Names that only look alike are not there.
      expect(code(() => p.stat('/mnt/caf\xe9'))).toBe('ENOENT');
    } finally {
      k.halt();
    }
  }, 60_000);

  it('an ISO 9660 identifier is bytes too; only A-Z fold; a Joliet lone surrogate is U+FFFD', () => {
    // A Latin-1 byte in an identifier (not a d-character, but written by old mastering tools).
    const id = bytes('CAF', [0xc9], '.TXT;1');
    expect(isofntrans(id, 0)).toBe('caf\uDCC9.txt');
    expect(Buffer.from(encodeName(isofntrans(id, ISOFSMNT_NOCASETRANS)))).toEqual(bytes('CAF', [0xc9], '.TXT'));
    // Valid UTF-8 keeps its case, as NetBSD's isofntrans folds A-Z only.
    expect(isofntrans(bytes('\u00c9T\u00c9.;1'), 0)).toBe('\u00c9t\u00c9');
    expect(ondisk.decodeJolietName(Uint8Array.of(0xfe, 0xff, 0, 0x41, 0xd8, 0x00, 0, 0x42))).toBe('\uFEFFA\uFFFDB');
  });
});
