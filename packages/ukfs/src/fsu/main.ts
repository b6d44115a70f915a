#!/usr/bin/env node
/**
 * fsu — work on a file-system image without mounting it on the host (the fs-utils idea):
 *   fsu <command> [-t fstype] [-o opts] IMAGE[%DISKLABEL:p%] …
 * `-t` is the file-system type, as in fs-utils (not ls's sort by time).
 * Exit status: 0 success; 1 an operation failed ("fsu: <path>: <reason>" on stderr, one line per
 * failure; the other operands are still done); 2 usage (one line and a hint); 141 standard output was
 * closed (`| head`), quietly, as SIGPIPE ends a Unix tool.
 * Command modules load when their command runs, so start-up stays short.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as V8 from 'node:v8';
import { Command, Option } from 'commander';
import { nameText } from '@rumpts/librump';
import { errorLine } from './errors.js';
import { BrokenPipe, EXIT_BROKEN_PIPE, Io, isTerminal } from './stdio.js';
import type { MakefsOptions } from '@rumpts/rumpfs-ffs';
import type { FsuNewfsOptions } from './newfs.js';
import { argvNames } from './argv.js';
import { registerDiskCommands } from './partitions.js';
import type { FsuTarget } from './target.js';
import { hint, SERVER_IMAGE, UsageError } from './usage.js';

interface Common {
  type?: string;
  opts?: string;
}

/** This package's version (`fsu --version`). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `fsu (${pkg.name}) ${pkg.version}`;
}

/** What a run needs beyond its arguments. */
interface Run {
  io: Io;
  /** What an error without a path of its own is about: the image or the server. */
  subject?: string;
  /** A command with an exit status of its own (fsck) sets it. */
  exitStatus?: number;
}

function num<T>(v: string | undefined, what: string, parse: (v: string, what: string) => T): T | undefined {
  if (v === undefined) return undefined;
  try {
    return parse(v, what);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * A command left out of this run's program: every method takes its arguments and returns it, so a
 * definition chained on it does nothing.
 */
const UNUSED: Command = new Proxy({} as Command, { get: () => () => UNUSED });

/**
 * fsu's program. With `only` (the command this run names), only that command is defined: commander
 * dispatches on the name alone, so the other twenty-odd definitions (a millisecond and a half of a
 * cold start) are not made. Help and a command name commander must look for (`fsu help`, a typo) need
 * them all: `only` is then undefined.
 */
export function buildProgram(server: string | undefined, run: Run, only?: string): Command {
  const { io } = run;
  const program = new Command('fsu')
    .description(
      'work on a BSD file-system image without mounting it on the host\n' +
        '(fsu --server URL <command> … works on a rump server instead; the image argument is left out)\n' +
        "-t is the file-system type, as in fs-utils: it is not ls's sort by time",
    );
  // -V is an option of fsu itself, before any command (positional options): a run that names a command
  // cannot ask for it, so only a run without one reads package.json for it.
  if (only === undefined) program.version(version(), '-V, --version', 'print the version');
  program
    .enablePositionalOptions()
    .showHelpAfterError(hint())
    .exitOverride();
  program.configureOutput({
    writeOut: (s) => io.text(s),
    writeErr: (s) => io.say(s),
    outputError: (s, write) => write(`fsu: ${s.replace(/^error: /, '')}`),
    // Asked without making process.stdout (a stream, and the modules behind it) unless it is a terminal.
    getOutHelpWidth: () => (isTerminal(1) ? process.stdout.columns : 80),
    getErrHelpWidth: () => (isTerminal(2) ? process.stderr.columns : 80),
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });

  /** Mount the image (or connect to the server) and run `fn`, loading the target layer only now. */
  const target = async (image: string, readonly: boolean, o: Common, fn: (t: FsuTarget) => unknown): Promise<void> => {
    run.subject = image === SERVER_IMAGE ? server : image;
    const { withTarget } = await import('./session.js');
    await withTarget(server, image, { type: o.type, opts: o.opts, readonly, console: (line) => io.warn(`kernel: ${line}`), skipped: () => (io.status = 1) }, fn);
  };
  const ro = (image: string, o: Common, fn: (t: FsuTarget) => unknown): Promise<void> => target(image, true, o, fn);
  const rw = (image: string, o: Common, fn: (t: FsuTarget) => unknown): Promise<void> => target(image, false, o, fn);
  const progress = async () => new (await import('./progress.js')).Progress(process.stderr.isTTY === true);

  /** Define subcommand `name`, unless this run uses another. */
  const command = (name: string): Command => (only === undefined || only === name ? program.command(name) : UNUSED);
  /** A subcommand with the options every fsu command takes. */
  const fsuCommand = (name: string, summary: string): Command =>
    command(name)
      .summary(summary)
      .description(summary)
      .showHelpAfterError(hint(name))
      .addOption(new Option('-t, --type <fstype>', "file-system type, e.g. ffs or cd9660 (default: autodetect; not ls's -t)"))
      .addOption(new Option('-o, --opts <options>', 'mount options: ro, rw (also for reading commands), log, force, sync, async, noatime, dev, suid, noexec (images are nodev,nosuid unless dev/suid)'))
      .argument('<image>', 'image file, optionally IMAGE%DISKLABEL:p%');

  fsuCommand('ls', 'list directory contents')
    .option('-l', 'long format (with a total line, dates as ls prints them)')
    .option('-a', 'include names starting with a dot, and . and ..')
    .option('-d', 'list directories themselves, not their contents')
    .option('-R', 'recursive')
    .option('-1', 'one entry per line (always the case)')
    .argument('[paths...]')
    .action((image: string, paths: string[], o: Common & { l?: boolean; a?: boolean; R?: boolean; d?: boolean }) =>
      ro(image, o, async (fs) => (await import('./ls.js')).cmd_ls(fs, paths, { long: !!o.l, all: !!o.a, recursive: !!o.R, directory: !!o.d }, io)),
    );
  fsuCommand('cat', 'write files to standard output')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => ro(image, o, async (fs) => (await import('./commands.js')).cmd_cat(fs, paths, io)));
  fsuCommand('get', 'copy files out of the image (cp -R rules; fifos and devices recreated)')
    .option('-r', 'recursive')
    .argument('<paths...>', 'image sources, then the host destination')
    .action((image: string, paths: string[], o: Common & { r?: boolean }) => {
      if (paths.length < 2) throw new UsageError('get needs a source and a destination');
      const dst = paths.pop() as string;
      return ro(image, o, async (fs) => (await import('./copy.js')).cmd_get(fs, paths, dst, { recursive: !!o.r }, io, await progress()));
    });
  fsuCommand('put', 'copy host files into the image (cp -R rules; fifos and devices recreated)')
    .option('-r', 'recursive')
    .argument('<paths...>', 'host sources, then the image destination')
    .action((image: string, paths: string[], o: Common & { r?: boolean }) => {
      if (paths.length < 2) throw new UsageError('put needs a source and a destination');
      const dst = paths.pop() as string;
      return rw(image, o, async (fs) => (await import('./copy.js')).cmd_put(fs, paths, dst, { recursive: !!o.r }, io, await progress()));
    });
  fsuCommand('cp', 'copy within the image')
    .option('-r', 'recursive')
    .argument('<paths...>', 'sources, then the destination')
    .action((image: string, paths: string[], o: Common & { r?: boolean }) => {
      if (paths.length < 2) throw new UsageError('cp needs a source and a destination');
      const dst = paths.pop() as string;
      return rw(image, o, async (fs) => (await import('./copy.js')).cmd_cp(fs, paths, dst, { recursive: !!o.r }, io));
    });
  fsuCommand('mv', 'move or rename within the image')
    .argument('<paths...>', 'sources, then the destination')
    .action((image: string, paths: string[], o: Common) => {
      if (paths.length < 2) throw new UsageError('mv needs a source and a destination');
      const dst = paths.pop() as string;
      return rw(image, o, async (fs) => (await import('./commands.js')).cmd_mv(fs, paths, dst, io));
    });
  fsuCommand('rm', 'remove files')
    .option('-r', 'recursive')
    .option('-f', 'ignore missing files')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common & { r?: boolean; f?: boolean }) =>
      rw(image, o, async (fs) => (await import('./commands.js')).cmd_rm(fs, paths, { recursive: !!o.r, force: !!o.f }, io)),
    );
  fsuCommand('mkdir', 'make directories')
    .option('-p', 'make parents, existing ones are fine')
    .option('-m <mode>', 'mode (octal)')
    .argument('<paths...>')
    .action(async (image: string, paths: string[], o: Common & { p?: boolean; m?: string }) => {
      const { parseMode } = await import('./modes.js');
      const mode = o.m === undefined ? 0o755 : parseMode(o.m)(0o777, true);
      return rw(image, o, async (fs) => (await import('./commands.js')).cmd_mkdir(fs, paths, { parents: !!o.p, mode }, io));
    });
  fsuCommand('rmdir', 'remove empty directories')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => rw(image, o, async (fs) => (await import('./commands.js')).cmd_rmdir(fs, paths, io)));
  fsuCommand('ln', 'make links')
    .option('-s', 'symbolic')
    .argument('<target>')
    .argument('<link>')
    .action((image: string, target: string, link: string, o: Common & { s?: boolean }) =>
      rw(image, o, (fs) => (o.s ? fs.symlink(target, link) : fs.link(target, link))),
    );
  fsuCommand('chmod', 'change modes (octal, or symbolic such as u+x,go-w)')
    .argument('<mode>')
    .argument('<paths...>')
    .action(async (image: string, mode: string, paths: string[], o: Common) => {
      const change = (await import('./modes.js')).parseMode(mode);
      return rw(image, o, async (fs) => (await import('./commands.js')).cmd_chmod(fs, change, paths, io));
    });
  fsuCommand('chown', 'change owners (numeric uid[:gid]; an image has no password file)')
    .argument('<owner>')
    .argument('<paths...>')
    .action(async (image: string, owner: string, paths: string[], o: Common) => {
      const { uid, gid } = (await import('./modes.js')).parseOwner(owner);
      return rw(image, o, async (fs) => (await import('./commands.js')).cmd_chown(fs, uid, gid, paths, io));
    });
  fsuCommand('touch', 'create files or set their times to now')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => rw(image, o, async (fs) => (await import('./commands.js')).cmd_touch(fs, paths, io)));
  fsuCommand('stat', 'show file status')
    .argument('<paths...>')
    .action((image: string, paths: string[], o: Common) => ro(image, o, async (fs) => (await import('./commands.js')).cmd_stat(fs, paths, io)));
  fsuCommand('find', 'walk trees: find IMAGE [PATH…] [-name G] [-iname G] [-type T] [-maxdepth N] [-mindepth N] [!] [-print] [-print0]')
    .argument('[expression...]', 'start paths (default /), then primaries as find(1) spells them')
    .passThroughOptions()
    .action(async (image: string, expression: string[], o: Common) => {
      const { parseFind, cmd_find } = await import('./find.js');
      const expr = parseFind(expression);
      return ro(image, o, (fs) => cmd_find(fs, expr, io));
    });
  fsuCommand('du', 'disk usage in KiB')
    .option('-s', 'totals only')
    .argument('[paths...]')
    .action((image: string, paths: string[], o: Common & { s?: boolean }) => ro(image, o, async (fs) => (await import('./commands.js')).cmd_du(fs, paths, { summary: !!o.s }, io)));
  fsuCommand('df', 'free space of the file system holding each path (default /)')
    .argument('[paths...]')
    .action((image: string, paths: string[], o: Common) =>
      ro(image, o, async (fs) => {
        const { cmd_df } = await import('./commands.js');
        // An image is mounted at the kernel's /fsu and seen as / by the commands.
        if (image !== SERVER_IMAGE) return cmd_df(fs, paths, () => image, (m) => (m === '/fsu' ? '/' : m.startsWith('/fsu/') ? m.slice(4) : m), io);
        return cmd_df(fs, paths, (from) => from || (server ?? ''), (m) => m, io);
      }),
    );
  fsuCommand('write', 'write standard input to a file (truncating, or -a appending)')
    .option('-a', 'append')
    .argument('<path>')
    .action((image: string, path: string, o: Common & { a?: boolean }) =>
      rw(image, o, async (fs) => {
        const { cmd_write } = await import('./commands.js');
        const { stdinChunks } = await import('./stdio.js');
        await cmd_write(fs, path, stdinChunks(), !!o.a);
      }),
    );

  const imageOnly = (image: string, what: string): void => {
    run.subject = image;
    if (image === SERVER_IMAGE) throw new UsageError(`${what} works on an image file, not a server`);
  };
  command('newfs')
    .summary('make a new FFS on an image (created or extended with -s)')
    .description('make a new FFS on an image (created or extended with -s) or on IMAGE%DISKLABEL:p%; a failed newfs leaves no new file behind')
    .showHelpAfterError(hint('newfs'))
    .option('-O <version>', 'UFS version, 1 or 2', '2')
    .option('-B <order>', 'byte order: be or le', 'le')
    .option('-s <size>', 'size (dd suffixes: k, m, g); creates the image if missing')
    .option('-b <bsize>', 'block size')
    .option('-f <fsize>', 'fragment size')
    .option('-i <density>', 'bytes per inode')
    .option('-m <minfree>', 'reserved space, percent')
    .option('-V <volname>', 'volume name')
    .argument('<image>')
    .action(async (image: string, o: { O: string; B: string; s?: string; b?: string; f?: string; i?: string; m?: string; V?: string }) => {
      imageOnly(image, 'newfs');
      if (o.O !== '1' && o.O !== '2') throw new UsageError(`-O must be 1 or 2, not '${o.O}'`);
      if (o.B !== 'le' && o.B !== 'be') throw new UsageError(`-B must be be or le, not '${o.B}'`);
      const { parseSize } = await import('../size.js');
      const { cmd_newfs } = await import('./newfs.js');
      const opts: FsuNewfsOptions = { version: o.O === '1' ? 1 : 2, endian: o.B };
      const size = num(o.s, '-s', parseSize);
      if (size !== undefined) opts.imageSize = size;
      const bsize = num(o.b, '-b', parseSize);
      if (bsize !== undefined) opts.bsize = bsize;
      const fsize = num(o.f, '-f', parseSize);
      if (fsize !== undefined) opts.fsize = fsize;
      const density = num(o.i, '-i', parseSize);
      if (density !== undefined) opts.density = density;
      const minfree = num(o.m, '-m', parseSize);
      if (minfree !== undefined) opts.minfree = minfree;
      if (o.V !== undefined) opts.volname = o.V;
      const r = cmd_newfs(image, opts);
      const mb = ((r.size * r.fsize) / 1048576).toFixed(1);
      io.out(`${nameText(image)}: ${mb}MB (${(r.size * r.fsize) / 512} sectors) block size ${r.bsize}, fragment size ${r.fsize}`);
      io.out(`\tusing ${r.ncg} cylinder groups of ${((r.fpg * r.fsize) / 1048576).toFixed(2)}MB, ${r.fpg / (r.bsize / r.fsize)} blks, ${r.ipg} inodes.`);
      io.out(`super-block backups (for fsck_ffs -b #) at: ${r.backups.map((b) => (b * r.fsize) / 512).join(', ')}`);
    });
  command('fsck')
    .summary('check an FFS image (-n, the default) or repair it (-y)')
    .description('check an FFS image (-n, the default) or repair it (-y); exit 0 clean, 2 problems remain, 8 the check failed')
    .showHelpAfterError(hint('fsck'))
    .option('-n', 'report only; the image is opened read-only (default)')
    .option('-y', 'repair everything found')
    .argument('<image>')
    .action(async (image: string, o: { n?: boolean; y?: boolean }) => {
      imageOnly(image, 'fsck');
      if (o.n && o.y) throw new UsageError('-n and -y exclude each other');
      const { cmd_fsck } = await import('./ffstools.js');
      const r = cmd_fsck(image, !!o.y, io.out);
      io.out(r.clean ? `${nameText(image)}: clean` : `${nameText(image)}: ${r.problems.length} problem(s)${r.repaired ? ', repaired' : ''}`);
      run.exitStatus = r.exitStatus;
    });
  command('makefs')
    .summary('build an FFS image from a host directory')
    .description('build an FFS image from a host directory (size computed unless -s); the image is written whole or not at all')
    .showHelpAfterError(hint('makefs'))
    .option('-O <version>', 'UFS version, 1 or 2', '2')
    .option('-B <order>', 'byte order: be or le', 'le')
    .option('-s <size>', 'image size (dd suffixes)')
    .option('-b <bsize>', 'block size')
    .option('-f <fsize>', 'fragment size')
    .option('-V <volname>', 'volume name')
    .argument('<image>')
    .argument('<dir>')
    .action(async (image: string, dir: string, o: { O: string; B: string; s?: string; b?: string; f?: string; V?: string }) => {
      imageOnly(image, 'makefs');
      if (o.O !== '1' && o.O !== '2') throw new UsageError(`-O must be 1 or 2, not '${o.O}'`);
      if (o.B !== 'le' && o.B !== 'be') throw new UsageError(`-B must be be or le, not '${o.B}'`);
      const { parseSize } = await import('../size.js');
      const { cmd_makefs } = await import('./ffstools.js');
      // makefs keeps little alive for long (the tree, the metadata it writes): V8's young generation
      // need not grow past its first size. Peak RSS of a 10,000-file tree: 77 MiB to 71, same CPU.
      // require, not import(): a dynamic import starts Node's ES-module loader (~4 ms) for one built-in.
      (createRequire(import.meta.url)('node:v8') as typeof V8).setFlagsFromString('--semi-space-growth-factor=1');
      const opts: MakefsOptions = { version: o.O === '1' ? 1 : 2, endian: o.B };
      const size = num(o.s, '-s', parseSize);
      if (size !== undefined) opts.size = size;
      const bsize = num(o.b, '-b', parseSize);
      if (bsize !== undefined) opts.bsize = bsize;
      const fsize = num(o.f, '-f', parseSize);
      if (fsize !== undefined) opts.fsize = fsize;
      if (o.V !== undefined) opts.volname = o.V;
      const bar = await progress();
      let started = false;
      const r = cmd_makefs(image, dir, opts, (p) => {
        if (!started) {
          bar.start(p.totalBytes);
          started = true;
        }
        bar.set(p.bytes);
      });
      bar.stop();
      io.out(`${nameText(image)}: ${r.entries} entries, ${r.bytes} bytes of data, UFS${r.version} block size ${r.bsize}, fragment size ${r.fsize}`);
    });
  command('disklabel')
    .summary('show the NetBSD disklabel of an image')
    .description('show the NetBSD disklabel of an image')
    .showHelpAfterError(hint('disklabel'))
    .argument('<image>')
    .action(async (image: string) => {
      imageOnly(image, 'disklabel');
      // Its own module: a dynamic import of a package's index here would make the bundle build that
      // package's namespace object (a getter per export) at every start.
      (await import('./disklabel.js')).cmd_disklabel(image, io.out);
    });
  registerDiskCommands(command, io.out);
  return program;
}

/** Run fsu with these arguments; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const io = new Io();
  const run: Run = { io };
  // fsu --server URL <command> …: the command runs against a rump server; its image argument is implied.
  let server: string | undefined;
  if (argv[0] === '--server' || argv[0]?.startsWith('--server=')) {
    server = argv[0] === '--server' ? argv[1] : argv[0].slice('--server='.length);
    argv = argv.slice(argv[0] === '--server' ? 2 : 1);
    if (!server) {
      io.warn('--server needs a URL');
      io.say(`${hint()}\n`);
      return 2;
    }
    if (argv.length > 0 && !argv[0]?.startsWith('-') && argv[0] !== 'help') argv = [argv[0] as string, SERVER_IMAGE, ...argv.slice(1)];
  }
  if (argv.length === 0) {
    io.warn('missing command');
    io.say(`${hint()}\n`);
    return 2;
  }
  const command = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  try {
    // FAT's newfs/makefs (-t msdos) and fsck of a FAT image have their own options (msdos.ts).
    const fat = server === undefined && /^(newfs|makefs|fsck)$/.test(argv[0] ?? '') ? await (await import('./msdos.js')).dispatchMsdos(argv, io) : undefined;
    if (fat !== undefined) {
      io.flush();
      return fat;
    }
    try {
      let program = buildProgram(server, run, command);
      // A name that is no command (a typo, help): the whole program, to say so or to list them.
      if (command !== undefined && !program.commands.some((c) => c.name() === command)) program = buildProgram(server, run);
      await program.parseAsync(argv, { from: 'user' });
      io.flush();
      return run.exitStatus ?? io.status;
    } catch (e) {
      const code = io.ended(e, command, run.subject);
      if (code === 1 && process.env.FSU_DEBUG && e instanceof Error && e.stack) io.warn(e.stack);
      return code;
    }
  } catch (e) {
    if (e instanceof BrokenPipe) return EXIT_BROKEN_PIPE;
    throw e;
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

/**
 * Run fsu as a program with these arguments: the exit status is set when it is done; whatever escapes
 * is still one line, never a stack trace (FSU_DEBUG=1 shows it). The bundled `fsu` starts here.
 */
export function runFsu(argv: string[]): void {
  const last = (e: unknown): void => {
    if ((e as { code?: unknown } | null)?.code === 'EPIPE' || e instanceof BrokenPipe) process.exit(EXIT_BROKEN_PIPE);
    new Io().warn(`internal error: ${errorLine(e)}`);
    if (process.env.FSU_DEBUG && e instanceof Error && e.stack) new Io().warn(e.stack);
    process.exit(1);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  main(argvNames(argv)).then((code) => {
    process.exitCode = code;
  }, last);
}

if (invokedAsMain()) runFsu(process.argv.slice(2));
