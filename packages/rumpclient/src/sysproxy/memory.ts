/**
 * The client's "address space" as a sysproxy server sees it: the server names memory by address and
 * reads it with COPYIN, writes it with COPYOUT. A JavaScript client has no pointers, so each call
 * places its buffers at addresses of an emulated space — never reused while the connection lives —
 * and the server's copy requests are served from them, bounds-checked: an address outside every
 * live buffer reads as nothing and writes nowhere (where a C client would fault).
 */
import { nameCString } from './structs.js';

/** Where the emulated space starts (anything but NULL and the first page). */
const BASE = 0x10_0000;
/** Buffers are placed this far apart, so an overrun of one never lands in the next. */
const GAP = 64;

export class AddressSpace {
  #next = BASE;
  /** Live buffers by start address (few at a time: a call's arguments). */
  readonly #regions = new Map<number, Uint8Array>();

  /** Place `data` (used as it is: COPYOUT writes into it) and return its address. */
  map(data: Uint8Array): number {
    const addr = this.#next;
    this.#next += Math.ceil((data.length + GAP) / 16) * 16;
    this.#regions.set(addr, data);
    return addr;
  }

  /** Place a C string: a name's bytes (escaped bytes as themselves, structs nameCString) and a NUL. */
  mapString(s: string): number {
    return this.map(nameCString(s));
  }

  unmap(addr: number): void {
    this.#regions.delete(addr);
  }

  /** Bytes mapped now (the ANONMMAP bound counts them). */
  get mapped(): number {
    let n = 0;
    for (const r of this.#regions.values()) n += r.length;
    return n;
  }

  #find(addr: number): [number, Uint8Array] | undefined {
    for (const [a, r] of this.#regions) if (addr >= a && addr < a + r.length) return [a, r];
    return undefined;
  }

  /** COPYIN: `len` bytes at `addr`, or fewer where the buffer ends (none outside every buffer). */
  read(addr: number, len: number): Uint8Array {
    const f = this.#find(addr);
    if (!f) return new Uint8Array(0);
    const [a, r] = f;
    return r.subarray(addr - a, Math.min(r.length, addr - a + len));
  }

  /** COPYINSTR: the string at `addr` with its NUL, at most `max` bytes. */
  readString(addr: number, max: number): Uint8Array {
    const b = this.read(addr, max);
    const nul = b.indexOf(0);
    return nul < 0 ? b : b.subarray(0, nul + 1);
  }

  /** COPYOUT: `data` to `addr`, as far as the buffer there reaches. Returns the bytes written. */
  write(addr: number, data: Uint8Array): number {
    const f = this.#find(addr);
    if (!f) return 0;
    const [a, r] = f;
    const n = Math.min(data.length, r.length - (addr - a));
    r.set(data.subarray(0, n), addr - a);
    return n;
  }
}
