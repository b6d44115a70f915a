/**
 * Frames of the rumpts protocol (docs/protocol.md §2): a 12-byte little-endian header — total length,
 * request id, kind, flags, operation — and a body. FrameReader reassembles frames from a byte stream
 * (FrameAssembler) and enforces the frame-size limit as soon as a header's length field arrives.
 */
import { FrameAssembler, type FrameLayout } from './assembler.js';
import type { Writer } from './codec.js';

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
  /** The whole frame; the body is [HEADER_SIZE, buf.length). */
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

/** Where the rumpts header keeps a frame's length: the first u32, little-endian. */
export const RUMPTS_LAYOUT: FrameLayout = {
  lengthBytes: 4,
  minFrame: HEADER_SIZE,
  length: (head) => head.readUInt32LE(0),
};

/** Decode the header of a whole frame. */
export function parseFrame(f: Buffer): Frame {
  return { id: f.readUInt32LE(4), kind: f[8] as number, flags: f[9] as number, op: f.readUInt16LE(10), buf: f };
}

/** Reassembles rumpts frames from stream chunks (linear time; see FrameAssembler). */
export class FrameReader {
  readonly assembler: FrameAssembler;

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.assembler = new FrameAssembler(RUMPTS_LAYOUT, maxFrame);
  }

  /** Bytes buffered but not yet part of a whole frame. */
  get pending(): number {
    return this.assembler.pending;
  }

  /**
   * Add a chunk and return every whole frame now available, in order. Throws ProtocolError for a
   * length below the header size or above the limit (the caller closes the connection).
   */
  push(chunk: Buffer): Frame[] {
    this.assembler.push(chunk);
    const out: Frame[] = [];
    for (let f = this.assembler.next(); f; f = this.assembler.next()) out.push(parseFrame(f));
    return out;
  }
}
