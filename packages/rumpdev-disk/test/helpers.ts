/** Test helpers: temporary host files and a deterministic byte pattern. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** Bytes that differ at every position within a large span (a 32-bit LCG), seeded. */
export function pattern(len: number, seed = 1): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed >>> 0;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface TmpDir {
  path: string;
  file(name: string, content: Uint8Array): string;
  cleanup(): void;
}

export function tmp(): TmpDir {
  const path = mkdtempSync(join(tmpdir(), 'rumpdev-disk-'));
  return {
    path,
    file(name, content) {
      const p = join(path, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** The RumpError code a function throws, or 'none'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? 'not-a-RumpError';
  }
  return 'none';
}
