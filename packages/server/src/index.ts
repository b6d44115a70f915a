/**
 * @rumpts/server — rump_server(1) for rumpts: a rump kernel served over unix or tcp sockets with
 * our framed protocol (docs/protocol.md), the client library, and the start-up pieces the CLIs use.
 */
export { connect, type ConnectOptions, RumpClient, type ServerInfo } from './client/client.js';
export { RumpServer, type ServerExit, type ServerOptions, type ServerStats } from './server/server.js';
export { DEFAULT_LIMITS, type ServerLimits } from './server/limits.js';
export { clientToken, generateToken, tokenDir, tokenFilePath } from './token.js';
export { parseUrl, type RumpUrl, SUN_PATH_MAX } from './url.js';
export { parseSize } from './size.js';
export { type AppliedDrive, applyDrivespec, type Drivespec, parseDrivespec } from './drivespec.js';
export { ALL_LIBRARIES, bootServerKernel, type BootOptions, librarySpecs, type MountSpec, parseMountSpec } from './boot.js';
export { CALLS, type CallName } from './protocol/calls.js';
export { ProtocolError, type WireValue } from './protocol/codec.js';
export { DEFAULT_MAX_FRAME, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO } from './protocol/frame.js';
export { PROTO_MAJOR, PROTO_MINOR } from './protocol/version.js';
