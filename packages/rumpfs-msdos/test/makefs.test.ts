/**
 * makefs -t msdos: a host tree into a new FAT12/16/32 image, checked by fsck.fat -n and read back
 * exactly by mtools (names, contents, modification times); symbolic links skipped with a warning;
 * names equal but for case, a name that is not UTF-8 and a tree larger than the image are errors naming
 * the path.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { makefs_msdos, makefsMsdosSize, type MakefsMsdosOptions } from '../src/index.js';
import { HAVE_FSCK_FAT, HAVE_MTOOLS, MTOOLS_ENV, fsckFat, tempDir } from './helpers.js';
import { entries, hostTree, writeTree } from './tree.js';

async function build(img: string, src: string, o: MakefsMsdosOptions, size = makefsMsdosSize(src, o)) {
  writeFileSync(img, new Uint8Array(0));
  truncateSync(img, size);
  const dev = new HostFileBlockDevice(img);
  try {
    return await makefs_msdos(dev, src, o);
  } finally {
    dev.close();
  }
}

describe.skipIf(!(HAVE_FSCK_FAT && HAVE_MTOOLS))('makefs -t msdos', () => {
  for (const fatType of [12, 16, 32] as const) {
    it(`FAT${fatType}: the tree comes back exactly through mtools`, async () => {
      const t = tempDir(`makefs${fatType}`);
      try {
        const src = join(t.path, 'src');
        writeTree(src, { bpc: 4096, many: fatType === 12 ? 30 : 200 });
        symlinkSync('README', join(src, 'a link'));
        const want = hostTree(src);
        want.delete('a link');
        const warnings: string[] = [];
        const img = join(t.path, 'img');
        const r = await build(img, src, { fatType, label: `MK${fatType}`, onWarning: (w) => warnings.push(w) });
        expect(r.newfs.fatType).toBe(fatType);
        expect(r.files).toBe([...want.values()].filter((n) => !n.dir).length);
        expect(r.skipped).toEqual(['a link']);
        expect(warnings[0]).toMatch(/a link: a symbolic link/);
        const f = fsckFat(img);
        expect(f.ok, f.out).toBe(true);
        // The label newfs put in the root's first slot is still there.
        expect(execFileSync('mlabel', ['-s', '-i', img, '::'], { env: MTOOLS_ENV, encoding: 'utf8' })).toContain(`MK${fatType}`);
        const out = join(t.path, 'out');
        mkdirSync(out);
        execFileSync('mcopy', ['-s', '-m', '-n', '-i', img, '::', `${out}/`], { env: { ...MTOOLS_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
        expect(entries(hostTree(out))).toEqual(entries(want));
      } finally {
        t.cleanup();
      }
    });
  }

  it('names equal but for case, and a tree bigger than the image, are errors naming the path', async () => {
    const t = tempDir('makefs-err');
    try {
      const src = join(t.path, 'src');
      mkdirSync(join(src, 'd'), { recursive: true });
      writeFileSync(join(src, 'd', 'Name.txt'), 'a');
      writeFileSync(join(src, 'd', 'NAME.TXT'), 'b');
      let err: unknown = null;
      try {
        await build(join(t.path, 'img'), src, {});
      } catch (e) {
        err = e;
      }
      expect(isRumpError(err) && err.code).toBe('EEXIST');
      expect(String(err)).toMatch(/d\/Name\.txt: another name in its directory differs from it only in case/);
      const big = join(t.path, 'big');
      mkdirSync(big);
      writeFileSync(join(big, 'huge.bin'), new Uint8Array(3 << 20));
      err = null;
      try {
        await build(join(t.path, 'img2'), big, {}, 2 << 20);
      } catch (e) {
        err = e;
      }
      expect(isRumpError(err) && err.code).toBe('ENOSPC');
      expect(String(err)).toMatch(/huge\.bin: the file system is full/);
    } finally {
      t.cleanup();
    }
  });

  it('a name that is not valid UTF-8 is EILSEQ naming its bytes, before the image is touched; a real U+FFFD is copied', async () => {
    const t = tempDir('makefs-names');
    try {
      const src = join(t.path, 'src');
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'plain.txt'), 'ok');
      // A real U+FFFD (valid UTF-8 EF BF BD) next to the bad name that decodes to it too.
      writeFileSync(join(src, 'sub', 'caf\uFFFD.txt'), 'real');
      const bad = Buffer.concat([Buffer.from(`${src}/sub/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
      writeFileSync(bad, 'hi');
      const img = join(t.path, 'img');
      writeFileSync(img, Buffer.alloc(4 << 20, 0xab));
      const dev = new HostFileBlockDevice(img);
      let err: unknown = null;
      try {
        await makefs_msdos(dev, src, {});
      } catch (e) {
        err = e;
      } finally {
        dev.close();
      }
      expect(isRumpError(err) && err.code).toBe('EILSEQ');
      expect(isRumpError(err) && err.errno).toBe(85);
      expect(String(err)).toContain('makefs: sub/caf\\xe9.txt: the name is not valid UTF-8');
      expect(readFileSync(img).every((x) => x === 0xab)).toBe(true);
      // Without the bad name, the real U+FFFD comes back through mtools.
      const ok = join(t.path, 'ok');
      mkdirSync(join(ok, 'sub'), { recursive: true });
      writeFileSync(join(ok, 'sub', 'caf\uFFFD.txt'), 'real');
      const img2 = join(t.path, 'img2');
      await build(img2, ok, {});
      const f = fsckFat(img2);
      expect(f.ok, f.out).toBe(true);
      const out = join(t.path, 'out');
      mkdirSync(out);
      execFileSync('mcopy', ['-s', '-n', '-i', img2, '::', `${out}/`], { env: { ...MTOOLS_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
      expect(readdirSync(join(out, 'sub'))).toEqual(['caf\uFFFD.txt']);
      expect(readFileSync(join(out, 'sub', 'caf\uFFFD.txt'), 'utf8')).toBe('real');
    } finally {
      t.cleanup();
    }
  });
});
