/**
 * One system call of a sysproxy client while it runs: its argument slots (one 8-byte register_t per
 * argument, LP64 little-endian) and the round trips that reach the client's memory — COPYIN and
 * COPYINSTR wait for the client's answer, COPYOUT is one-way (rumpcopy.c, rumpuser_sp.c). Pointers
 * are the client's addresses: the server never does more with them than ask.
 */
import { errno, type Proc } from '@rumpts/librump';
import { nameAt, readPtr } from '@rumpts/rumpclient/protocol';

/** What a call needs from its connection. */
export interface CallChannel {
  /** Ask the client for `len` bytes at `addr` (COPYIN) or a string of at most `len` (COPYINSTR). */
  copyin(addr: number, len: number, str: boolean): Promise<Buffer>;
  /** Send `data` to the client's `addr` (COPYOUT, no answer). */
  copyout(addr: number, data: Uint8Array): void;
  /** Tell the client to raise a signal (NetBSD numbering). */
  raise(signo: number): void;
  /** Resolves once the replies waiting for the client are few enough to send more (backpressure). */
  drained(): Promise<void>;
  /**
   * Take `n` bytes of the connection's copy-in allowance, waiting while other calls hold it: what a
   * client has sent for calls still gathering their data is bounded (a client that answers all but
   * one piece of many big writes pins no more than that).
   */
  reserve(n: number): Promise<void>;
  /** Give the allowance back (the data went to the kernel, or the copy failed). */
  unreserve(n: number): void;
}

/** MAXPATHLEN: paths are fetched with COPYINSTR of this many bytes. */
export const MAXPATHLEN = 1024;
/** Data moves in pieces of at most a page per COPYOUT, as NetBSD's server does. */
export const COPYOUT_CHUNK = 4096;
/** COPYIN requests of one call go out together, each for at most this much. */
export const COPYIN_CHUNK = 64 * 1024;

export class SpCall {
  constructor(
    readonly proc: Proc,
    /** The argument block (SYSCALL body). */
    readonly args: Buffer,
    readonly ch: CallChannel,
  ) {}

  /** Argument slot i as a C int (the low 32 bits, signed). */
  int(i: number): number {
    return this.args.readInt32LE(i * 8);
  }

  /** Argument slot i as an unsigned 32-bit value (mode_t, uid_t, u_int). */
  uint(i: number): number {
    return this.args.readUInt32LE(i * 8);
  }

  /** Argument slot i as a pointer or size_t (exact below 2^53; larger ones are refused where used). */
  ptr(i: number): number {
    return readPtr(this.args, i * 8);
  }

  /** Argument slot i as an off_t (signed 64-bit). */
  off(i: number): number {
    return Number(this.args.readBigInt64LE(i * 8));
  }

  /**
   * copyinstr(9): the string at `addr`, at most `max` bytes with its NUL (ENAMETOOLONG without one).
   * A path's bytes are a name (librump decodeName): bytes that are not valid UTF-8 stay those bytes.
   */
  async str(addr: number, max = MAXPATHLEN): Promise<string> {
    if (addr === 0) throw errno('EFAULT', 'NULL string pointer');
    const b = await this.ch.copyin(addr, max, true);
    const nul = b.indexOf(0);
    if (nul < 0) throw errno('ENAMETOOLONG', `string at 0x${addr.toString(16)} has no NUL within ${max} bytes`);
    return nameAt(b, 0, nul);
  }

  /** The path in argument slot i. */
  path(i: number): Promise<string> {
    return this.str(this.ptr(i));
  }

  /** copyin(9): `len` bytes at `addr`, asked for in pieces that go out together. */
  async copyin(addr: number, len: number): Promise<Buffer> {
    if (len === 0) return Buffer.alloc(0);
    if (addr === 0) throw errno('EFAULT', 'NULL pointer');
    if (len <= COPYIN_CHUNK) return this.#checked(await this.ch.copyin(addr, len, false), len);
    await this.ch.reserve(len);
    try {
      const parts: Promise<Buffer>[] = [];
      for (let off = 0; off < len; off += COPYIN_CHUNK) {
        const n = Math.min(COPYIN_CHUNK, len - off);
        parts.push(this.ch.copyin(addr + off, n, false).then((b) => this.#checked(b, n)));
      }
      return Buffer.concat(await Promise.all(parts), len);
    } finally {
      this.ch.unreserve(len);
    }
  }

  #checked(b: Buffer, len: number): Buffer {
    // A short answer would leave the kernel reading what the client never sent (NetBSD memcpy's len anyway).
    if (b.length !== len) throw errno('EFAULT', `copyin of ${len} bytes answered with ${b.length}`);
    return b;
  }

  /**
   * copyout(9): `data` to `addr`, at most a page per frame. File data read from `fileOffset` breaks
   * where the file's pages do, as the kernel's uiomove of page after page sends it.
   */
  copyout(addr: number, data: Uint8Array, fileOffset = 0): void {
    if (data.length === 0) return;
    if (addr === 0) throw errno('EFAULT', 'NULL pointer');
    for (let off = 0; off < data.length; ) {
      const n = Math.min(data.length - off, COPYOUT_CHUNK - ((fileOffset + off) % COPYOUT_CHUNK));
      this.ch.copyout(addr + off, data.subarray(off, off + n));
      off += n;
    }
  }
}

/** A syscall's two return registers (retval[0], retval[1]). */
export type Retval = number | readonly [number, number] | void;
