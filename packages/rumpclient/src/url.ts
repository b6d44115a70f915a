/**
 * Server locators (sp_common.c parseurl): `unix://PATH` and `tcp://A.B.C.D:PORT[/]`.
 * A relative unix path is resolved against the cwd at parse time, as NetBSD does, so a detached
 * server and the clients it hands the URL to agree on one absolute path.
 */
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { errno } from '@rumpts/librump';

/** Linux sun_path is 108 bytes including the terminating NUL. */
export const SUN_PATH_MAX = 108;

/** A parsed server locator. */
export type RumpUrl =
  | {
      /** A unix-domain socket. */
      proto: 'unix';
      /** The socket's absolute path. */
      path: string;
      /** The locator, with the absolute path. */
      url: string;
    }
  | {
      /** A TCP socket (IPv4). */
      proto: 'tcp';
      /** The dotted IPv4 address (0.0.0.0 for INADDR_ANY). */
      host: string;
      /** The port. */
      port: number;
      /** The host was `*` or `0`: INADDR_ANY, for a server only. */
      any: boolean;
      /** The locator, normalised as `tcp://HOST:PORT/`. */
      url: string;
    };

/**
 * Parse a locator. `forServer` allows the INADDR_ANY host (`*` or `0`), which a client may not use.
 * Errors are RumpError EINVAL/ERANGE/ENAMETOOLONG/EOPNOTSUPP with the reason, as sp_common.c reports.
 */
export function parseUrl(url: string, forServer: boolean, cwd = process.cwd()): RumpUrl {
  const sep = url.indexOf('://');
  if (sep < 0) throw errno('EINVAL', `invalid locator '${url}' (expected unix://path or tcp://addr:port/)`);
  const id = url.slice(0, sep);
  const rest = url.slice(sep + 3);
  if (id.length > 15) throw errno('EINVAL', `invalid locator '${url}': protocol name too long`);
  switch (id) {
    case 'unix': {
      if (rest === '') throw errno('EINVAL', `invalid locator '${url}': empty socket path`);
      const path = resolve(cwd, rest);
      if (Buffer.byteLength(path) >= SUN_PATH_MAX) {
        throw errno('ENAMETOOLONG', `socket path '${path}' is ${Buffer.byteLength(path)} bytes, the limit is ${SUN_PATH_MAX - 1}`);
      }
      return { proto: 'unix', path, url: `unix://${path}` };
    }
    case 'tcp': {
      const colon = rest.lastIndexOf(':');
      if (colon < 0) throw errno('EINVAL', `invalid locator '${url}': missing port specifier`);
      const hostPart = rest.slice(0, colon);
      const m = /^([0-9]+)\/?$/.exec(rest.slice(colon + 1));
      if (!m?.[1]) throw errno('EINVAL', `invalid locator '${url}': junk at end of port`);
      const port = Number(m[1]);
      if (port >= 65536) throw errno('ERANGE', `invalid locator '${url}': port ${port} out of range`);
      const any = hostPart === '*' || hostPart === '0';
      if (any && !forServer) throw errno('EINVAL', `invalid locator '${url}': client needs !INADDR_ANY`);
      const host = any ? '0.0.0.0' : hostPart;
      if (!isIPv4(host)) throw errno('EINVAL', `invalid locator '${url}': '${hostPart}' is not an IPv4 address`);
      return { proto: 'tcp', host, port, any, url: `tcp://${host}:${port}/` };
    }
    case 'tcp6':
      throw errno('EOPNOTSUPP', `invalid locator '${url}': tcp6 support not yet implemented`);
    default:
      throw errno('EINVAL', `invalid locator '${url}': unknown protocol '${id}'`);
  }
}
