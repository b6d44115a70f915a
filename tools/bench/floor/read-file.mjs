#!/usr/bin/env node
// The floor of "a file out of an image to standard output" for any Node program: LENGTH bytes of
// the image read 128 KiB at a time (as fsu cat and coreutils' cat read) into one reused buffer and
// written to standard output. No file system is walked: what fsu cat spends above this figure is ours
// to cut. Usage: node read-file.mjs IMAGE LENGTH
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const [image, lengthArg] = process.argv.slice(2);
const length = Number(lengthArg);
if (!image || !Number.isSafeInteger(length) || length < 0) {
  process.stderr.write('usage: read-file.mjs IMAGE LENGTH\n');
  process.exit(2);
}
const buf = Buffer.allocUnsafe(128 << 10);
const fd = openSync(image, 'r');
for (let pos = 0; pos < length; ) {
  const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
  if (n <= 0) break;
  for (let w = 0; w < n; ) w += writeSync(1, buf, w, n - w);
  pos += n;
}
closeSync(fd);
