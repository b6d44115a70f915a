/**
 * put -r / get -r with fifos, device nodes and sockets, as cp -R: fifos and devices are recreated as
 * such (devices on the host only as root — otherwise a warning), sockets are reported, and the copy
 * goes on with everything after them (exit 1 at the end when something was not copied).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsu } from './fsu-helpers.js';
import { tmp } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Linux dev_t (as Node's stat gives it) → [major, minor]. */
const majmin = (rdev: number): [number, number] => [Number((BigInt(rdev) >> 8n) & 0xfffn), Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn))];

/** A unix socket file at `path` (python binds it and exits; the file stays). */
function makeSocket(path: string): void {
  execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
}

describe('fsu put -r / get -r with special files', () => {
  it('recreates fifos and device nodes both ways, reports sockets, and copies what follows them', () => {
    const d = tmp();
    const src = join(d, 'src');
    mkdirSync(join(src, 'dev'), { recursive: true });
    execFileSync('mkfifo', ['-m', '640', join(src, 'dev', 'fifo')]);
    if (isRoot) execFileSync('mknod', ['-m', '666', join(src, 'dev', 'null'), 'c', '1', '3']);
    makeSocket(join(src, 'dev', 'sock'));
    writeFileSync(join(src, 'dev', 'zz-after.txt'), 'after the specials\n');
    mkdirSync(join(src, 'zz-dir'));
    writeFileSync(join(src, 'zz-dir', 'last.txt'), 'last\n');
    const img = join(d, 'img');
    expect(fsu(['newfs', '-s', '8m', img]).code).toBe(0);

    const put = fsu(['put', '-r', img, src, '/tree']);
    expect(put.stderr).toBe(`fsu: ${join(src, 'dev', 'sock')}: is a socket; sockets are not copied\n`);
    expect(put.code).toBe(1);
    const ls = fsu(['ls', '-l', img, '/tree/dev']).stdout;
    expect(ls).toMatch(/^prw-r----- .* fifo$/m);
    if (isRoot) expect(ls).toMatch(/^crw-r[w-]-r[w-]- +1 0 +0 +1, 3 .* null$/m); // 0666 less the umask, as cp -R makes it
    expect(fsu(['cat', img, '/tree/dev/zz-after.txt', '/tree/zz-dir/last.txt']).stdout).toBe('after the specials\nlast\n');
    const fls = spawnSync('fls', ['-r', '-p', '-f', 'ufs2', img], { encoding: 'utf8' });
    if (fls.status === 0) {
      // sleuthkit reads the same types from the inodes.
      expect(fls.stdout).toMatch(/^p\/p \d+:\ttree\/dev\/fifo$/m);
      if (isRoot) expect(fls.stdout).toMatch(/^c\/c \d+:\ttree\/dev\/null$/m);
    }

    // And back out: as root, devices too.
    const out = join(d, 'out');
    const get = fsu(['get', '-r', img, '/tree', out]);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    expect(lstatSync(join(out, 'dev', 'fifo')).isFIFO()).toBe(true);
    expect(lstatSync(join(out, 'dev', 'fifo')).mode & 0o777).toBe(0o640);
    if (isRoot) {
      const st = lstatSync(join(out, 'dev', 'null'));
      expect(st.isCharacterDevice()).toBe(true);
      expect(majmin(st.rdev)).toEqual([1, 3]);
    }
    expect(readFileSync(join(out, 'dev', 'zz-after.txt'), 'utf8')).toBe('after the specials\n');
    expect(readFileSync(join(out, 'zz-dir', 'last.txt'), 'utf8')).toBe('last\n');

    // Without root, a device node is a warning, and the rest is still copied.
    if (isRoot) {
      chmodSync(d, 0o777);
      chmodSync(img, 0o666);
      const asNobody = join(d, 'nobody');
      const r = fsu(['get', '-r', img, '/tree', asNobody], undefined, { uid: NOBODY, gid: NOBODY });
      expect(r.stderr).toBe('fsu: /tree/dev/null: is a character device (1, 3); only root can make device nodes on the host (not copied)\n');
      expect(r.code).toBe(1);
      expect(lstatSync(join(asNobody, 'dev', 'fifo')).isFIFO()).toBe(true);
      expect(readFileSync(join(asNobody, 'zz-dir', 'last.txt'), 'utf8')).toBe('last\n');
    }
  });
});
