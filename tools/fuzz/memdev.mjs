// A block device over bytes in memory that records every attempt to leave the medium: the file
// systems must refuse a corrupt pointer before it reaches the device (bio's bounds checks), so any
// such request is a finding, not an I/O error to shrug off.
import { errno } from '@rumpts/librump';

export class MemDevice {
  secsize = 512;
  /** Requests outside the device or not sector-aligned (the first few, as text). */
  violations = [];

  constructor(bytes, readonly) {
    this.bytes = bytes;
    this.readonly = readonly;
  }

  get size() {
    return this.bytes.length;
  }

  #check(what, len, off) {
    if (!Number.isSafeInteger(off) || off < 0 || off + len > this.bytes.length || off % 512 !== 0 || len % 512 !== 0) {
      const v = `${what} of ${len} bytes at ${off} is outside the ${this.bytes.length}-byte device or unaligned`;
      if (this.violations.length < 5) this.violations.push(v);
      throw errno('EIO', v);
    }
  }

  read(buf, off) {
    this.#check('read', buf.length, off);
    buf.set(this.bytes.subarray(off, off + buf.length));
  }

  write(buf, off) {
    if (this.readonly) throw errno('EROFS', 'read-only device');
    this.#check('write', buf.length, off);
    this.bytes.set(buf, off);
  }

  flush() {}
}
