import { describe, expect, it } from 'vitest';
import { errno } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { GAP_BYTES, STAGE_BYTES, StagedDevice } from '../src/blkdev/stagedev.js';

/** A memory device that records every request it gets, in order. */
class Recorder implements BlockDevice {
  readonly secsize = 512;
  readonly readonly = false;
  readonly bytes = new Uint8Array(4 << 20);
  readonly log: string[] = [];
  get size(): number {
    return this.bytes.length;
  }
  read(buf: Uint8Array, offset: number): void {
    this.log.push(`r${offset}+${buf.length}`);
    buf.set(this.bytes.subarray(offset, offset + buf.length));
  }
  write(buf: Uint8Array, offset: number): void {
    if (offset + buf.length > this.size) throw errno('ENXIO', `write past the end (${offset}+${buf.length})`);
    this.log.push(`w${offset}+${buf.length}`);
    this.bytes.set(buf, offset);
  }
  flush(): void {
    this.log.push('f');
  }
}

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('StagedDevice', () => {
  it('joins writes that follow each other into one request, zero tails included', () => {
    const inner = new Recorder();
    inner.bytes.fill(0xee, 0, 8192);
    const dev = new StagedDevice(inner);
    dev.stage(fill(1024, 1), 0);
    dev.stage(fill(100, 2), 1024, 924);
    dev.stage(fill(2048, 3), 2048);
    expect(inner.log).toEqual([]);
    dev.flush();
    expect(inner.log).toEqual(['w0+4096', 'f']);
    expect([...inner.bytes.subarray(1024, 1124)].every((b) => b === 2)).toBe(true);
    expect([...inner.bytes.subarray(1124, 2048)].every((b) => b === 0)).toBe(true);
    expect(inner.bytes[4096]).toBe(0xee);
  });

  it('a read of staged bytes sees them; a read elsewhere leaves them staged', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    dev.stage(fill(1024, 7), 4096);
    const far = new Uint8Array(512);
    dev.read(far, 0);
    expect(inner.log).toEqual(['r0+512']);
    const near = new Uint8Array(512);
    dev.readv([near], 4608);
    expect(inner.log).toEqual(['r0+512', 'w4096+1024', 'r4608+512']);
    expect(near.every((b) => b === 7)).toBe(true);
  });

  it('keeps the order of requests: any other write goes after the staged run', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    dev.stage(fill(512, 1), 0);
    dev.write(fill(1024, 2), 0);
    dev.stage(fill(512, 3), 8192);
    dev.writev([fill(512, 4), fill(512, 5)], 1024);
    dev.stage(fill(512, 6), 65536);
    dev.stage(fill(512, 6), 0);
    dev.flush();
    expect(inner.log).toEqual(['w0+512', 'w0+1024', 'w8192+512', 'w1024+512', 'w1536+512', 'w65536+512', 'w0+512', 'f']);
    expect(inner.bytes[0]).toBe(6);
  });

  it('a run never grows past STAGE_BYTES; a larger write goes straight through', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    dev.stage(fill(STAGE_BYTES - 512, 1), 0);
    dev.stage(fill(1024, 2), STAGE_BYTES - 512);
    expect(inner.log).toEqual([`w0+${STAGE_BYTES - 512}`]);
    dev.stage(fill(STAGE_BYTES, 3), 2 * STAGE_BYTES, 512);
    expect(inner.log).toEqual([`w0+${STAGE_BYTES - 512}`, `w${STAGE_BYTES - 512}+1024`, `w${2 * STAGE_BYTES}+${STAGE_BYTES + 512}`]);
    expect(inner.bytes[3 * STAGE_BYTES - 1]).toBe(3);
    expect(inner.bytes[3 * STAGE_BYTES]).toBe(0);
    dev.flush();
    expect(inner.log.at(-1)).toBe('f');
  });

  it('a write past the end or unaligned is not staged: the device refuses it at once', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    dev.stage(fill(512, 1), 0);
    expect(() => dev.stage(fill(512, 2), inner.size)).toThrow(/past the end/);
    expect(inner.log).toEqual(['w0+512']);
    dev.stage(fill(100, 3), 1024, 12);
    expect(inner.log).toEqual(['w0+512', 'w1024+112']);
  });

  it('gapFill bridges a short gap with the bytes it gives; a refused or long gap ends the run', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    const asked: string[] = [];
    dev.gapFill = (dst, offset) => {
      asked.push(`${offset}+${dst.length}`);
      if (offset === 2048) return false;
      dst.fill(9);
      return true;
    };
    dev.stage(fill(1024, 1), 0);
    dev.stage(fill(512, 2), 1536);
    expect(inner.log).toEqual([]);
    dev.stage(fill(512, 3), 2560);
    const far = 3072 + GAP_BYTES + 512;
    dev.stage(fill(512, 4), far);
    dev.flush();
    expect(asked).toEqual(['1024+512', '2048+512']);
    expect(inner.log).toEqual(['w0+2048', 'w2560+512', `w${far}+512`, 'f']);
    expect([...inner.bytes.subarray(0, 2048)]).toEqual([...fill(1024, 1), ...fill(512, 9), ...fill(512, 2)]);
    expect(inner.bytes[2048]).toBe(0);
    expect(inner.bytes[2560]).toBe(3);
    expect(inner.bytes[far]).toBe(4);
  });

  it('a write wholly inside the staged run changes the staged bytes only; one reaching past it drains first', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    dev.stage(fill(2048, 1), 4096);
    expect(dev.holds(4608, 512)).toBe(true);
    expect(dev.holds(5632, 1024)).toBe(false);
    dev.write(fill(512, 2), 4608);
    expect(inner.log).toEqual([]);
    dev.write(fill(1024, 3), 5632);
    expect(inner.log).toEqual(['w4096+2048', 'w5632+1024']);
    expect(dev.holds(4608, 512)).toBe(false);
    expect([...inner.bytes.subarray(4096, 6656)]).toEqual([...fill(512, 1), ...fill(512, 2), ...fill(512, 1), ...fill(1024, 3)]);
  });

  it('with several runs, writes to a few places each continue their own run; a new one pushes out the least recently extended', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner, { runs: 2 });
    dev.stage(fill(512, 1), 0);
    dev.stage(fill(512, 2), 65536);
    dev.stage(fill(512, 3), 512);
    dev.stage(fill(512, 4), 66048);
    dev.stage(fill(512, 5), 1024);
    expect(inner.log).toEqual([]);
    // A third place: the run at 65536 was extended least recently.
    dev.stage(fill(512, 6), 1 << 20);
    expect(inner.log).toEqual(['w65536+1024']);
    // A write overlapping a run in part writes every run first; one wholly inside changes it in place.
    dev.stage(fill(512, 7), 512);
    expect(inner.log).toEqual(['w65536+1024']);
    dev.stage(fill(1024, 8), 512);
    expect(inner.log).toEqual(['w65536+1024']);
    dev.stage(fill(1024, 9), (1 << 20) - 512);
    expect(inner.log).toEqual(['w65536+1024', `w${1 << 20}+512`, 'w0+1536']);
    dev.flush();
    expect(inner.log.slice(3)).toEqual([`w${(1 << 20) - 512}+1024`, 'f']);
    expect([...inner.bytes.subarray(0, 1536)]).toEqual([...fill(512, 1), ...fill(1024, 8)]);
    expect(inner.bytes[1 << 20]).toBe(9);
    expect(() => new StagedDevice(inner, { runs: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('a gap is filled only up to maxGap, and never over another run: the runs stay apart', () => {
    const inner = new Recorder();
    inner.bytes.fill(0xee);
    const dev = new StagedDevice(inner, { runs: 2 });
    dev.maxGap = 1024;
    const asked: string[] = [];
    dev.gapFill = (dst, offset) => {
      asked.push(`${offset}+${dst.length}`);
      dst.fill(0);
      return true;
    };
    dev.stage(fill(512, 2), 2048);
    dev.stage(fill(512, 1), 0);
    // The run at 0 may not reach 4096 over the one at 2048; that one continues instead.
    dev.stage(fill(512, 3), 3584);
    // Past maxGap: a run of its own.
    dev.stage(fill(512, 4), 8192);
    dev.flush();
    expect(asked).toEqual(['2560+1024']);
    expect(inner.log.filter((l) => l.startsWith('w'))).toEqual(['w0+512', 'w2048+2048', 'w8192+512']);
    expect([inner.bytes[0], inner.bytes[512], inner.bytes[2048], inner.bytes[2560], inner.bytes[3584], inner.bytes[4096], inner.bytes[8192]]).toEqual([
      1, 0xee, 2, 0, 3, 0xee, 4,
    ]);
  });

  it('runBytes bounds a run: a write past it starts the next run, a longer one goes straight through', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner, { runBytes: 2048 });
    dev.stage(fill(1536, 1), 0);
    dev.stage(fill(1024, 2), 1536);
    expect(inner.log).toEqual(['w0+1536']);
    dev.stage(fill(4096, 3), 8192);
    expect(inner.log).toEqual(['w0+1536', 'w1536+1024', 'w8192+4096']);
    dev.flush();
    expect(inner.log.at(-1)).toBe('f');
    expect(() => new StagedDevice(inner, { runBytes: 100 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('a failed staged write is EIO to the request that drains it and again to the next flush, once', () => {
    const inner = new Recorder();
    const dev = new StagedDevice(inner);
    let failing = true;
    const write = inner.write.bind(inner);
    inner.write = (buf, offset) => {
      if (failing) throw new Error('dead disk');
      write(buf, offset);
    };
    dev.stage(fill(512, 1), 0);
    expect(() => dev.write(fill(512, 2), 8192)).toThrow(expect.objectContaining({ code: 'EIO' }));
    failing = false;
    expect(() => dev.flush()).toThrow(expect.objectContaining({ code: 'EIO' }));
    dev.flush();
    // Staged, then lost at the flush itself: that flush fails.
    dev.stage(fill(512, 3), 0);
    failing = true;
    expect(() => dev.flush()).toThrow(/dead disk/);
    failing = false;
    dev.flush();
    expect(inner.bytes[0]).toBe(0);
  });
});
