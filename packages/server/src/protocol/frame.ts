/**
 * Frames of the rumpts protocol (docs/protocol.md §2): a 12-byte little-endian header — total length,
 * request id, kind, flags, operation — and a body. FrameReader reassembles frames from a byte stream
 * and enforces the frame-size limit as soon as a header's length field arrives.
 */
import { ProtocolError, type Writer } from './codec.js';

export const HEADER_SIZE = 12;
/** Default frame-size limit: 4 MiB, so 1 MiB I/O chunks fit with room to spare. */
export const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;
/** The largest read/write the client sends in one request; bigger ones are split. */
export const MAX_IO = 1024 * 1024;

/** Frame kinds (header byte 8). */
export const K_HELLO = 1;
export const K_WELCOME = 2;
export const K_CALL = 3;
export const K_OK = 4;
export const K_ERR = 5;
export const K_BYE = 6;

export interface Frame {
  id: number;
  kind: number;
  flags: number;
  op: number;
  /** The whole frame; the body is [HEADER_SIZE, buf.length). Valid only until the next push(). */
  buf: Buffer;
}

/** Start a frame in `w`: returns the header position for finish(). */
export function beginFrame(w: Writer, id: number, kind: number, op = 0): number {
  const at = w.pos;
  w.ensure(HEADER_SIZE);
  w.buf.writeUInt32LE(0, at);
  w.buf.writeUInt32LE(id >>> 0, at + 4);
  w.buf[at + 8] = kind;
  w.buf[at + 9] = 0;
  w.buf.writeUInt16LE(op, at + 10);
  w.pos += HEADER_SIZE;
  return at;
}

/** Patch the length of the frame begun at `at`. */
export function endFrame(w: Writer, at: number): void {
  w.buf.writeUInt32LE(w.pos - at, at);
}

/** Reassembles frames from stream chunks. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;

  constructor(readonly maxFrame = DEFAULT_MAX_FRAME) {}

  /** Bytes buffered but not yet part of a whole frame. */
  get pending(): number {
    return this.#have;
  }

  /**
   * Add a chunk and return every whole frame now available, in order. Throws ProtocolError for a
   * length below the header size or above the limit (the caller closes the connection).
   */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    const out: Frame[] = [];
    if (this.#have < 4) return out;
    let buf = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#have);
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32LE(pos);
      if (len < HEADER_SIZE) throw new ProtocolError(`frame length ${len} is below the ${HEADER_SIZE}-byte header`);
      if (len > this.maxFrame) throw new ProtocolError(`frame length ${len} exceeds the limit of ${this.maxFrame} bytes`);
      if (buf.length - pos < len) break;
      const f = buf.subarray(pos, pos + len);
      out.push({ id: f.readUInt32LE(4), kind: f[8] as number, flags: f[9] as number, op: f.readUInt16LE(10), buf: f });
      pos += len;
    }
    if (pos === buf.length) {
      this.#chunks = [];
      this.#have = 0;
    } else {
      buf = buf.subarray(pos);
      this.#chunks = [buf];
      this.#have = buf.length;
    }
    return out;
  }
}
