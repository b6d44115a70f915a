/**
 * Rock Ridge names are image bytes like any other (issue 16): an NM entry can spell '../../tmp/victim'
 * or hold a NUL. The VFS skips such an entry in getdents (with a kernel message), so nothing above
 * the kernel — a copy tool joining names onto a host path — ever sees it; the rest of the directory
 * reads as usual.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { O_RDONLY } from '@rumpts/librump';
import { HAVE_XORRISO, listDir, mountImage, tempDir, xorrisoIso } from './helpers.js';

describe.skipIf(!HAVE_XORRISO)('hostile Rock Ridge names', () => {
  const t = tempDir('names');
  afterAll(() => t.cleanup());

  it("an NM name with '/' or NUL is skipped by getdents with a kernel message; the others are listed", async () => {
    const src = join(t.dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'xxxxxxtmpxvictim'), 'a\n');
    writeFileSync(join(src, 'nulxname'), 'b\n');
    writeFileSync(join(src, 'plain.txt'), 'c\n');
    const iso = xorrisoIso(src, join(t.dir, 'x.iso'));
    const b = readFileSync(iso);
    // Patch the Rock Ridge NM payloads in place (same lengths): '../../tmp/victim' and 'nul\0name'.
    for (const [from, to] of [['xxxxxxtmpxvictim', '../../tmp/victim'], ['nulxname', 'nul\0name']] as const) {
      const at = b.indexOf(Buffer.from(`NM${String.fromCharCode(5 + from.length)}\x01\x00${from}`, 'latin1'));
      expect(at, from).toBeGreaterThan(0);
      b.write(to, at + 5, 'latin1');
    }
    writeFileSync(iso, b);
    const k = await mountImage(iso);
    try {
      const before = k.msgbuf.length;
      expect(listDir(k, '/mnt', 4096).filter((n) => n !== '.' && n !== '..').sort()).toEqual(['plain.txt']);
      const msgs = k.msgbuf.slice(before);
      expect(msgs.some((m) => m.includes('"../../tmp/victim"') && m.endsWith("skipped: a name with '/'"))).toBe(true);
      expect(msgs.some((m) => m.includes('"nul\\u0000name"') && m.endsWith('skipped: a name with NUL'))).toBe(true);
      // The names cannot be reached as paths either.
      expect(() => k.proc.open('/mnt/nul\0name', O_RDONLY)).toThrow(/EINVAL/);
      k.proc.unmount('/mnt');
    } finally {
      k.halt();
    }
  });
});
