/** ffs-read: sequential reads of a big file from an FFS image through the kernel vs cat/icat (lives in the ffs package). */
export { default } from '../../packages/rumpfs-ffs/tools/bench/ffs-read.bench.js';
