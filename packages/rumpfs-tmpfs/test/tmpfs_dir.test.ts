import { describe, expect, it } from 'vitest';
import { VREG } from '@rumpts/rumpvfs';
import { TMPFS_DIRSEQ_START, TmpfsDir } from '../src/tmpfs_dir.js';
import { TmpfsNode } from '../src/tmpfs_node.js';
import type { TmpfsAllocator } from '../src/tmpfs_file.js';

const free: TmpfsAllocator = { charge() {}, uncharge() {} };
let ids = 10;
const node = (): TmpfsNode => new TmpfsNode(ids++, 1, { type: VREG, mode: 0o644, uid: 0, gid: 0, rdev: 0 }, free, null, null);

/** Read a directory the way getdents does: `batch` entries at a time, resuming from the last cookie. */
function readAll(dir: TmpfsDir, start: number, batch: number, between?: (seen: readonly string[]) => void): string[] {
  const names: string[] = [];
  let cookie = start;
  for (;;) {
    const got = [...take(dir.from(cookie), batch)];
    if (got.length === 0) return names;
    for (const de of got) names.push(de.name);
    cookie = (got[got.length - 1]?.seq ?? 0) + 1;
    between?.(names);
  }
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n === 0) return;
  }
}

describe('TmpfsDir', () => {
  it('lists entries in creation order', () => {
    const d = new TmpfsDir(node());
    for (const n of ['c', 'a', 'b']) d.add(n, node());
    expect(readAll(d, TMPFS_DIRSEQ_START, 100)).toEqual(['c', 'a', 'b']);
    expect(d.count).toBe(3);
  });

  it('keeps cookies valid while entries are added and removed between reads', () => {
    const d = new TmpfsDir(node());
    const names = Array.from({ length: 1000 }, (_, i) => `f${i}`);
    for (const n of names) d.add(n, node());
    // After each batch of 7: remove one entry already read and one not yet read, add a new one.
    let step = 0;
    const removedUnread = new Set<string>();
    const seen = readAll(d, TMPFS_DIRSEQ_START, 7, (sofar) => {
      step++;
      const last = sofar[sofar.length - 1] ?? '';
      const pos = last.startsWith('f') ? Number(last.slice(1)) : names.length;
      d.remove(sofar[sofar.length - 3] ?? '');
      const ahead = `f${pos + 5}`;
      if (d.remove(ahead)) removedUnread.add(ahead);
      // Stop adding at some point, or a reader always finds one more entry.
      if (step < 100) d.add(`new${step}`, node());
    });
    // Every entry that stayed the whole time is seen exactly once; removed-before-read ones never.
    const seenSet = new Set(seen);
    expect(seenSet.size).toBe(seen.length);
    for (const n of names) {
      if (removedUnread.has(n)) expect(seenSet.has(n)).toBe(false);
      else if (!n.startsWith('new')) expect(seenSet.has(n)).toBe(true);
    }
    // Entries added during the read come after every original entry, so they are all seen too.
    expect(seen.filter((n) => n.startsWith('new'))).toEqual(Array.from({ length: 99 }, (_, i) => `new${i + 1}`));
  });

  it('survives compaction: a cookie taken before many removals still resumes correctly', () => {
    const d = new TmpfsDir(node());
    const des = Array.from({ length: 100 }, (_, i) => d.add(`e${i}`, node()));
    const cookie = (des[49]?.seq ?? 0) + 1;
    for (let i = 0; i < 90; i++) if (i !== 50 && i !== 60) d.remove(`e${i}`);
    expect(readAll(d, cookie, 3)).toEqual(['e50', 'e60', ...Array.from({ length: 10 }, (_, i) => `e${90 + i}`)]);
  });

  it('renames in place, keeping the position', () => {
    const d = new TmpfsDir(node());
    for (const n of ['a', 'b', 'c']) d.add(n, node());
    d.rename('b', 'z');
    expect(readAll(d, TMPFS_DIRSEQ_START, 10)).toEqual(['a', 'z', 'c']);
    expect(d.lookup('b')).toBeUndefined();
    expect(d.lookup('z')?.name).toBe('z');
  });
});
