/**
 * The dirhash's two indexes against plain models: the open-addressing name table against a Map
 * (random enters, rewrites and removals through many resizes and tombstones), and the room buckets
 * against a scan of every chunk's room.
 */
import { describe, expect, it } from 'vitest';
import { Dirhash } from '../src/dirhash.js';
import { NameTable } from '../src/nametable.js';

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('NameTable', () => {
  for (const seed of [1, 7, 4242]) {
    it(`matches a Map through 20,000 random operations (seed ${seed})`, () => {
      const r = rng(seed);
      const t = new NameTable();
      const m = new Map<string, { off: number; ino: number }>();
      // A small name space so removals and re-entries of the same names are frequent.
      const names = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `ü${i}` : `f${i}`));
      names.push('.', '..', 'a'.repeat(255));
      for (let step = 0; step < 20_000; step++) {
        const name = names[Math.floor(r() * names.length)]!;
        const op = r();
        if (op < 0.25) {
          // A create: the lookup misses, then the name is entered (set reuses the lookup's probe).
          if (t.find(name) < 0) {
            const e = { off: step, ino: step + 1 };
            t.set(name, e.off, e.ino);
            m.set(name, e);
          }
        } else if (op < 0.55) {
          const e = { off: Math.floor(r() * 2 ** 40), ino: Math.floor(r() * 2 ** 32) };
          t.set(name, e.off, e.ino);
          m.set(name, e);
        } else if (op < 0.9) {
          expect(t.delete(name)).toBe(m.delete(name));
        } else {
          const slot = t.find(name);
          expect(slot >= 0).toBe(m.has(name));
          if (slot >= 0) {
            t.setInoAt(slot, 99);
            m.get(name)!.ino = 99;
          }
        }
        if (step % 1000 === 0 || step === 19_999) {
          expect(t.size).toBe(m.size);
          for (const n of names) {
            const e = m.get(n);
            const slot = t.find(n);
            expect(t.has(n)).toBe(e !== undefined);
            expect(t.ino(n)).toBe(e?.ino ?? 0);
            if (e) expect([t.offAt(slot), t.inoAt(slot)]).toEqual([e.off, e.ino]);
          }
          expect([...t.keys()].sort()).toEqual([...m.keys()].sort());
        }
      }
    });
  }

  it('grows to 200,000 names and finds each, and no name it was not given', () => {
    const t = new NameTable();
    for (let i = 0; i < 200_000; i++) t.set(`file${i}`, i * 16, i + 3);
    expect(t.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(t.ino(`file${i}`)).toBe(i + 3);
    for (let i = 200_000; i < 201_000; i++) expect(t.find(`file${i}`)).toBe(-1);
  });
});

describe('Dirhash room buckets', () => {
  for (const seed of [3, 99]) {
    it(`findRoom gives the oldest chunk among those with the least sufficient room (seed ${seed})`, () => {
      const r = rng(seed);
      const h = new Dirhash();
      // Insertion order within each room size, as the buckets keep it.
      const order: number[] = [];
      const room: number[] = [];
      const setFree = (c: number, free: number): void => {
        if (room[c] !== free) {
          const i = order.indexOf(c);
          if (i >= 0) order.splice(i, 1);
          order.push(c);
        }
        room[c] = free;
        h.setFree(c, free);
      };
      for (let step = 0; step < 5000; step++) {
        const c = r() < 0.1 ? room.length : Math.floor(r() * (room.length || 1));
        setFree(c, 4 * Math.floor(r() * 129));
        const need = 4 * (3 + Math.floor(r() * 66));
        let want = -1;
        let best = Infinity;
        for (const k of order) {
          const f = room[k]!;
          if (f >= need && f < best) {
            best = f;
            want = k;
          }
        }
        expect(h.findRoom(need)).toBe(want);
      }
    });
  }
});
