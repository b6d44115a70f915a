/**
 * makefs and host names that are not valid UTF-8 (Latin-1 names of old archives): FFS directory
 * entries are bytes, and NetBSD's makefs copies such names byte-exact; so does ours, on the main
 * thread and through the I/O thread. Checked by sleuthkit (fls prints the name bytes as they are,
 * icat the file's bytes), our fsck, the entry's bytes in the image, and Debian's makefs (NetBSD's).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { makefs, makefsSize, type MakefsOptions, type MakefsResult } from '../src/index.js';
import { runFsck } from './fsckhelpers.js';
import { HAVE_MAKEFS, pattern, tempDir } from './helpers.js';
import { HAVE_TSK } from './rwhelpers.js';

/** A host path made of parts, each a string (UTF-8) or bytes. */
const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** Names as the tree below holds them, relative to its root. */
const CAFE = bytes('sub/caf', [0xe9], '.txt');
const DIR = bytes('d', [0xe9], 'j', [0xe0]);
const INNER = bytes('d', [0xe9], 'j', [0xe0], '/inner.txt');
const LINK = bytes('sub/lien-', [0xe9]);
const LINK_TARGET = bytes('cible-', [0xe8]);
/** A real U+FFFD (valid UTF-8 EF BF BD), and a bad byte whose decoding is the same string. */
const REAL = bytes('real\uFFFD.txt');
const BAD = bytes('real', [0xff], '.txt');

function writeNames(src: string): void {
  const at = (rel: Buffer): Buffer => Buffer.concat([Buffer.from(`${src}/`), rel]);
  mkdirSync(join(src, 'sub'));
  writeFileSync(join(src, 'plain.txt'), 'ok');
  writeFileSync(at(CAFE), 'hi');
  mkdirSync(at(DIR));
  writeFileSync(at(INNER), pattern('inner', 20_000));
  symlinkSync(LINK_TARGET, at(LINK));
  writeFileSync(at(REAL), 'real');
  writeFileSync(at(BAD), 'bad');
}

function build(src: string, img: string, o: MakefsOptions): MakefsResult {
  const plan = o.size === undefined ? makefsSize(src, o) : undefined;
  const fd = openSync(img, 'w');
  ftruncateSync(fd, o.size ?? plan!.size);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  try {
    return makefs(dev, src, plan ? { ...o, plan } : o);
  } finally {
    dev.close();
  }
}

/** fls -r -p with the names' bytes kept (as latin1 strings: one character a byte) → inode. */
function flsBytes(img: string, ufs: 'ufs1' | 'ufs2'): Map<string, { type: string; ino: number }> {
  const out = execFileSync('fls', ['-r', '-p', '-u', '-f', ufs, img], { encoding: 'latin1', maxBuffer: 1 << 26 });
  const m = new Map<string, { type: string; ino: number }>();
  for (const line of out.split('\n')) {
    const t = /^(\S)\/(\S)\s+(\d+):\t(.*)$/.exec(line);
    // (Not sleuthkit's virtual $OrphanFiles.)
    if (t && t[1] !== 'V') m.set(t[4]!, { type: t[1]!, ino: Number(t[3]) });
  }
  return m;
}

const icat = (img: string, ufs: 'ufs1' | 'ufs2', ino: number): Buffer => execFileSync('icat', ['-f', ufs, img, String(ino)]);

/** The directory entry naming `name` in the image: its name bytes, preceded by d_namlen (new format: one byte before them). */
function entryNamlen(image: Buffer, name: Buffer): number {
  const at = image.indexOf(name);
  expect(at, `${name.toString('latin1')} in the image`).toBeGreaterThan(0);
  // d_ino (4), d_reclen (2), d_type (1), d_namlen (1), then the name, NUL-padded.
  expect(image[at + name.length]).toBe(0);
  return image[at - 1]!;
}

describe('makefs: names that are not valid UTF-8', () => {
  for (const version of [1, 2] as const) {
    it(`UFS${version}: copied byte-exact (sleuthkit, fsck, the entry bytes)`, () => {
      const t = tempDir(`mknames${version}`);
      try {
        const src = join(t.path, 'src');
        mkdirSync(src);
        writeNames(src);
        const img = join(t.path, 'img');
        // (sleuthkit finds no UFS1 superblock in an image as small as the computed one.)
        const r = build(src, img, { version, size: 4 << 20 });
        // plain.txt, sub, caf\xe9.txt, lien-\xe9, d\xe9j\xe0, inner.txt, the two real*.txt.
        expect(r.entries).toBe(8);
        expect(runFsck(img, false).problems.map((p) => p.message)).toEqual([]);
        const image = readFileSync(img);
        for (const rel of [CAFE, DIR, INNER, LINK, BAD]) {
          const base = rel.subarray(rel.lastIndexOf(0x2f) + 1);
          expect(entryNamlen(image, base), rel.toString('latin1')).toBe(base.length);
        }
        if (!HAVE_TSK) return;
        const ufs = version === 1 ? 'ufs1' : 'ufs2';
        const ls = flsBytes(img, ufs);
        const key = (b: Buffer): string => b.toString('latin1');
        expect([...ls.keys()].sort()).toEqual(['plain.txt', 'sub', key(CAFE), key(LINK), key(DIR), key(INNER), key(REAL), key(BAD)].sort());
        expect(ls.get(key(DIR))!.type).toBe('d');
        expect(ls.get(key(LINK))!.type).toBe('l');
        expect(icat(img, ufs, ls.get(key(CAFE))!.ino).toString()).toBe('hi');
        expect(icat(img, ufs, ls.get(key(REAL))!.ino).toString()).toBe('real');
        expect(icat(img, ufs, ls.get(key(BAD))!.ino).toString()).toBe('bad');
        expect(icat(img, ufs, ls.get(key(INNER))!.ino).equals(pattern('inner', 20_000))).toBe(true);
        // The link's target keeps its bytes too (a short one is in the inode: istat shows it).
        const st = execFileSync('istat', ['-f', ufs, img, String(ls.get(key(LINK))!.ino)], { encoding: 'latin1' });
        expect(/^symbolic link to: (.*)$/m.exec(st)?.[1]).toBe(key(LINK_TARGET));
        if (HAVE_MAKEFS && version === 1) {
          // Debian's makefs (NetBSD's) names the same entries with the same bytes (its UFS2 superblock
          // is at 8 KiB, where sleuthkit does not look: UFS1 only).
          const ref = join(t.path, 'ref');
          execFileSync('makefs', ['-t', 'ffs', '-o', 'version=1', '-s', String(4 << 20), ref, src], { stdio: 'ignore' });
          expect([...flsBytes(ref, ufs).entries()].map(([p, e]) => `${p}|${e.type}`).sort()).toEqual([...ls.entries()].map(([p, e]) => `${p}|${e.type}`).sort());
        }
      } finally {
        t.cleanup();
      }
    }, 60_000);
  }

  it('through the I/O thread: files under such names are read byte-exact', () => {
    const t = tempDir('mknamesio');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      writeNames(src);
      // Enough files for the thread, in a directory whose own name is not UTF-8.
      const many = Buffer.concat([Buffer.from(`${src}/`), DIR, Buffer.from('/many')]);
      mkdirSync(many);
      for (let i = 0; i < 300; i++) {
        writeFileSync(Buffer.concat([many, bytes('/f', [0xe0 + (i % 16)], String(i))]), pattern(`many${i}`, 100 + ((i * 977) % 9000)));
      }
      const img = join(t.path, 'img');
      const r = build(src, img, { version: 2, ioThread: true });
      expect(r.threadJobs).toBeGreaterThan(0);
      expect(runFsck(img, false).problems.map((p) => p.message)).toEqual([]);
      if (!HAVE_TSK) return;
      const ls = flsBytes(img, 'ufs2');
      const prefix = Buffer.concat([DIR, Buffer.from('/many')]).toString('latin1');
      for (let i = 0; i < 300; i++) {
        const name = `${prefix}/${bytes('f', [0xe0 + (i % 16)], String(i)).toString('latin1')}`;
        const e = ls.get(name);
        expect(e, name).toBeDefined();
        if (i % 37 === 0) expect(icat(img, 'ufs2', e!.ino).equals(pattern(`many${i}`, 100 + ((i * 977) % 9000))), name).toBe(true);
      }
      expect(icat(img, 'ufs2', ls.get(INNER.toString('latin1'))!.ino).equals(pattern('inner', 20_000))).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
