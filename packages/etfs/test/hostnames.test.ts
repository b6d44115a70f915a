/**
 * Host names that are not valid UTF-8: hostDirNames gives them as their bytes (and every other name
 * as readdirSync(…).sort() does), hostNameText escapes their bad bytes for messages, and hostLstat
 * takes such a path.
 */
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ST_FIELDS, ST_SIZE, hostDirNames, hostErrorMessage, hostLstat, hostNameText, joinHostName, undecodableNames } from '../src/index.js';
import { hostdir } from './helpers.js';

const b = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('hostDirNames', () => {
  it('is readdirSync(…).sort() for UTF-8 names, a real U+FFFD included', () => {
    const t = hostdir();
    for (const n of ['b', 'a', 'Z', 'é', 'real\uFFFD', '日本', '\u{1F600}', 'ﬀ']) writeFileSync(join(t, n), '');
    expect(hostDirNames(t)).toEqual(readdirSync(t).sort());
    expect(hostDirNames(t).every((n) => typeof n === 'string')).toBe(true);
  });

  it('gives a name that is not UTF-8 as its bytes, in the order of its decoding, under a byte path too', () => {
    const t = hostdir();
    const bad = b('caf', [0xe9], '.txt');
    const clash = b('real', [0xff]);
    for (const n of [b('a'), b('z'), bad, b('real\uFFFD'), clash]) writeFileSync(Buffer.concat([Buffer.from(`${t}/`), n]), '');
    const got = hostDirNames(t);
    expect(got).toEqual(['a', bad, 'real\uFFFD', clash, 'z']);
    const undec = undecodableNames(t);
    expect([...undec.keys()].sort()).toEqual(['caf\uFFFD.txt', 'real\uFFFD']);
    expect(undec.get('real\uFFFD')).toEqual([clash]);
    // A directory whose own name is not UTF-8, given as bytes.
    const dir = joinHostName(t, b('d', [0xe9]));
    expect(Buffer.isBuffer(dir)).toBe(true);
    mkdirSync(dir);
    writeFileSync(joinHostName(dir, 'x'), 'abc');
    writeFileSync(joinHostName(dir, bad), 'abcd');
    expect(hostDirNames(dir)).toEqual([bad, 'x']);
    const st = new Float64Array(ST_FIELDS);
    hostLstat(joinHostName(dir, bad), st);
    expect(st[ST_SIZE]).toBe(4);
    expect(st[ST_SIZE]).toBe(lstatSync(joinHostName(dir, bad)).size);
  });
});

describe('hostNameText', () => {
  it('keeps valid UTF-8 and escapes each byte that is not', () => {
    expect(hostNameText('plain/é')).toBe('plain/é');
    expect(hostNameText(b('sub/caf', [0xe9], '.txt'))).toBe('sub/caf\\xe9.txt');
    expect(hostNameText(b('ok-é-\uFFFD-日-\u{1F600}'))).toBe('ok-é-\uFFFD-日-\u{1F600}');
    // Overlong '/', a surrogate, above U+10FFFF, a lone continuation byte, a cut-short sequence.
    expect(hostNameText(b([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
    expect(hostNameText(b([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
    expect(hostNameText(b([0xf4, 0x90, 0x80, 0x80]))).toBe('\\xf4\\x90\\x80\\x80');
    expect(hostNameText(b('a', [0x80], 'b'))).toBe('a\\x80b');
    expect(hostNameText(b('x', [0xe6, 0x97]))).toBe('x\\xe6\\x97');
  });
});

describe('hostErrorMessage', () => {
  it("drops a path Node shows with U+FFFD (the caller names it as \\xNN), keeps any other message whole", () => {
    const t = hostdir();
    const gone = joinHostName(t, b('caf', [0xe9]));
    let err: unknown;
    try {
      lstatSync(gone);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain('\uFFFD');
    expect(hostErrorMessage(err)).toBe('ENOENT: no such file or directory, lstat');
    let plain: unknown;
    try {
      lstatSync(join(t, 'absent'));
    } catch (e) {
      plain = e;
    }
    expect(hostErrorMessage(plain)).toBe((plain as Error).message);
    expect(hostErrorMessage(plain)).toContain('absent');
  });
});
