/**
 * Names are bytes (librump names.ts): tmpfs keeps names as strings, so a name holding escaped bytes
 * (U+DC80..U+DCFF, bytes that are not UTF-8) round-trips as it is; what must hold is that every byte
 * count — a symlink's size, NAME_MAX — counts such a byte as one.
 */
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY, type Proc, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { expectErrno } from '@rumpts/rumpvfs/testkit';
import * as tmpfs from '../src/index.js';

function put(p: Proc, path: string, data: string): void {
  const fd = p.open(path, O_WRONLY | O_CREAT, 0o644);
  p.write(fd, Buffer.from(data));
  p.close(fd);
}

function get(p: Proc, path: string): string {
  const fd = p.open(path, O_RDONLY);
  const b = new Uint8Array(64);
  const n = p.read(fd, b);
  p.close(fd);
  return Buffer.from(b.subarray(0, n)).toString();
}

function list(p: Proc, path: string): string[] {
  const fd = p.open(path, O_RDONLY);
  const names: string[] = [];
  for (let b = p.getdents(fd); b.length > 0; b = p.getdents(fd)) names.push(...b.map((d) => d.name));
  p.close(fd);
  return names.filter((n) => n !== '.' && n !== '..').sort();
}

describe('tmpfs names are bytes', () => {
  it('escaped names round-trip and count one byte per escaped byte', async () => {
    const kernel = await rump_init({ libraries: [rumpvfs, tmpfs] });
    const p = kernel.proc;
    p.mkdir('/mnt', 0o755);
    p.mount('tmpfs', '/mnt', 0, {});
    put(p, '/mnt/caf\uDCE9', 'one');
    put(p, '/mnt/caf\uDCE8', 'two');
    put(p, '/mnt/caf\uFFFD', 'three');
    p.mkdir('/mnt/d\uDCE9', 0o755);
    p.rename('/mnt/caf\uDCE8', '/mnt/d\uDCE9/x\uDCFF');
    expect(list(p, '/mnt')).toEqual(['caf\uDCE9', 'caf\uFFFD', 'd\uDCE9'].sort());
    expect(get(p, '/mnt/caf\uDCE9')).toBe('one');
    expect(get(p, '/mnt/caf\uFFFD')).toBe('three');
    expect(get(p, '/mnt/d\uDCE9/x\uDCFF')).toBe('two');
    // A symlink's size is its target's bytes: three here, not the seven of U+FFFD-encoded escapes.
    p.symlink('t\uDCE9\uDCE8', '/mnt/l\uDCE9');
    expect(p.lstat('/mnt/l\uDCE9').size).toBe(3);
    expect(p.readlink('/mnt/l\uDCE9')).toBe('t\uDCE9\uDCE8');
    // NAME_MAX (255 bytes) counts an escaped byte as one.
    put(p, `/mnt/${'\uDCE9'.repeat(255)}`, 'long');
    expect(get(p, `/mnt/${'\uDCE9'.repeat(255)}`)).toBe('long');
    expectErrno('ENAMETOOLONG', () => put(p, `/mnt/${'\uDCE9'.repeat(256)}`, 'x'), '256 escaped bytes');
    // No byte form, no name.
    expectErrno('EILSEQ', () => put(p, '/mnt/bad\uD800', 'x'), 'lone surrogate');
    p.unmount('/mnt', 0);
    kernel.halt();
  });
});
