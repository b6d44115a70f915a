import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostBlockDevice, HostFileBlockDevice, WRITEBACK_BYTES } from '../src/index.js';
import { code, hostdir } from './helpers.js';

/** A host file whose byte i is i & 0xff. */
function counting(size: number): string {
  const f = join(hostdir(), 'img');
  writeFileSync(f, Uint8Array.from({ length: size }, (_, i) => i & 0xff));
  return f;
}

describe('the host block device (one class for rumpblk and rumpdev-disk)', () => {
  it('readv and writev move a run of buffers in one go, at the window offset', () => {
    const f = counting(8192);
    const dev = new HostFileBlockDevice(f, { begin: 1024, size: 4096 });
    const a = new Uint8Array(512);
    const b = new Uint8Array(1024);
    dev.readv([a, b], 512);
    expect(a[0]).toBe((1024 + 512) & 0xff);
    expect(b[1023]).toBe((1024 + 512 + 512 + 1023) & 0xff);
    dev.writev([new Uint8Array(512).fill(7), new Uint8Array(512).fill(9)], 3072);
    const host = readFileSync(f);
    expect(host[1024 + 3072]).toBe(7);
    expect(host[1024 + 3584]).toBe(9);
    expect(host[1024 + 4096]).toBe((1024 + 4096) & 0xff); // past the window: untouched
    expect(code(() => dev.writev([new Uint8Array(512), new Uint8Array(512)], 3584))).toBe('ENXIO');
    dev.close();
  });

  it("tail 'truncate' (rumpdev-disk): whole sectors only, and a host file that shrank is EIO", () => {
    const f = counting(3000);
    const dev = new HostFileBlockDevice(f);
    expect(dev.size).toBe(2560);
    truncateSync(f, 1000);
    expect(code(() => dev.read(new Uint8Array(1024), 1024))).toBe('EIO');
    dev.close();
  });

  it("tail 'zero' (rumpblk): the window to the byte; its last partial sector and a shrunk host file read as zeros", () => {
    const f = counting(4000);
    const dev = new HostBlockDevice(f, 100, 1000);
    expect(dev.size).toBe(1000);
    const b = new Uint8Array(1024).fill(0xee);
    dev.read(b, 0);
    expect(b[999]).toBe((100 + 999) & 0xff);
    expect(b.subarray(1000).every((x) => x === 0)).toBe(true);
    const v = [new Uint8Array(512).fill(0xee), new Uint8Array(512).fill(0xee)];
    dev.readv(v, 0);
    expect(v[1]![487]).toBe((100 + 999) & 0xff);
    expect(v[1]!.subarray(488).every((x) => x === 0)).toBe(true);
    // The partial sector is never written (the host bytes past the window stay).
    expect(code(() => dev.write(new Uint8Array(512), 512))).toBe('ENXIO');
    truncateSync(f, 600);
    const s = new Uint8Array(1024).fill(0xee);
    dev.read(s, 0);
    expect(s[499]).toBe((100 + 499) & 0xff);
    expect(s.subarray(500).every((x) => x === 0)).toBe(true);
    dev.close();
  });

  it('a read-only device refuses writes; closed, it refuses everything', () => {
    const f = counting(4096);
    const ro = new HostFileBlockDevice(f, { readonly: true });
    expect(ro.readonly).toBe(true);
    expect(code(() => ro.write(new Uint8Array(512), 0))).toBe('EROFS');
    expect(code(() => ro.writev([new Uint8Array(512)], 0))).toBe('EROFS');
    ro.flush();
    ro.close();
    expect(code(() => ro.read(new Uint8Array(512), 0))).toBe('ENXIO');
  });

  it.skipIf(process.platform !== 'linux')('writeback: past WRITEBACK_BYTES written the host writes back early, through a second descriptor that is gone after close', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const f = join(hostdir(), 'wb');
    writeFileSync(f, '');
    truncateSync(f, 3 * WRITEBACK_BYTES);
    const before = fds();
    const chunk = new Uint8Array(1 << 20);
    const fill = (dev: HostFileBlockDevice, v: number): void => {
      for (let off = 0; off < 2 * WRITEBACK_BYTES; off += chunk.length) dev.write(chunk.fill((v + off / chunk.length) & 0xff), off);
    };
    // Without the option: one descriptor, as ever.
    const plain = new HostFileBlockDevice(f);
    fill(plain, 1);
    expect(fds()).toBe(before + 1);
    plain.flush();
    plain.close();
    expect(fds()).toBe(before);

    const dev = new HostFileBlockDevice(f, { writeback: true });
    fill(dev, 7);
    expect(fds()).toBe(before + 2);
    dev.flush();
    dev.close();
    // The write-back descriptor closes once its write-backs are done (on the event loop).
    for (let i = 0; i < 1000 && fds() > before; i++) await new Promise((r) => setTimeout(r, 5));
    expect(fds()).toBe(before);
    const host = readFileSync(f);
    for (let i = 0; i < (2 * WRITEBACK_BYTES) / chunk.length; i++) expect(host[i * chunk.length + 100]).toBe((7 + i) & 0xff);
    expect(host[2 * WRITEBACK_BYTES]).toBe(0);
  });
});
