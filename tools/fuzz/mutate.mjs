// Mutations of an image, biased to its metadata: a class of metadata is chosen by weight (superblock,
// cylinder groups, inodes, directory and indirect blocks, the log …), then a range of that class, then
// an offset in it; the change is a bit flip, a random byte, a boundary value of 8, 16, 32 or 64 bits
// (0, 1, -1, 2^31-1, a power of two, the old value ± 1 …), a name byte ('/', '.', NUL), a zeroed run
// or bytes copied from elsewhere in the metadata. Every choice comes from a seeded generator, so a
// case is reproduced from its seed alone.

/** xorshift32: reproducible choices from a seed. */
export function rng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)] };
}

/** How often each class of metadata is chosen (classes an image lacks are skipped). */
const WEIGHTS = {
  ffs: { sb: 16, cg: 20, cs: 3, inode: 24, dir: 20, indir: 9, log: 8 },
  ffslog: { sb: 10, cg: 14, cs: 2, inode: 18, dir: 14, indir: 7, log: 35 },
  cd9660: { vd: 25, pt: 10, dir: 65 },
};

const V8 = [0, 1, 0x2e, 0x2f, 0x7f, 0x80, 0xfe, 0xff];
const V16 = [0, 1, 4, 8, 11, 12, 13, 16, 255, 256, 508, 512, 513, 1024, 0x7fff, 0x8000, 0xffff];
const V32 = [0, 1, 2, 3, 4, 7, 8, 12, 16, 255, 256, 511, 512, 1024, 4095, 4096, 8192, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];
const V64 = [0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, -0x8000000000000000n, 1n << 53n];

function chooseClass(r, regions, weights) {
  const classes = Object.keys(weights).filter((c) => (regions[c] ?? []).length > 0);
  const total = classes.reduce((a, c) => a + weights[c], 0);
  let x = r.next() * total;
  for (const c of classes) {
    x -= weights[c];
    if (x < 0) return c;
  }
  return classes[classes.length - 1];
}

/** One offset inside a metadata range of a weighted class, and the range. */
function chooseSpot(r, regions, weights) {
  const cls = chooseClass(r, regions, weights);
  const [a, b] = r.pick(regions[cls]);
  return { cls, at: a + r.int(Math.max(1, b - a)), range: [a, b] };
}

/** Apply 1–`max` mutations to `img` in place; returns a short description of each. */
export function mutate(img, regions, kindClass, seed, max = 6) {
  const r = rng(seed);
  const weights = WEIGHTS[kindClass];
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const le = r.next() < 0.5;
  const n = 1 + r.int(max);
  const done = [];
  for (let i = 0; i < n; i++) {
    const { cls, at, range } = chooseSpot(r, regions, weights);
    const kind = r.int(100);
    if (kind < 22) {
      const bit = r.int(8);
      img[at] ^= 1 << bit;
      done.push(`${cls}@${at} bit ${bit}`);
    } else if (kind < 36) {
      const v = r.int(256);
      img[at] = v;
      done.push(`${cls}@${at}=0x${v.toString(16)}`);
    } else if (kind < 44) {
      const v = r.pick(V8);
      img[at] = v;
      done.push(`${cls}@${at}=0x${v.toString(16)}`);
    } else if (kind < 56) {
      const o = at & ~1;
      if (o + 2 > range[1]) continue;
      const old = dv.getUint16(o, le);
      const v = r.next() < 0.7 ? r.pick(V16) : (old + r.pick([-4, -1, 1, 4])) & 0xffff;
      dv.setUint16(o, v, le);
      done.push(`${cls}@${o} u16=${v}`);
    } else if (kind < 80) {
      const o = at & ~3;
      if (o + 4 > range[1]) continue;
      const old = dv.getUint32(o, le);
      const x = r.next();
      const v = x < 0.6 ? r.pick(V32) : x < 0.85 ? (old + r.pick([-1, 1, 2, -2, 8])) >>> 0 : (old * 2) >>> 0;
      dv.setUint32(o, v, le);
      done.push(`${cls}@${o} u32=${v}`);
    } else if (kind < 86) {
      const o = at & ~7;
      if (o + 8 > range[1]) continue;
      const v = r.pick(V64);
      dv.setBigInt64(o, v, le);
      done.push(`${cls}@${o} i64=${v}`);
    } else if (kind < 92) {
      const len = 4 + r.int(60);
      img.fill(0, at, Math.min(at + len, range[1]));
      done.push(`${cls}@${at} zero ${len}`);
    } else {
      const from = chooseSpot(r, regions, weights);
      const len = Math.min(4 + r.int(60), range[1] - at, from.range[1] - from.at);
      if (len > 0) img.copyWithin(at, from.at, from.at + len);
      done.push(`${cls}@${at} copy ${len} from ${from.cls}@${from.at}`);
    }
  }
  return done;
}
