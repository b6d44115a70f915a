/**
 * NetBSD struct codecs and the sysproxy wire helpers, against bytes NetBSD's server sent (recorded in
 * the server package's fixtures; the few needed here are inlined from there with their offsets).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeStat, decodeStatvfs, DIRENT_NAME, direntReclen, encodeStat, encodeStatvfs, makefstype, nameAt, nameCString, packDirents, parseSpFrame, putSpHeader, RUMPSP_RESP, RUMPSP_SYSCALL,
  SP_HEADER, spBanner, spFrame, STAT_SIZE, STATVFS_SIZE, SYSPROXY_LAYOUT, unpackDirents,
} from '../src/protocol.js';
import { AddressSpace } from '../src/sysproxy/memory.js';

describe('sysproxy wire', () => {
  it('a 24-byte header: u64 length, u64 reqno, u16 class, u16 type, u32 union — the recorded getpid reply', () => {
    // basic session: getpid's reply, 3000…0100 0100 00000000 | error 0, pad, retval 2, 1
    const rec = Buffer.from('30000000000000000200000000000000010001000000000000000000197f000002000000000000000100000000000000', 'hex');
    const f = parseSpFrame(rec);
    expect(f).toMatchObject({ len: 48, reqno: 2, cls: RUMPSP_RESP, type: RUMPSP_SYSCALL, u: 0 });
    const body = Buffer.alloc(24);
    body.writeBigInt64LE(2n, 8);
    body.writeBigInt64LE(1n, 16);
    const ours = spFrame(2, RUMPSP_RESP, RUMPSP_SYSCALL, 0, body);
    // equal but for the four bytes of padding NetBSD leaves uninitialised
    expect(Buffer.concat([ours.subarray(0, 28), ours.subarray(32)])).toEqual(Buffer.concat([rec.subarray(0, 28), rec.subarray(32)]));
    expect(SYSPROXY_LAYOUT.length(rec)).toBe(48);
  });

  it('a peer reqno is echoed byte for byte, even past 2^53', () => {
    const b = Buffer.alloc(SP_HEADER);
    const reqno = Buffer.from('8877665544332211', 'hex');
    putSpHeader(b, 0, SP_HEADER, reqno, 1, 1, 0);
    expect(b.subarray(8, 16)).toEqual(reqno);
  });

  it('the banner fits one read of MAXBANNER - 1 bytes and ends in a newline', () => {
    expect(spBanner('NetBSD', '7.99.34', 'amd64')).toBe('RUMPSP-0.4-NetBSD-7.99.34/amd64\n');
    const long = spBanner('NetBSD', 'x'.repeat(200), 'amd64');
    expect(long.length).toBeLessThanOrEqual(95);
    expect(long.endsWith('\n')).toBe(true);
  });
});

describe('NetBSD structs (amd64)', () => {
  it('struct stat is 152 bytes at the recorded offsets', () => {
    const t = (sec: number, nsec: number): { sec: number; nsec: number } => ({ sec, nsec });
    const st = {
      dev: 0xc500, ino: 3, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: -1, size: 21, blocks: 2, blksize: 8192, flags: 0, gen: 0,
      atime: t(1796533708, 598205754), mtime: t(1796533593, 0), ctime: t(1796533593, 0), birthtime: t(0, 0),
    };
    const b = encodeStat(st);
    expect(b.length).toBe(STAT_SIZE);
    expect(b.readUInt32LE(8)).toBe(0o100644);
    expect(b.readBigUInt64LE(16)).toBe(3n);
    expect(b.readBigUInt64LE(40)).toBe(0xffffffffffffffffn);
    expect(b.readBigInt64LE(48)).toBe(1796533708n);
    expect(b.readBigInt64LE(56)).toBe(598205754n);
    expect(b.readBigInt64LE(112)).toBe(21n);
    expect(b.readInt32LE(128)).toBe(8192);
    expect(decodeStat(b)).toEqual(st);
  });

  it('dirents pack as getdents returns them: the recorded listing of the image root', () => {
    const ents = [[2, 4, '.'], [2, 4, '..'], [3, 8, 'hello.txt'], [4, 4, 'sub'], [5, 10, 'link-to-hello'], [6, 8, 'numbers.txt']] as const;
    const b = packDirents(ents.map(([fileno, type, name]) => ({ fileno, type, name, reclen: direntReclen(name.length) })));
    expect(b.length).toBe(144);
    expect([0, 16, 32, 56, 80, 112].map((o) => b.readUInt16LE(o + 8))).toEqual([16, 16, 24, 24, 32, 32]);
    expect(unpackDirents(b).map((d) => d.name)).toEqual(ents.map((e) => e[2]));
  });

  it('struct statvfs is 2256 bytes; f_fsidx[1] is makefstype of the type name', () => {
    expect(makefstype('ffs')).toBe(0x78b);
    const sv = {
      flag: 0x1000, bsize: 8192, frsize: 1024, iosize: 8192, blocks: 8103, bfree: 8090, bavail: 7685, bresvd: 405, files: 222, ffree: 216, favail: 216,
      fresvd: 0, fsid: 0xc500, namemax: 255, owner: 0, fstypename: 'ffs', mntonname: '/mnt', mntfromname: '/dev/dk',
    };
    const b = encodeStatvfs(sv);
    expect(b.length).toBe(STATVFS_SIZE);
    expect(b.readInt32LE(132)).toBe(0x78b);
    expect(b.toString('latin1', 172, 175)).toBe('ffs');
    expect(b.toString('latin1', 1228, 1235)).toBe('/dev/dk');
    expect(decodeStatvfs(b)).toEqual(sv);
  });
});

describe('the emulated address space of a sysproxy client', () => {
  it('serves COPYIN, COPYINSTR and COPYOUT within the buffers of the call, and nothing outside them', () => {
    const m = new AddressSpace();
    const p = m.mapString('/mnt/x');
    const buf = new Uint8Array(8);
    const a = m.map(buf);
    expect(Buffer.from(m.readString(p, 1024)).toString()).toBe('/mnt/x\0');
    expect(Buffer.from(m.readString(p, 3)).toString()).toBe('/mn');
    expect(m.write(a + 4, Buffer.from('abcdefgh'))).toBe(4);
    expect(Buffer.from(buf).toString('latin1', 4)).toBe('abcd');
    expect(m.read(a + 100, 4)).toHaveLength(0);
    m.unmap(a);
    expect(m.write(a, Buffer.from('x'))).toBe(0);
    expect(m.map(new Uint8Array(1))).toBeGreaterThan(a);
  });
});

describe('names on the wire are bytes', () => {
  it('a dirent name with escaped bytes is packed as those bytes and unpacked as the same name; a C string likewise', () => {
    const names = ['caf\uDCE9', 'caf\uFFFD', '日本\uDCFF'];
    const b = packDirents(names.map((name, i) => ({ fileno: i + 2, type: 8, name, reclen: 0 })));
    // d_namlen and d_name: the bytes themselves (e9 alone, not U+FFFD's ef bf bd).
    expect(b.readUInt16LE(10)).toBe(4);
    expect(b.subarray(DIRENT_NAME, DIRENT_NAME + 5)).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0]));
    expect(unpackDirents(b).map((e) => e.name)).toEqual(names);
    expect(nameCString('/tmp/d\uDCFF')).toEqual(Buffer.from([...Buffer.from('/tmp/d'), 0xff, 0]));
    expect(nameAt(Buffer.from([0x61, 0xe9, 0xc3, 0xa9]), 0, 4)).toBe('a\uDCE9é');
    const mem = new AddressSpace();
    const addr = mem.mapString('x\uDC80');
    expect(Buffer.from(mem.read(addr, 3))).toEqual(Buffer.from([0x78, 0x80, 0]));
  });
});
