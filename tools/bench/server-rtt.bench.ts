/** server-rtt: remote stat ops/s with 1, 8 and 64 clients next to a bare echo floor (lives in the server package). */
export { default } from '../../packages/server/bench/server-rtt.bench.js';
