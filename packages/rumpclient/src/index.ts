/**
 * @rumpts/rumpclient — librumpclient for rumpts: connect to a rump server and make the system calls
 * of a kernel process remotely, as promises. Two protocols: ours (the default; any rumpts
 * rump_server) and NetBSD's sysproxy (`protocol: 'sysproxy'`: NetBSD's rump_server written in C, or
 * ours, which speaks both).
 */
export { connect, type ConnectOptions, type RemoteClient } from './connect.js';
export { RumpClient, type RumpClientOptions, type ServerInfo } from './rumpts/client.js';
export { type Retvals, type Slot, SysproxyClient, type SysproxyOptions } from './sysproxy/client.js';
export { ProtocolError } from './errors.js';
export { clientToken, generateToken, removeTokenFile, tokenDir, tokenFilePath, writeTokenFile } from './token.js';
export { parseUrl, type RumpUrl, SUN_PATH_MAX } from './url.js';
export { DEFAULT_MAX_FRAME, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO } from './rumpts/frame.js';
export { PROTO_MAJOR, PROTO_MINOR } from './rumpts/version.js';
export { CALLS, type CallName } from './rumpts/calls.js';
export { type WireValue } from './rumpts/codec.js';
