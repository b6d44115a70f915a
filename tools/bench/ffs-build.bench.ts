/** ffs-build: our makefs vs Debian's makefs on a 10,000-file tree (lives in the ffs package). */
export { default } from '../../packages/rumpfs-ffs/tools/bench/ffs-build.bench.js';
