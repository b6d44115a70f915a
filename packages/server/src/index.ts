/**
 * @rumpts/server — rump_server(1) for rumpts: a rump kernel served over unix or tcp sockets with
 * our framed protocol (docs/protocol.md), the client library, and the start-up pieces the CLIs use.
 */
export { RumpServer, type ServerExit, type ServerOptions, type ServerStats } from './server/server.js';
export { DEFAULT_LIMITS, type ServerLimits } from './server/limits.js';
export { parseSize } from './size.js';
export { type AppliedDrive, applyDrivespec, type Drivespec, parseDrivespec } from './drivespec.js';
export { ALL_LIBRARIES, bootServerKernel, type BootOptions, librarySpecs, type MountSpec, parseMountSpec } from './boot.js';
// The client and the wire codecs live in @rumpts/rumpclient; re-exported for programs written against
// this package before they moved.
export {
  CALLS, type CallName, clientToken, connect, type ConnectOptions, DEFAULT_MAX_FRAME, generateToken, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK,
  K_WELCOME, MAX_IO, parseUrl, ProtocolError, PROTO_MAJOR, PROTO_MINOR, type RemoteClient, RumpClient, type RumpUrl, type ServerInfo, SUN_PATH_MAX, tokenDir,
  tokenFilePath, type WireValue,
} from '@rumpts/rumpclient';
