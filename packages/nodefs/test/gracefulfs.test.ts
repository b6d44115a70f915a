/**
 * graceful-fs, as its users apply it: `gracefulify(fs)` patches an fs object in place so that opens
 * failing with EMFILE wait in a queue and are retried as descriptors close. A kernel process has a
 * descriptor table of 1024 (RLIMIT_NOFILE), so 1,100 files held open at once overflow it: without
 * graceful-fs some opens fail with EMFILE (Node-shaped, so graceful-fs recognises it), with it every
 * one succeeds — and the contents read match the same work on a host directory.
 */
import * as host from 'node:fs';
import gracefulFs from 'graceful-fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RumpFs } from '../src/index.js';
import { hostTmp, tmpfsFs } from './helpers.js';

const N = 1100;

type CbFs = Pick<typeof host, 'open' | 'read' | 'close'>;

/** Open all N files at once, read each, close it a moment later; the texts read, or the error codes. */
function readAllAtOnce(fs: CbFs, dir: string): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<string>((resolve) => {
          fs.open(`${dir}/f${i}`, 'r', (err, fd) => {
            if (err) return resolve(`error ${err.code}`);
            const buf = Buffer.alloc(16);
            fs.read(fd, buf, 0, 16, 0, (e2, n) => {
              // hold the descriptor a little, so that many are open at once
              setTimeout(() => fs.close(fd, () => resolve(e2 ? `error ${e2.code}` : buf.subarray(0, n).toString())), 5);
            });
          });
        }),
    ),
  );
}

function makeFiles(fs: Pick<RumpFs, 'writeFileSync'> | typeof host, dir: string): void {
  for (let i = 0; i < N; i++) fs.writeFileSync(`${dir}/f${i}`, `file ${i}`);
}

/** A host directory in memory where there is one (/dev/shm): the host side writes 1,100 files. */
function hostMemTmp(): string {
  if (!host.existsSync('/dev/shm')) return hostTmp();
  const d = host.mkdtempSync('/dev/shm/rumpts-gfs-');
  onTestFinished(() => host.rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('graceful-fs over the facade', () => {
  it('gracefulify(fs) queues EMFILE opens and retries them: every file is read, as on the host', async () => {
    const hostDir = hostMemTmp();
    makeFiles(host, hostDir);
    const expected = await readAllAtOnce(host, hostDir);
    expect(expected[7]).toBe('file 7');

    const { fs } = await tmpfsFs();
    fs.mkdirSync('/many');
    makeFiles(fs, '/many');
    // plain facade: the descriptor table overflows, Node-shaped
    const plain = await readAllAtOnce(fs, '/many');
    expect(plain.filter((r) => r === 'error EMFILE').length).toBeGreaterThan(0);

    const { fs: fresh } = await tmpfsFs();
    fresh.mkdirSync('/many');
    makeFiles(fresh, '/many');
    const patched = gracefulFs.gracefulify(fresh as unknown as typeof host);
    expect(await readAllAtOnce(patched, '/many')).toEqual(expected);
  });
});
