/**
 * Reassembly of length-prefixed frames from a byte stream, in linear time: chunks are kept in a list
 * with a running length and each frame is copied at most once, when its last byte has arrived (a
 * frame that lies inside one chunk is not copied at all). The layout — where the length sits and how
 * big the header is — is a parameter, so a second protocol (NetBSD's sysproxy, with a 64-bit length)
 * reuses this with its own layout. The frame-size limit can change between frames (a connection
 * lowers it until its peer has authenticated) and is checked as soon as a length field is complete,
 * before the body is buffered.
 */
import { ProtocolError } from './codec.js';

/** Where a protocol keeps a frame's total length (header included). */
export interface FrameLayout {
  /** Bytes needed to decode the length (the length field's end offset). */
  readonly lengthBytes: number;
  /** The smallest valid frame (the header size). */
  readonly minFrame: number;
  /** Decode the total frame length from the first `lengthBytes` bytes. */
  length(head: Buffer): number;
}

export class FrameAssembler {
  #chunks: Buffer[] = [];
  /** Index of the first live chunk and the offset of the first live byte inside it. */
  #first = 0;
  #off = 0;
  #have = 0;
  /** Bytes copied while joining pieces of frames (each frame byte at most once). */
  copied = 0;

  constructor(
    readonly layout: FrameLayout,
    /** Frames longer than this are a protocol violation. */
    public maxFrame: number,
    /** Named in the error when the limit is the pre-authentication one. */
    public limitName = '',
  ) {}

  /** Bytes held that are not yet part of a frame returned by next(). */
  get pending(): number {
    return this.#have;
  }

  /** Add a chunk. Throws ProtocolError if the frame now at the front has a bad length. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    this.#headLength();
  }

  /** The length of the frame at the front, checked against the limits, or -1 if not yet known. */
  #headLength(): number {
    const lb = this.layout.lengthBytes;
    if (this.#have < lb) return -1;
    const first = this.#chunks[this.#first] as Buffer;
    const head = first.length - this.#off >= lb ? first.subarray(this.#off, this.#off + lb) : this.#peek(lb);
    const len = this.layout.length(head);
    if (len < this.layout.minFrame) throw new ProtocolError(`frame length ${len} is below the ${this.layout.minFrame}-byte header`);
    if (len > this.maxFrame) throw new ProtocolError(`frame length ${len} exceeds the limit of ${this.maxFrame} bytes${this.limitName}`);
    return len;
  }

  /** Copy the first n live bytes (n is tiny: a length field that straddles chunks). */
  #peek(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    for (let i = this.#first, off = this.#off; got < n; i++, off = 0) {
      const c = this.#chunks[i] as Buffer;
      got += c.copy(out, got, off, Math.min(c.length, off + n - got));
    }
    return out;
  }

  /**
   * The next whole frame, or undefined until more bytes arrive. Throws ProtocolError for a length
   * below the header or above the limit (the caller closes the connection).
   */
  next(): Buffer | undefined {
    const len = this.#headLength();
    if (len < 0 || this.#have < len) return undefined;
    const first = this.#chunks[this.#first] as Buffer;
    let frame: Buffer;
    if (first.length - this.#off >= len) {
      frame = first.subarray(this.#off, this.#off + len);
      this.#off += len;
    } else {
      frame = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const c = this.#chunks[this.#first] as Buffer;
        const take = Math.min(c.length - this.#off, len - got);
        c.copy(frame, got, this.#off, this.#off + take);
        got += take;
        this.#off += take;
        if (this.#off === c.length) this.#drop();
      }
      this.copied += len;
    }
    this.#have -= len;
    if (this.#first < this.#chunks.length && this.#off === (this.#chunks[this.#first] as Buffer).length) this.#drop();
    return frame;
  }

  /** Release the first chunk; compact the list now and then so it stays O(1) amortised. */
  #drop(): void {
    this.#chunks[this.#first] = EMPTY;
    this.#first++;
    this.#off = 0;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 64 && this.#first * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Drop everything held (the connection is gone). */
  clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#off = 0;
    this.#have = 0;
  }
}

const EMPTY = Buffer.alloc(0);
