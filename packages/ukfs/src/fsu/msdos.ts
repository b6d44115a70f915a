/**
 * fsu's FAT tools: `fsu newfs -t msdos` (newfs_msdos's options), `fsu makefs -t msdos`, and
 * `fsu fsck` on an image it finds to be FAT (fsck_msdos). main() hands these argument lists here
 * before its own parser, so the FFS commands keep their options unchanged.
 */
import { closeSync, existsSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { hostPathOf } from '@rumpts/etfs';
import { errno, isRumpError, nameText } from '@rumpts/librump';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import {
  fsck_msdos, makefs_msdos, makefsMsdosPlan, newfs_msdos, ondisk, type FsckMsdosResult, type MakefsMsdosOptions, type NewfsMsdosOptions, type NewfsMsdosResult,
} from '@rumpts/rumpfs-msdos';
import { parseDevpath, resolvePart } from '../part.js';
import { parseSize } from '../size.js';
import { hostErr } from './errors.js';
import { checkImage, lockImageOf } from './image.js';
import { Progress } from './progress.js';
import type { Io } from './stdio.js';
import { hint, UsageError } from './usage.js';

type Out = (line: string) => void;

/** The `-t` value of an argument list (`-t msdos`, `-tmsdos`, `--type msdos`, `--type=msdos`). */
function typeArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-t' || a === '--type') return argv[i + 1];
    if (a.startsWith('--type=')) return a.slice(7);
    if (a.startsWith('-t') && a.length > 2 && !a.startsWith('--')) return a.slice(2);
  }
  return undefined;
}

/** The device an image path (with partition magic) names, or null if the image is missing. */
function deviceOf(image: string, readonly: boolean): HostFileBlockDevice {
  const probed = parseDevpath(image);
  if (!existsSync(hostPathOf(probed.path))) throw errno('ENOENT', 'no such image', { path: probed.path });
  const part = resolvePart(probed.path, probed.want);
  return new HostFileBlockDevice(probed.path, part.type === 'none' ? { readonly } : { begin: part.offset, size: part.size, readonly });
}

/** Does `image` (or its partition) begin with a FAT boot sector whose geometry checks out? */
export function isFatImage(image: string): boolean {
  let dev: HostFileBlockDevice | null = null;
  try {
    dev = deviceOf(image, true);
    if (dev.size < 512) return false;
    const head = new Uint8Array(Math.max(512, dev.secsize));
    dev.read(head, 0);
    ondisk.fatGeometry(ondisk.decodeBootSector(head), dev.size, dev.secsize);
    return true;
  } catch {
    return false;
  } finally {
    dev?.close();
  }
}

const num = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  try {
    return parseSize(v, what);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
};

interface NewfsFlags {
  F?: string;
  c?: string;
  b?: string;
  L?: string;
  S?: string;
  s?: string;
  r?: string;
  n?: string;
  I?: string;
  e?: string;
  O?: string;
  m?: string;
  o?: string;
  h?: string;
  u?: string;
}

function newfsOptions(o: NewfsFlags): NewfsMsdosOptions {
  const opts: NewfsMsdosOptions = {};
  if (o.F !== undefined) {
    if (o.F !== '12' && o.F !== '16' && o.F !== '32') throw new UsageError(`-F must be 12, 16 or 32, not '${o.F}'`);
    opts.fatType = Number(o.F) as 12 | 16 | 32;
  }
  const set = <K extends keyof NewfsMsdosOptions>(k: K, v: string | undefined, what: string): void => {
    const n = num(v, what);
    if (n !== undefined) (opts as Record<string, unknown>)[k] = n;
  };
  set('sectorsPerCluster', o.c, '-c');
  set('blockSize', o.b, '-b');
  set('bytesPerSector', o.S, '-S');
  set('reservedSectors', o.r, '-r');
  set('nfats', o.n, '-n');
  set('rootEntries', o.e, '-e');
  set('hiddenSectors', o.o, '-o');
  set('heads', o.h, '-h');
  set('sectorsPerTrack', o.u, '-u');
  if (o.I !== undefined) {
    const id = /^0x[0-9a-f]{1,8}$/i.test(o.I) ? parseInt(o.I, 16) : /^[0-9]+$/.test(o.I) ? Number(o.I) : NaN;
    if (!Number.isInteger(id) || id > 0xffffffff) throw new UsageError(`-I: bad volume id '${o.I}' (decimal or 0x hex)`);
    opts.volumeId = id;
  }
  if (o.m !== undefined) {
    const m = /^0x[0-9a-f]{1,2}$/i.test(o.m) ? parseInt(o.m, 16) : Number(o.m);
    if (!Number.isInteger(m)) throw new UsageError(`-m: bad media descriptor '${o.m}'`);
    opts.media = m;
  }
  if (o.L !== undefined) opts.label = o.L;
  if (o.O !== undefined) opts.oem = o.O;
  return opts;
}

/** newfs_msdos's options on a command. */
function withNewfsOptions(c: Command): Command {
  return c
    .option('-F <type>', 'FAT type: 12, 16 or 32 (default: from the size)')
    .option('-c <n>', 'sectors per cluster')
    .option('-b <bytes>', 'bytes per cluster')
    .option('-L <label>', 'volume label')
    .option('-S <bytes>', 'bytes per sector')
    .option('-r <n>', 'reserved sectors')
    .option('-n <n>', 'number of FATs')
    .option('-I <id>', 'volume id (decimal or 0x hex)')
    .option('-e <n>', 'root directory entries (FAT12/16)')
    .option('-O <oem>', 'OEM string')
    .option('-m <media>', 'media descriptor')
    .option('-o <n>', 'hidden sectors')
    .option('-h <n>', 'drive heads')
    .option('-u <n>', 'sectors per track');
}

/** Create `path` or extend it to `size` bytes (never shrink it: that could cut a partition). */
function sizeImage(path: string, size: number): void {
  let fd = -1;
  try {
    fd = openSync(hostPathOf(path), existsSync(hostPathOf(path)) ? 'r+' : 'w+', 0o644);
    if (statSync(hostPathOf(path)).size < size) ftruncateSync(fd, size);
  } catch (e) {
    throw hostErr(e, path);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** newfs_msdos's report: the sector and cluster counts, the MBR type that suits it, the BPB. */
export function newfsReport(image: string, r: NewfsMsdosResult, out: Out): void {
  const secs = r.clusters * r.sectorsPerCluster;
  out(`${nameText(image)}: ${secs} sector${secs === 1 ? '' : 's'} in ${r.clusters} FAT${r.fatType} cluster${r.clusters === 1 ? '' : 's'} (${r.bytesPerSector * r.sectorsPerCluster} bytes/cluster)`);
  out(`MBR type: ${r.mbrType}`);
  out(r.bpbLine);
}

/** fsu newfs -t msdos: newfs_msdos on an image (created or extended to -s SIZE) or a partition of one. */
export function cmd_newfs_msdos(image: string, opts: NewfsMsdosOptions, size: number | undefined): NewfsMsdosResult {
  const probed = parseDevpath(image);
  if (!existsSync(hostPathOf(probed.path))) {
    if (size === undefined) throw errno('ENOENT', 'no such image; give -s SIZE to create it', { path: probed.path });
    if (probed.want.type !== 'none') throw errno('ENOENT', 'a partition of an image that does not exist', { path: probed.path });
  } else checkImage(image, true);
  // newfs overwrites the image: nobody may hold it (a new file is locked once made).
  let lock = lockImageOf(image, false);
  try {
    if (size !== undefined && probed.want.type === 'none') sizeImage(probed.path, size);
    lock ??= lockImageOf(image, false);
    const dev = deviceOf(image, false);
    try {
      const bps = opts.bytesPerSector ?? 512;
      const o = { ...opts };
      if (size !== undefined) o.sectors = Math.floor(Math.min(size, dev.size) / bps);
      return newfs_msdos(dev, o);
    } finally {
      dev.flush();
      dev.close();
    }
  } finally {
    lock?.release();
  }
}

/** fsu fsck on a FAT image: fsck_msdos (-n reads only, -y repairs). */
export function cmd_fsck_msdos(image: string, repair: boolean, out: Out): FsckMsdosResult {
  checkImage(image);
  // As a mount would: shared to check, exclusive to repair.
  const lock = lockImageOf(image, !repair);
  try {
    const dev = deviceOf(image, !repair);
    try {
      return fsck_msdos(dev, { repair, log: out });
    } finally {
      if (repair) dev.flush();
      dev.close();
    }
  } finally {
    lock?.release();
  }
}

/**
 * fsu makefs -t msdos: a FAT image of `srcDir` (size computed unless -s; a computed size that proves
 * short grows by a quarter and the build is tried again, as fsu makefs does for FFS).
 */
export async function cmd_makefs_msdos(image: string, srcDir: string, opts: MakefsMsdosOptions, size: number | undefined): Promise<Awaited<ReturnType<typeof makefs_msdos>>> {
  if (!existsSync(hostPathOf(srcDir)) || !statSync(hostPathOf(srcDir)).isDirectory()) throw errno('ENOTDIR', 'source is not a directory', { path: srcDir });
  const probed = parseDevpath(image);
  const plan = makefsMsdosPlan(srcDir, opts);
  let bytes = size ?? plan.size;
  if (existsSync(hostPathOf(probed.path))) checkImage(image, true);
  // makefs overwrites the image: nobody may hold it (a new file is locked once made).
  let lock = lockImageOf(image, false);
  try {
    for (let attempt = 0; ; attempt++) {
      if (probed.want.type === 'none') {
        let fd = -1;
        try {
          fd = openSync(hostPathOf(probed.path), 'w+', 0o644);
          ftruncateSync(fd, bytes);
        } catch (e) {
          throw hostErr(e, probed.path);
        } finally {
          if (fd >= 0) closeSync(fd);
        }
      }
      lock ??= lockImageOf(image, false);
      const dev = deviceOf(image, false);
      try {
        // Not synced, as NetBSD's makefs and fsu makefs -t ffs: the image is whole once makefs_msdos returns.
        return await makefs_msdos(dev, srcDir, { ...opts, plan });
      } catch (e) {
        const grow = isRumpError(e) && e.code === 'ENOSPC' && size === undefined && probed.want.type === 'none' && attempt < 4;
        if (!grow) throw e;
        bytes = Math.ceil((bytes * 1.25) / 65536) * 65536;
      } finally {
        dev.close();
      }
    }
  } finally {
    lock?.release();
  }
}

/** The FAT commands, with fsu's conventions: output through `io`, usage errors one line and a hint. */
function program(io: Io, result: { code: number; image?: string }): Command {
  const out = io.out;
  const p = new Command('fsu').exitOverride().showHelpAfterError(hint());
  p.configureOutput({
    writeOut: (s) => io.text(s),
    writeErr: (s) => io.say(s),
    outputError: (s, write) => write(`fsu: ${s.replace(/^error: /, '')}`),
  });
  withNewfsOptions(
    p.command('newfs')
      .description('make a new FAT file system on an image (created or extended with -s) or on IMAGE%GPT:n% / %MBR:n% / %DISKLABEL:p%')
      .showHelpAfterError(hint('newfs'))
      .requiredOption('-t, --type <fstype>', 'msdos')
      .option('-s <size>', 'size (dd suffixes: k, m, g); creates the image if missing'),
  )
    .argument('<image>')
    .action((image: string, o: NewfsFlags & { s?: string }) => {
      result.image = image;
      const r = cmd_newfs_msdos(image, newfsOptions(o), num(o.s, '-s'));
      newfsReport(image, r, out);
    });
  withNewfsOptions(
    p.command('makefs')
      .description('build a FAT image from a host directory (size computed unless -s)')
      .showHelpAfterError(hint('makefs'))
      .requiredOption('-t, --type <fstype>', 'msdos')
      .option('-s <size>', 'image size (dd suffixes)'),
  )
    .argument('<image>')
    .argument('<dir>')
    .action(async (image: string, dir: string, o: NewfsFlags & { s?: string }) => {
      result.image = image;
      const bar = new Progress(process.stderr.isTTY === true, 0);
      let started = false;
      const opts: MakefsMsdosOptions = {
        ...newfsOptions(o),
        onWarning: (w) => io.warn(`warning: ${w}`),
      };
      // No bar (not a TTY): no call per file.
      if (bar.enabled) {
        opts.progress = (pr) => {
          if (!started) {
            bar.start(pr.totalBytes);
            started = true;
          }
          bar.set(pr.bytes);
        };
      }
      const r = await cmd_makefs_msdos(image, dir, opts, num(o.s, '-s'));
      bar.stop();
      out(`${nameText(image)}: ${r.files} files, ${r.directories} directories, ${r.bytes} bytes of data, FAT${r.newfs.fatType}, ${r.newfs.bytesPerSector * r.newfs.sectorsPerCluster} bytes/cluster${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`);
    });
  p.command('fsck')
    .description('check a FAT image (-n, the default) or repair it (-y); exit 0 clean, 2 problems remain, 8 the check failed')
    .showHelpAfterError(hint('fsck'))
    .option('-n', 'report only; the image is opened read-only (default)')
    .option('-y', 'repair everything found')
    .option('-t, --type <fstype>', 'msdos')
    .argument('<image>')
    .action((image: string, o: { n?: boolean; y?: boolean }) => {
      if (o.n && o.y) throw new UsageError('-n and -y exclude each other');
      result.image = image;
      const r = cmd_fsck_msdos(image, !!o.y, out);
      out(r.clean ? `${nameText(image)}: clean` : `${nameText(image)}: ${r.problems.length} problem(s)${r.repaired ? ', repaired' : ''}`);
      result.code = r.exitStatus;
    });
  return p;
}

/**
 * The FAT tools' share of fsu's argument lists: `newfs -t msdos …`, `makefs -t msdos …`, and `fsck`
 * of an image that holds FAT (or `fsck -t msdos`). Returns the exit status, or undefined when the
 * arguments are fsu's own to parse. Errors follow fsu's conventions: one line naming the image (or
 * the path the error is about), exit 1; a usage error one line and a hint, exit 2; a closed standard
 * output (BrokenPipe) is left to main, which ends quietly with status 141.
 */
export async function dispatchMsdos(argv: readonly string[], io: Io): Promise<number | undefined> {
  const cmd = argv[0];
  const type = typeArg(argv);
  if (cmd === 'newfs' || cmd === 'makefs') {
    if (type !== 'msdos') return undefined;
  } else if (cmd === 'fsck') {
    const image = argv.slice(1).filter((a) => !a.startsWith('-') && a !== type).pop();
    if (type !== 'msdos' && !(type === undefined && image !== undefined && isFatImage(image))) return undefined;
  } else return undefined;
  const result: { code: number; image?: string } = { code: 0 };
  try {
    await program(io, result).parseAsync([...argv], { from: 'user' });
    io.flush();
    return result.code;
  } catch (e) {
    return io.ended(e, cmd, result.image);
  }
}
