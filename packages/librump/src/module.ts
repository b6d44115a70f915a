/**
 * Kernel modules (kern_module.c): ES modules exporting `modinfo`. Loaded by package name, by rump
 * library name (rumpfs_ffs → @rumpts/rumpfs-ffs) or by file path, resolved from an explicit base
 * directory so a plugin installed beside the user's program is found, not one beside librump.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolve as esmResolve } from 'import-meta-resolve';
import { errno, isRumpError } from './errno.js';
import type { Kernel } from './kernel.js';

/** The module classes of NetBSD's MODULE() (MODULE_CLASS_*). */
export const MODULE_CLASSES = ['any', 'misc', 'vfs', 'driver', 'exec', 'secmodel', 'bufq'] as const;
/** A module's class: `'vfs'` for a file system. */
export type ModuleClass = (typeof MODULE_CLASSES)[number];

/** What a kernel module exports as `modinfo` (NetBSD's MODULE() + modcmd). */
export interface ModInfo {
  /** The module name (e.g. `'ffs'`): what modstat shows and other modules require. */
  readonly name: string;
  /** Its class; a `'vfs'` module registers a file-system type. */
  readonly class: ModuleClass;
  /** Modules or linked components that must be present first. */
  readonly requires?: readonly string[];
  /** MODULE_CMD_INIT. Throw a RumpError to refuse. */
  init(kernel: Kernel): void;
  /** MODULE_CMD_FINI. Throw (e.g. EBUSY while a file system is mounted) to stay loaded. */
  fini?(kernel: Kernel): void;
}

/** How a module came in: linked as a library at boot (`builtin`) or loaded with modload (`filesys`). */
export type ModuleSource = 'builtin' | 'filesys';

/** One row of modstat(8). */
export interface ModStat {
  /** The module name. */
  name: string;
  /** Its class. */
  class: ModuleClass;
  /** Linked at boot or loaded later. */
  source: ModuleSource;
  /** How many loaded modules require this one. */
  refcount: number;
  /** What it requires. */
  requires: string[];
  /** What it was loaded from (package name or file URL). */
  from: string;
}

/** Does `x` have the shape of a ModInfo (a module's export is checked before use)? */
export function isModInfo(x: unknown): x is ModInfo {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Partial<ModInfo>;
  return (
    typeof m.name === 'string' &&
    m.name.length > 0 &&
    MODULE_CLASSES.includes(m.class as ModuleClass) &&
    typeof m.init === 'function' &&
    (m.requires === undefined || (Array.isArray(m.requires) && m.requires.every((r) => typeof r === 'string')))
  );
}

/** Does this look like a file path rather than a package or library name? */
export function isPathSpec(spec: string): boolean {
  return (
    isAbsolute(spec) ||
    spec.startsWith('./') ||
    spec.startsWith('../') ||
    spec === '.' ||
    spec.startsWith('file:') ||
    /\.(m?js|cjs|ts|mts)$/.test(spec) ||
    (spec.includes('/') && !spec.startsWith('@'))
  );
}

/** One rump library rumpts ships: the package it lives in and the libraries that must be linked before it. */
export interface RumpLibrary {
  /** The npm package, e.g. `@rumpts/rumpfs-ffs`. */
  readonly package: string;
  /** Library names that must be linked (listed) before this one. */
  readonly requires: readonly string[];
}

/**
 * Every faction library of rumpts by its short (NetBSD library) name. `etfs` is part of NetBSD's
 * librumpvfs; here it is a package of its own, named like the rump_etfs(3) interface.
 */
export const RUMP_LIBRARIES: Readonly<Record<string, RumpLibrary>> = Object.freeze({
  rumpvfs: { package: '@rumpts/rumpvfs', requires: [] },
  etfs: { package: '@rumpts/etfs', requires: ['rumpvfs'] },
  rumpdev_disk: { package: '@rumpts/rumpdev-disk', requires: ['rumpvfs'] },
  rumpfs_ffs: { package: '@rumpts/rumpfs-ffs', requires: ['rumpvfs'] },
  rumpfs_tmpfs: { package: '@rumpts/rumpfs-tmpfs', requires: ['rumpvfs'] },
  rumpfs_cd9660: { package: '@rumpts/rumpfs-cd9660', requires: ['rumpvfs'] },
  rumpfs_msdos: { package: '@rumpts/rumpfs-msdos', requires: ['rumpvfs'] },
});

/**
 * The short library name a spec stands for (`librumpfs_ffs.so` → `rumpfs_ffs`, `etfs` → `etfs`),
 * or undefined for package names and paths.
 */
export function libraryName(spec: string): string | undefined {
  const m = /^(?:lib)?(rump[a-z0-9_]*|etfs)(?:\.so(?:\.[0-9]+)*)?$/.exec(spec);
  return m?.[1];
}

/**
 * Package names to try for a name: a rump library name (`rumpfs_ffs`, `librumpfs_ffs.so`, `etfs`)
 * maps to its `@rumpts/…` package, a `rump*` name we do not ship to `@rumpts/<name>` and then to the
 * unscoped `rumpfs-<name>` a third-party author may publish; anything else is a package name.
 */
export function packageCandidates(name: string): string[] {
  const lib = libraryName(name);
  if (lib === undefined) return [name];
  const known = RUMP_LIBRARIES[lib];
  const pkg = lib.replace(/_/g, '-');
  if (known) return pkg.startsWith('rump') ? [known.package, pkg] : [known.package];
  return [`@rumpts/${pkg}`, pkg];
}

/** A library listed before a library it needs. */
export interface LibraryOrderProblem {
  /** The library as listed. */
  library: string;
  /** The short name of the library it needs before it. */
  needs: string;
}

/**
 * Known libraries in `names` listed without a library they require earlier in the list (the
 * order rump_server's -l options and rump_init's `libraries` are linked in).
 */
export function libraryOrderProblems(names: readonly string[]): LibraryOrderProblem[] {
  const seen = new Set<string>();
  const out: LibraryOrderProblem[] = [];
  for (const n of names) {
    const lib = libraryName(n);
    if (lib === undefined) continue;
    for (const r of RUMP_LIBRARIES[lib]?.requires ?? []) if (!seen.has(r)) out.push({ library: n, needs: r });
    seen.add(lib);
  }
  return out;
}

/** The rump libraries that resolve from `bases`: ours by short name, then third-party `rumpfs-*` packages found there. */
export function availableLibraries(bases: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, lib] of Object.entries(RUMP_LIBRARIES)) {
    if (bases.some((b) => canResolve(lib.package, b))) out.push(name);
  }
  // Libraries we do not ship: @rumpts/rump* and unscoped rumpfs-* folders installed there.
  for (const base of bases) {
    const dir = join(resolvePath(base), 'node_modules');
    const found = [...listDir(join(dir, '@rumpts')).filter((e) => e.startsWith('rump')), ...listDir(dir).filter((e) => e.startsWith('rumpfs-'))];
    for (const e of found.sort()) {
      const lib = e.replace(/-/g, '_');
      if (!out.includes(lib)) out.push(lib);
    }
  }
  return out;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function canResolve(pkg: string, base: string): boolean {
  try {
    esmResolve(pkg, pathToFileURL(join(resolvePath(base), 'noop.js')).href);
    return true;
  } catch {
    return false;
  }
}

/** The entry file of a package folder: exports["."] (import/default), else main, else index.js. */
function packageEntry(dir: string): string {
  const pj = join(dir, 'package.json');
  if (!existsSync(pj)) return join(dir, 'index.js');
  let meta: { exports?: unknown; main?: unknown };
  try {
    meta = JSON.parse(readFileSync(pj, 'utf8')) as typeof meta;
  } catch (e) {
    throw errno('ENOEXEC', `${pj}: unreadable package.json`, { cause: e });
  }
  const pick = (x: unknown): string | undefined => {
    if (typeof x === 'string') return x;
    if (typeof x === 'object' && x !== null) {
      const o = x as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      return pick(o['import'] ?? o['node'] ?? o['default']);
    }
    return undefined;
  };
  const entry = pick(meta.exports) ?? (typeof meta.main === 'string' ? meta.main : 'index.js');
  return join(dir, entry);
}

/** Resolve a module spec to a file URL, trying each base directory for package names. */
export function resolveModule(spec: string, bases: readonly string[]): string {
  if (isPathSpec(spec)) {
    const p = spec.startsWith('file:') ? new URL(spec).pathname : resolvePath(spec);
    if (!existsSync(p)) throw errno('ENOENT', `module '${spec}' not found`, { path: spec });
    const file = statSync(p).isDirectory() ? packageEntry(p) : p;
    if (!existsSync(file)) throw errno('ENOENT', `module entry '${file}' not found`, { path: spec });
    return pathToFileURL(file).href;
  }
  const names = packageCandidates(spec);
  bases = [...new Set(bases.map((b) => resolvePath(b)))];
  for (const name of names) {
    for (const base of bases) {
      try {
        return esmResolve(name, pathToFileURL(join(resolvePath(base), 'noop.js')).href);
      } catch {
        // next candidate
      }
    }
  }
  const avail = availableLibraries(bases);
  const known = RUMP_LIBRARIES[libraryName(spec) ?? ''];
  const hint =
    (known ? `; ${known.package} is not installed there` : '') +
    (avail.length > 0 ? `; available: ${avail.join(', ')}` : '; no rump libraries are installed there (npm install @rumpts/rumpvfs …)');
  throw errno('ENOENT', `module '${spec}' not found (tried ${names.join(', ')} from ${bases.join(', ')})${hint}`);
}

/** Import a resolved URL and return its namespace, mapping load failures to ENOEXEC. */
export async function importModule(url: string, spec: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (isRumpError(e)) throw e;
    throw errno('ENOEXEC', `module '${spec}' failed to load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
