import { rump_init, type Kernel } from '@rumpts/librump';
import * as rumpvfs from '../src/index.js';

/** A kernel with the vfs faction linked (from this package's source). */
export async function vfsKernel(opts: Parameters<typeof rump_init>[0] = {}): Promise<Kernel> {
  return rump_init({ ...opts, libraries: [rumpvfs, ...(opts.libraries ?? [])] });
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The errno code a call throws, or 'OK'. */
export const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'OK';
};
