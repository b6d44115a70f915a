/**
 * `fsu --server URL …` streams as the image commands do: byte-exact into a slow pipe, quiet on a closed
 * one, `df PATH` for any mount, and every operand tried.
 */
import { exec } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startInProcess } from './helpers.js';

const require = createRequire(import.meta.url);
const ukfsDir = dirname(require.resolve('@rumpts/ukfs/package.json'));
const FSU = join(ukfsDir, (JSON.parse(readFileSync(join(ukfsDir, 'package.json'), 'utf8')) as { bin: { fsu: string } }).bin.fsu);

/** A bash script with the shell function `fsu` (the server is in this process: run it asynchronously). */
function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    exec(`fsu() { "$FSU_NODE" "$FSU_MAIN" "$@"; }\n${script}`, { shell: '/bin/bash', env: { ...process.env, FSU_NODE: process.execPath, FSU_MAIN: FSU }, timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

const SLOW_READER = `python3 -c 'import sys,time
i=sys.stdin.buffer; o=sys.stdout.buffer
while True:
    b=i.read1(8192)
    if not b: break
    o.write(b); time.sleep(0.002)
'`;

describe('fsu --server streams', () => {
  it('cat into a slow pipe is exact; a closed pipe ends quietly; df PATH; bad operands do not stop the rest', async () => {
    const s = await startInProcess();
    try {
      const big = randomBytes(1536 * 1024 + 77);
      const host = join(s.dir, 'big');
      writeFileSync(host, big);
      expect((await sh(`fsu --server "${s.url}" put "${host}" /tmp/big`)).code).toBe(0);
      const out = join(s.dir, 'out');
      const slow = await sh(`fsu --server "${s.url}" cat /tmp/big | ${SLOW_READER} > "${out}"; echo "\${PIPESTATUS[@]}"`);
      expect(slow.stderr).toBe('');
      expect(slow.stdout.trim()).toBe('0 0');
      expect(readFileSync(out).equals(big)).toBe(true);

      const closed = await sh(`fsu --server "${s.url}" cat /tmp/big | (exec 0<&-; sleep 0); echo "\${PIPESTATUS[0]}"; fsu --server "${s.url}" ls -R / | head -1 >/dev/null`);
      expect(closed.stderr).toBe('');
      expect(closed.stdout.trim()).toBe('141');

      const df = await sh(`fsu --server "${s.url}" df /tmp /`);
      expect(df.code).toBe(0);
      const rows = df.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
      expect(rows.map((r) => r.at(-1))).toEqual(['/tmp', '/']);
      expect(rows[0]?.at(-2)).toBe('tmpfs');

      const cat = await sh(`fsu --server "${s.url}" cat /tmp/nope /tmp/big | cmp - "${host}"`);
      expect(cat.stderr).toBe('fsu: /tmp/nope: No such file or directory\n');
      expect(cat.code).toBe(0); // cmp: the good operand came through whole
      const rm = await sh(`fsu --server "${s.url}" rm /tmp/nope /tmp/big`);
      expect(rm.code).toBe(1);
      expect(() => s.kernel.proc.stat('/tmp/big')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    } finally {
      await s.stop();
    }
  });
});
