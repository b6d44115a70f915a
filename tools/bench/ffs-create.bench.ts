/** ffs-create: creates per second into one FFS directory at 1k/10k/100k entries (lives in the ffs package). */
export { default } from '../../packages/rumpfs-ffs/tools/bench/ffs-create.bench.js';
