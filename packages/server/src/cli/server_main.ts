/**
 * rump_server / rump_allserver (rump_server(1)): parse the options, detach unless -s (the parent
 * exits 0 only once the child listens, else it prints the child's start-up error and exits 1), boot
 * the kernel, listen, and halt on rump.halt or SIGTERM/SIGINT.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { isRumpError, RB_HALT } from '@rumpts/librump';
import { ALL_LIBRARIES, bootServerKernel, type MountSpec, parseMountSpec } from '../boot.js';
import { type Drivespec, parseDrivespec } from '../drivespec.js';
import { RumpServer } from '../server/server.js';
import { parseSize } from '../size.js';
import { parseUrl } from '../url.js';

const CHILD_ENV = 'RUMPTS__SERVER_DAEMON';

interface Parsed {
  foreground: boolean;
  ncpu: number | undefined;
  memlimit: number | undefined;
  verbose: boolean;
  libraries: string[];
  modules: string[];
  drives: Drivespec[];
  mounts: MountSpec[];
  newfs: boolean;
  insecure: boolean;
  url: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function parse(prog: string, argv: readonly string[]): Parsed {
  const cmd = new Command(prog)
    .usage('[-sv] [-c ncpu] [-d drivespec] [-l library] [-m module] [-r total_ram] [--mount TYPE:DEVICE:DIR[:ro|log]] [--newfs] url')
    .description('serve a rump kernel on url (unix://path or tcp://addr:port/)')
    .option('-s', 'stay in the foreground (do not detach)')
    .option('-v', 'set bootverbose')
    .option('-c <ncpu>', 'virtual CPUs (a number, or "host")')
    .option('-d <drivespec>', 'map a host file: key=,hostpath=,size=|disklabel=[,offset=][,type=blk|chr|reg]', collect, [])
    .option('-l <library>', 'link a component library before boot (in order)', collect, [])
    .option('-m <module>', 'load a kernel module after boot', collect, [])
    .option('-r <total_ram>', 'kernel memory limit (dd-style suffixes: k, m, g…)')
    .addOption(new Option('--mount <spec>', 'rumpts extension: mount TYPE:DEVICE:DIR[:ro|log] after the drives are mapped (log: WAPBL)').argParser(collect).default([]))
    .option('--newfs', 'rumpts extension: give ffs --mount drives without a file system a fresh one')
    .option('--insecure', 'rumpts extension: tcp without a token (any local user may use the kernel)')
    .argument('<url>', 'where to listen')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ s?: true; v?: true; c?: string; d: string[]; l: string[]; m: string[]; r?: string; mount: string[]; newfs?: true; insecure?: true }>();
  const url = cmd.args[0] as string;
  parseUrl(url, true);
  let ncpu: number | undefined;
  if (o.c !== undefined) {
    ncpu = o.c === 'host' ? availableParallelism() : Number(o.c);
    if (!/^[0-9]+$/.test(o.c) && o.c !== 'host') throw new UsageError(`-c '${o.c}': ncpu must be a positive integer or 'host'`);
    if (!Number.isInteger(ncpu) || ncpu < 1 || ncpu > 256) throw new UsageError(`-c '${o.c}': ncpu must be 1..256`);
  }
  const memlimit = o.r === undefined ? undefined : parseSize(o.r, '-r total_ram');
  if (memlimit !== undefined && memlimit < 1024 * 1024) throw new UsageError(`-r '${o.r}': at least 1m of kernel memory is needed`);
  return {
    foreground: o.s === true,
    ncpu,
    memlimit,
    verbose: o.v === true,
    libraries: o.l,
    modules: o.m,
    drives: o.d.map(parseDrivespec),
    mounts: o.mount.map(parseMountSpec),
    newfs: o.newfs === true,
    insecure: o.insecure === true,
    url,
  };
}

class UsageError extends Error {}

/** The program's entry: returns only in the foreground server (it ends with process.exit). */
export async function serverMain(prog: 'rump_server' | 'rump_allserver', argv: readonly string[]): Promise<void> {
  let p: Parsed;
  try {
    p = parse(prog, argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
    process.stderr.write(`${prog}: ${isRumpError(e) ? (e.detail ?? e.message) : (e as Error).message}\n`);
    process.stderr.write(`usage: ${prog} [-sv] [-c ncpu] [-d drivespec] [-l library] [-m module] [-r total_ram] url\n`);
    process.exit(1);
  }
  const isChild = process.env[CHILD_ENV] === '1';
  if (!p.foreground && !isChild) return detach(prog, argv);

  const log = (line: string): void => {
    process.stderr.write(`${prog}: ${line}\n`);
  };
  let server: RumpServer;
  try {
    const libraries = prog === 'rump_allserver' ? [...ALL_LIBRARIES, ...p.libraries.filter((l) => !(ALL_LIBRARIES as readonly string[]).includes(l))] : p.libraries;
    const { kernel } = await bootServerKernel({
      ...(p.ncpu !== undefined ? { ncpu: p.ncpu } : {}),
      ...(p.memlimit !== undefined ? { memlimit: p.memlimit } : {}),
      verbose: p.verbose,
      libraries,
      modules: p.modules,
      drives: p.drives,
      mounts: p.mounts,
      newfs: p.newfs,
      log: (line) => log(line),
    });
    const token = process.env['RUMP_SERVER_TOKEN'];
    server = await RumpServer.listen({ kernel, url: p.url, ...(token ? { token } : {}), insecure: p.insecure, log, verbose: p.verbose });
  } catch (e) {
    const msg = isRumpError(e) ? e.message : e instanceof Error ? e.message : String(e);
    if (isChild && process.send) {
      process.send({ ok: false, error: msg }, () => process.exit(1));
      return;
    }
    log(msg);
    process.exit(1);
  }
  const notes = tcpNotes(server);
  for (const line of notes) log(line);
  // A signal is an orderly shutdown, as rump.halt: sync, unmount, exit 0. halt() writes everything back
  // before it first yields, so a second signal (an impatient Ctrl-C) may end the process at once.
  let signalled = false;
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(1);
      signalled = true;
      log(`${sig}: syncing and unmounting`);
      void server.halt(0);
    });
  }
  if (isChild && process.send) {
    process.send({ ok: true, url: server.url.url, notes }, () => process.disconnect());
  } else {
    log(`listening on ${server.url.url} — export RUMP_SERVER=${server.url.url}; stop it with rump.halt`);
  }
  const { howto } = await server.exited;
  if ((howto & RB_HALT) !== 0) {
    // NetBSD's RB_HALT: the process stays, idle, until killed.
    setInterval(() => undefined, 1 << 30);
    return;
  }
  process.exit(0);
}

/** What a tcp server says at start: where its token is, or that it has none; no encryption either way. */
function tcpNotes(server: RumpServer): string[] {
  if (server.url.proto !== 'tcp') return [];
  const every = server.url.any ? ' and this server listens on every address' : '';
  if (server.token === undefined) {
    return [`warning: --insecure: no token — any local user${every ? ', and anyone who can reach the port,' : ''} may use this kernel`, `warning: the rumpts protocol has no encryption${every}; keep it on trusted networks`];
  }
  return [`token in ${server.tokenFile ?? '(not written)'} (mode 0600; clients of this user read it, others need RUMP_SERVER_TOKEN)`, `warning: the rumpts protocol has no encryption${every}; keep it on trusted networks`];
}

/** The parent of a detached server: wait for the child's word, then exit with it. */
function detach(prog: string, argv: readonly string[]): Promise<void> {
  const script = process.argv[1] as string;
  const child = fork(script, [...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
    execArgv: process.execArgv,
  });
  return new Promise(() => {
    let done = false;
    child.on('message', (m: { ok?: boolean; error?: string; notes?: string[] }) => {
      done = true;
      if (m.ok) {
        for (const line of m.notes ?? []) process.stderr.write(`${prog}: ${line}\n`);
        child.disconnect();
        child.unref();
        process.exit(0);
      }
      process.stderr.write(`${prog}: ${m.error ?? 'start-up failed'}\n`);
      process.exit(1);
    });
    child.on('exit', (code, sig) => {
      if (done) return;
      process.stderr.write(`${prog}: the server exited during start-up (${sig ?? `status ${code}`})\n`);
      process.exit(1);
    });
  });
}
