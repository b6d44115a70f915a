/**
 * The allocation-free codec paths the create path uses, checked against the plain ones: a name
 * written from a string matches its encodeName bytes (escaped bytes as themselves, a lone surrogate
 * refused); dinodes encoded/decoded at an offset inside
 * an inode block match the standalone codecs; a symlink's in-inode target survives a round trip.
 */
import { describe, expect, it } from 'vitest';
import { encodeName, isRumpError } from '@rumpts/librump';
import { ondisk } from '../src/index.js';

const NAMES = [
  'a', 'file12345', 'x'.repeat(255), 'café', '日本語のファイル', '\u{1F600}smile',
  // Escaped bytes (names that are not UTF-8): alone, with ASCII, and with other non-ASCII text.
  'caf\udce9', '\udcff'.repeat(255), 'd\udce9j\udce0', 'café\udce9', '\u{1F600}\udc80x', '\ufeffbom',
];

describe('directory entries from strings', () => {
  for (const le of [true, false]) {
    for (const newfmt of [true, false]) {
      it(`${le ? 'le' : 'be'} ${newfmt ? 'new' : 'old'} format: encodeDirectName writes what encodeDirect writes`, () => {
        for (const name of NAMES) {
          const bytes = encodeName(name);
          expect(ondisk.nameLength(name)).toBe(bytes.length);
          const a = new Uint8Array(512).fill(0xa5);
          const b = new Uint8Array(512).fill(0xa5);
          const reclen = ondisk.DIRBLKSIZ - 8;
          ondisk.encodeDirect(a, new DataView(a.buffer), 8, le, newfmt, 1234, reclen, 8, bytes);
          ondisk.encodeDirectName(b, new DataView(b.buffer), 8, le, newfmt, 1234, reclen, 8, name, bytes.length);
          expect(b).toEqual(a);
          const dv = new DataView(b.buffer);
          expect(ondisk.direntIno(dv, 8, le)).toBe(1234);
          expect(ondisk.direntReclen(dv, 8, le)).toBe(reclen);
          expect(ondisk.direntNamlen(b, dv, 8, le, newfmt)).toBe(bytes.length);
        }
        // A lone surrogate that stands for no byte has no length.
        for (const name of ['lone\ud800surrogate', 'x\udc20']) {
          let code = 'ok';
          try {
            ondisk.nameLength(name);
          } catch (e) {
            code = isRumpError(e) ? e.code : String(e);
          }
          expect(code, name).toBe('EILSEQ');
        }
      });
    }
  }
});

describe('dinodes at an offset of an inode block', () => {
  for (const ufs2 of [false, true]) {
    for (const le of [true, false]) {
      const size = ufs2 ? ondisk.UFS2_DINODE_SIZE : ondisk.UFS1_DINODE_SIZE;
      const enc = (d: ondisk.Dinode, b: Uint8Array, inline: boolean): void =>
        ufs2 ? ondisk.encodeDinode2(d, b, le, inline) : ondisk.encodeDinode1(d, b, le, false, inline);
      const dec = (b: Uint8Array): ondisk.Dinode => (ufs2 ? ondisk.decodeDinode2(b, le) : ondisk.decodeDinode1(b, le, false));

      it(`UFS${ufs2 ? 2 : 1} ${le ? 'le' : 'be'}: the At codecs match the standalone ones`, () => {
        const d = ondisk.emptyDinode(ufs2);
        d.mode = 0o100644;
        d.nlink = 3;
        d.uid = 1000;
        d.gid = 100;
        d.size = 5 * 2 ** 32 + 77;
        d.blocks = 96;
        d.atime = { sec: 1_700_000_000, nsec: 1 };
        d.mtime = { sec: 1_700_000_001, nsec: 2 };
        d.ctime = { sec: 1_700_000_002, nsec: 3 };
        if (ufs2) d.birthtime = { sec: 1_600_000_000, nsec: 4 };
        d.gen = 99;
        d.flags = 0x20000;
        d.db = d.db.map((_, i) => 1000 + i);
        d.ib = [2000, 2001, 2002];
        const alone = new Uint8Array(size);
        enc(d, alone, false);
        const block = new Uint8Array(size * 4).fill(0x5a);
        const dv = new DataView(block.buffer);
        const at = size * 2;
        // The codecs leave fields they do not keep (spare, modrev, …) as they were: start from zero, like alone.
        block.fill(0, at, at + size);
        if (ufs2) ondisk.encodeDinode2At(d, block, dv, at, le, false);
        else ondisk.encodeDinode1At(d, block, dv, at, le, false, false);
        expect(block.subarray(at, at + size)).toEqual(alone);
        // Neighbours untouched.
        expect(block.subarray(0, at).every((x) => x === 0x5a)).toBe(true);
        expect(block.subarray(at + size).every((x) => x === 0x5a)).toBe(true);
        const back = ufs2 ? ondisk.decodeDinode2At(block, dv, at, le) : ondisk.decodeDinode1At(block, dv, at, le, false);
        const plain = dec(alone);
        for (const k of ['mode', 'nlink', 'uid', 'gid', 'size', 'blocks', 'atime', 'mtime', 'ctime', 'birthtime', 'gen', 'flags', 'db', 'ib'] as const) {
          expect(back[k]).toEqual(plain[k]);
          expect(back[k]).toEqual(k === 'birthtime' && !ufs2 ? { sec: 0, nsec: 0 } : d[k]);
        }
      });

      it(`UFS${ufs2 ? 2 : 1} ${le ? 'le' : 'be'}: a short symlink keeps its target in the block pointers`, () => {
        const d = ondisk.emptyDinode(ufs2);
        d.mode = 0o120755;
        const target = encodeName('../some/where/else');
        d.shortlink.set(target);
        d.size = target.length;
        const b = new Uint8Array(size);
        enc(d, b, true);
        const back = dec(b);
        expect(back.shortlink.subarray(0, target.length)).toEqual(target);
        expect(back.shortlink.length).toBe(ufs2 ? ondisk.UFS2_SHORTLINK.len : ondisk.UFS1_SHORTLINK.len);
        // A regular file's in-core link area starts zeroed and is its own per inode.
        const f = ondisk.emptyDinode(ufs2);
        const g = ondisk.emptyDinode(ufs2);
        f.shortlink[0] = 1;
        expect(g.shortlink.every((x) => x === 0)).toBe(true);
      });
    }
  }
});
