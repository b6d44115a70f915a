/** The client end of a locator: a connected unix or tcp socket (tcp with TCP_NODELAY, as sp_common.c sets). */
import { createConnection, type Socket } from 'node:net';
import { type ErrnoCode, errno, RumpError } from '@rumpts/librump';
import type { RumpUrl } from './url.js';

/** Open the socket of `u`, failing with the connect error or ETIMEDOUT at the deadline. */
export function openSocket(u: RumpUrl, deadline: number, timeout: number): Promise<Socket> {
  const sock = u.proto === 'unix' ? createConnection(u.path) : createConnection({ host: u.host, port: u.port, noDelay: true });
  return new Promise<Socket>((resolve, reject) => {
    const t = setTimeout(() => {
      sock.destroy();
      reject(errno('ETIMEDOUT', `connect to ${u.url}: timed out after ${timeout} ms`));
    }, Math.max(0, deadline - performance.now()));
    sock.once('connect', () => {
      clearTimeout(t);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      const code: ErrnoCode = e.code === 'ENOENT' ? 'ENOENT' : e.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : e.code === 'EACCES' ? 'EACCES' : 'ENOTCONN';
      reject(errno(code, `connect to ${u.url}: ${e.message}`));
    });
  });
}


/**
 * Hand a connected socket's data to `onData`; an error or the close fails what is pending with
 * ENOTCONN through `fail` (the close after the error too), and the close then calls `closed`.
 */
export function watchSocket(sock: Socket, u: RumpUrl, onData: (c: Buffer) => void, fail: (e: RumpError) => void, closed: () => void): void {
  sock.on('data', onData);
  sock.on('error', (e: NodeJS.ErrnoException) => fail(new RumpError('ENOTCONN', `connection to ${u.url} failed: ${e.message}`)));
  sock.on('close', () => {
    fail(new RumpError('ENOTCONN', `connection to ${u.url} closed`));
    closed();
  });
}
