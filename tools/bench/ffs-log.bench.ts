/** ffs-log: metadata-heavy work with and without the WAPBL log (lives in the ffs package). */
export { default } from '../../packages/rumpfs-ffs/tools/bench/ffs-log.bench.js';
