/**
 * The listening side (rumpuser_sp.c): a net.Server on a unix or tcp socket. Every accepted connection
 * becomes a Connection with its own kernel process. reboot(2) from a client — rump.halt — syncs and
 * halts the kernel, answers the caller, removes the socket and stops listening.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { errno, type Kernel, OSRELEASE, OSTYPE, type Proc, RB_DUMP, RB_HALT, RUMPTS_VERSION } from '@rumpts/librump';
import { DEFAULT_MAX_FRAME } from '../protocol/frame.js';
import { PROTO_MAJOR, PROTO_MINOR } from '../protocol/version.js';
import { parseUrl, type RumpUrl } from '../url.js';
import { Connection, type ConnectionHost } from './connection.js';

export interface ServerOptions {
  kernel: Kernel;
  /** unix://path or tcp://addr:port/ (port 0 picks a free one; see `url` after listen). */
  url: string;
  /** Shared secret clients must present (RUMP_SERVER_TOKEN). */
  token?: string;
  /** Frame-size limit in bytes (default 4 MiB). */
  maxFrame?: number;
  /** Log lines (default: stderr, prefixed with the program name). */
  log?: (line: string) => void;
  /** Also log connects and disconnects. */
  verbose?: boolean;
  /** Close connections that send no handshake within this time (default 10 s). */
  handshakeTimeoutMs?: number;
}

/** How the server ended: the reboot flags (RB_*) of the halt. */
export interface ServerExit {
  howto: number;
}

export class RumpServer implements ConnectionHost {
  readonly kernel: Kernel;
  readonly maxFrame: number;
  readonly token: string | undefined;
  readonly banner: string;
  /** The locator clients use (for tcp port 0, the port actually bound). */
  url: RumpUrl;
  readonly #server: Server;
  readonly #conns = new Set<Connection>();
  readonly #log: (line: string) => void;
  readonly #verbose: boolean;
  readonly #handshakeMs: number;
  #nextId = 1;
  #halting = false;
  #resolveExit!: (e: ServerExit) => void;
  /** Resolves once the kernel has been halted and the socket is closed. */
  readonly exited: Promise<ServerExit>;

  private constructor(opts: ServerOptions, url: RumpUrl) {
    this.kernel = opts.kernel;
    this.url = url;
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
    this.token = opts.token === '' ? undefined : opts.token;
    this.banner = `RUMPTS-${PROTO_MAJOR}.${PROTO_MINOR}-${OSTYPE}-${OSRELEASE}/rumpts-${RUMPTS_VERSION}`;
    this.#log = opts.log ?? ((line) => process.stderr.write(`rump_server: ${line}\n`));
    this.#verbose = opts.verbose ?? false;
    this.#handshakeMs = opts.handshakeTimeoutMs ?? 10_000;
    this.exited = new Promise((r) => (this.#resolveExit = r));
    this.#server = createServer({ noDelay: true }, (s) => this.#accept(s));
    this.#server.maxConnections = 1024;
  }

  /** Start listening; resolves once clients can connect. */
  static async listen(opts: ServerOptions): Promise<RumpServer> {
    const url = parseUrl(opts.url, true);
    const srv = new RumpServer(opts, url);
    await srv.#listen();
    return srv;
  }

  async #listen(): Promise<void> {
    const u = this.url;
    if (u.proto === 'unix') await removeStaleSocket(u.path);
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        const where = u.proto === 'unix' ? u.path : `${u.host}:${u.port}`;
        const code = e.code === 'EADDRINUSE' ? 'EADDRINUSE' : e.code === 'EACCES' ? 'EACCES' : e.code === 'EADDRNOTAVAIL' ? 'EADDRNOTAVAIL' : 'EIO';
        reject(errno(code, `cannot listen on ${where}: ${e.message}`));
      };
      this.#server.once('error', onError);
      if (u.proto === 'unix') {
        // The socket is created 0600: only its owner may talk to the kernel (bind happens inside listen()).
        const old = process.umask(0o177);
        try {
          this.#server.listen(u.path, () => {
            this.#server.off('error', onError);
            resolve();
          });
        } finally {
          process.umask(old);
        }
      } else {
        this.#server.listen(u.port, u.host, () => {
          this.#server.off('error', onError);
          resolve();
        });
      }
    });
    this.#server.on('error', (e) => this.#log(`listen socket: ${e.message}`));
    if (u.proto === 'unix') {
      chmodSync(u.path, 0o600);
    } else {
      const a = this.#server.address();
      if (a && typeof a === 'object') this.url = { ...u, port: a.port, url: `tcp://${u.any ? '127.0.0.1' : u.host}:${a.port}/` };
    }
  }

  get connections(): number {
    return this.#conns.size;
  }

  log(line: string): void {
    this.#log(line);
  }

  debug(line: string): void {
    if (this.#verbose) this.#log(line);
  }

  newproc(): Proc {
    return this.kernel.newproc();
  }

  closed(conn: Connection): void {
    if (this.#conns.delete(conn)) this.debug(`connection ${conn.id}: closed`);
  }

  #accept(s: Socket): void {
    if (this.#halting) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    const c = new Connection(this.#nextId++, s, this, this.#handshakeMs);
    this.#conns.add(c);
    this.debug(`connection ${c.id}: accepted`);
  }

  reboot(conn: Connection, howto: number, reply: () => void): void {
    this.debug(`connection ${conn.id}: reboot(0x${howto.toString(16)})`);
    void this.halt(howto, reply);
  }

  /**
   * Halt: sync and unmount (unless RB_NOSYNC), answer the caller (if any), remove the socket, stop
   * listening, drop the other connections. Resolves `exited`.
   */
  async halt(howto = 0, reply?: () => void): Promise<void> {
    if (this.#halting) return this.exited.then(() => undefined);
    this.#halting = true;
    this.#log('rump kernel halting...');
    if ((howto & RB_DUMP) !== 0) {
      this.#log('RB_DUMP: dumping core');
      process.abort();
    }
    try {
      this.kernel.halt(howto);
    } catch (e) {
      this.#log(`halt: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.url.proto === 'unix') {
      try {
        unlinkSync(this.url.path);
      } catch {
        // already gone
      }
    }
    reply?.();
    const closing = new Promise<void>((r) => this.#server.close(() => r()));
    for (const c of [...this.#conns]) c.end();
    await closing;
    this.#log((howto & RB_HALT) !== 0 ? 'halted (with RB_HALT, not exiting)' : 'halted');
    this.#resolveExit({ howto });
  }
}

/**
 * A unix socket left by a server that died is replaced; a live one (something accepts) is EADDRINUSE,
 * and a path that is not a socket is never touched.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSock: boolean;
  try {
    isSock = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSock) throw errno('EADDRINUSE', `cannot listen on ${path}: the path exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw errno('EADDRINUSE', `cannot listen on ${path}: a server is already listening there`);
  unlinkSync(path);
}
