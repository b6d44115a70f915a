/**
 * Token files: a tcp server always requires a shared secret unless started insecure, and a client on
 * the same machine finds it from the URL alone. The file of `tcp://HOST:PORT/` is
 *
 *   $XDG_RUNTIME_DIR/rumpts/tcp-HOST-PORT.token   (when XDG_RUNTIME_DIR is set to an absolute path)
 *   ~/.rumpts/tcp-HOST-PORT.token                 (otherwise)
 *
 * in a directory of mode 0700, the file 0600, holding the token and a newline. A server on every
 * address (`tcp://0:PORT/`) writes HOST `0.0.0.0`; a client that finds no file for its own HOST
 * tries that one. Clients take RUMP_SERVER_TOKEN first, then the file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { errno } from '@rumpts/librump';
import type { RumpUrl } from './url.js';

type TcpUrl = Extract<RumpUrl, { proto: 'tcp' }>;

/** The directory token files live in (see the file comment). */
export function tokenDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'rumpts');
  return join(env['HOME'] !== undefined && isAbsolute(env['HOME']) ? env['HOME'] : homedir(), '.rumpts');
}

/** The token file of a tcp locator's host and port. */
export function tokenFilePath(url: Pick<TcpUrl, 'host' | 'port'>, env: NodeJS.ProcessEnv = process.env): string {
  return join(tokenDir(env), `tcp-${url.host}-${url.port}.token`);
}

/** A fresh random token: 32 bytes, hex. */
export function generateToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Write `token` as the token file of `url` (mode 0600, replaced atomically), creating the directory
 * 0700. A directory that is not ours or is open to others is refused (EPERM), never used.
 */
export function writeTokenFile(url: Pick<TcpUrl, 'host' | 'port'>, token: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = tokenDir(env);
  const path = tokenFilePath(url, env);
  let st;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // told apart below: it exists as something else, or cannot be made
  }
  try {
    st = lstatSync(dir);
  } catch (e) {
    throw errno('EACCES', `cannot create the token directory ${dir}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw errno('ENOTDIR', `token directory ${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw errno('EPERM', `token directory ${dir} belongs to uid ${st.uid}, not to this user`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw errno('EACCES', `cannot write the token file ${path}: ${(e as Error).message}`);
  }
  return path;
}

/** Remove the token file of `url` if it still holds `token` (a newer server may have replaced it). */
export function removeTokenFile(path: string, token: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === token) unlinkSync(path);
  } catch {
    // gone already
  }
}

/**
 * The token a client should send to `url`: RUMP_SERVER_TOKEN if set, else the token file of the
 * url's host and port (or of 0.0.0.0 and the port), else undefined. Unix sockets have no token file:
 * the socket itself is 0600.
 */
export function clientToken(url: RumpUrl, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['RUMP_SERVER_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (url.proto !== 'tcp') return undefined;
  for (const host of url.host === '0.0.0.0' ? [url.host] : [url.host, '0.0.0.0']) {
    try {
      const t = readFileSync(tokenFilePath({ host, port: url.port }, env), 'utf8').trim();
      if (t !== '') return t;
    } catch {
      // no file for this host
    }
  }
  return undefined;
}
