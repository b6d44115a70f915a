/** The on-disk codecs of FAT: boot sector and FSInfo, directory entries, DOS times, geometry. */
export * from './bootsector.js';
export * from './direntry.js';
export * from './dostime.js';
export * from './geometry.js';
