/**
 * Names are bytes (librump names.ts): an FFS directory entry name or symlink target that is not
 * valid UTF-8 (a Latin-1 name on an old NetBSD disk) reads back as a string holding each stray byte
 * as U+DC00 + byte, distinct from every other name — a real U+FFFD, another bad byte, a name with
 * or without a leading BOM — and such a string is written back as exactly those bytes. Images are
 * made by Debian's makefs (NetBSD's) and what we write is read back by sleuthkit (fls, icat, istat)
 * and our fsck.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY, type Proc, decodeName, encodeName } from '@rumpts/librump';
import { ImageEditor, runFsck } from './fsckhelpers.js';
import { HAVE_MAKEFS, makeImage, tempDir, code } from './helpers.js';
import { HAVE_TSK, mountImage } from './rwhelpers.js';

/** Bytes of a host name made of parts: strings (UTF-8) and byte values. */
const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** The host tree: name bytes → file content (all distinct). */
const FILES: [Buffer, string][] = [
  [bytes('caf', [0xe9]), 'one'],
  [bytes('caf', [0xe8]), 'two'],
  // A real U+FFFD (EF BF BD): what both names above used to decode to.
  [bytes('caf\uFFFD'), 'three'],
  // A leading UTF-8 BOM is part of the name (TextDecoder would strip it).
  [bytes([0xef, 0xbb, 0xbf], 'bom'), 'with-bom'],
  [bytes('bom'), 'no-bom'],
  [bytes('plain'), 'plain'],
];
const DIR = bytes('d', [0xe9], 'j', [0xe0]);
const LINK = bytes('lien-', [0xe9]);
const LINK_TARGET = bytes('cible-', [0xe8]);

function readAll(proc: Proc, path: string): string {
  const fd = proc.open(path, O_RDONLY);
  try {
    const b = new Uint8Array(proc.fstat(fd).size);
    const n = proc.read(fd, b);
    return Buffer.from(b.subarray(0, n)).toString();
  } finally {
    proc.close(fd);
  }
}

function writeFile(proc: Proc, path: string, data: string): void {
  const fd = proc.open(path, O_WRONLY | O_CREAT, 0o644);
  proc.write(fd, Buffer.from(data));
  proc.close(fd);
}

function listDir(proc: Proc, path: string): string[] {
  const fd = proc.open(path, O_RDONLY);
  const names: string[] = [];
  try {
    for (let batch = proc.getdents(fd); batch.length > 0; batch = proc.getdents(fd)) names.push(...batch.map((e) => e.name));
  } finally {
    proc.close(fd);
  }
  return names.filter((n) => n !== '.' && n !== '..').sort();
}


/** fls -r -p with the names' bytes kept (latin1: one character a byte) → {type, inode}. */
function flsBytes(img: string): Map<string, { type: string; ino: number }> {
  const out = execFileSync('fls', ['-r', '-p', '-u', '-f', 'ufs1', img], { encoding: 'latin1' });
  const m = new Map<string, { type: string; ino: number }>();
  for (const line of out.split('\n')) {
    const t = /^(\S)\/(\S)\s+(\d+)(?:\(realloc\))?:\t(.*)$/.exec(line);
    if (t && t[1] !== 'V') m.set(t[4]!, { type: t[1]!, ino: Number(t[3]) });
  }
  return m;
}

const latin1 = (b: Buffer): string => b.toString('latin1');

describe.skipIf(!HAVE_MAKEFS)('FFS names are bytes', () => {
  it("reads an image by NetBSD's makefs: every name distinct, each lookup finds its own file, the link target exact", async () => {
    const t = tempDir('nbread');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      const at = (...rel: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${src}/`), ...rel]);
      for (const [name, data] of FILES) writeFileSync(at(name), data);
      mkdirSync(at(DIR));
      writeFileSync(at(DIR, Buffer.from('/inner')), 'inner');
      symlinkSync(LINK_TARGET, at(LINK));
      const img = join(t.path, 'img');
      makeImage(src, img, { version: 1, endian: 'le', size: '2m' });
      const env = await mountImage(img);
      try {
        const p = env.k.proc;
        const want = ['caf\uDCE9', 'caf\uDCE8', 'caf\uFFFD', '\uFEFFbom', 'bom', 'plain', 'd\uDCE9j\uDCE0', 'lien-\uDCE9'];
        expect(listDir(p, '/mnt')).toEqual([...want].sort());
        for (const [i, [, data]] of FILES.entries()) {
          expect(readAll(p, `/mnt/${want[i]}`), want[i]).toBe(data);
          expect(p.stat(`/mnt/${want[i]}`).size, want[i]).toBe(data.length);
        }
        expect(listDir(p, '/mnt/d\uDCE9j\uDCE0')).toEqual(['inner']);
        expect(readAll(p, '/mnt/d\uDCE9j\uDCE0/inner')).toBe('inner');
        expect(p.readlink('/mnt/lien-\uDCE9')).toBe('cible-\uDCE8');
        // The names that only look alike are not there.
        expect(code(() => p.stat('/mnt/caf\xe9'))).toBe('ENOENT');
        expect(code(() => p.stat('/mnt/\uFEFFplain'))).toBe('ENOENT');
      } finally {
        env.done();
      }
      // fsck names an entry by its bytes, a stray one as \xNN: point caf\xe9 out of range.
      const ed = new ImageEditor(img);
      try {
        ed.patchDirChunk(ed.lookup('/'), (b, dv) => {
          const at = Buffer.from(b).indexOf(bytes('caf', [0xe9], [0]));
          expect(at).toBeGreaterThan(8);
          dv.setUint32(at - 8, 0x7ffffff0, true);
        });
      } finally {
        ed.close();
      }
      // (Its file, now nameless, is then an unreferenced one to reconnect.)
      expect(runFsck(img, false).problems.map((x) => x.message)).toContainEqual(expect.stringMatching(/^BAD INODE NUMBER 2147483632 FOR 'caf\\xe9' DIR I=2 /));
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it('writes escaped names as their bytes: create, mkdir, symlink, rename, unlink (sleuthkit and fsck agree)', async () => {
    const t = tempDir('nbwrite');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      const img = join(t.path, 'img');
      makeImage(src, img, { version: 1, endian: 'le', size: '2m' });
      const env = await mountImage(img);
      try {
        const p = env.k.proc;
        writeFile(p, '/mnt/caf\uDCE9', 'one');
        writeFile(p, '/mnt/caf\uDCE8', 'two');
        writeFile(p, '/mnt/caf\uFFFD', 'three');
        writeFile(p, '/mnt/\uFEFFbom', 'with-bom');
        p.mkdir('/mnt/d\uDCE9j\uDCE0', 0o755);
        writeFile(p, '/mnt/d\uDCE9j\uDCE0/x\uDCFF', 'moved');
        p.rename('/mnt/d\uDCE9j\uDCE0/x\uDCFF', '/mnt/d\uDCE9j\uDCE0/y\uDCFE\uDC80');
        p.symlink('cible-\uDCE8/\uDCC0', '/mnt/lien-\uDCE9');
        writeFile(p, '/mnt/gone\uDCE9', 'gone');
        p.unlink('/mnt/gone\uDCE9');
        // 255 bytes, the most a name holds, 200 of them escaped; one more byte is too long.
        writeFile(p, `/mnt/${'\uDCE9'.repeat(200)}${'a'.repeat(55)}`, 'long');
        expect(code(() => writeFile(p, `/mnt/${'\uDCE9'.repeat(200)}${'a'.repeat(56)}`, 'x'))).toBe('ENAMETOOLONG');
        // A lone surrogate that stands for no byte has no byte form.
        expect(code(() => writeFile(p, '/mnt/bad\uD800', 'x'))).toBe('EILSEQ');
        expect(code(() => p.mkdir('/mnt/bad\uDC20', 0o755))).toBe('EILSEQ');
        expect(code(() => p.symlink('t\uDBFF', '/mnt/badlink'))).toBe('EILSEQ');
        expect(listDir(p, '/mnt')).toEqual(
          ['caf\uDCE9', 'caf\uDCE8', 'caf\uFFFD', '\uFEFFbom', 'd\uDCE9j\uDCE0', 'lien-\uDCE9', `${'\uDCE9'.repeat(200)}${'a'.repeat(55)}`].sort(),
        );
        expect(p.readlink('/mnt/lien-\uDCE9')).toBe('cible-\uDCE8/\uDCC0');
      } finally {
        env.done();
      }
      expect(runFsck(img, false).problems.map((x) => x.message)).toEqual([]);
      // The same tree read afresh from the image.
      const again = await mountImage(img);
      try {
        expect(readAll(again.k.proc, '/mnt/caf\uDCE8')).toBe('two');
        expect(readAll(again.k.proc, '/mnt/d\uDCE9j\uDCE0/y\uDCFE\uDC80')).toBe('moved');
      } finally {
        again.done();
      }
      if (!HAVE_TSK) return;
      const ls = flsBytes(img);
      const files: [Buffer, string][] = [
        [bytes('caf', [0xe9]), 'one'],
        [bytes('caf', [0xe8]), 'two'],
        [bytes('caf\uFFFD'), 'three'],
        [bytes([0xef, 0xbb, 0xbf], 'bom'), 'with-bom'],
        [bytes('d', [0xe9], 'j', [0xe0], '/y', [0xfe, 0x80]), 'moved'],
        [bytes(Array(200).fill(0xe9), 'a'.repeat(55)), 'long'],
      ];
      const dirs = [DIR];
      expect([...ls.keys()].sort()).toEqual([...files.map(([n]) => latin1(n)), ...dirs.map(latin1), latin1(LINK)].sort());
      for (const [n, data] of files) {
        expect(execFileSync('icat', ['-f', 'ufs1', img, String(ls.get(latin1(n))!.ino)]).toString(), latin1(n)).toBe(data);
      }
      expect(ls.get(latin1(DIR))!.type).toBe('d');
      const st = execFileSync('istat', ['-f', 'ufs1', img, String(ls.get(latin1(LINK))!.ino)], { encoding: 'latin1' });
      expect(/^symbolic link to: (.*)$/m.exec(st)?.[1]).toBe(latin1(bytes('cible-', [0xe8], '/', [0xc0])));
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it('any byte names: created as decodeName of their bytes, listed and found again, and on disk as those bytes (property)', async () => {
    // Names of 1-60 bytes from every byte but NUL and '/', biased to stray high bytes and UTF-8 pieces;
    // control bytes in half the runs (sleuthkit's fls shows them as '^': it checks the other half).
    const piece = (control: boolean) =>
      fc.oneof(
        fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]),
        fc.integer({ min: 0x20, max: 0x7e }).filter((b) => b !== 0x2f).map((b) => [b]),
        fc.constantFrom([0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbb, 0xbf], [0xef, 0xbf, 0xbd], [0xed, 0xa0, 0x80]),
        ...(control ? [fc.integer({ min: 1, max: 0x1f }).map((b) => [b]), fc.constant([0x7f])] : []),
      );
    const names = fc.boolean().chain((control) =>
      fc
        .uniqueArray(
          fc.array(piece(control), { minLength: 1, maxLength: 20 }).map((ps) => Buffer.from(ps.flat().slice(0, 60))),
          { minLength: 1, maxLength: 12, selector: (b) => b.toString('hex') },
        )
        .filter((ns) => ns.every((n) => n.toString() !== '.' && n.toString() !== '..')),
    );
    const t = tempDir('nbprop');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      const base = join(t.path, 'base');
      makeImage(src, base, { version: 1, endian: 'le', size: '2m' });
      let round = 0;
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(names, async (ns) => {
          const img = join(t.path, `img${round++}`);
          writeFileSync(img, readFileSync(base));
          const env = await mountImage(img);
          try {
            const p = env.k.proc;
            ns.forEach((n, i) => writeFile(p, `/mnt/${decodeName(n)}`, `file ${i}`));
            const listed = listDir(p, '/mnt').filter((n) => n !== 'lost+found');
            expect(listed.map((n) => Buffer.from(encodeName(n)).toString('hex')).sort()).toEqual(ns.map((n) => n.toString('hex')).sort());
            ns.forEach((n, i) => expect(readAll(p, `/mnt/${decodeName(n)}`)).toBe(`file ${i}`));
          } finally {
            env.done();
          }
          expect(runFsck(img, false).problems.map((x) => x.message)).toEqual([]);
          // fls shows control bytes as '^': the independent check is made where there are none.
          const shown = ns.every((n) => n.every((b) => b >= 0x20 && b !== 0x7f));
          if (HAVE_TSK && shown) {
            expect([...flsBytes(img).keys()].filter((k) => k !== 'lost+found').sort()).toEqual(ns.map(latin1).sort());
            checked++;
          }
        }),
        { numRuns: 16, seed: 20261206 },
      );
      if (HAVE_TSK) expect(checked).toBeGreaterThan(3);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
