/**
 * Host paths given on the command line as bytes that are not valid UTF-8 (`$'/tmp/caf\xe9.img'`):
 * fsu restores them from /proc/self/cmdline, and every host file it then opens — the image (mounted,
 * newfs'd, fsck'd, made by makefs or mkdisk, read by partitions, behind %GPT:N% or %DISKLABEL:e%),
 * the image lock, makefs's source directory — is those very bytes; nothing named with U+FFFD
 * (EF BF BD) appears, and messages show the bytes as \xNN.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeName } from '@rumpts/librump';
import { lockImage } from '@rumpts/rumpdev-disk';
import { hostBytes } from '../src/fsu/copy.js';
import { fsu, sh } from './fsu-helpers.js';
import { labeledImage, makefsImage, tmp } from './helpers.js';

/** `dir/` + parts, as bytes (a number array is raw bytes). */
const at = (dir: string, ...parts: (string | number[])[]): Buffer => Buffer.concat([Buffer.from(`${dir}/`), ...parts.map((p) => Buffer.from(p as string))]);

/** The names in `dir` as hex, sorted (a name's exact bytes). */
const namesHex = (dir: string): string[] => readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort();
const hex = (...names: string[]): string[] => names.map((n) => Buffer.from(n, 'latin1').toString('hex')).sort();

/** A source tree in `dir/src\xe8`: a file and a directory with a file (plain names). */
function srcTree(d: string): Buffer {
  const src = at(d, 'src', [0xe8]);
  mkdirSync(src);
  writeFileSync(Buffer.concat([src, Buffer.from('/a.txt')]), 'hello\n');
  mkdirSync(Buffer.concat([src, Buffer.from('/sub')]));
  writeFileSync(Buffer.concat([src, Buffer.from('/sub/b.txt')]), 'bee\n');
  return src;
}

describe('host paths on the command line that are not valid UTF-8', () => {
  it('newfs -s, put, ls, fsck of an image named caf\\xe9.img: that very file, messages with \\xNN', () => {
    const d = tmp();
    const r = sh(
      [
        `fsu newfs -s 8m $'${d}/caf\\xe9.img' | head -1`,
        `echo hi > ${d}/hi.txt && fsu put $'${d}/caf\\xe9.img' ${d}/hi.txt /hi`,
        `fsu ls $'${d}/caf\\xe9.img' /`,
        `fsu fsck -n $'${d}/caf\\xe9.img' | tail -1`,
      ].join(' && '),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${d}/caf\\xe9.img: 8.0MB (16384 sectors) block size 4096, fragment size 512\nhi\nlost+found\n${d}/caf\\xe9.img: clean\n`);
    expect(namesHex(d)).toEqual(hex('caf\xe9.img', 'hi.txt'));
    // An image that is not there: named with \xNN, never U+FFFD.
    const miss = sh(`fsu ls $'${d}/miss\\xe9.img' /`);
    expect(miss.stderr).toBe(`fsu: ${d}/miss\\xe9.img: No such file or directory\n`);
    expect(miss.code).toBe(1);
  });

  it('makefs (FFS) from src\\xe8 into out\\xe9.img; an existing one is replaced in place', () => {
    const d = tmp();
    srcTree(d);
    const mk = `fsu makefs $'${d}/out\\xe9.img' $'${d}/src\\xe8'`;
    const r = sh(`${mk} && chmod 600 $'${d}/out\\xe9.img' && ${mk} && fsu cat $'${d}/out\\xe9.img' /sub/b.txt && fsu fsck -n $'${d}/out\\xe9.img' | tail -1`);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${d}/out\\\\xe9\\.img: 3 entries, 10 bytes of data`));
    expect(lines[1]).toBe(lines[0]);
    expect(lines.slice(2)).toEqual(['bee', `${d}/out\\xe9.img: clean`, '']);
    // The second makefs replaced the first image, keeping its mode (no temporary file left beside it).
    expect(namesHex(d)).toEqual(hex('out\xe9.img', 'src\xe8'));
    expect(statSync(at(d, 'out', [0xe9], '.img')).mode & 0o777).toBe(0o600);
  });

  it('makefs -t msdos and newfs -t msdos on such paths; a symlink or fifo named so is skipped as any, a file so named is EILSEQ', () => {
    const d = tmp();
    const src = srcTree(d);
    symlinkSync('a.txt', Buffer.concat([src, Buffer.from([0x2f, 0x6c, 0xe9])]));
    execFileSync('mkfifo', [join(d, 'fifo')]);
    renameSync(join(d, 'fifo'), Buffer.concat([src, Buffer.from([0x2f, 0x70, 0xe9])]));
    const r = sh(`fsu makefs -t msdos $'${d}/fat\\xe9.img' $'${d}/src\\xe8' && fsu ls -R $'${d}/fat\\xe9.img' /`);
    expect(r.stderr.split('\n').sort()).toEqual([
      '',
      'fsu: warning: l\\xe9: a symbolic link; FAT cannot hold it, skipped',
      'fsu: warning: p\\xe9: not a regular file or directory; FAT cannot hold it, skipped',
    ]);
    expect(r.stdout).toMatch(new RegExp(`^${d}/fat\\\\xe9\\.img: 2 files, 1 directories, 10 bytes of data, FAT12, .*, 2 skipped\n`));
    // dosfstools reads the image fsu made under those bytes.
    const img = at(d, 'fat', [0xe9], '.img');
    renameSync(img, join(d, 'fat.img'));
    execFileSync('fsck.fat', ['-n', join(d, 'fat.img')], { stdio: 'pipe' });
    expect(execFileSync('mtype', ['-i', join(d, 'fat.img'), '::/sub/b.txt'], { encoding: 'utf8' })).toBe('bee\n');
    // A regular file with such a name has no FAT form.
    writeFileSync(Buffer.concat([src, Buffer.from([0x2f, 0x66, 0xe9])]), 'x');
    const bad = sh(`fsu makefs -t msdos $'${d}/fat2\\xe9.img' $'${d}/src\\xe8'`);
    expect(bad.stderr).toBe(`fsu: ${d}/fat2\\xe9.img: makefs: f\\xe9: the name is not valid UTF-8; a FAT long name cannot hold it\n`);
    expect(bad.code).toBe(1);
    const nf = sh(`fsu newfs -t msdos -s 4m $'${d}/new\\xe9.img' | head -1 && fsu fsck $'${d}/new\\xe9.img'`);
    expect(nf.stderr).toBe('');
    expect(nf.stdout).toMatch(new RegExp(`^${d}/new\\\\xe9\\.img: .* FAT12 cluster`));
    expect(nf.stdout).toContain(`${d}/new\\xe9.img: clean`);
    expect(namesHex(d)).toEqual(hex('fat.img', 'new\xe9.img', 'src\xe8'));
  });

  it('makefs -t msdos of a plain source: a symlink, fifo or device named with a stray byte is skipped with a warning, as under any name', () => {
    const d = tmp();
    const src = join(d, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'hello\n');
    symlinkSync('a.txt', at(src, 'l', [0xe9]));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    renameSync(join(src, 'fifo'), at(src, 'p', [0xe9]));
    const r = fsu(['makefs', '-t', 'msdos', join(d, 'fat.img'), src]);
    expect(r.stderr.split('\n').sort()).toEqual([
      '',
      'fsu: warning: l\\xe9: a symbolic link; FAT cannot hold it, skipped',
      'fsu: warning: p\\xe9: not a regular file or directory; FAT cannot hold it, skipped',
    ]);
    expect(r.stdout).toMatch(/: 1 files, 0 directories, 6 bytes of data, FAT12, .*, 2 skipped\n$/);
    expect(r.code).toBe(0);
    execFileSync('fsck.fat', ['-n', join(d, 'fat.img')], { stdio: 'pipe' });
    expect(execFileSync('mdir', ['-b', '-i', join(d, 'fat.img'), '::/'], { encoding: 'utf8' })).toBe('::/a.txt\n');
  });

  it('mkdisk with part directories, partitions, %GPT:N% and %DISKLABEL:e% on such paths', () => {
    const d = tmp();
    srcTree(d);
    const r = sh(
      [
        `fsu mkdisk -s 80m --gpt $'${d}/disk\\xe9.img' $'esp:fat32:40m:${d}/src\\xe8' $'ffs:rest:${d}/src\\xe8'`,
        `fsu partitions $'${d}/disk\\xe9.img' | head -1 | cut -d, -f1`,
        `fsu cat $'${d}/disk\\xe9.img%GPT:1%' /sub/b.txt`,
        `fsu cat $'${d}/disk\\xe9.img%GPT:2%' /a.txt`,
        `fsu fsck $'${d}/disk\\xe9.img%GPT:2%' | tail -1`,
      ].join(' && '),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${d}/disk\\\\xe9\\.img%GPT:1%: esp, 40 MiB at sector 2048, FAT32, 2 files, 10 bytes$`)),
      expect.stringMatching(new RegExp(`^${d}/disk\\\\xe9\\.img%GPT:2%: ffs, `)),
      `# ${d}/disk\\xe9.img: GPT`,
      'bee',
      'hello',
      `${d}/disk\\xe9.img%GPT:2%: clean`,
      '',
    ]);
    // --spec FILE named so; a part directory in JSON as librump names it (\udce8 for the byte 0xe8).
    const spec = JSON.stringify({ scheme: 'mbr', size: '48m', partitions: [{ name: 'data', fs: 'fat16', size: '20m', dir: decodeName(at(d, 'src', [0xe8])) }, { name: 'root', fs: 'ffs', size: 'rest' }] });
    expect(spec).toContain('src\\udce8');
    writeFileSync(at(d, 'spec', [0xe9], '.json'), spec);
    const j = sh(`fsu mkdisk --spec $'${d}/spec\\xe9.json' ${d}/j.img | head -1 && fsu cat ${d}/j.img%MBR:1% /sub/b.txt`);
    expect(j.stderr).toBe('');
    expect(j.stdout).toBe(`${d}/j.img%MBR:1%: data, 20 MiB at sector 2048, FAT16, 2 files, 10 bytes\nbee\n`);
    rmSync(join(d, 'j.img'));
    rmSync(at(d, 'spec', [0xe9], '.json'));
    // A NetBSD disklabel's partition e, the disk named with a stray byte.
    const src = join(d, 'plain');
    mkdirSync(src);
    writeFileSync(join(src, 'hello.txt'), 'from makefs\n');
    renameSync(labeledImage(d, makefsImage(d, src)), at(d, 'label', [0xe9], '.img'));
    const l = sh(`fsu cat $'${d}/label\\xe9.img%DISKLABEL:e%' /hello.txt`);
    expect(l.stderr).toBe('');
    expect(l.stdout).toBe('from makefs\n');
    expect(namesHex(d)).toEqual(hex('disk\xe9.img', 'ffs.img', 'label\xe9.img', 'plain', 'src\xe8'));
  });

  it('the image lock: an image so named held by a writer is refused, naming the holder and the bytes as \\xNN', () => {
    const d = tmp();
    expect(sh(`fsu newfs -s 8m $'${d}/held\\xe9.img'`).code).toBe(0);
    const lock = lockImage(decodeName(at(d, 'held', [0xe9], '.img')), { shared: false });
    try {
      const r = sh(`fsu fsck -y $'${d}/held\\xe9.img'`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^fsu: ${d}/held\\\\xe9\\.img: image in use: pid ${process.pid} \\(.*\\) holds a write lock`));
    } finally {
      lock.release();
    }
    expect(sh(`fsu fsck -y $'${d}/held\\xe9.img'`).code).toBe(0);
  });

  it("put -r's progress total counts files whose names are not UTF-8", () => {
    const d = tmp();
    const src = srcTree(d);
    writeFileSync(Buffer.concat([src, Buffer.from([0x2f, 0x63, 0x61, 0x66, 0xe9])]), '12345');
    writeFileSync(Buffer.concat([src, Buffer.from('/sub/'), Buffer.from([0xff])]), '123');
    // hello\n + bee\n + the two (the source directory's own name is not UTF-8 either).
    expect(hostBytes(decodeName(src))).toBe(6 + 4 + 5 + 3);
    expect(readFileSync(Buffer.concat([src, Buffer.from('/a.txt')]), 'utf8')).toBe('hello\n');
  });
});
