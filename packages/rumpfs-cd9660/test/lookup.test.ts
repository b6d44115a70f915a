/**
 * Lookup's name indexes (cd9660_vnops.ts): every name found and a missing one ENOENT whether a
 * directory is indexed or walked; the mount's budget of indexed names holds, and reclaimed nodes give
 * their names back (a hostile image may give many directory records one huge extent).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vfsOf } from '@rumpts/rumpvfs';
import { IsoMount } from '../src/cd9660_mount.js';
import { HAVE_XORRISO, code, mountImage, tempDir, xorrisoIso } from './helpers.js';

const tmp = tempDir('lookup');
afterAll(() => tmp.cleanup());

describe.skipIf(!HAVE_XORRISO)('lookup indexes', () => {
  it('index within the budget, walk past it, same answers; unmount returns every indexed name', async () => {
    const src = join(tmp.dir, 'src');
    for (const d of ['a', 'b']) {
      mkdirSync(join(src, d), { recursive: true });
      for (let i = 0; i < 50; i++) writeFileSync(join(src, d, `${d}-file-${i}.txt`), `${d}${i}\n`);
    }
    const k = await mountImage(xorrisoIso(src, join(tmp.dir, 'l.iso')));
    const imp = vfsOf(k).mounts.map((m) => m.data).find((d): d is IsoMount => d instanceof IsoMount);
    expect(imp).toBeDefined();
    if (!imp) return;
    // Room for one directory's 50 names (and the root's two), not for both.
    imp.lookupBudget = 60;
    for (const d of ['a', 'b']) {
      for (let i = 49; i >= 0; i--) expect(code(() => k.proc.lstat(`/mnt/${d}/${d}-file-${i}.txt`))).toBe('ok');
      expect(code(() => k.proc.lstat(`/mnt/${d}/no-such-file`))).toBe('ENOENT');
    }
    // The root (a, b) and one of the two directories.
    expect(imp.indexedNames).toBe(52);
    k.proc.unmount('/mnt', 0);
    expect(imp.indexedNames).toBe(0);
    k.halt();
  });
});
