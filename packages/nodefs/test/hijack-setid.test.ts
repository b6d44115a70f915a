/**
 * Set-id bits do not cross onto the host from a nosuid mount (images are mounted nosuid unless
 * asked): copyFile and cp out of the kernel through the hijack write the permission bits without
 * S_ISUID/S_ISGID, as cp without -p does when it does not keep the owner — an untrusted image never
 * makes a set-user-id file on the host. A mount made `suid` keeps node:fs's behaviour (the mode as
 * it is). The image is Debian makefs's, its modes from an mtree spec.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MNT_NOSUID, MNT_RDONLY } from '@rumpts/librump';
import { UkfsLib } from '@rumpts/ukfs';
import { installHijack } from '../src/index.js';
import { hostTmp } from './helpers.js';

/** An FFS image with a set-user-id file, a set-group-id file and a set-group-id directory holding another set-user-id file. */
function setidImage(root: string): string {
  const src = join(root, 'src');
  fs.mkdirSync(join(src, 'd'), { recursive: true });
  for (const f of ['prog', 'gprog', 'd/inner']) fs.writeFileSync(join(src, f), `#!/bin/sh\necho ${f}\n`);
  const spec = [
    '/set type=file uid=0 gid=0 mode=0644',
    '. type=dir mode=0755',
    'prog type=file mode=04755',
    'gprog type=file mode=02755',
    'd type=dir mode=02775',
    'inner type=file mode=04711',
    '..',
  ];
  fs.writeFileSync(join(root, 'spec'), `${spec.join('\n')}\n`);
  const img = join(root, 'setid.img');
  execFileSync('makefs', ['-t', 'ffs', '-o', 'version=2', '-F', join(root, 'spec'), '-s', '2m', img, src], { stdio: 'pipe' });
  return img;
}

const modeOf = (p: string): number => fs.statSync(p).mode & 0o7777;

/** Mount the image (`suid` or not) and hijack /rumpsid onto the kernel while `fn` runs. */
async function withImage(suid: boolean, fn: (host: string) => void | Promise<void>): Promise<void> {
  const t = hostTmp();
  const img = setidImage(t);
  const lib = await UkfsLib.init({ logger: () => undefined });
  try {
    await lib.ensureFs('ffs');
    const h = lib.mount('ffs', img, { flags: MNT_RDONLY, mountpath: '/img', suid });
    expect((h.statvfs().flag & MNT_NOSUID) !== 0).toBe(!suid);
    // The image holds the bits either way; the mount decides whether they count.
    expect(lib.kernel.proc.stat('/img/prog').mode & 0o7777).toBe(0o4755);
    const hijack = installHijack({ target: lib.kernel.proc, prefix: '/rumpsid' });
    try {
      await fn(t);
    } finally {
      hijack.uninstall();
    }
  } finally {
    lib.halt();
  }
}

describe('set-id bits copied out of the kernel', () => {
  it('a nosuid mount (the default): copyFile and cp, sync and asynchronous, drop them on the host', async () => {
    await withImage(false, async (t) => {
      fs.copyFileSync('/rumpsid/img/prog', join(t, 'a'));
      await fs.promises.copyFile('/rumpsid/img/gprog', join(t, 'b'));
      fs.cpSync('/rumpsid/img/prog', join(t, 'c'));
      fs.cpSync('/rumpsid/img', join(t, 'tree'), { recursive: true });
      await fs.promises.cp('/rumpsid/img', join(t, 'tree2'), { recursive: true });
      expect(fs.readFileSync(join(t, 'a'), 'utf8')).toBe('#!/bin/sh\necho prog\n');
      expect(modeOf(join(t, 'a'))).toBe(0o755);
      expect(modeOf(join(t, 'b'))).toBe(0o755);
      expect(modeOf(join(t, 'c'))).toBe(0o755);
      for (const tree of ['tree', 'tree2']) {
        expect(modeOf(join(t, tree, 'prog'))).toBe(0o755);
        expect(modeOf(join(t, tree, 'gprog'))).toBe(0o755);
        expect(modeOf(join(t, tree, 'd'))).toBe(0o775);
        expect(modeOf(join(t, tree, 'd/inner'))).toBe(0o711);
        expect(fs.readFileSync(join(t, tree, 'd/inner'), 'utf8')).toBe('#!/bin/sh\necho d/inner\n');
      }
    });
  });

  it('a mount made suid keeps node:fs behaviour: the mode as the image has it', async () => {
    await withImage(true, (t) => {
      fs.cpSync('/rumpsid/img', join(t, 'tree'), { recursive: true });
      expect(modeOf(join(t, 'tree/prog'))).toBe(0o4755);
      expect(modeOf(join(t, 'tree/d/inner'))).toBe(0o4711);
      fs.copyFileSync('/rumpsid/img/prog', join(t, 'a'));
      expect(modeOf(join(t, 'a')) & 0o4000).toBe(0o4000);
    });
  });
});
