/**
 * The rump kernel instance (rump.c): boot, components, modules, processes, sysctl, kmem, halt.
 * No module-level state: every kernel is its own world, so several live in one Node process.
 */
import { availableParallelism, totalmem } from 'node:os';
import { errno, isRumpError } from './errno.js';
import { type Faction, type RumpComponent, isComponent, orderComponents } from './component.js';
import { Filedesc } from './filedesc.js';
import { Kmem } from './kmem.js';
import { type ModInfo, type ModStat, type ModuleSource, RUMP_LIBRARIES, importModule, isModInfo, libraryName, resolveModule } from './module.js';
import { Proc } from './proc.js';
import { Sysctl, type SysctlValue } from './sysctl.js';
import { type VfsSyscalls, enosysTable } from './sysent.js';
import { Syncer } from './syncer.js';
import { forgetOnExit, haltOnExit } from './exithalt.js';
import type { Cred } from './types.js';
import { RB_HALT, RB_NOSYNC, RUMP_ETFS_SIZE_ENDOFF, type RumpEtfsType } from './constants.js';

/** kern.ostype: what the kernel says it is. */
export const OSTYPE = 'NetBSD';
/** kern.osrelease: the NetBSD release whose behaviour rumpts follows. */
export const OSRELEASE = '9.3';
/** The rumpts version in kern.version. */
export const RUMPTS_VERSION = '0.1.0';

/** A registration made before boot (rump_boot_etfs_register); `status` is set by the kernel. */
export interface BootEtfs {
  /** The path in the kernel, e.g. `/dev/disk`. */
  key: string;
  /** The host file it maps. */
  hostpath: string;
  /** RUMP_ETFS_REG, _BLK, _CHR, _DIR or _DIR_SUBDIRS. */
  type: RumpEtfsType;
  /** First byte of the window (default 0). */
  begin?: number;
  /** Window size in bytes (default: to the end of the file). */
  size?: number;
  /** -1 not performed (no vfs), 0 success, >0 errno. */
  status?: number;
}

/** Options of rump_init(): the boot-time parameters of a kernel. */
export interface RumpInitOptions {
  /** Virtual CPUs (hw.ncpu); default: the host's. */
  ncpu?: number;
  /** Kernel memory limit in bytes (rump_server -r); default: unlimited. */
  memlimit?: number;
  /** bootverbose: boot messages also go to `logger`. */
  verbose?: boolean;
  /** Where console output goes; default: standard error. */
  logger?: (line: string) => void;
  /** Component libraries linked in before init, by name or path, in order (rump_server -l). */
  libraries?: readonly (string | LibraryNamespace)[];
  /** etfs registrations performed as soon as the root file system is mounted. */
  bootEtfs?: BootEtfs[];
  /** Directories package names are resolved from (default: the host cwd). */
  moduleBase?: string | readonly string[];
  /** kern.hostname at boot. */
  hostname?: string;
  /**
   * Run the syncer (default true): changes reach the disk on their own, `vfs.sync.*` seconds after
   * they were made, from an unref'd timer that never keeps the process alive.
   */
  syncer?: boolean;
  /**
   * Halt this kernel when the process exits without `halt()` (default true): file systems are
   * synced and unmounted on a normal end, `process.exit()` or an uncaught exception (not on
   * SIGKILL, nor on a signal the program does not handle).
   */
  syncOnExit?: boolean;
}

/** A component linked into a kernel, as Kernel.components() lists it. */
export interface LinkedComponent {
  /** Its name, e.g. `'rumpvfs'`. */
  name: string;
  /** Its faction. */
  faction: Faction;
}

/** What a library exports: `components` (RUMP_COMPONENT) and/or a builtin `modinfo`. */
export interface LibraryNamespace {
  /** Components to link (RUMP_COMPONENT). */
  readonly components?: readonly RumpComponent[];
  /** A module that becomes builtin. */
  readonly modinfo?: ModInfo;
}

/** The etfs services a kernel offers once the etfs component is linked (rump_etfs(3)). */
export interface EtfsService {
  /** rump_pub_etfs_register_withsize. */
  register(key: string, hostpath: string, type: RumpEtfsType, begin: number, size: number): void;
  /** rump_pub_etfs_remove. */
  remove(key: string): void;
}

interface LoadedModule {
  info: ModInfo;
  source: ModuleSource;
  from: string;
  refcount: number;
}

type HaltHook = (howto: number) => void;
type ForkHook = (child: Proc, parent: Proc | undefined) => void;
type ExitHook = (p: Proc) => void;

/**
 * A rump kernel (rump.c): made by rump_init(), it holds components, modules, processes, sysctl,
 * the memory account and the syncer, and ends with halt(). Every call after boot is synchronous;
 * several kernels in one process share nothing.
 */
export class Kernel {
  /** The sysctl tree; factions add nodes here (read and write nodes with sysctl()). */
  readonly sysctl_: Sysctl = new Sysctl();
  /** The kernel memory account (memlimit). */
  readonly kmem: Kmem;
  /** Virtual CPUs (hw.ncpu). */
  readonly ncpu: number;
  /** bootverbose. */
  readonly verbose: boolean;
  /** The etfs registrations made at boot, each with its status. */
  readonly bootEtfs: readonly BootEtfs[];
  /** The directories package names resolve from (modload, libraries). */
  readonly moduleBase: readonly string[];
  /** The system call table; the vfs faction fills it. */
  sysent: VfsSyscalls = enosysTable();
  /** Set by the etfs component. */
  etfs: EtfsService | undefined;
  /** The kernel message buffer (dmesg). */
  readonly msgbuf: string[] = [];
  /** The syncer: writes changes back on its own (see RumpInitOptions.syncer). */
  readonly syncer: Syncer;
  /** Whether halt runs at process exit (RumpInitOptions.syncOnExit). */
  readonly syncOnExit: boolean;
  readonly #runSyncer: boolean;

  #proc0: Proc | undefined;
  readonly #procs = new Map<number, Proc>();
  #nextpid = 1;
  readonly #components: RumpComponent[] = [];
  readonly #modules = new Map<string, LoadedModule>();
  readonly #subsystems = new Map<string, unknown>();
  readonly #haltHooks: HaltHook[] = [];
  readonly #forkHooks: ForkHook[] = [];
  readonly #exitHooks: ExitHook[] = [];
  readonly #logger: (line: string) => void;
  #state: 'booting' | 'running' | 'halting' | 'halted' = 'booting';
  #haltHowto: number | undefined;
  /** The module whose init is running, so registrations can record their owner. */
  #initing: string | undefined;

  /** @internal use rump_init(). */
  constructor(opts: RumpInitOptions) {
    const ncpu = opts.ncpu ?? availableParallelism();
    if (!Number.isInteger(ncpu) || ncpu < 1 || ncpu > 256) throw errno('EINVAL', `ncpu must be an integer 1..256, got ${ncpu}`);
    const limit = opts.memlimit ?? Number.POSITIVE_INFINITY;
    if (!(limit > 0)) throw errno('EINVAL', `memlimit must be a positive number of bytes, got ${String(opts.memlimit)}`);
    this.ncpu = ncpu;
    this.kmem = new Kmem(limit);
    this.verbose = opts.verbose ?? false;
    this.#logger = opts.logger ?? ((line) => process.stderr.write(`${line}\n`));
    const base = opts.moduleBase ?? process.cwd();
    this.moduleBase = typeof base === 'string' ? [base] : [...base];
    this.bootEtfs = opts.bootEtfs ?? [];
    for (const eb of this.bootEtfs) eb.status = -1;
    this.syncer = new Syncer(() => this.sysent.sync(this.#proc0 as Proc), (line) => this.printf(line));
    this.#runSyncer = opts.syncer ?? true;
    this.syncOnExit = opts.syncOnExit ?? true;
    this.#initSysctl(opts.hostname);
  }

  #initSysctl(hostname: string | undefined): void {
    const s = this.sysctl_;
    s.constant('kern.ostype', OSTYPE);
    s.constant('kern.osrelease', OSRELEASE);
    s.constant('kern.version', `${OSTYPE} ${OSRELEASE} (RUMP-ROAST) rumpts ${RUMPTS_VERSION}`);
    s.variable('kern.hostname', hostname ?? `rump-${String(process.pid).padStart(5, '0')}.rumpdomain`, (v) => {
      if (typeof v !== 'string' || v.length > 255) throw errno('EINVAL', 'hostname must be a string of at most 255 bytes');
      return v;
    });
    s.create('kern.rump.verbose', { get: () => this.verbose });
    s.constant('hw.ncpu', this.ncpu);
    s.constant('hw.pagesize', 4096);
    s.constant('hw.physmem', Number.isFinite(this.kmem.limit) ? this.kmem.limit : totalmem());
    s.create('kern.rump.memlimit', { get: () => (Number.isFinite(this.kmem.limit) ? this.kmem.limit : -1), description: 'kernel memory limit in bytes, -1 for none' });
    s.create('kern.rump.meminuse', { get: () => this.kmem.inuse, description: 'bytes charged to the kernel memory account' });
    s.create('kern.rump.mempeak', { get: () => this.kmem.peak });
    s.create('kern.rump.nprocs', { get: () => this.#procs.size });
    s.constant('vfs.generic.fstypes', '', 'registered file system types (set by the vfs faction)');
    this.syncer.attachSysctl(s);
  }

  // --- boot ---

  /** @internal */
  async boot(libraries: readonly (string | LibraryNamespace)[]): Promise<void> {
    const comps: RumpComponent[] = [];
    const builtins: { info: ModInfo; from: string }[] = [];
    checkLibraryOrder(libraries);
    for (const lib of libraries) {
      const { ns, from } = typeof lib === 'string' ? await this.#importLibrary(lib) : { ns: lib, from: '(linked)' };
      const cs = ns.components;
      if (cs !== undefined && !(Array.isArray(cs) && cs.every(isComponent))) throw errno('ENOEXEC', `library '${from}': 'components' is malformed`);
      const mi = ns.modinfo;
      if (mi !== undefined && !isModInfo(mi)) throw errno('ENOEXEC', `library '${from}': 'modinfo' is malformed`);
      if (!cs?.length && !mi) throw errno('ENOEXEC', `library '${from}' provides no components and no module`);
      comps.push(...(cs ?? []));
      if (mi) builtins.push({ info: mi, from });
    }
    this.aprint_verbose(`${OSTYPE} ${OSRELEASE} (RUMP-ROAST) rumpts ${RUMPTS_VERSION}`);
    this.aprint_verbose(`total memory = ${Number.isFinite(this.kmem.limit) ? `${this.kmem.limit} bytes` : 'unlimited'}`);
    this.aprint_verbose(`cpus: ${this.ncpu}`);
    const ordered = orderComponents(comps);
    this.#proc0 = this.#newProcess(undefined, { uid: 0, gid: 0, groups: [0] }, 0o022, new Filedesc(), 0);
    for (const c of ordered) {
      c.init(this);
      this.#components.push(c);
      this.aprint_verbose(`component ${c.name} (${c.faction}) initialized`);
    }
    this.#state = 'running';
    // Builtin modules initialise once the kernel runs (module_init_class), in link order.
    for (const b of builtins) {
      const r = this.#initModule(b.info, 'builtin', b.from);
      if (r === 0) throw errno('ENOENT', `builtin module '${b.info.name}' requires ${(b.info.requires ?? []).join(', ')}, not present`);
    }
    if (this.#runSyncer) this.syncer.start();
    if (this.syncOnExit) haltOnExit(this);
    this.aprint_verbose('rump kernel running');
  }

  async #importLibrary(spec: string): Promise<{ ns: LibraryNamespace; from: string }> {
    const url = resolveModule(spec, this.moduleBase);
    return { ns: (await importModule(url, spec)), from: spec };
  }

  // --- state ---

  /** Booted and not halting or halted. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** halt() has finished: every call now fails with ESHUTDOWN. */
  get halted(): boolean {
    return this.#state === 'halted';
  }

  /**
   * The reboot(2) flags of the halt under way or done (undefined before halt): a component's fini
   * sees RB_NOSYNC here and writes nothing back.
   */
  get haltHowto(): number | undefined {
    return this.#haltHowto;
  }

  /** Throw unless the kernel is up (used at every kernel entry). */
  assertRunning(what = 'call'): void {
    if (this.#state === 'halted') {
      throw errno('ESHUTDOWN', `${what}: the rump kernel has been halted`, { syscall: what });
    }
  }

  /** The default process (proc0), which calls made without a process context run as. */
  get proc(): Proc {
    this.assertRunning('proc');
    return this.#proc0 as Proc;
  }

  // --- console ---

  /** Kernel printf: always to the message buffer and the console. */
  printf(line: string): void {
    this.msgbuf.push(line);
    this.#logger(line);
  }

  /** aprint_verbose: to the message buffer; to the console only with bootverbose. */
  aprint_verbose(line: string): void {
    this.msgbuf.push(line);
    if (this.verbose) this.#logger(line);
  }

  // --- subsystems: per-kernel state of the factions, found by name ---

  /** Attach a faction's state to this kernel (e.g. 'vfs'). String keys let any copy of a package find it. */
  setSubsystem(name: string, value: unknown): void {
    if (this.#subsystems.has(name)) throw errno('EEXIST', `subsystem '${name}' already attached`);
    this.#subsystems.set(name, value);
  }

  /** A faction's state attached with setSubsystem, or undefined. */
  getSubsystem<T>(name: string): T | undefined {
    return this.#subsystems.get(name) as T | undefined;
  }

  /** The components linked into this kernel, in init order. */
  components(): LinkedComponent[] {
    return this.#components.map((c) => ({ name: c.name, faction: c.faction }));
  }

  /** Is a component of this name linked? */
  hasComponent(name: string): boolean {
    return this.#components.some((c) => c.name === name);
  }

  // --- processes ---

  /** A new process: own descriptor table and cwd, inheriting proc0's credentials and umask. */
  newproc(): Proc {
    return this.proc.rfork();
  }

  /** @internal Proc.rfork */
  forkProc(parent: Proc, fd: Filedesc): Proc {
    return this.#newProcess(parent, { ...parent.cred, groups: [...parent.cred.groups] }, parent.cmask, fd);
  }

  #newProcess(parent: Proc | undefined, cred: Cred, umask: number, fd: Filedesc, pid?: number): Proc {
    const p = new Proc(this, pid ?? this.#nextpid++, cred, umask, fd);
    this.#procs.set(p.pid, p);
    for (const h of this.#forkHooks) h(p, parent);
    return p;
  }

  /** @internal Proc.exit */
  exitProc(p: Proc): void {
    for (const h of [...this.#exitHooks].reverse()) h(p);
    this.#procs.delete(p.pid);
  }

  /** The process with this pid (ESRCH if none), like rump_lwproc_newlwp(pid). */
  pfind(pid: number): Proc {
    const p = this.#procs.get(pid);
    if (!p) throw errno('ESRCH', `no process ${pid}`);
    return p;
  }

  /** Every live process, proc0 first. */
  procs(): Proc[] {
    return [...this.#procs.values()];
  }

  /** Hooks a faction uses to set up and tear down its per-process state. */
  onProcFork(h: ForkHook): void {
    this.#forkHooks.push(h);
    // proc0 may already exist when a module registers late.
    for (const p of this.#procs.values()) h(p, undefined);
  }

  /** Run `h` as each process exits (newest hook first). */
  onProcExit(h: ExitHook): void {
    this.#exitHooks.push(h);
  }

  /**
   * Called at halt, most recently registered first (the vfs: sync and unmount everything); with
   * RB_NOSYNC in `howto` the hooks run before the processes exit, and must write nothing back.
   */
  onHalt(h: HaltHook): void {
    this.#haltHooks.push(h);
  }

  // --- sysctl ---

  /** sysctl(3) by dotted name: returns the (old) value; with newValue, writes it. */
  sysctl(name: string, newValue?: SysctlValue): SysctlValue {
    this.assertRunning('sysctl');
    return this.sysctl_.access(name, newValue);
  }

  // --- kernel modules ---

  /**
   * Load a kernel module by package name, rump library name or path: 1 loaded; 0 a module it
   * requires is not loaded (nothing changed, retry later); any other failure rejects with RumpError.
   */
  async modload(nameOrPath: string): Promise<0 | 1> {
    this.assertRunning('modload');
    const url = resolveModule(nameOrPath, this.moduleBase);
    const ns = await importModule(url, nameOrPath);
    this.assertRunning('modload');
    const mi = ns['modinfo'] ?? (ns['default'] as Record<string, unknown> | undefined)?.['modinfo'];
    if (!isModInfo(mi)) throw errno('ENOEXEC', `'${nameOrPath}' is not a kernel module (no valid modinfo export)`, { syscall: 'modctl', path: nameOrPath });
    return this.#initModule(mi, 'filesys', nameOrPath);
  }

  #initModule(mi: ModInfo, source: ModuleSource, from: string): 0 | 1 {
    if (this.#modules.has(mi.name)) throw errno('EEXIST', `module '${mi.name}' is already loaded`, { syscall: 'modctl', path: from });
    // A file system library cannot link into a kernel without the vfs faction (in C, its symbols would not resolve).
    if (source === 'builtin' && mi.class === 'vfs' && !this.#components.some((c) => c.faction === 'vfs')) {
      throw errno('ENOENT', `module '${mi.name}' is a file system and needs the vfs faction: link rumpvfs before it`, { syscall: 'modctl', path: from });
    }
    const missing = (mi.requires ?? []).filter((r) => !this.#modules.has(r) && !this.hasComponent(r));
    if (missing.length > 0) {
      this.aprint_verbose(`module '${mi.name}' requires ${missing.join(', ')}: not loaded`);
      return 0;
    }
    this.#initing = mi.name;
    try {
      mi.init(this);
    } catch (e) {
      if (isRumpError(e)) throw e.annotate('modctl', from);
      throw errno('EINVAL', `module '${mi.name}' init failed: ${e instanceof Error ? e.message : String(e)}`, { syscall: 'modctl', path: from, cause: e });
    } finally {
      this.#initing = undefined;
    }
    for (const r of mi.requires ?? []) {
      const dep = this.#modules.get(r);
      if (dep) dep.refcount++;
    }
    this.#modules.set(mi.name, { info: mi, source, from, refcount: 0 });
    this.aprint_verbose(`module ${mi.name} (${mi.class}) loaded from ${from}`);
    return 1;
  }

  /** The module whose init is running right now, if any (for ownership of registrations). */
  get initingModule(): string | undefined {
    return this.#initing;
  }

  #findModule(name: string): [string, LoadedModule] | undefined {
    const direct = this.#modules.get(name);
    if (direct) return [name, direct];
    for (const e of this.#modules) if (e[1].from === name) return e;
    return undefined;
  }

  /** Unload a module by its name (or the name it was loaded by); EBUSY while in use. */
  modunload(name: string): void {
    this.assertRunning('modunload');
    const found = this.#findModule(name);
    if (!found) throw errno('ENOENT', `module '${name}' is not loaded`, { syscall: 'modctl', path: name });
    const [key, m] = found;
    if (m.source === 'builtin') throw errno('EPERM', `module '${key}' is built in`, { syscall: 'modctl', path: name });
    if (m.refcount > 0) {
      const users = [...this.#modules.values()].filter((o) => (o.info.requires ?? []).includes(key)).map((o) => o.info.name);
      throw errno('EBUSY', `module '${key}' is required by ${users.join(', ')}`, { syscall: 'modctl', path: name });
    }
    try {
      m.info.fini?.(this);
    } catch (e) {
      if (isRumpError(e)) throw e.annotate('modctl', name);
      throw errno('EBUSY', `module '${key}' refused to unload: ${e instanceof Error ? e.message : String(e)}`, { syscall: 'modctl', path: name, cause: e });
    }
    this.#modules.delete(key);
    for (const r of m.info.requires ?? []) {
      const dep = this.#modules.get(r);
      if (dep) dep.refcount--;
    }
  }

  /** modstat(8): every loaded module. */
  modstat(): ModStat[] {
    return [...this.#modules.values()].map((m) => ({
      name: m.info.name,
      class: m.info.class,
      source: m.source,
      refcount: m.refcount,
      requires: [...(m.info.requires ?? [])],
      from: m.from,
    }));
  }

  // --- etfs (served by the etfs component) ---

  #etfs(): EtfsService {
    this.assertRunning('etfs');
    if (!this.etfs) throw errno('ENOSYS', 'etfs is not linked into this kernel', { syscall: 'etfs_register' });
    return this.etfs;
  }

  /** rump_pub_etfs_register(3): map the whole host file `hostpath` at `key`. */
  etfsRegister(key: string, hostpath: string, type: RumpEtfsType): void {
    this.#etfs().register(key, hostpath, type, 0, RUMP_ETFS_SIZE_ENDOFF);
  }

  /** rump_pub_etfs_register_withsize(3): map `size` bytes from `begin` (RUMP_ETFS_SIZE_ENDOFF: to the end). */
  etfsRegisterWithSize(key: string, hostpath: string, type: RumpEtfsType, begin: number, size: number): void {
    this.#etfs().register(key, hostpath, type, begin, size);
  }

  /** rump_pub_etfs_remove(3): EBUSY while the key is in use. */
  etfsRemove(key: string): void {
    this.#etfs().remove(key);
  }

  // --- halt ---

  /**
   * Halt the kernel (rump_sys_reboot): every process exits, the vfs syncs and unmounts in reverse
   * mount order, modules and components are finalised. Idempotent.
   *
   * RB_NOSYNC is NetBSD's cpu_reboot, which skips rump_vfs_fini altogether: nothing is written back
   * (delayed writes are dropped, file systems left as they are on the medium, unclean if mounted
   * read-write). The shutdown hooks then run before the processes exit (cpu_reboot never waits for
   * them), so the vfs has cut every file system off its vnodes before a last close could write.
   */
  halt(howto: number = RB_HALT): void {
    if (this.#state === 'halted' || this.#state === 'halting') return;
    this.#state = 'halting';
    this.#haltHowto = howto;
    this.syncer.stop();
    forgetOnExit(this);
    const errors: unknown[] = [];
    const attempt = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
        this.printf(`halt: ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    const exitAll = (): void => {
      for (const p of [...this.#procs.values()].reverse()) attempt(`exit pid ${p.pid}`, () => p.exit());
    };
    const shutdownHooks = (): void => {
      for (const h of [...this.#haltHooks].reverse()) attempt('shutdown hook', () => h(howto));
    };
    if ((howto & RB_NOSYNC) !== 0) {
      shutdownHooks();
      exitAll();
    } else {
      exitAll();
      shutdownHooks();
    }
    for (const [name, m] of [...this.#modules].reverse()) attempt(`module ${name}`, () => m.info.fini?.(this));
    this.#modules.clear();
    for (const c of [...this.#components].reverse()) attempt(`component ${c.name}`, () => c.fini?.(this));
    this.syncer.clean();
    this.#state = 'halted';
    this.aprint_verbose(`rump kernel halted${(howto & RB_NOSYNC) !== 0 ? ' (no sync)' : ''}`);
  }
}

/** Refuse a known library listed before one it needs (libraries are linked in order, never autoloaded). */
function checkLibraryOrder(libraries: readonly (string | LibraryNamespace)[]): void {
  const linked = new Set<string>();
  for (const lib of libraries) {
    if (typeof lib !== 'string') {
      for (const c of lib.components ?? []) linked.add(c.name);
      continue;
    }
    const name = libraryName(lib);
    if (name === undefined) continue;
    for (const need of RUMP_LIBRARIES[name]?.requires ?? []) {
      if (!linked.has(need)) throw errno('ENOENT', `library '${lib}' needs '${need}' linked before it: list it first (libraries: ['${need}', …, '${lib}'])`);
    }
    linked.add(name);
  }
}

/**
 * Boot a rump kernel (rump_init(3)). Resolves once every library is loaded and every component
 * initialised; everything after is synchronous.
 */
export async function rump_init(options: RumpInitOptions = {}): Promise<Kernel> {
  const k = new Kernel(options);
  await k.boot(options.libraries ?? []);
  return k;
}

/** rump_init under a JavaScript name. */
export const createKernel = rump_init;
