/** Protocol identity (docs/protocol.md §3). A different major version is refused at the handshake. */
export const PROTO_MAJOR = 1;
/** Minor version: additions a peer of the same major version may lack. */
export const PROTO_MINOR = 1;
