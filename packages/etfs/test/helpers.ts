import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { rump_init, type Kernel, type RumpInitOptions } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as etfs from '../src/index.js';

export async function etfsKernel(opts: RumpInitOptions = {}): Promise<Kernel> {
  return rump_init({ ...opts, libraries: [rumpvfs, etfs] });
}

const dirs: string[] = [];
/** A fresh host directory removed after the test. */
export function hostdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rumpts-etfs-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'OK';
};
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
