#!/usr/bin/env node
/**
 * fsu — work on a file-system image without mounting it on the host (the fs-utils idea):
 *   fsu <command> [-t fstype] [-o opts] IMAGE[%DISKLABEL:p%] …
 * Exit status: 0 success, 1 an operation failed ("fsu: <path>: <reason>" on stderr), 2 usage.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { isRumpError, strerror } from '@rumpts/librump';
import { readDiskLabel, HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { SERVER_IMAGE, UsageError, withTarget } from './session.js';
import {
  cmd_cat, cmd_cp, cmd_df, cmd_du, cmd_find, cmd_get, cmd_ls, cmd_mkdir, cmd_mv, cmd_put, cmd_rm, cmd_stat, cmd_touch, cmd_write, readStdin,
} from './commands.js';
import { Progress } from './progress.js';
import { cmd_newfs, type FsuNewfsOptions } from './newfs.js';
import { cmd_fsck, cmd_makefs } from './ffstools.js';
import type { MakefsOptions } from '@rumpts/rumpfs-ffs';
import { parseSize } from '../size.js';
import { registerDiskCommands } from './partitions.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Common {
  type?: string;
  opts?: string;
}

function parseMode(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw new UsageError(`bad mode '${s}' (octal, e.g. 0755)`);
  return parseInt(s, 8);
}

function parseOwner(s: string): { uid: number; gid: number } {
  const m = /^(\d+)?(?::(\d+))?$/.exec(s);
  if (!m || (m[1] === undefined && m[2] === undefined)) throw new UsageError(`bad owner '${s}' (uid[:gid], numeric)`);
  return { uid: m[1] === undefined ? -1 : Number(m[1]), gid: m[2] === undefined ? -1 : Number(m[2]) };
}

/** A subcommand with the options every fsu command takes. */
function fsuCommand(program: Command, name: string, summary: string): Command {
  return program
    .command(name)
    .summary(summary)
    .description(summary)
    .addOption(new Option('-t, --type <fstype>', 'file system type (default: autodetect)'))
    .addOption(new Option('-o, --opts <options>', 'mount options: ro, rw, log, force, sync, async, noatime'))
    .argument('<image>', 'image file, optionally IMAGE%DISKLABEL:p%');
}

export function buildProgram(server?: string): Command {
  const program = new Command('fsu')
    .description('work on a BSD file-system image without mounting it on the host\n(fsu --server URL <command> … works on a rump server instead; the image argument is left out)')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const ro = (o: Common) => ({ type: o.type, opts: o.opts, readonly: true });
  const rw = (o: Common) => ({ type: o.type, opts: o.opts, readonly: false });

  fsuCommand(program, 'ls', 'list directory contents')
    .option('-l', 'long format')
    .option('-a', 'include names starting with a dot')
    .option('-R', 'recursive')
    .argument('[paths...]')
    .action((image: string, paths: string[], o: Common & { l?: boolean; a?: boolean; R?: boolean }) =>
      withTarget(server, image, ro(o), (fs) => cmd_ls(fs, paths, { long: !!o.l, all: !!o.a, recursive: !!o.R }, out)),
    );
  fsuCommand(program, 'cat', 'write files to standard output')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => withTarget(server, image, ro(o), (fs) => cmd_cat(fs, paths, (b) => process.stdout.write(b))));
  fsuCommand(program, 'get', 'copy files out of the image (cp -R rules)')
    .option('-r', 'recursive')
    .argument('<paths...>', 'image sources, then the host destination')
    .action((image: string, paths: string[], o: Common & { r?: boolean }) => {
      if (paths.length < 2) throw new UsageError('get needs a source and a destination');
      const dst = paths.pop() as string;
      return withTarget(server, image, ro(o), (fs) => cmd_get(fs, paths, dst, { recursive: !!o.r }, new Progress(process.stderr.isTTY === true)));
    });
  fsuCommand(program, 'put', 'copy host files into the image (cp -R rules)')
    .option('-r', 'recursive')
    .argument('<paths...>', 'host sources, then the image destination')
    .action((image: string, paths: string[], o: Common & { r?: boolean }) => {
      if (paths.length < 2) throw new UsageError('put needs a source and a destination');
      const dst = paths.pop() as string;
      return withTarget(server, image, rw(o), (fs) => cmd_put(fs, paths, dst, { recursive: !!o.r }, new Progress(process.stderr.isTTY === true)));
    });
  fsuCommand(program, 'cp', 'copy within the image')
    .option('-r', 'recursive')
    .argument('<src>')
    .argument('<dst>')
    .action((image: string, src: string, dst: string, o: Common & { r?: boolean }) => withTarget(server, image, rw(o), (fs) => cmd_cp(fs, src, dst, { recursive: !!o.r })));
  fsuCommand(program, 'mv', 'move or rename within the image')
    .argument('<src>')
    .argument('<dst>')
    .action((image: string, src: string, dst: string, o: Common) => withTarget(server, image, rw(o), (fs) => cmd_mv(fs, src, dst)));
  fsuCommand(program, 'rm', 'remove files')
    .option('-r', 'recursive')
    .option('-f', 'ignore missing files')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common & { r?: boolean; f?: boolean }) => withTarget(server, image, rw(o), (fs) => cmd_rm(fs, paths, { recursive: !!o.r, force: !!o.f })));
  fsuCommand(program, 'mkdir', 'make directories')
    .option('-p', 'make parents, existing ones are fine')
    .option('-m <mode>', 'mode (octal)')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common & { p?: boolean; m?: string }) =>
      withTarget(server, image, rw(o), (fs) => cmd_mkdir(fs, paths, { parents: !!o.p, mode: o.m === undefined ? 0o755 : parseMode(o.m) })),
    );
  fsuCommand(program, 'rmdir', 'remove empty directories')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => withTarget(server, image, rw(o), async (fs) => {
        for (const p of paths) await fs.rmdir(p);
      }));
  fsuCommand(program, 'ln', 'make links')
    .option('-s', 'symbolic')
    .argument('<target>')
    .argument('<link>')
    .action((image: string, target: string, link: string, o: Common & { s?: boolean }) =>
      withTarget(server, image, rw(o), (fs) => (o.s ? fs.symlink(target, link) : fs.link(target, link))),
    );
  fsuCommand(program, 'chmod', 'change modes')
    .argument('<mode>')
    .argument('<paths...>')
    .action((image: string, mode: string, paths: string[], o: Common) => {
      const m = parseMode(mode);
      return withTarget(server, image, rw(o), async (fs) => {
        for (const p of paths) await fs.chmod(p, m);
      });
    });
  fsuCommand(program, 'chown', 'change owners (numeric uid[:gid])')
    .argument('<owner>')
    .argument('<paths...>')
    .action((image: string, owner: string, paths: string[], o: Common) => {
      const { uid, gid } = parseOwner(owner);
      return withTarget(server, image, rw(o), async (fs) => {
        for (const p of paths) await fs.chown(p, uid, gid);
      });
    });
  fsuCommand(program, 'touch', 'create files or set their times to now')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => withTarget(server, image, rw(o), (fs) => cmd_touch(fs, paths)));
  fsuCommand(program, 'stat', 'show file status')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => withTarget(server, image, ro(o), (fs) => cmd_stat(fs, paths, out)));
  fsuCommand(program, 'find', 'walk a tree')
    .argument('[path]', 'where to start', '/')
    .option('--name <pattern>', 'match names (glob); find-style -name works too')
    .option('--kind <t>', 'f, d, l, p, c, b or s; find-style -type works too')
    .action((image: string, path: string, o: Common & { name?: string; kind?: string }) =>
      withTarget(server, image, ro(o), (fs) => cmd_find(fs, path, { name: o.name, type: o.kind }, out)),
    );
  fsuCommand(program, 'du', 'disk usage in KiB')
    .option('-s', 'totals only')
    .argument('[paths...]')
    .action((image: string, paths: string[], o: Common & { s?: boolean }) => withTarget(server, image, ro(o), (fs) => cmd_du(fs, paths, { summary: !!o.s }, out)));
  fsuCommand(program, 'df', 'free space')
    .action((image: string, o: Common) => withTarget(server, image, ro(o), (fs) => cmd_df(fs, image === SERVER_IMAGE ? (server ?? image) : image, out)));
  fsuCommand(program, 'write', 'write standard input to a file (truncating, or -a appending)')
    .option('-a', 'append')
    .argument('<path>')
    .action((image: string, path: string, o: Common & { a?: boolean }) => {
      const data = readStdin();
      return withTarget(server, image, rw(o), (fs) => cmd_write(fs, path, data, !!o.a));
    });
  program
    .command('newfs')
    .summary('make a new FFS on an image (created or extended with -s)')
    .description('make a new FFS on an image (created or extended with -s) or on IMAGE%DISKLABEL:p%')
    .option('-O <version>', 'UFS version, 1 or 2', '2')
    .option('-B <order>', 'byte order: be or le', 'le')
    .option('-s <size>', 'size (dd suffixes: k, m, g); creates the image if missing')
    .option('-b <bsize>', 'block size')
    .option('-f <fsize>', 'fragment size')
    .option('-i <density>', 'bytes per inode')
    .option('-m <minfree>', 'reserved space, percent')
    .option('-V <volname>', 'volume name')
    .argument('<image>')
    .action((image: string, o: { O: string; B: string; s?: string; b?: string; f?: string; i?: string; m?: string; V?: string }) => {
      if (image === SERVER_IMAGE) throw new UsageError('newfs works on an image file, not a server');
      if (o.O !== '1' && o.O !== '2') throw new UsageError(`-O must be 1 or 2, not '${o.O}'`);
      if (o.B !== 'le' && o.B !== 'be') throw new UsageError(`-B must be be or le, not '${o.B}'`);
      const num = (v: string | undefined, what: string): number | undefined => {
        if (v === undefined) return undefined;
        try {
          return parseSize(v, what);
        } catch (e) {
          throw new UsageError(e instanceof Error ? e.message : String(e));
        }
      };
      const opts: FsuNewfsOptions = { version: o.O === '1' ? 1 : 2, endian: o.B };
      const size = num(o.s, '-s');
      if (size !== undefined) opts.imageSize = size;
      const bsize = num(o.b, '-b');
      if (bsize !== undefined) opts.bsize = bsize;
      const fsize = num(o.f, '-f');
      if (fsize !== undefined) opts.fsize = fsize;
      const density = num(o.i, '-i');
      if (density !== undefined) opts.density = density;
      const minfree = num(o.m, '-m');
      if (minfree !== undefined) opts.minfree = minfree;
      if (o.V !== undefined) opts.volname = o.V;
      const r = cmd_newfs(image, opts);
      const mb = ((r.size * r.fsize) / 1048576).toFixed(1);
      out(`${image}: ${mb}MB (${(r.size * r.fsize) / 512} sectors) block size ${r.bsize}, fragment size ${r.fsize}`);
      out(`\tusing ${r.ncg} cylinder groups of ${((r.fpg * r.fsize) / 1048576).toFixed(2)}MB, ${r.fpg / (r.bsize / r.fsize)} blks, ${r.ipg} inodes.`);
      out(`super-block backups (for fsck_ffs -b #) at: ${r.backups.map((b) => (b * r.fsize) / 512).join(', ')}`);
    });
  program
    .command('fsck')
    .summary('check an FFS image (-n, the default) or repair it (-y)')
    .description('check an FFS image (-n, the default) or repair it (-y); exit 0 clean, 2 problems remain, 8 the check failed')
    .option('-n', 'report only; the image is opened read-only (default)')
    .option('-y', 'repair everything found')
    .argument('<image>')
    .action((image: string, o: { n?: boolean; y?: boolean }) => {
      if (image === SERVER_IMAGE) throw new UsageError('fsck works on an image file, not a server');
      if (o.n && o.y) throw new UsageError('-n and -y exclude each other');
      const r = cmd_fsck(image, !!o.y, out);
      out(r.clean ? `${image}: clean` : `${image}: ${r.problems.length} problem(s)${r.repaired ? ', repaired' : ''}`);
      exitStatus = r.exitStatus;
    });
  program
    .command('makefs')
    .summary('build an FFS image from a host directory')
    .description('build an FFS image from a host directory (size computed unless -s)')
    .option('-O <version>', 'UFS version, 1 or 2', '2')
    .option('-B <order>', 'byte order: be or le', 'le')
    .option('-s <size>', 'image size (dd suffixes)')
    .option('-b <bsize>', 'block size')
    .option('-f <fsize>', 'fragment size')
    .option('-V <volname>', 'volume name')
    .argument('<image>')
    .argument('<dir>')
    .action((image: string, dir: string, o: { O: string; B: string; s?: string; b?: string; f?: string; V?: string }) => {
      if (image === SERVER_IMAGE) throw new UsageError('makefs writes an image file, not a server');
      if (o.O !== '1' && o.O !== '2') throw new UsageError(`-O must be 1 or 2, not '${o.O}'`);
      if (o.B !== 'le' && o.B !== 'be') throw new UsageError(`-B must be be or le, not '${o.B}'`);
      const opts: MakefsOptions = { version: o.O === '1' ? 1 : 2, endian: o.B };
      const num = (v: string, what: string): number => {
        try {
          return parseSize(v, what);
        } catch (e) {
          throw new UsageError(e instanceof Error ? e.message : String(e));
        }
      };
      if (o.s !== undefined) opts.size = num(o.s, '-s');
      if (o.b !== undefined) opts.bsize = num(o.b, '-b');
      if (o.f !== undefined) opts.fsize = num(o.f, '-f');
      if (o.V !== undefined) opts.volname = o.V;
      const bar = new Progress(process.stderr.isTTY === true, 0);
      let started = false;
      const r = cmd_makefs(image, dir, opts, (p) => {
        if (!started) {
          bar.start(p.totalBytes);
          started = true;
        }
        bar.set(p.bytes);
      });
      bar.stop();
      out(`${image}: ${r.entries} entries, ${r.bytes} bytes of data, UFS${r.version} block size ${r.bsize}, fragment size ${r.fsize}`);
    });
  program
    .command('disklabel')
    .summary('show the NetBSD disklabel of an image')
    .description('show the NetBSD disklabel of an image')
    .argument('<image>')
    .action((image: string) => {
      if (image === SERVER_IMAGE) throw new UsageError('disklabel reads an image file, not a server');
      const dev = new HostFileBlockDevice(image, { readonly: true });
      try {
        const r = readDiskLabel(dev);
        if (!r) throw Object.assign(new UsageError(`${image}: no disklabel`), { operational: true });
        const l = r.label;
        out(`# ${image}:`);
        out(`type: ${l.type}  typename: ${l.typename}  packname: ${l.packname}`);
        out(`bytes/sector: ${l.secsize}  sectors/unit: ${l.secperunit}`);
        out(`${l.partitions.length} partitions:`);
        out('#        size    offset     fstype');
        l.partitions.forEach((p, i) => {
          if (p.size > 0) out(` ${String.fromCharCode(97 + i)}: ${String(p.size).padStart(9)} ${String(p.offset).padStart(9)} ${String(p.fstype).padStart(10)}`);
        });
      } finally {
        dev.close?.();
      }
    });
  registerDiskCommands(program, out);
  return program;
}

/** A command that has an exit status of its own (fsck) sets it here. */
let exitStatus = 0;

export async function main(argv: string[]): Promise<number> {
  exitStatus = 0;
  // fsu --server URL <command> …: the command runs against a rump server; its image argument is implied.
  let server: string | undefined;
  if (argv[0] === '--server' || argv[0]?.startsWith('--server=')) {
    server = argv[0] === '--server' ? argv[1] : argv[0].slice('--server='.length);
    argv = argv.slice(argv[0] === '--server' ? 2 : 1);
    if (!server) {
      process.stderr.write('fsu: --server needs a URL\n');
      return 2;
    }
    if (argv.length > 0 && !argv[0]?.startsWith('-') && argv[0] !== 'help') argv = [argv[0] as string, SERVER_IMAGE, ...argv.slice(1)];
  }
  // FAT's newfs/makefs (-t msdos) and fsck of a FAT image have their own options (msdos.ts).
  const fat = server === undefined && /^(newfs|makefs|fsck)$/.test(argv[0] ?? '') ? await (await import('./msdos.js')).dispatchMsdos(argv, out) : undefined;
  if (fat !== undefined) return fat;
  const program = buildProgram(server);
  // find(1) spells its primaries with one dash.
  if (argv[0] === 'find') argv = argv.map((a) => (a === '-name' ? '--name' : a === '-type' ? '--kind' : a));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitStatus;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return 2;
    }
    if (e instanceof UsageError && !(e as { operational?: boolean }).operational) {
      process.stderr.write(`fsu: ${e.message}\n`);
      return 2;
    }
    if (isRumpError(e)) {
      process.stderr.write(`fsu: ${e.path ?? '-'}: ${e.detail ?? strerror(e.errno)}\n`);
      return 1;
    }
    process.stderr.write(`fsu: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** Run as a program (directly, or through a bin link whose path is a symlink), not when imported. */
function invokedAsMain(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedAsMain()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`fsu: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
