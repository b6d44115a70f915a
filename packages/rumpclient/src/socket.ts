/** The client end of a locator: a connected unix or tcp socket (tcp with TCP_NODELAY, as sp_common.c sets). */
import { createConnection, type Socket } from 'node:net';
import { type ErrnoCode, errno } from '@rumpts/librump';
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

