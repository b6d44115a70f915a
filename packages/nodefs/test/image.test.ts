/**
 * openImage: one call from a disk image to a facade, and nothing lost without close(). Images come
 * from Debian's makefs and xorriso; what the facade wrote is read back by sleuthkit (fls/icat), a
 * reader that shares nothing with ours. The exit-time sync is tested in child processes that end
 * the three ways a script ends: the event loop runs dry, process.exit(), a SIGTERM nobody handles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as host from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openImage } from '../src/index.js';
import { hostTmp, makeImage, sleuthRead } from './helpers.js';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('openImage', () => {
  it('opens an FFS image in one call; close() syncs so sleuthkit reads what was written', async () => {
    const img = makeImage(hostTmp(), 8, 64);
    const image = await openImage(img);
    const { fs } = image;
    expect(image.type).toBe('ffs');
    expect(fs.readFileSync('/seed.txt', 'utf8')).toBe('made by makefs\n');
    fs.mkdirSync('/a/b', { recursive: true });
    fs.writeFileSync('/a/b/hello.txt', 'hello from the facade\n');
    await fs.promises.writeFile('/big.bin', Buffer.alloc(300_000, 7));
    await image.close();
    expect(image.closed).toBe(true);
    expect(sleuthRead(img, 'a/b/hello.txt')?.toString()).toBe('hello from the facade\n');
    expect(sleuthRead(img, 'big.bin')?.equals(Buffer.alloc(300_000, 7))).toBe(true);
    // closed: every call fails Node-shaped, and closing again is harmless
    expect(() => fs.readFileSync('/seed.txt')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'open', path: '/seed.txt' }));
    await expect(image.close()).resolves.toBeUndefined();
    // the image was unmounted cleanly: it opens again with the file there
    const again = await openImage(img, { readOnly: true });
    expect(again.fs.readFileSync('/a/b/hello.txt', 'utf8')).toBe('hello from the facade\n');
    await again.close();
  });

  it('readOnly mounts refuse writes with EROFS; the WAPBL log option mounts and writes', async () => {
    const img = makeImage(hostTmp(), 8, 64);
    const ro = await openImage(img, { readOnly: true });
    expect(() => ro.fs.writeFileSync('/x', 'y')).toThrow(expect.objectContaining({ code: 'EROFS', syscall: 'open', path: '/x', message: "EROFS: read-only file system, open '/x'" }));
    await ro.close();
    const logged = await openImage(img, { log: true, type: 'ffs' });
    logged.fs.writeFileSync('/journaled.txt', 'j');
    await logged.close();
    expect(sleuthRead(img, 'journaled.txt')?.toString()).toBe('j');
  });

  it('detects cd9660 in an image xorriso made', async () => {
    const dir = hostTmp();
    host.mkdirSync(join(dir, 'iso/docs'), { recursive: true });
    host.writeFileSync(join(dir, 'iso/docs/readme.txt'), 'on a CD\n');
    const iso = join(dir, 'cd.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', iso, join(dir, 'iso')], { stdio: 'pipe' });
    await expect(openImage(iso)).rejects.toMatchObject({ code: 'EROFS', syscall: 'mount', message: expect.stringContaining('pass { readOnly: true }') });
    const image = await openImage(iso, { readOnly: true });
    expect(image.type).toBe('cd9660');
    expect(image.fs.readFileSync('/docs/readme.txt', 'utf8')).toBe('on a CD\n');
    expect(image.fs.readdirSync('/')).toEqual(['docs']);
    await image.close();
  });

  it('says what is wrong with what it was given, Node-shaped', async () => {
    const dir = hostTmp();
    await expect(openImage(join(dir, 'missing.img'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'stat' });
    await expect(openImage(dir)).rejects.toMatchObject({ code: 'EISDIR', syscall: 'open', path: dir, message: expect.stringContaining('a directory, not a disk image') });
    const junk = join(dir, 'junk.img');
    host.writeFileSync(junk, Buffer.alloc(1 << 20, 0x5a));
    await expect(openImage(junk)).rejects.toMatchObject({ code: 'EFTYPE', syscall: 'mount', path: junk, message: expect.stringContaining('no known file system on the image (ffs: ') });
    await expect(openImage(junk, { type: 'nosuchfs' })).rejects.toMatchObject({ code: 'ENODEV', syscall: 'mount' });
  });
});

/** Run a script (an ES module body with `openImage` and `img` in scope) in a child node process. */
function child(img: string, body: string): ReturnType<typeof spawnSync> {
  const script = `import { openImage } from ${JSON.stringify(DIST)};\nconst img = ${JSON.stringify(img)};\n${body}\n`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
}

describe('an image never closed is synced at process exit', () => {
  it('when the script simply ends (beforeExit)', () => {
    const img = makeImage(hostTmp(), 8, 64);
    const r = child(img, `const { fs } = await openImage(img);\nfs.writeFileSync('/ended.txt', 'the loop ran dry');`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sleuthRead(img, 'ended.txt')?.toString()).toBe('the loop ran dry');
  });

  it('on process.exit(), keeping the exit code', () => {
    const img = makeImage(hostTmp(), 8, 64);
    const r = child(img, `const { fs } = await openImage(img);\nfs.mkdirSync('/d');\nfs.writeFileSync('/d/exited.txt', 'process.exit');\nprocess.exit(3);`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(sleuthRead(img, 'd/exited.txt')?.toString()).toBe('process.exit');
  });

  it('on a SIGTERM nobody handles: synced, and the process still ends by the signal', () => {
    const img = makeImage(hostTmp(), 8, 64);
    const r = child(img, `const { fs } = await openImage(img);\nfs.writeFileSync('/killed.txt', 'SIGTERM');\nsetInterval(() => {}, 1000);\nprocess.kill(process.pid, 'SIGTERM');`);
    expect(r.signal).toBe('SIGTERM');
    expect(sleuthRead(img, 'killed.txt')?.toString()).toBe('SIGTERM');
  });

  it('leaves a SIGINT the program handles to the program', () => {
    const img = makeImage(hostTmp(), 8, 64);
    const r = child(
      img,
      `const image = await openImage(img);\nimage.fs.writeFileSync('/handled.txt', 'mine');\nconst t = setInterval(() => {}, 1000);\nprocess.on('SIGINT', async () => { console.log('closed before?', image.closed); clearInterval(t); await image.close(); });\nprocess.kill(process.pid, 'SIGINT');`,
    );
    expect(r.stdout).toBe('closed before? false\n');
    expect(r.status).toBe(0);
    expect(sleuthRead(img, 'handled.txt')?.toString()).toBe('mine');
  });
});
