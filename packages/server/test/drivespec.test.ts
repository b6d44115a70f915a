import { describe, expect, it } from 'vitest';
import { RUMP_ETFS_BLK, RUMP_ETFS_CHR, RUMP_ETFS_REG } from '@rumpts/librump';
import { parseDrivespec, parseSize } from '../src/index.js';

describe('parseSize (dd-style, strsuftoll)', () => {
  it.each([
    ['512', 512],
    ['1b', 512],
    ['4k', 4 * 1024],
    ['64m', 64 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['2t', 2 * 1024 ** 4],
    ['3w', 12],
    ['2x8k', 16 * 1024],
    ['16M', 16 * 1024 * 1024],
  ])('%s = %d', (text, n) => {
    expect(parseSize(text)).toBe(n);
  });

  it.each(['', 'k', '12q', '1.5m', '-1', '1x'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('parseDrivespec (rump_server -d)', () => {
  it.each([
    ['key=/dev/dk,hostpath=dk.img,size=1g', { key: '/dev/dk', hostpath: 'dk.img', size: 1024 ** 3, type: RUMP_ETFS_BLK, typeName: 'blk' }],
    ['key=/dev/dk,hostpath=dk.img,size=host', { size: 'host' }],
    ['key=/dev/dk,hostpath=dk.img,size=1m,offset=64k', { size: 1024 * 1024, offset: 65536 }],
    ['key=/dev/dk,hostpath=dk.img,disklabel=e', { disklabel: 'e' }],
    ['key=/dev/rdk,hostpath=dk.img,size=1m,type=chr', { type: RUMP_ETFS_CHR, typeName: 'chr' }],
    ['key=/file,hostpath=f.txt,type=reg', { type: RUMP_ETFS_REG, typeName: 'reg' }],
    // an offset after disklabel is accepted (the label wins), as in rump_allserver.c
    ['key=/d,hostpath=x,disklabel=a,type=blk', { disklabel: 'a' }],
  ])('accepts %s', (spec, want) => {
    expect(parseDrivespec(spec)).toMatchObject(want);
  });

  it.each([
    ['key=/d,hostpath=x,size=1m,bogus=1', /invalid token 'bogus'/],
    ['key=/d,key=/e,hostpath=x,size=1m', /key already given/],
    ['key=/d,hostpath=x,hostpath=y,size=1m', /hostpath already given/],
    ['key=/d,hostpath=x,size=1m,size=2m', /size already given/],
    ['key=/d,hostpath=x,size=1m,offset=1,offset=2', /offset already given/],
    ['key=/d,hostpath=x,size=1m,type=blk,type=chr', /type already specified/],
    ['key=/d,hostpath=x,size=1m,type=pipe', /type=pipe': invalid type/],
    ['key=/d,hostpath=x,size=1m,disklabel=a', /both size and disklabel/],
    ['key=/d,hostpath=x,offset=1k,disklabel=a', /disklabel needs to be used alone/],
    ['key=/d,hostpath=x,disklabel=ab', /invalid label part/],
    ['key=/d,hostpath=x,disklabel=A', /invalid label part/],
    ['key=/d,hostpath=x,size=host,offset=1', /cannot specify offset with size=host/],
    ['key=/d,hostpath=x,offset=1,size=host', /cannot specify offset with size=host/],
    ['key=/d,hostpath=x,size=12q', /token 'size=12q'/],
    ['key=/d,hostpath=x', /incomplete drivespec: give 'size' or 'disklabel'/],
    ['hostpath=x,size=1m', /missing 'key'/],
    ['key=/d,size=1m', /missing 'hostpath'/],
    ['key=/d,hostpath=x,size', /token 'size' needs a value/],
  ])('rejects %s', (spec, msg) => {
    expect(() => parseDrivespec(spec)).toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(msg) }));
  });
});
