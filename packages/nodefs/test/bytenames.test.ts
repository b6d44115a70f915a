/**
 * Names are bytes through the node:fs facade: a Buffer path reaches the kernel as exactly its bytes
 * (librump decodeName), a string name carries escaped bytes (U+DC80..U+DCFF) as it is, and where
 * node:fs offers `encoding: 'buffer'` (readdir, Dirent names, readlink, realpath, mkdtemp) the
 * facade gives a name's exact bytes — as node:fs does for a host file named `caf\xe9`; the hijack's cp
 * between kernel and host keeps such names both ways. Over tmpfs, which keeps the kernel's names as
 * they are.
 */
import * as nodeFs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDONLY, O_WRONLY, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as tmpfs from '@rumpts/rumpfs-tmpfs';
import { createFs, installHijack } from '../src/index.js';
import { hostTmp } from './helpers.js';

const b = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

async function fresh() {
  const k = await rump_init({ libraries: [rumpvfs, tmpfs] });
  k.proc.mkdir('/t', 0o755);
  k.proc.mount('tmpfs', '/t', 0, {});
  return { k, fs: createFs(k.proc) };
}

describe('node:fs facade: names are bytes', () => {
  it('Buffer paths that are not UTF-8 name their own files; readdir gives them back as strings with escapes, or exact bytes', async () => {
    const { k, fs } = await fresh();
    fs.writeFileSync(b('/t/caf', [0xe9]), 'e9');
    fs.writeFileSync(b('/t/caf', [0xe8]), 'e8');
    fs.writeFileSync('/t/caf\uFFFD', 'real U+FFFD');
    // Three files, not one overwritten twice: the kernel holds each name's bytes.
    expect(k.proc.getdents(k.proc.open('/t', 0), 65536).map((e) => e.name).filter((n) => !n.startsWith('.')).sort()).toEqual(['caf\uDCE8', 'caf\uDCE9', 'caf\uFFFD']);
    expect(fs.readFileSync(b('/t/caf', [0xe9]), 'utf8')).toBe('e9');
    expect(fs.readFileSync('/t/caf\uDCE8', 'utf8')).toBe('e8');
    expect(fs.readdirSync('/t').sort()).toEqual(['caf\uDCE8', 'caf\uDCE9', 'caf\uFFFD']);
    const raw = fs.readdirSync('/t', { encoding: 'buffer' }) as Buffer[];
    expect(raw.map((n) => n.toString('hex')).sort()).toEqual([b('caf', [0xe8]), b('caf', [0xe9]), b('caf\uFFFD')].map((n) => n.toString('hex')).sort());
    const dirents = fs.readdirSync(b('/t'), { withFileTypes: true, encoding: 'buffer' });
    expect(dirents.map((d) => (d.name as Buffer).toString('hex')).sort()).toEqual(raw.map((n) => n.toString('hex')).sort());
    expect(fs.readdirSync('/t', { encoding: 'latin1' }).sort()).toContain('caf\u00e9');
    // node:fs types opendir's encoding as a text one; both it and this facade honour 'buffer'.
    const dir = fs.opendirSync('/t', { encoding: 'buffer' as BufferEncoding });
    const seen: string[] = [];
    for (let d = dir.readSync(); d !== null; d = dir.readSync()) seen.push((d.name as unknown as Buffer).toString('hex'));
    dir.closeSync();
    expect(seen.sort()).toEqual(raw.map((n) => n.toString('hex')).sort());
  });

  it('readlink, realpath and mkdtemp give exact bytes with encoding: buffer', async () => {
    const { fs } = await fresh();
    fs.mkdirSync(b('/t/d', [0xff]));
    fs.writeFileSync(b('/t/d', [0xff], '/f', [0xe9]), 'x');
    fs.symlinkSync(b('d', [0xff], '/f', [0xe9]), b('/t/l', [0xe9]));
    expect(fs.readlinkSync('/t/l\uDCE9')).toBe('d\uDCFF/f\uDCE9');
    expect(fs.readlinkSync(b('/t/l', [0xe9]), { encoding: 'buffer' })).toEqual(b('d', [0xff], '/f', [0xe9]));
    expect(fs.realpathSync(b('/t/l', [0xe9]), { encoding: 'buffer' })).toEqual(b('/t/d', [0xff], '/f', [0xe9]));
    expect(fs.realpathSync('/t/l\uDCE9')).toBe('/t/d\uDCFF/f\uDCE9');
    const made = fs.mkdtempSync('/t/d\uDCFF/tmp-', { encoding: 'buffer' });
    expect(made.length).toBe(16);
    expect(made.subarray(0, 10)).toEqual(b('/t/d', [0xff], '/tmp-'));
    expect(fs.statSync(made).isDirectory()).toBe(true);
    expect((await fs.promises.readlink(b('/t/l', [0xe9]), 'buffer'))).toEqual(b('d', [0xff], '/f', [0xe9]));
  });
});

describe('installHijack: cp between the kernel and the host keeps names that are not UTF-8', () => {
  it('out of the kernel and back in, each name as its exact bytes', async () => {
    const { k } = await fresh();
    const p = k.proc;
    p.mkdir('/t/tree', 0o755);
    for (const [n, data] of [['caf\uDCE9', 'e9'], ['caf\uDCE8', 'e8'], ['caf\uFFFD', 'real']] as const) {
      const fd = p.open(`/t/tree/${n}`, O_CREAT | O_WRONLY, 0o644);
      p.write(fd, Buffer.from(data));
      p.close(fd);
    }
    p.mkdir('/t/tree/d\uDCFF', 0o755);
    p.symlink('../caf\uDCE9', '/t/tree/d\uDCFF/l\uDCE9');
    const host = hostTmp();
    const h = installHijack({ target: p, prefix: '/rumpbytes' });
    try {
      nodeFs.cpSync('/rumpbytes/t/tree', `${host}/out`, { recursive: true, verbatimSymlinks: true });
      await nodeFs.promises.cp(`${host}/out`, '/rumpbytes/t/back', { recursive: true, verbatimSymlinks: true });
    } finally {
      h.uninstall();
    }
    const at = (...parts: (string | number[])[]): Buffer => Buffer.concat([Buffer.from(`${host}/out/`), ...parts.map((x) => Buffer.from(x))]);
    expect(nodeFs.readdirSync(`${host}/out`, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort()).toEqual(
      [b('caf', [0xe8]), b('caf', [0xe9]), b('caf\uFFFD'), b('d', [0xff])].map((n) => n.toString('hex')).sort(),
    );
    expect(nodeFs.readFileSync(at('caf', [0xe9]), 'utf8')).toBe('e9');
    expect(nodeFs.readFileSync(at('caf', [0xe8]), 'utf8')).toBe('e8');
    expect(nodeFs.readlinkSync(at('d', [0xff], '/l', [0xe9]), { encoding: 'buffer' })).toEqual(b('../caf', [0xe9]));
    const back = (d: string): string[] => {
      const fd = p.open(d, O_RDONLY);
      const names = p.getdents(fd, 65536).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
      p.close(fd);
      return names;
    };
    expect(back('/t/back')).toEqual(['caf\uDCE8', 'caf\uDCE9', 'caf\uFFFD', 'd\uDCFF']);
    expect(p.readlink('/t/back/d\uDCFF/l\uDCE9')).toBe('../caf\uDCE9');
  });
});
