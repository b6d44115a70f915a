/**
 * Kernel modules (kern_module.c): ES modules exporting `modinfo`. Loaded by package name, by rump
 * library name (rumpfs_ffs → @rumpts/rumpfs-ffs) or by file path, resolved from an explicit base
 * directory so a plugin installed beside the user's program is found, not one beside librump.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolve as esmResolve } from 'import-meta-resolve';
import { errno, isRumpError } from './errno.js';
import type { Kernel } from './kernel.js';

export const MODULE_CLASSES = ['any', 'misc', 'vfs', 'driver', 'exec', 'secmodel', 'bufq'] as const;
export type ModuleClass = (typeof MODULE_CLASSES)[number];

/** What a kernel module exports as `modinfo` (NetBSD's MODULE() + modcmd). */
export interface ModInfo {
  readonly name: string;
  readonly class: ModuleClass;
  /** Modules or linked components that must be present first. */
  readonly requires?: readonly string[];
  /** MODULE_CMD_INIT. Throw a RumpError to refuse. */
  init(kernel: Kernel): void;
  /** MODULE_CMD_FINI. Throw (e.g. EBUSY while a file system is mounted) to stay loaded. */
  fini?(kernel: Kernel): void;
}

export type ModuleSource = 'builtin' | 'filesys';

/** One row of modstat(8). */
export interface ModStat {
  name: string;
  class: ModuleClass;
  source: ModuleSource;
  /** How many loaded modules require this one. */
  refcount: number;
  requires: string[];
  /** What it was loaded from (package name or file URL). */
  from: string;
}

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

/**
 * Package names to try for a name: a rump library name (`rumpfs_ffs`, `librumpfs_ffs.so`) maps to
 * `@rumpts/rumpfs-ffs`, then to the unscoped `rumpfs-ffs` a third-party author may publish.
 */
export function packageCandidates(name: string): string[] {
  const m = /^(?:lib)?(rump[a-z0-9_]*)(?:\.so(?:\.[0-9]+)*)?$/.exec(name);
  if (!m?.[1]) return [name];
  const pkg = m[1].replace(/_/g, '-');
  return [`@rumpts/${pkg}`, pkg];
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
  const tried: string[] = [];
  for (const name of packageCandidates(spec)) {
    for (const base of bases) {
      try {
        return esmResolve(name, pathToFileURL(join(resolvePath(base), 'noop.js')).href);
      } catch {
        tried.push(`${name} from ${base}`);
      }
    }
  }
  throw errno('ENOENT', `module '${spec}' not found (tried ${tried.join('; ')})`);
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
