#!/usr/bin/env node
// copy-tree.mjs's floor split over two threads: the main thread and one worker each copy part of the
// top-level directories (the worker the first 40%, as it starts later) into an image file of its own.
// Not timed by `pnpm bench`: it answers whether a second thread could lower the floor on a machine
// (on the 2-core machine of the README it does not: 1.05–1.09× the one-thread floor's time, CPU +45–55%).
// Usage: node copy-tree-threads.mjs SRC_DIR IMAGE   (writes IMAGE and IMAGE.w)
import { readdirSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { copyTree } from './copy-tree.mjs';

if (isMainThread) {
  const [src, image] = process.argv.slice(2);
  if (!src || !image) {
    process.stderr.write('usage: copy-tree-threads.mjs SRC_DIR IMAGE\n');
    process.exit(2);
  }
  const all = readdirSync(src);
  const split = Math.floor(all.length * 0.4);
  const w = new Worker(new URL(import.meta.url), { workerData: { src, dirs: all.slice(0, split), image: `${image}.w` } });
  copyTree(src, image, all.slice(split));
  await new Promise((resolve, reject) => {
    w.on('error', reject);
    w.on('exit', resolve);
  });
} else {
  copyTree(workerData.src, workerData.image, workerData.dirs);
}
