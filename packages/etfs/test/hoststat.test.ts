/**
 * hostLstat (the makefs tools' allocation-free lstat) gives what the public BigIntStats gives, field for
 * field, on every kind of entry makefs meets — times before 1970 included.
 */
import { linkSync, lstatSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ST_ATIME, ST_FIELDS, ST_INO, fromBigInt, hostLinkKey, hostLstat } from '../src/index.js';
import { hostdir } from './helpers.js';

describe('hostLstat', () => {
  it('matches lstatSync(…, { bigint: true }) on files, directories, links, fifos and old times', () => {
    const t = hostdir();
    const p = (n: string): string => join(t, n);
    mkdirSync(p('dir'));
    writeFileSync(p('file'), 'x'.repeat(5000));
    linkSync(p('file'), p('link'));
    symlinkSync('file', p('sym'));
    writeFileSync(p('old'), '');
    utimesSync(p('old'), new Date(-18446399500), new Date(-1));
    const hasFifo = spawnSync('mkfifo', [p('fifo')]).status === 0;
    const names = ['dir', 'file', 'link', 'sym', 'old', ...(hasFifo ? ['fifo'] : [])];
    const got = new Float64Array(ST_FIELDS);
    const want = new Float64Array(ST_FIELDS);
    for (const n of names) {
      hostLstat(p(n), got);
      const st = lstatSync(p(n), { bigint: true });
      fromBigInt(st, want);
      // atime may move between the two calls on some mounts: compare the rest, and atime's form.
      expect([...got.subarray(0, ST_ATIME), ...got.subarray(ST_ATIME + 2)], n).toEqual([...want.subarray(0, ST_ATIME), ...want.subarray(ST_ATIME + 2)]);
      expect(Number(st.mode), n).toBe(got[1]);
      expect(BigInt(got[ST_ATIME + 2]!) * 1_000_000_000n + BigInt(got[ST_ATIME + 3]!), n).toBe(st.mtimeNs);
      for (let f = ST_ATIME + 1; f < ST_FIELDS; f += 2) expect(got[f]! >= 0 && got[f]! < 1e9, `${n} field ${f}`).toBe(true);
    }
    const key = (n: string): string => {
      hostLstat(p(n), got);
      return hostLinkKey(p(n), got);
    };
    const big = lstatSync(p('file'), { bigint: true });
    expect(key('link')).toBe(`${big.dev}:${big.ino}`);
    expect(key('file')).toBe(key('link'));
    expect(key('old')).not.toBe(key('file'));
    // A number past 2^53 is not trusted: the BigIntStats gives the key.
    got[ST_INO] = 2 ** 60;
    expect(hostLinkKey(p('file'), got)).toBe(`${big.dev}:${big.ino}`);
    expect(() => hostLstat(p('absent'), got)).toThrow(/ENOENT/);
    expect(() => hostLstat(`${p('file')}\0x`, got)).toThrow();
  });
});
