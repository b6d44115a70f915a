/** The peer broke the protocol (a bad frame, a length over the limit): the connection is closed. */
export class ProtocolError extends Error {
/** Always 'ProtocolError'. */
  override name = 'ProtocolError';
}
