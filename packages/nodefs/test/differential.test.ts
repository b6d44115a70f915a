/**
 * The same script of node:fs calls run twice: on the host's real node:fs inside a temporary
 * directory, and on the facade over a tmpfs in a rump kernel. Results and error shapes (code,
 * syscall, path, dest, errno) must come out the same — the host's Node is the oracle.
 */
import * as hostFs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostTmp, tmpfsFs } from './helpers.js';
import { asyncScript, script } from './script.js';

describe('the facade against the host node:fs', () => {
  it('gives the same results and error shapes for the same script', async () => {
    const host = hostTmp();
    const expected = script(hostFs, host);
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/diffroot');
    const actual = script(fs, '/diffroot');
    // name is 'Error' for system errors and 'TypeError' for argument errors on both sides
    for (const k of Object.keys(expected)) expect.soft(actual[k], k).toEqual(expected[k]);
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
  });
});

describe('the async API against the host node:fs', () => {
  it('callbacks, promises, FileHandle and streams give the same results and errors', async () => {
    const host = hostTmp();
    const expected = await asyncScript(hostFs, host);
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/diffroot');
    const actual = await asyncScript(fs, '/diffroot');
    for (const k of Object.keys(expected)) expect.soft(actual[k], k).toEqual(expected[k]);
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
  });
});
