// The base images the fuzz harness mutates, and where their metadata lies.
//
// Every kind is made by a real tool or by the kernel itself: makefs(8) writes the FFS images (UFS1 and
// UFS2, little- and big-endian), our kernel then mounts copies with MNT_LOG and stops right after a log
// commit so the copy carries a WAPBL journal waiting to be replayed (at the end of the partition or as
// an in-filesystem log file), NetBSD's own kernel wrote the fixture with a pending log, and xorriso
// writes the ISO 9660 image (Rock Ridge and Joliet). For each image the metadata is listed as byte
// ranges by class — superblock, cylinder groups, summary array, inodes, directory blocks, indirect
// blocks, the log; for ISO 9660 volume descriptors, path tables and directory extents — so mutations
// can be biased towards what the file system parses.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MNT_LOG, O_CREAT, O_RDWR, O_WRONLY, O_APPEND, S_IFBLK, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as ffs from '@rumpts/rumpfs-ffs';
import { MemDevice } from './memdev.mjs';

const REPO = resolve(import.meta.dirname, '../..');
const NETBSD = join(REPO, 'packages/rumpfs-ffs/test/fixtures/netbsd');
/** Images NetBSD's own kernel wrote: two cylinder groups, big-endian; a pending log. */
const NETBSD_IMAGES = { 'netbsd-ufs1-be': 'ufs1-be-history.img.gz', 'netbsd-ufs1-le-log': 'ufs1-le-wapbl-replay.img.gz' };

/** Every kind of image, in the order cases take them (case i uses KINDS[i % KINDS.length]). */
export const KINDS = [
  'ufs1-le', 'ufs1-be', 'ufs2-le', 'ufs2-be',
  'ufs1-le-log', 'ufs1-be-log', 'ufs2-le-log', 'ufs2-be-log',
  'netbsd-ufs1-be', 'netbsd-ufs1-le-log', 'cd9660',
];

/** Deterministic bytes for a file of the source tree. */
function bytes(tag, size) {
  const b = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (const c of tag) x = (Math.imul(x, 31) + c.charCodeAt(0)) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = 0x20 + ((x >>> 0) % 95);
  }
  return b;
}

/**
 * The tree every FFS image starts from: nested directories, a directory of several chunks, files of
 * every mapping depth (fragments, direct, single and double indirect), fast and slow symlinks, hard
 * links and an empty directory.
 */
function writeTree(root) {
  mkdirSync(join(root, 'd1/d2/d3'), { recursive: true });
  mkdirSync(join(root, 'many'));
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'links'));
  writeFileSync(join(root, 'd1/d2/d3/deep'), bytes('deep', 5000));
  writeFileSync(join(root, 'd1/small'), bytes('small', 700));
  for (let i = 0; i < 90; i++) writeFileSync(join(root, `many/entry-${String(i).padStart(3, '0')}${'x'.repeat(i % 23)}`), bytes(`m${i}`, (i * 97) % 3000));
  writeFileSync(join(root, 'big'), bytes('big', 300 * 1024));
  // Past the single-indirect reach of 4 KiB blocks (UFS1: 1036 blocks, UFS2: 524): double indirect.
  writeFileSync(join(root, 'huge'), bytes('huge', 4400 * 1024));
  writeFileSync(join(root, 'links/target'), bytes('t', 100));
  symlinkSync('target', join(root, 'links/fast'));
  symlinkSync(`../${'y'.repeat(150)}/target`, join(root, 'links/slow'));
  linkSync(join(root, 'links/target'), join(root, 'links/hard'));
}

/** A tree for the ISO image: Rock Ridge names and links, a directory spanning several sectors. */
function writeIsoTree(root) {
  mkdirSync(join(root, 'sub/inner'), { recursive: true });
  mkdirSync(join(root, 'many'));
  writeFileSync(join(root, 'hello.txt'), 'hello\n');
  writeFileSync(join(root, 'A Long Rock Ridge Name, longer than thirty-one characters.txt'), bytes('long', 3000));
  writeFileSync(join(root, 'sub/inner/file'), bytes('inner', 5000));
  writeFileSync(join(root, 'big.bin'), bytes('big', 70 * 1024));
  for (let i = 0; i < 60; i++) writeFileSync(join(root, `many/entry-with-a-longish-name-${String(i).padStart(3, '0')}`), `${i}\n`);
  symlinkSync('../hello.txt', join(root, 'sub/up'));
  symlinkSync(Array.from({ length: 20 }, (_, i) => `component-${i}`).join('/'), join(root, 'longlink'));
}

/** A kernel with `dev` as /dev/fz0 and /mnt to mount on. */
export async function bootWith(dev, libraries) {
  const k = await rump_init({ libraries, memlimit: 256 * 1024 * 1024, logger: () => {} });
  const sw = rumpvfs.devswOf(k);
  const maj = sw.freeMajor();
  sw.attach(maj, { name: 'fuzz', open: () => dev }, null, null);
  k.proc.mknod('/dev/fz0', S_IFBLK | 0o600, rumpvfs.makedev(maj, 0));
  k.proc.mkdir('/mnt', 0o755);
  return k;
}

/**
 * A copy of `img` with a WAPBL log holding committed transactions not yet known to be in place: mounted
 * with MNT_LOG, changed, synced (a commit), and copied before the unmount — what a crash right after
 * the commit leaves. `extra` bytes after the file system make room for an end-of-partition log; without
 * them the log is an in-filesystem file.
 */
async function withPendingLog(img, extra) {
  const bytesOut = new Uint8Array(img.length + extra);
  bytesOut.set(img);
  const dev = new MemDevice(bytesOut, false);
  const k = await bootWith(dev, [rumpvfs, ffs]);
  const p = k.proc;
  p.mount('ffs', '/mnt', MNT_LOG, { fspec: '/dev/fz0' });
  p.mkdir('/mnt/logged', 0o755);
  for (let i = 0; i < 12; i++) {
    const fd = p.open(`/mnt/logged/f${i}`, O_CREAT | O_RDWR, 0o644);
    p.pwrite(fd, bytes(`l${i}`, 600 * i), 0);
    p.close(fd);
  }
  p.rename('/mnt/d1/small', '/mnt/logged/small');
  p.unlink('/mnt/many/entry-003xxx');
  p.rmdir('/mnt/empty');
  const fd = p.open('/mnt/big', O_WRONLY | O_APPEND);
  p.write(fd, bytes('append', 9000));
  p.close(fd);
  p.truncate('/mnt/huge', 100 * 1024);
  p.sync();
  const snap = dev.bytes.slice();
  k.halt();
  return snap;
}

/**
 * Metadata byte ranges of an FFS image by class, from the read core on the image as it lies (a
 * pending log is not replayed: its in-place metadata is what a mutation meets first).
 */
function ffsRegions(img) {
  const dev = new MemDevice(img, true);
  const ump = ffs.Ufsmount.open(dev);
  const fs = ump.fs;
  const g = ffs.ondisk;
  const r = { sb: [[ump.sbloc, ump.sbloc + g.SIZEOF_FS]], cg: [], cs: [], inode: [], dir: [], indir: [], log: [] };
  for (let c = 0; c < fs.ncg; c++) {
    const at = g.fsbtob(fs, g.cgtod(fs, c));
    r.cg.push([at, at + fs.cgsize]);
  }
  r.cs.push([g.fsbtob(fs, fs.csaddr), g.fsbtob(fs, fs.csaddr) + fs.cssize]);
  const isz = g.dinodeSize(fs);
  const seen = new Set();
  const indirect = (ip, addr, level) => {
    if (addr <= 0 || addr >= fs.size) return;
    const at = g.fsbtob(fs, addr);
    r.indir.push([at, at + fs.bsize]);
    if (level === 0) return;
    const dv = new DataView(img.buffer, img.byteOffset + at, fs.bsize);
    for (let i = 0; i < Math.min(fs.nindir, 4); i++) {
      const p = ump.ufs2 ? Number(dv.getBigInt64(i * 8, ump.le)) : dv.getInt32(i * 4, ump.le);
      indirect(ip, p, level - 1);
    }
  };
  const walk = (ino) => {
    if (seen.has(ino)) return;
    seen.add(ino);
    const ip = ffs.ffs_iget(ump, ino);
    const at = g.fsbtob(fs, g.ino_to_fsba(fs, ino)) + g.ino_to_fsbo(fs, ino) * isz;
    r.inode.push([at, at + isz]);
    ip.din.ib.forEach((a, level) => indirect(ip, a, level));
    if ((ip.mode & 0o170000) !== 0o040000) return;
    for (const a of ip.din.db) if (a > 0) r.dir.push([g.fsbtob(fs, a), g.fsbtob(fs, a) + Math.min(fs.bsize, ip.size)]);
    ffs.ffs_dirwalk(ip, 0, (e) => {
      if (e.name !== '.' && e.name !== '..') walk(e.ino);
      return true;
    });
  };
  walk(g.UFS_ROOTINO);
  // The log: its two headers and the records after them (fs_journallocs, superblock offsets 864–904).
  const sb = new DataView(img.buffer, img.byteOffset + ump.sbloc, g.SIZEOF_FS);
  if (sb.getUint8(864) === 1) {
    const locs = [0, 1, 2].map((i) => Number(sb.getBigUint64(872 + 8 * i, ump.le)));
    const [start, count, blksize] = locs;
    const off = start * blksize;
    const len = Math.min(count * blksize, 256 * 1024);
    if (off > 0 && off + len <= img.length) r.log.push([off, off + len]);
  }
  return r;
}

/** ISO 9660: volume descriptors, path tables and every directory extent (from the primary and Joliet trees). */
function isoRegions(img) {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const r = { vd: [], pt: [], dir: [] };
  const seen = new Set();
  const dirs = [];
  for (let s = 16; s < 64 && (s + 1) * 2048 <= img.length; s++) {
    const at = s * 2048;
    r.vd.push([at, at + 2048]);
    const type = img[at];
    if (type === 255) break;
    if (type === 1 || type === 2) {
      const ptSize = dv.getUint32(at + 132, true);
      for (const o of [140, 148]) {
        const lba = o === 140 ? dv.getUint32(at + o, true) : dv.getUint32(at + o, false);
        if (lba > 0 && lba * 2048 + ptSize <= img.length) r.pt.push([lba * 2048, lba * 2048 + ptSize]);
      }
      dirs.push([dv.getUint32(at + 156 + 2, true), dv.getUint32(at + 156 + 10, true)]);
    }
  }
  while (dirs.length > 0 && r.dir.length < 500) {
    const [lba, len] = dirs.pop();
    if (seen.has(lba) || lba * 2048 + len > img.length) continue;
    seen.add(lba);
    r.dir.push([lba * 2048, lba * 2048 + len]);
    for (let off = lba * 2048; off < lba * 2048 + len; ) {
      const rl = img[off];
      if (rl === 0) {
        off = (Math.floor(off / 2048) + 1) * 2048;
        continue;
      }
      const flags = img[off + 25];
      const nl = img[off + 32];
      const isDot = nl === 1 && (img[off + 33] === 0 || img[off + 33] === 1);
      if ((flags & 2) !== 0 && !isDot) dirs.push([dv.getUint32(off + 2, true), dv.getUint32(off + 10, true)]);
      off += rl;
    }
  }
  return r;
}

/**
 * Build every base image into `dir`; returns { kind: { file, devsize, fstype, regions } }. Needs
 * makefs and xorriso on the PATH.
 */
export async function buildImages(dir, kinds = KINDS) {
  const tree = join(dir, 'tree');
  writeTree(tree);
  const out = {};
  const plain = {};
  const want = new Set(kinds);
  for (const k of kinds) {
    const m = /^ufs([12])-(le|be)(-log)?$/.exec(k);
    if (m) want.add(`ufs${m[1]}-${m[2]}`);
  }
  for (const v of [1, 2]) {
    for (const e of ['le', 'be']) {
      const kind = `ufs${v}-${e}`;
      if (!want.has(kind)) continue;
      const file = join(dir, `${kind}.img`);
      execFileSync('makefs', ['-t', 'ffs', '-B', e, '-s', '8m', '-o', `version=${v},bsize=4096,fsize=512,density=8192`, file, tree], { stdio: 'pipe' });
      plain[kind] = new Uint8Array(readFileSync(file));
      out[kind] = { file, devsize: plain[kind].length, fstype: 'ffs' };
    }
  }
  let n = 0;
  for (const kind of kinds) {
    const m = /^(ufs[12]-(?:le|be))-log$/.exec(kind);
    if (!m) continue;
    // Alternate the two log placements: after the file system, or a file inside it.
    const extra = n++ % 2 === 0 ? 2 * 1024 * 1024 : 0;
    const img = await withPendingLog(plain[m[1]], extra);
    const file = join(dir, `${kind}.img`);
    writeFileSync(file, img);
    out[kind] = { file, devsize: img.length, fstype: 'ffs' };
  }
  for (const [kind, gz] of Object.entries(NETBSD_IMAGES)) {
    if (!want.has(kind)) continue;
    const file = join(dir, `${kind}.img`);
    writeFileSync(file, gunzipSync(readFileSync(join(NETBSD, gz))));
    out[kind] = { file, devsize: readFileSync(file).length, fstype: 'ffs' };
  }
  if (want.has('cd9660')) {
    const iso = join(dir, 'iso');
    writeIsoTree(iso);
    const file = join(dir, 'cd9660.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-o', file, iso], { stdio: 'pipe' });
    out.cd9660 = { file, devsize: readFileSync(file).length, fstype: 'cd9660' };
  }
  for (const kind of Object.keys(out)) {
    const img = new Uint8Array(readFileSync(out[kind].file));
    out[kind].regions = out[kind].fstype === 'ffs' ? ffsRegions(img) : isoRegions(img);
  }
  for (const kind of Object.keys(out)) if (!kinds.includes(kind)) delete out[kind];
  return out;
}
