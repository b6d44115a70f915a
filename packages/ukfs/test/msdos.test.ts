/**
 * fsu's FAT and partition commands end to end (the built fsu binary), each result checked by an
 * independent tool: newfs -t msdos and makefs -t msdos (fsck.fat, mtools), fsck type detection and
 * repair, FAT images found without -t, partitions (sgdisk, sfdisk, mmls), %GPT:N% and %MBR:N%
 * (logical ones too), and mkdisk: sgdisk -v, the ESP through fsck.fat, the FFS partition through our
 * fsck and sleuthkit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tmp } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'fsu', 'main.js');
const VERIFY_FFS = join(here, '..', '..', '..', 'tools', 'ffs', 'verify_ffs_image.sh');
const has = (cmd: string, arg = '--help'): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
const HAVE = has('fsck.fat') && has('mkfs.fat') && has('mdir', '-V') && has('sgdisk', '--version') && has('sfdisk', '--version') && spawnSync('mmls', ['-V']).status === 0;
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1', TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

function fsu(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** fsck.fat -n: exit 0 and nothing said besides the version and the summary. */
function fsckFat(img: string): { ok: boolean; out: string } {
  const r = spawnSync('fsck.fat', ['-n', img], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const quiet = out.split('\n').filter((l) => l.trim()).every((l) => /^fsck\.fat \d/.test(l) || /: \d+ files, \d+\/\d+ clusters$/.test(l));
  return { ok: r.status === 0 && quiet, out };
}

/** Bytes [start, start+sectors) × 512 of an image into a file of their own. */
function extract(img: string, start: number, sectors: number, to: string): string {
  const b = new Uint8Array(sectors * 512);
  const fd = openSync(img, 'r');
  readSync(fd, b, 0, b.length, start * 512);
  closeSync(fd);
  writeFileSync(to, b);
  return to;
}

function tree(d: string): string {
  const src = join(d, 'src');
  mkdirSync(join(src, 'EFI', 'BOOT'), { recursive: true });
  mkdirSync(join(src, 'a dir', 'deeper'), { recursive: true });
  writeFileSync(join(src, 'EFI', 'BOOT', 'BOOTX64.EFI'), Buffer.alloc(70_000, 0x4d));
  writeFileSync(join(src, 'readme.txt'), 'hello from fsu\n');
  writeFileSync(join(src, 'a dir', 'deeper', 'A Long File Name.data'), 'deep\n');
  return src;
}

describe.skipIf(!HAVE)('fsu and FAT', () => {
  it('newfs -t msdos with newfs_msdos options; fsck.fat and minfo agree; the image works without -t', () => {
    const d = tmp();
    const img = join(d, 'fat.img');
    const r = fsu(['newfs', '-t', 'msdos', '-F', '32', '-L', 'MYVOL', '-I', '0xcafe1234', '-c', '1', '-s', '40m', img]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAT32 clusters \(512 bytes\/cluster\)/);
    expect(r.stdout).toMatch(/^MBR type: 11$/m);
    expect(fsckFat(img).ok).toBe(true);
    const info = execFileSync('minfo', ['-i', img, '::'], { env: MT, encoding: 'utf8' });
    expect(info.toLowerCase()).toContain('serial number: cafe1234');
    expect(info).toContain('disk label="MYVOL      "');
    const src = tree(d);
    expect(fsu(['put', '-r', img, join(src, 'a dir'), '/']).code).toBe(0);
    expect(fsu(['ls', img, '/a dir/deeper']).stdout.trim()).toBe('A Long File Name.data');
    expect(fsu(['cat', img, '/a dir/deeper/A Long File Name.data']).stdout).toBe('deep\n');
    expect(fsckFat(img).ok).toBe(true);
    expect(execFileSync('mtype', ['-i', img, '::/a dir/deeper/A Long File Name.data'], { env: MT, encoding: 'utf8' })).toBe('deep\n');
    // Bad options are usage errors; a missing image is an operation error naming it.
    expect(fsu(['newfs', '-t', 'msdos', '-F', '13', img]).code).toBe(2);
    const missing = fsu(['newfs', '-t', 'msdos', join(d, 'nope.img')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.img: no such image; give -s SIZE/);
  });

  it('fsck finds FAT by itself: -n reports an injected fault (exit 2), -y repairs it (exit 0), fsck.fat agrees', () => {
    const d = tmp();
    const img = join(d, 'fat.img');
    execFileSync('mkfs.fat', ['-C', '-F', '16', img, '16384'], { stdio: 'ignore' });
    execFileSync('mcopy', ['-s', '-i', img, join(tree(d), 'readme.txt'), '::'], { env: MT });
    expect(fsu(['fsck', img]).code).toBe(0);
    // Lost clusters: mark two free clusters in use in both FATs.
    const b = readFileSync(img);
    const res = b.readUInt16LE(14);
    const spf = b.readUInt16LE(22);
    for (const copy of [0, 1]) for (const cn of [100, 101]) b.writeUInt16LE(cn === 100 ? 101 : 0xffff, (res + copy * spf) * 512 + cn * 2);
    writeFileSync(img, b);
    expect(fsckFat(img).ok).toBe(false);
    const n = fsu(['fsck', '-n', img]);
    expect(n.code).toBe(2);
    expect(n.stdout).toMatch(/2 lost clusters in 1 chain/);
    const y = fsu(['fsck', '-y', img]);
    expect(y.code, y.stdout).toBe(0);
    expect(y.stdout).toMatch(/repaired/);
    expect(fsckFat(img).ok).toBe(true);
    expect(fsu(['fsck', img]).code).toBe(0);
  });

  it('makefs -t msdos: mtools reads the tree back', () => {
    const d = tmp();
    const img = join(d, 'mk.img');
    const src = tree(d);
    const r = fsu(['makefs', '-t', 'msdos', '-F', '16', img, src]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 files, 4 directories, 70020 bytes of data, FAT16/);
    expect(fsckFat(img).ok).toBe(true);
    const out = join(d, 'out');
    mkdirSync(out);
    execFileSync('mcopy', ['-s', '-n', '-i', img, '::', `${out}/`], { env: MT });
    expect(readFileSync(join(out, 'EFI', 'BOOT', 'BOOTX64.EFI')).equals(Buffer.alloc(70_000, 0x4d))).toBe(true);
    expect(readFileSync(join(out, 'a dir', 'deeper', 'A Long File Name.data'), 'utf8')).toBe('deep\n');
  });
});

/** Rows of `sfdisk --dump`: [index, start, size, type]. */
function sfdiskRows(img: string): [number, number, number, string][] {
  return execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8' }).split('\n').flatMap((l) => {
    const m = /(\d+) : start=\s*(\d+), size=\s*(\d+), type=([0-9A-Fa-f-]+)/.exec(l);
    return m ? [[Number(m[1]), Number(m[2]), Number(m[3]), m[4]!.toLowerCase()] as [number, number, number, string]] : [];
  });
}

/** `fsu partitions` rows: [index, start, size, type]. */
function fsuRows(img: string): [number, number, number, string][] {
  const r = fsu(['partitions', img]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => /^(gpt|mbr) /.test(l)).map((l) => {
    const [, index, type, start, size] = l.split(/\s+/);
    return [Number(index), Number(start), Number(size), type!.toLowerCase().replace(/^0(?=[0-9a-f]$)/, '')];
  });
}

function mmlsRows(type: 'gpt' | 'dos', img: string): [number, number][] {
  return execFileSync('mmls', ['-t', type, img], { encoding: 'utf8' }).split('\n').flatMap((l) => {
    const m = /^\d+:\s+\d{3}(?::\d{3})?\s+(\d+)\s+\d+\s+(\d+)/.exec(l);
    return m ? [[Number(m[1]), Number(m[2])] as [number, number]] : [];
  });
}

describe.skipIf(!HAVE)('fsu partitions, %GPT:N%, %MBR:N% and mkdisk', () => {
  it('partitions agrees with sfdisk and mmls on GPT and MBR disks, logical partitions included; %MBR:5% mounts', () => {
    const d = tmp();
    const g = join(d, 'g.img');
    writeFileSync(g, new Uint8Array(0));
    execFileSync('truncate', ['-s', '40M', g]);
    execFileSync('sgdisk', ['-n', '1:2048:+8M', '-t', '1:EF00', '-c', '1:ESP', '-n', '4:0:+16M', '-t', '4:A902', g], { stdio: 'ignore' });
    expect(fsuRows(g)).toEqual(sfdiskRows(g));
    expect(fsuRows(g).map(([, s, n]) => [s, n])).toEqual(mmlsRows('gpt', g));
    const m = join(d, 'm.img');
    writeFileSync(m, new Uint8Array(0));
    execFileSync('truncate', ['-s', '40M', m]);
    execFileSync('sfdisk', [m], { input: 'label: dos\nstart=2048,size=4096,type=c\nstart=8192,size=60000,type=f\nstart=10240,size=20480,type=6\nstart=32768,size=8192,type=a9\n', stdio: ['pipe', 'ignore', 'ignore'] });
    expect(fsuRows(m)).toEqual(sfdiskRows(m));
    expect(fsuRows(m).filter(([, , , t]) => t !== 'f').map(([, s, n]) => [s, n])).toEqual(mmlsRows('dos', m));
    // A FAT in logical partition 5, made by mkfs.fat at its offset, is found by %MBR:5%.
    execFileSync('mkfs.fat', ['-F', '16', '--offset=10240', m, String(20480 / 2)], { stdio: 'ignore' });
    const put = fsu(['write', `${m}%MBR:5%`, '/hello.txt'], 'in a logical partition\n');
    expect(put.code, put.stderr).toBe(0);
    expect(fsu(['cat', `${m}%MBR:5%`, '/hello.txt']).stdout).toBe('in a logical partition\n');
    expect(fsu(['fsck', `${m}%MBR:5%`]).code).toBe(0);
    expect(fsu(['ls', `${m}%MBR:3%`]).stderr).toMatch(/no MBR partition 3/);
    expect(fsu(['ls', `${m}%GPT:1%`]).stderr).toMatch(/no GPT partition table/);
  });

  it('a damaged primary GPT header: partitions reads the backup and says so', () => {
    const d = tmp();
    const g = join(d, 'g.img');
    writeFileSync(g, new Uint8Array(0));
    execFileSync('truncate', ['-s', '20M', g]);
    execFileSync('sgdisk', ['-n', '1:2048:+4M', '-t', '1:0700', g], { stdio: 'ignore' });
    const fd = openSync(g, 'r+');
    writeSync(fd, new Uint8Array([1, 2, 3]), 0, 3, 512 + 24);
    closeSync(fd);
    const r = fsu(['partitions', g]);
    expect(r.stdout).toMatch(/from the backup header/);
    expect(r.stdout).toMatch(/# problem: primary header: header CRC mismatch; using the backup/);
    expect(fsuRows(g)).toEqual([[1, 2048, 8192, 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7']]);
  });

  it('mkdisk --gpt: sgdisk -v is happy, the ESP passes fsck.fat, the FFS partition our fsck and sleuthkit', () => {
    const d = tmp();
    const img = join(d, 'disk.img');
    const efi = tree(d);
    const root = join(d, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'motd'), 'welcome\n');
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(300_000, 7));
    const r = fsu(['mkdisk', '-s', '160m', '--gpt', img, `esp:fat32:64m:${efi}`, `ffs:rest:${root}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toMatch(/No problems found/);
    const rows = sfdiskRows(img);
    expect(rows.map(([i, s, , t]) => [i, s, t])).toEqual([[1, 2048, 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'], [2, 133120, '49f48d5a-b10e-11dc-b99b-0019d1879648']]);
    expect(fsuRows(img)).toEqual(rows);
    const esp = extract(img, rows[0]![1], rows[0]![2], join(d, 'esp.img'));
    const f = fsckFat(esp);
    expect(f.ok, f.out).toBe(true);
    expect(execFileSync('mtype', ['-i', esp, '::/a dir/deeper/A Long File Name.data'], { env: MT, encoding: 'utf8' })).toBe('deep\n');
    expect(fsu(['fsck', `${img}%GPT:2%`]).code).toBe(0);
    const ffs = extract(img, rows[1]![1], rows[1]![2], join(d, 'ffs.img'));
    const v = spawnSync('bash', [VERIFY_FFS, ffs, root], { encoding: 'utf8', env: { ...process.env, READERS: 'tsk' } });
    expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
    expect(fsu(['cat', `${img}%GPT:2%`, '/etc/motd']).stdout).toBe('welcome\n');
  });

  it('mkdisk --mbr and --spec JSON', () => {
    const d = tmp();
    const img = join(d, 'mbr.img');
    const r = fsu(['mkdisk', '-s', '64m', '--mbr', img, 'esp:fat16:16m', 'data:fat32:40m', 'ffs1:rest']);
    expect(r.code, r.stderr).toBe(0);
    expect(sfdiskRows(img)).toEqual([[1, 2048, 32768, 'ef'], [2, 34816, 81920, 'c'], [3, 116736, 14336, 'a9']]);
    expect(fsuRows(img)).toEqual(sfdiskRows(img));
    expect(mmlsRows('dos', img)).toEqual([[2048, 32768], [34816, 81920], [116736, 14336]]);
    expect(fsckFat(extract(img, 34816, 81920, join(d, 'p2.img'))).ok).toBe(true);
    expect(fsu(['fsck', `${img}%MBR:3%`]).code).toBe(0);
    const spec = join(d, 'spec.json');
    writeFileSync(spec, JSON.stringify({ scheme: 'gpt', size: '48m', partitions: [{ name: 'esp', fs: 'fat12', size: '4m' }, { name: 'root', fs: 'ffs', size: 'rest' }] }));
    const j = fsu(['mkdisk', '--spec', spec, join(d, 'j.img')]);
    expect(j.code, j.stderr).toBe(0);
    expect(fsuRows(join(d, 'j.img')).map(([i, , , t]) => [i, t])).toEqual([[1, 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'], [2, '49f48d5a-b10e-11dc-b99b-0019d1879648']]);
    // Usage: a part that does not fit, an unknown file system.
    expect(fsu(['mkdisk', '-s', '8m', join(d, 'x.img'), 'esp:fat32:64m']).code).toBe(1);
    expect(fsu(['mkdisk', '-s', '8m', join(d, 'x.img'), 'esp:ntfs:4m']).stderr).toMatch(/'ntfs' is not one of/);
  });
});
