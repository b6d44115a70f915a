/**
 * Host names are bytes: a host entry whose name is not valid UTF-8 appears in the kernel as
 * librump's decodeName of its bytes (each stray byte as U+DC00 + byte), and a kernel name holding
 * such escapes reaches the host as its exact bytes — listing, lookup, reading, creating, renaming,
 * symlinks, removal — under both kinds of host walk.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeName, O_CREAT, O_RDONLY, O_WRONLY, RUMP_ETFS_DIR_SUBDIRS, type Proc } from '@rumpts/librump';
import { etfsOf } from '../src/index.js';
import { code, dec, enc, etfsKernel, hostdir } from './helpers.js';

const b = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));
const at = (dir: string, ...names: Buffer[]): Buffer => Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from('/'), n])]);

function readAll(p: Proc, path: string): string {
  const fd = p.open(path, O_RDONLY);
  const buf = new Uint8Array(4096);
  const n = p.read(fd, buf);
  p.close(fd);
  return dec(buf.subarray(0, n));
}

/** Host names of `dir` as hex (exact bytes, order-free). */
const hostHex = (dir: Buffer | string): string[] => readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort();

for (const procfd of [true, false]) {
  describe(`etfs byte names (${procfd ? '/proc/self/fd walks' : 'portable lstat walks'})`, () => {
    async function setup() {
      const d = hostdir();
      const e9 = b('caf', [0xe9]);
      const e8 = b('caf', [0xe8]);
      const sub = b('d', [0xff]);
      writeFileSync(at(d, e9), 'latin-1 e9');
      writeFileSync(at(d, e8), 'latin-1 e8');
      writeFileSync(at(d, b('caf\uFFFD')), 'a real U+FFFD');
      mkdirSync(at(d, sub));
      writeFileSync(at(d, sub, b('x', [0xe9])), 'deep');
      symlinkSync(e9, at(d, b('l', [0xe9])));
      const k = await etfsKernel();
      etfsOf(k).hostRootOptions = { procfd };
      k.etfsRegister('/h', d, RUMP_ETFS_DIR_SUBDIRS);
      return { d, p: k.proc };
    }

    it('lists, looks up, reads and follows host names that are not UTF-8 as their escaped decoding', async () => {
      const { d, p } = await setup();
      const fd = p.open('/h', O_RDONLY);
      const names = p.getdents(fd).map((e) => e.name);
      p.close(fd);
      // Each name is its host bytes decoded, so three names that all show as "caf?" stay three.
      expect(names.sort()).toEqual(readdirSync(d, { encoding: 'buffer' }).map((n) => decodeName(n)).sort());
      expect(names).toContain('caf\uDCE9');
      expect(names).toContain('caf\uDCE8');
      expect(names).toContain('caf\uFFFD');
      expect(readAll(p, '/h/caf\uDCE9')).toBe('latin-1 e9');
      expect(readAll(p, '/h/caf\uDCE8')).toBe('latin-1 e8');
      expect(readAll(p, '/h/caf\uFFFD')).toBe('a real U+FFFD');
      expect(readAll(p, '/h/d\uDCFF/x\uDCE9')).toBe('deep');
      const sfd = p.open('/h/d\uDCFF', O_RDONLY);
      expect(p.getdents(sfd).map((e) => e.name)).toEqual(['x\uDCE9']);
      p.close(sfd);
      // A link target is bytes too: shown escaped, and followed to the very entry.
      expect(p.readlink('/h/l\uDCE9')).toBe('caf\uDCE9');
      expect(readAll(p, '/h/l\uDCE9')).toBe('latin-1 e9');
      expect(p.stat('/h/caf\uDCE9').size).toBe(10);
    });

    it('creates, renames, links and removes with the exact host bytes', async () => {
      const { d, p } = await setup();
      const before = hostHex(d);
      const fd = p.open('/h/new\uDCE0', O_CREAT | O_WRONLY, 0o644);
      p.write(fd, enc('made'));
      p.close(fd);
      expect(readFileSync(at(d, b('new', [0xe0])), 'utf8')).toBe('made');
      p.mkdir('/h/dir\uDCC0', 0o755);
      p.rename('/h/new\uDCE0', '/h/dir\uDCC0/moved\uDCA0');
      expect(readFileSync(at(d, b('dir', [0xc0]), b('moved', [0xa0])), 'utf8')).toBe('made');
      p.symlink('../caf\uDCE8', '/h/dir\uDCC0/ln\uDCE8');
      expect(readlinkSync(at(d, b('dir', [0xc0]), b('ln', [0xe8])), { encoding: 'buffer' })).toEqual(b('../caf', [0xe8]));
      expect(readAll(p, '/h/dir\uDCC0/ln\uDCE8')).toBe('latin-1 e8');
      p.link('/h/caf\uDCE9', '/h/hard\uDCE9');
      expect(readFileSync(at(d, b('hard', [0xe9])), 'utf8')).toBe('latin-1 e9');
      p.unlink('/h/hard\uDCE9');
      p.unlink('/h/caf\uDCE8');
      expect(existsSync(at(d, b('caf', [0xe8])))).toBe(false);
      p.unlink('/h/dir\uDCC0/ln\uDCE8');
      p.unlink('/h/dir\uDCC0/moved\uDCA0');
      p.rmdir('/h/dir\uDCC0');
      // Nothing was made under a look-alike name (UTF-8 of U+FFFD for a lone surrogate).
      expect(hostHex(d)).toEqual(before.filter((h) => h !== b('caf', [0xe8]).toString('hex')));
    });

    it('refuses a lone surrogate that stands for no byte (EILSEQ), making nothing on the host', async () => {
      const { d, p } = await setup();
      const before = hostHex(d);
      expect(code(() => p.open('/h/bad\uD800', O_CREAT | O_WRONLY, 0o644))).toBe('EILSEQ');
      expect(code(() => p.mkdir('/h/bad\uDC00', 0o755))).toBe('EILSEQ');
      expect(hostHex(d)).toEqual(before);
    });
  });
}
