/**
 * watch / watchFile / fs.promises.watch by polling. The same steps are done on a host directory
 * watched by Node's own fs.watch (inotify): every event the facade reports for a step must be one
 * Node reported for it (the poller coalesces — one event per entry per interval — where inotify
 * may say 'rename' and 'change' for one new file).
 */
import * as hostFs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RumpFs } from '../src/index.js';
import { hostTmp, tmpfsFs } from './helpers.js';

type Ev = string;

/** Wait until `cond()` holds (polling every 5 ms), at most 5 s: the machine may be slow, the test must not be. */
async function until(cond: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !cond() && Date.now() < end; ) await sleep(5);
}

/** Watch `dir` on `fs`, run each step, and collect the events that arrive after it. */
async function eventsPerStep(fs: Pick<RumpFs, 'watch'> | typeof hostFs, dir: string, steps: ((dir: string) => void)[], wait: number, recursive = false): Promise<Ev[][]> {
  const seen: Ev[] = [];
  const w = fs.watch(dir, { recursive, interval: 10 } as hostFs.WatchOptions, (type, name) => seen.push(`${type}:${String(name)}`));
  const out: Ev[][] = [];
  try {
    await sleep(wait);
    seen.length = 0;
    for (const step of steps) {
      step(dir);
      // every step changes something: wait for its first event, then for any that follow it
      await until(() => seen.length > 0);
      await sleep(wait);
      out.push([...new Set(seen.splice(0))].sort());
    }
  } finally {
    w.close();
  }
  return out;
}

describe('fs.watch by polling', () => {
  it('reports what Node’s own fs.watch reports for the same steps', async () => {
    const steps = [
      (d: string) => hostOrRump.writeFileSync(`${d}/new.txt`, 'one'),
      (d: string) => hostOrRump.appendFileSync(`${d}/new.txt`, ' two'),
      (d: string) => hostOrRump.renameSync(`${d}/new.txt`, `${d}/moved.txt`),
      (d: string) => hostOrRump.mkdirSync(`${d}/sub`),
      (d: string) => hostOrRump.unlinkSync(`${d}/moved.txt`),
    ];
    // the steps run on whichever fs the round is about
    let hostOrRump: RumpFs | typeof hostFs = hostFs;
    const hostDir = hostTmp();
    const expected = await eventsPerStep(hostFs, hostDir, steps, 60);
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/w');
    hostOrRump = fs;
    const actual = await eventsPerStep(fs, '/w', steps, 80);
    expect(actual.every((evs) => evs.length > 0)).toBe(true);
    actual.forEach((evs, i) => {
      for (const e of evs) expect(expected[i], `step ${i}: ${e}`).toContain(e);
    });
    expect(actual).toEqual([['rename:new.txt'], ['change:new.txt'], ['rename:moved.txt', 'rename:new.txt'], ['rename:sub'], ['rename:moved.txt']]);
  });

  it('recursive watches name entries below the directory; a missing path throws as node:fs does; close emits close', async () => {
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/r/a/b', { recursive: true });
    const got = await eventsPerStep(fs, '/r', [(d) => fs.writeFileSync(`${d}/a/b/deep.txt`, 'x'), (d) => fs.rmSync(`${d}/a`, { recursive: true })], 80, true);
    expect(got).toEqual([['rename:a/b/deep.txt'], ['rename:a', 'rename:a/b', 'rename:a/b/deep.txt']]);
    expect(() => fs.watch('/nope')).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'watch', path: '/nope', message: "ENOENT: no such file or directory, watch '/nope'" }));
    expect(() => hostFs.watch(join(hostTmp(), 'nope'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'watch' }));
    const w = fs.watch('/r');
    const closed = new Promise((r) => w.once('close', r));
    w.close();
    await closed;
  });

  it('fs.promises.watch yields events until its signal aborts it', async () => {
    const { fs } = await tmpfsFs();
    fs.mkdirSync('/p');
    const ac = new AbortController();
    const seen: string[] = [];
    const iter = fs.promises.watch('/p', { signal: ac.signal, interval: 10 } as { signal: AbortSignal });
    setTimeout(() => fs.writeFileSync('/p/f', 'x'), 50);
    const done = (async () => {
      for await (const e of iter) {
        seen.push(`${e.eventType}:${String(e.filename)}`);
        ac.abort();
      }
    })();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['rename:f']);
  });
});

describe('fs.watchFile by polling', () => {
  it('calls back with (curr, prev) fs.Stats on change, zeroed stats when the file goes, and stops at unwatchFile', async () => {
    const { fs } = await tmpfsFs();
    fs.writeFileSync('/wf', 'a');
    const calls: [number, number, boolean][] = [];
    const listener = (curr: hostFs.Stats, prev: hostFs.Stats): void => void calls.push([curr.size, prev.size, curr instanceof hostFs.Stats]);
    fs.watchFile('/wf', { interval: 10 }, listener);
    await sleep(40);
    fs.writeFileSync('/wf', 'abc');
    await until(() => calls.length === 1);
    fs.unlinkSync('/wf');
    await until(() => calls.length === 2);
    fs.unwatchFile('/wf', listener);
    fs.writeFileSync('/wf', 'after');
    await sleep(60);
    expect(calls).toEqual([
      [3, 1, true],
      [0, 3, true],
    ]);
  });

  it('a file missing from the start is reported once with zeroed stats, then when it appears', async () => {
    const { fs } = await tmpfsFs();
    const calls: [number, number][] = [];
    const w = fs.watchFile('/later', { interval: 10, bigint: false }, (curr, prev) => void calls.push([curr.mtimeMs === 0 ? 0 : 1, prev.size]));
    await until(() => calls.length === 1);
    fs.writeFileSync('/later', 'now');
    await until(() => calls.length === 2);
    fs.unwatchFile('/later');
    expect(calls).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(typeof w.unref).toBe('function');
  });
});
