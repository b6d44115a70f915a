/**
 * ukfs_modload_dir (ukfs.c): load every file-system module in a directory — files named
 * librumpfs_*.js / *.mjs, or package folders named librumpfs_* or rumpfs-* — retrying those whose
 * dependencies were missing until a pass loads nothing. Single modules' errors are ignored.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRumpError, type Kernel } from '@rumpts/librump';
import { hostError } from '@rumpts/etfs';

/** Is this directory entry a module ukfs_modload_dir takes? */
export function isModuleEntry(name: string, isDir: boolean): boolean {
  if (!(name.startsWith('librumpfs_') || name.startsWith('rumpfs-'))) return false;
  return isDir || /\.(m?js)$/.test(name);
}

/** What modloadDir did: the modules loaded and those that never did. */
export interface ModloadDirResult {
  /** Paths of the modules loaded, in load order. */
  loaded: string[];
  /** Modules that never loaded, with why (missing dependency or their error). */
  failed: {
    /** The module's path in the directory. */
    path: string;
    /** Why it did not load: the missing dependency or its error. */
    reason: string;
  }[];
}

/** The detailed form: what loaded and what did not. Throws only if the directory cannot be read. */
export async function modloadDir(kernel: Kernel, dir: string): Promise<ModloadDirResult> {
  const entries = (() => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw hostError(e, `opendir ${dir}`);
    }
  })();
  // Sorting makes passes deterministic; the retry loop makes the result independent of the order.
  let pending = entries
    .filter((e) => isModuleEntry(e.name, e.isDirectory() || (e.isSymbolicLink() && !/\.(m?js)$/.test(e.name))))
    .map((e) => join(dir, e.name))
    .sort();
  const loaded: string[] = [];
  const failed: { path: string; reason: string }[] = [];
  for (;;) {
    const retry: string[] = [];
    for (const path of pending) {
      try {
        const r = await kernel.modload(path);
        if (r === 1) loaded.push(path);
        else retry.push(path);
      } catch (e) {
        failed.push({ path, reason: isRumpError(e) ? e.message : String(e) });
      }
    }
    if (retry.length === 0 || retry.length === pending.length) {
      for (const path of retry) failed.push({ path, reason: 'a module it requires is not loaded' });
      break;
    }
    pending = retry;
  }
  return { loaded, failed };
}
