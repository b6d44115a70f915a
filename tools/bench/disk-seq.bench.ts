/** disk-seq: sequential reads through the buffer cache vs cat (lives in the rumpdev-disk package). */
export { default } from '../../packages/rumpdev-disk/bench/disk-seq.bench.js';
