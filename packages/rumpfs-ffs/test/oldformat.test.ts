/**
 * The old (4.2BSD / newfs -O0) formats makefs cannot write, made by rewriting a makefs UFS1 image:
 * directory entries with a 16-bit d_namlen and no d_type, owners in di_oldids (FS_42INODEFMT),
 * fs_maxsymlinklen 0 — and a superblock without FS_FLAGS_UPDATED, read through the old 32-bit fields.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DT_UNKNOWN } from '@rumpts/librump';
import { Ufsmount, ffs_dirwalk, ffs_getattr, ffs_iget, ffs_read, ffs_readlink, ffs_statvfs, ondisk } from '../src/index.js';
import { HAVE_MAKEFS, MemBlockDevice, makeImage, pattern, tempDir } from './helpers.js';

const { FS_FIELDS, UFS1_FIELDS } = ondisk;

describe.skipIf(!HAVE_MAKEFS)('old UFS1 formats', () => {
  const tmp = tempDir('oldfmt');
  afterAll(() => tmp.cleanup());

  let serial = 0;
  const build = (endian: 'le' | 'be'): { img: Uint8Array; src: string } => {
    const src = join(tmp.path, `src-${endian}-${serial++}`);
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub/file'), pattern('file', 10000));
    writeFileSync(join(src, 'x'.repeat(200)), 'long name');
    symlinkSync('short', join(src, 'sl'));
    symlinkSync('z'.repeat(150), join(src, 'll'));
    const path = `${src}.img`;
    makeImage(src, path, { version: 1, endian, size: '4m' });
    return { img: new Uint8Array(readFileSync(path)), src };
  };

  for (const endian of ['le', 'be'] as const) {
    it(`${endian}: 16-bit d_namlen directories, di_oldids owners, maxsymlinklen 0`, () => {
      const { img, src } = build(endian);
      const le = endian === 'le';
      const dv = new DataView(img.buffer);
      let ump = Ufsmount.open(new MemBlockDevice(img));
      const fs = ump.fs;
      // Rewrite every directory chunk: (d_type, d_namlen) bytes become a 16-bit d_namlen.
      const dirs: number[] = [];
      const collect = (ino: number): void => {
        const ip = ffs_iget(ump, ino);
        dirs.push(ino);
        ffs_dirwalk(ip, 0, (e) => {
          if (e.type === 4 && e.name !== '.' && e.name !== '..') collect(e.ino);
          return true;
        });
      };
      collect(2);
      // sub/file, whose owners go into di_oldids below.
      const fileIno = ((): number => {
        let n = 0;
        ffs_dirwalk(ffs_iget(ump, dirs[1]!), 0, (e) => ((n = e.name === 'file' ? e.ino : n), true));
        return n;
      })();
      for (const ino of dirs) {
        const ip = ffs_iget(ump, ino);
        for (let lbn = 0; lbn * fs.bsize < ip.size; lbn++) {
          const base = ondisk.fsbtob(fs, ip.din.db[lbn]!);
          const len = Math.min(fs.bsize, ip.size - lbn * fs.bsize);
          for (let off = 0; off < len; ) {
            const reclen = dv.getUint16(base + off + 4, le);
            const namlen = img[base + off + 7]!;
            dv.setUint16(base + off + 6, namlen, le);
            off += reclen;
          }
        }
      }
      dv.setInt32(8192 + FS_FIELDS.maxsymlinklen[0], 0, le);
      dv.setInt32(8192 + FS_FIELDS.old_inodefmt[0], ondisk.FS_42INODEFMT, le);
      const at = ondisk.fsbtob(fs, ondisk.ino_to_fsba(fs, fileIno)) + ondisk.ino_to_fsbo(fs, fileIno) * 128;
      dv.setUint16(at + UFS1_FIELDS.ouid, 4321, le);
      dv.setUint16(at + UFS1_FIELDS.ogid, 1234, le);

      ump = Ufsmount.open(new MemBlockDevice(img));
      expect(ump.dtype).toBe(false);
      expect(ump.oldids).toBe(true);
      const names: string[] = [];
      ffs_dirwalk(ffs_iget(ump, 2), 0, (e) => {
        expect(e.type).toBe(DT_UNKNOWN);
        names.push(e.name);
        const ip = ffs_iget(ump, e.ino);
        if (e.name === 'sl' || e.name === 'll') expect(ffs_readlink(ip)).toBe(readlinkSync(join(src, e.name)));
        return true;
      });
      expect(names.filter((n) => n !== '.' && n !== '..').sort()).toEqual(readdirSync(src).sort());
      const file = ffs_iget(ump, fileIno);
      const va = ffs_getattr(file);
      expect([va.uid, va.gid]).toEqual([4321, 1234]);
      const b = Buffer.alloc(file.size);
      ffs_read(file, b, 0);
      expect(b.equals(readFileSync(join(src, 'sub/file')))).toBe(true);
      expect(va.size).toBe(lstatSync(join(src, 'sub/file')).size);
    });
  }

  it('a UFS1 superblock without FS_FLAGS_UPDATED is read through its old 32-bit fields', () => {
    const { img } = build('le');
    const modern = Ufsmount.open(new MemBlockDevice(img));
    img[8192 + FS_FIELDS.old_flags[0]] = img[8192 + FS_FIELDS.old_flags[0]]! & ~ondisk.FS_FLAGS_UPDATED;
    // Poison the 64-bit copies: the old layout must not look at them.
    const dv = new DataView(img.buffer);
    dv.setBigInt64(8192 + FS_FIELDS.size[0], -1n, true);
    dv.setBigInt64(8192 + FS_FIELDS.sblockloc[0], 12345n, true);
    const old = Ufsmount.open(new MemBlockDevice(img));
    expect(old.fs.size).toBe(modern.fs.size);
    expect(old.fs.sblockloc).toBe(8192);
    expect(ffs_statvfs(old)).toEqual(ffs_statvfs(modern));
    expect(ffs_iget(old, 2).size).toBe(ffs_iget(modern, 2).size);
  });
});
