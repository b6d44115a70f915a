#!/usr/bin/env node
// The floor of "a file out of an image to standard output" for any Node program: LENGTH bytes of
// the image read 1 MiB at a time (as fsu cat reads) into one reused page-aligned buffer (a resizable
// ArrayBuffer, whose pages V8 maps itself, as fsu cat's: a read into a buffer 16 bytes past a page
// boundary, where a large Uint8Array usually lands, copies at a third of the speed here) and written
// to standard output. No file system
// is walked: what fsu cat spends above this figure is ours to cut. Usage: node read-file.mjs IMAGE LENGTH
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const [image, lengthArg] = process.argv.slice(2);
const length = Number(lengthArg);
if (!image || !Number.isSafeInteger(length) || length < 0) {
  process.stderr.write('usage: read-file.mjs IMAGE LENGTH\n');
  process.exit(2);
}
const buf = new Uint8Array(new ArrayBuffer(1 << 20, { maxByteLength: 1 << 20 }));
const fd = openSync(image, 'r');
for (let pos = 0; pos < length; ) {
  const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
  if (n <= 0) break;
  for (let w = 0; w < n; ) w += writeSync(1, buf, w, n - w);
  pos += n;
}
closeSync(fd);
