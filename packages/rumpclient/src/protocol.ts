/**
 * @rumpts/rumpclient/protocol — the wire codecs of both protocols, for servers and tools that speak
 * them (the rumpts server implements its side on these): frame reassembly, our framed protocol
 * (docs/protocol.md of @rumpts/server) and NetBSD's sysproxy 0.4 with its NetBSD struct layouts.
 */
export { FrameAssembler, type FrameLayout } from './assembler.js';
export { ProtocolError } from './errors.js';
export { type ArgKind, CALL_BY_OP, type CallInfo, type CallName, CALLS, opOf } from './rumpts/calls.js';
export { MAX_DEPTH, Reader, type WireValue, Writer } from './rumpts/codec.js';
export {
  beginFrame, DEFAULT_MAX_FRAME, endFrame, type Frame, FrameReader, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO, parseFrame,
  RUMPTS_LAYOUT,
} from './rumpts/frame.js';
export { PROTO_MAJOR, PROTO_MINOR } from './rumpts/version.js';
export * from './sysproxy/wire.js';
export * from './sysproxy/structs.js';
export * from './sysproxy/sysnum.js';
