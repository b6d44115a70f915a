#!/usr/bin/env node
// The floor of "a host tree into a new image" for any Node program: only the host I/O that such a
// copy cannot avoid — readdir and lstat of every entry, open, read and close of every file — with the
// files' bytes packed into an image file (1 KiB-aligned, as FFS fragments and the FAT clusters of the
// bench are) written in 4 MiB runs. No file system is laid out: what fsu makefs or put -r spend above
// this figure is ours to cut; what the reference tool is faster than this figure, no Node process can
// catch up on. Usage: node copy-tree.mjs SRC_DIR IMAGE
import { closeSync, lstatSync, openSync, readSync, readdirSync, realpathSync, writeSync } from 'node:fs';

const STAGE = 4 << 20;

/** Copy the trees under `src/<d>` for each d of `dirs` (all of src's entries by default) into `image`. */
export function copyTree(src, image, dirs = null) {
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
        // Files larger than the stage are read through it in pieces.
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
  if (dirs === null) walk(src);
  else for (const d of dirs) walk(`${src}/${d}`);
  flush();
  closeSync(out);
}

// Run as a program (not when copy-tree-threads.mjs imports it); through a symlinked path too.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === import.meta.filename) {
  const [src, image] = process.argv.slice(2);
  if (!src || !image) {
    process.stderr.write('usage: copy-tree.mjs SRC_DIR IMAGE\n');
    process.exit(2);
  }
  copyTree(src, image);
}
