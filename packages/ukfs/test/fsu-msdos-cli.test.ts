/**
 * fsu's FAT commands (newfs/makefs -t msdos, fsck of a FAT image) keep the conventions of the rest
 * of fsu: an error line names the image or the path it is about (never `-`), in fsu's words; a usage
 * error is one line and a hint (exit 2); a closed standard output ends the command quietly with
 * status 141.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsu, sh } from './fsu-helpers.js';
import { tmp } from './helpers.js';

describe('fsu FAT commands follow fsu conventions', () => {
  it('usage errors: one line and the command’s hint, exit 2', () => {
    const d = tmp();
    const img = join(d, 'fat.img');
    const cases: [string[], RegExp][] = [
      [['newfs', '-t', 'msdos', '-F', '13', img], /^fsu: -F must be 12, 16 or 32, not '13'\nTry 'fsu newfs --help' for more information\.\n$/],
      [['newfs', '-t', 'msdos', '--bogus', img], /^fsu: unknown option '--bogus'\nTry 'fsu newfs --help' for more information\.\n$/],
      [['newfs', '-t', 'msdos'], /^fsu: missing required argument 'image'\nTry 'fsu newfs --help' for more information\.\n$/],
      [['makefs', '-t', 'msdos', '-s', 'lots', img, d], /^fsu: [^\n]*-s[^\n]*\nTry 'fsu makefs --help' for more information\.\n$/],
      [['fsck', '-t', 'msdos', '-n', '-y', img], /^fsu: -n and -y exclude each other\nTry 'fsu fsck --help' for more information\.\n$/],
    ];
    for (const [args, want] of cases) {
      const r = fsu(args);
      expect(r.stderr, args.join(' ')).toMatch(want);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });

  it('operational errors: one line naming the image (or the path at fault) in fsu’s words, exit 1', () => {
    const d = tmp();
    const cases: [string[], string][] = [
      [['makefs', '-t', 'msdos', join(d, 'no/such/dir/x.img'), d], `fsu: ${join(d, 'no/such/dir/x.img')}: No such file or directory\n`],
      [['newfs', '-t', 'msdos', '-s', '4m', join(d, 'no/x.img')], `fsu: ${join(d, 'no/x.img')}: No such file or directory\n`],
      [['newfs', '-t', 'msdos', join(d, 'absent.img')], `fsu: ${join(d, 'absent.img')}: no such image; give -s SIZE to create it\n`],
      [['makefs', '-t', 'msdos', join(d, 'x.img'), join(d, 'nowhere')], `fsu: ${join(d, 'nowhere')}: source is not a directory\n`],
      [['fsck', '-t', 'msdos', d], `fsu: ${d}: is a directory, not a file-system image\n`],
      [['fsck', '-t', 'msdos', '-y', join(d, 'absent.img')], `fsu: ${join(d, 'absent.img')}: No such file or directory\n`],
    ];
    for (const [args, want] of cases) {
      const r = fsu(args);
      expect(r.stderr, args.join(' ')).toBe(want);
      expect(r.code, args.join(' ')).toBe(1);
    }
  });

  it('a closed standard output ends newfs, fsck and --help quietly with status 141', () => {
    const d = tmp();
    // An image whose fsck says a great deal (more than one 64 KiB block of output): 3,000 files
    // whose directory entries claim more bytes than their cluster holds.
    const src = join(d, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(src, 'd', `f${i}`), `${i}\n`);
    const img = join(d, 'fat.img');
    expect(fsu(['makefs', '-t', 'msdos', img, src]).code).toBe(0);
    const b = readFileSync(img);
    let n = 0;
    for (let o = 0; o + 32 <= b.length; o += 32) {
      // a short entry of a regular file (ATTR_ARCHIVE) named F…, size 2-5: claim 40,000 bytes
      if (b[o] === 0x46 && b[o + 11] === 0x20 && b.readUInt32LE(o + 28) > 0 && b.readUInt32LE(o + 28) < 6) {
        b.writeUInt32LE(40000, o + 28);
        n++;
      }
    }
    expect(n).toBe(3000);
    writeFileSync(img, b);
    const full = fsu(['fsck', '-n', img]);
    expect(full.code).toBe(2);
    expect(full.stdout.length).toBeGreaterThan(128 * 1024);
    const r = sh(
      [`fsu fsck -n "${img}"`, `fsu newfs -t msdos -s 4m "${join(d, 'new.img')}"`, 'fsu newfs -t msdos --help']
        .map((c) => `${c} | (exec 0<&-; sleep 0); echo "\${PIPESTATUS[0]}"`)
        .join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['141', '141', '141']);
  });
});
