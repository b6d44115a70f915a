#!/usr/bin/env node
// copy-tree.mjs's floor split over two threads: the main thread and one worker each copy part of the
// top-level directories (the worker the first 40%, as it starts later) into an image file of its own.
// Not timed by `pnpm bench`: it answers whether a second thread could lower the floor on a machine
// (on the 2-core machine of the README it does not: 1.05–1.09× the one-thread floor's time, CPU +45–55%).
// Usage: node copy-tree-threads.mjs SRC_DIR IMAGE   (writes IMAGE and IMAGE.w)
import { closeSync, lstatSync, openSync, readSync, readdirSync, writeSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

const STAGE = 4 << 20;

function copy(src, dirs, image) {
  const stage = Buffer.alloc(STAGE);
  const out = openSync(image, 'w');
  let used = 0;
  const flush = () => {
    writeSync(out, stage, 0, used);
    used = 0;
  };
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = `${dir}/${name}`;
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        if (used + st.size > STAGE) flush();
        const fd = openSync(path, 'r');
        for (let off = 0; off < st.size; ) {
          const n = readSync(fd, stage, used, Math.min(st.size - off, STAGE - used), null);
          if (n <= 0) break;
          off += n;
          used += n;
          if (used === STAGE) flush();
        }
        closeSync(fd);
        used = Math.min(STAGE, (used + 1023) & ~1023);
      }
    }
  };
  for (const d of dirs) walk(`${src}/${d}`);
  flush();
  closeSync(out);
}

if (isMainThread) {
  const [src, image] = process.argv.slice(2);
  if (!src || !image) {
    process.stderr.write('usage: copy-tree-threads.mjs SRC_DIR IMAGE\n');
    process.exit(2);
  }
  const all = readdirSync(src);
  const split = Math.floor(all.length * 0.4);
  const w = new Worker(new URL(import.meta.url), { workerData: { src, dirs: all.slice(0, split), image: `${image}.w` } });
  copy(src, all.slice(split), image);
  await new Promise((resolve, reject) => {
    w.on('error', reject);
    w.on('exit', resolve);
  });
} else {
  copy(workerData.src, workerData.dirs, workerData.image);
}
