/** The pure on-disk codecs and geometry, for tools and tests. */
export * from './fs.js';
export * from './cg.js';
export * from './dinode.js';
export * from './direct.js';
export * from './geometry.js';
export { DiskView } from './bswap.js';
