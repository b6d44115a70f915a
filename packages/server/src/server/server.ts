/**
 * The listening side (rumpuser_sp.c): a net.Server on a unix or tcp socket. Every accepted connection
 * becomes a Connection with its own kernel process. reboot(2) from a client — rump.halt — syncs and
 * halts the kernel, answers the caller, removes the socket and stops listening.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { errno, type Kernel, OSRELEASE, OSTYPE, type Proc, RB_DUMP, RB_HALT, RB_NOSYNC, RUMPTS_VERSION } from '@rumpts/librump';
import { PROTO_MAJOR, PROTO_MINOR } from '../protocol/version.js';
import { generateToken, removeTokenFile, writeTokenFile } from '../token.js';
import { parseUrl, type RumpUrl } from '../url.js';
import { ReplyBudget } from './budget.js';
import { Connection, type ConnectionHost } from './connection.js';
import { resolveLimits, type ServerLimits } from './limits.js';
import { ConnectionSlots } from './slots.js';

/** Log lines caused by unauthenticated peers: a burst of this many, then one per LOG_REFILL_MS. */
const LOG_BURST = 20;
const LOG_REFILL_MS = 1000;

export interface ServerOptions {
  kernel: Kernel;
  /** unix://path or tcp://addr:port/ (port 0 picks a free one; see `url` after listen). */
  url: string;
  /**
   * Shared secret clients must present (RUMP_SERVER_TOKEN). On tcp, when none is given, one is
   * generated (unless `insecure`); either way it is written to the url's token file (token.ts).
   */
  token?: string;
  /** tcp without a token: any local user (or anyone who can reach the port) may use the kernel. */
  insecure?: boolean;
  /** Frame-size limit in bytes (default 4 MiB); the same as limits.maxFrame. */
  maxFrame?: number;
  /** Log lines (default: stderr, prefixed with the program name). */
  log?: (line: string) => void;
  /** Also log connects and disconnects. */
  verbose?: boolean;
  /** Close connections that send no handshake within this time (default 3 s); the same as limits.handshakeTimeoutMs. */
  handshakeTimeoutMs?: number;
  /** Resource limits (limits.ts); unset ones take their defaults. */
  limits?: Partial<ServerLimits>;
}

/** What the server holds right now, for monitoring and tests. */
export interface ServerStats {
  /** Authenticated connections. */
  connections: number;
  /** Connections still in the handshake. */
  unauthenticated: number;
  /** Reply bytes waiting to be taken by peers, all connections together. */
  replyBytes: number;
  /** The most reply bytes that ever waited. */
  peakReplyBytes: number;
  /** Connections closed because their replies stalled while the budget was exhausted. */
  stalledEvictions: number;
  /** Connections closed to free a handshake slot. */
  handshakeEvictions: number;
  /** Connections refused because every handshake slot was in its grace period. */
  handshakeRefusals: number;
}

/** How the server ended: the reboot flags (RB_*) of the halt. */
export interface ServerExit {
  howto: number;
}

export class RumpServer implements ConnectionHost {
  readonly kernel: Kernel;
  readonly limits: ServerLimits;
  readonly budget: ReplyBudget;
  readonly slots: ConnectionSlots;
  /** The secret clients must present, if any. */
  token: string | undefined;
  /** Where the token was written for local clients (tcp only). */
  tokenFile: string | undefined;
  readonly banner: string;
  /** The locator clients use (for tcp port 0, the port actually bound). */
  url: RumpUrl;
  readonly #server: Server;
  readonly #conns = new Set<Connection>();
  readonly #log: (line: string) => void;
  readonly #verbose: boolean;
  readonly #insecure: boolean;
  #logTokens = LOG_BURST;
  #logStamp = performance.now();
  #logSuppressed = 0;
  #nextId = 1;
  #halting = false;
  #resolveExit!: (e: ServerExit) => void;
  /** Resolves once the kernel has been halted and the socket is closed. */
  readonly exited: Promise<ServerExit>;

  private constructor(opts: ServerOptions, url: RumpUrl) {
    this.kernel = opts.kernel;
    this.url = url;
    this.limits = resolveLimits({
      ...(opts.maxFrame !== undefined ? { maxFrame: opts.maxFrame } : {}),
      ...(opts.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
      ...opts.limits,
    });
    this.budget = new ReplyBudget(this.limits.serverReplyBytes, this.limits.reserveReplyBytes, this.limits.stallTimeoutMs);
    this.slots = new ConnectionSlots(this.limits.maxUnauthenticated, this.limits.maxConnections);
    this.token = opts.token === '' ? undefined : opts.token;
    this.#insecure = opts.insecure === true;
    this.banner = `RUMPTS-${PROTO_MAJOR}.${PROTO_MINOR}-${OSTYPE}-${OSRELEASE}/rumpts-${RUMPTS_VERSION}`;
    this.#log = opts.log ?? ((line) => process.stderr.write(`rump_server: ${line}\n`));
    this.#verbose = opts.verbose ?? false;
    this.exited = new Promise((r) => (this.#resolveExit = r));
    this.#server = createServer({ noDelay: true }, (s) => this.#accept(s));
  }

  /** The frame-size limit of authenticated connections. */
  get maxFrame(): number {
    return this.limits.maxFrame;
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
      const port = a && typeof a === 'object' ? a.port : u.port;
      this.url = { ...u, port, url: `tcp://${u.any ? '127.0.0.1' : u.host}:${port}/` };
      const generated = this.token === undefined && !this.#insecure;
      if (generated) this.token = generateToken();
      if (this.token !== undefined) {
        try {
          this.tokenFile = writeTokenFile({ host: u.host, port }, this.token);
        } catch (e) {
          // A generated token nobody can read would lock everyone out; a given one is known to its clients.
          if (generated) {
            await new Promise<void>((r) => this.#server.close(() => r()));
            throw e;
          }
          this.#log(`warning: ${e instanceof Error ? e.message : String(e)}; clients need RUMP_SERVER_TOKEN`);
        }
      }
    }
  }

  /** Connections open (authenticated or not). */
  get connections(): number {
    return this.#conns.size;
  }

  /** What the server holds right now. */
  get stats(): ServerStats {
    return {
      connections: this.slots.authenticated,
      unauthenticated: this.slots.unauthenticated,
      replyBytes: this.budget.used,
      peakReplyBytes: this.budget.peak,
      stalledEvictions: this.budget.evictions,
      handshakeEvictions: this.slots.evictions,
      handshakeRefusals: this.slots.refusals,
    };
  }

  log(line: string): void {
    this.#log(line);
  }

  logUnauthenticated(line: string): void {
    const now = performance.now();
    this.#logTokens = Math.min(LOG_BURST, this.#logTokens + (now - this.#logStamp) / LOG_REFILL_MS);
    this.#logStamp = now;
    if (this.#logTokens < 1) {
      this.#logSuppressed++;
      return;
    }
    this.#logTokens -= 1;
    if (this.#logSuppressed > 0) {
      this.#log(`(${this.#logSuppressed} more lines about unauthenticated connections not shown)`);
      this.#logSuppressed = 0;
    }
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
    const c = new Connection(this.#nextId++, s, this);
    this.#conns.add(c);
    this.debug(`connection ${c.id}: accepted`);
    c.start();
  }

  reboot(conn: Connection, howto: number, reply: () => Promise<void>): void {
    this.debug(`connection ${conn.id}: reboot(0x${howto.toString(16)})`);
    void this.halt(howto, reply);
  }

  /**
   * Halt: sync and unmount (unless RB_NOSYNC), answer the caller (if any), remove the socket (and
   * the token file), stop listening, drop the other connections. Resolves `exited`. RB_DUMP dumps
   * core only after the sync: a dump never leaves the file systems unclean.
   */
  async halt(howto = 0, reply?: () => Promise<void> | void): Promise<void> {
    if (this.#halting) return this.exited.then(() => undefined);
    this.#halting = true;
    this.#log('rump kernel halting...');
    try {
      this.kernel.halt(howto);
    } catch (e) {
      this.#log(`halt: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.#removeFiles();
    const answered = reply?.();
    if ((howto & RB_DUMP) !== 0) {
      this.#log(`RB_DUMP: dumping core${(howto & RB_NOSYNC) !== 0 ? ' (RB_NOSYNC: not synced)' : ' after the sync'}`);
      // The caller hears that the kernel is down (a second at most), then the core is dumped.
      await Promise.race([answered, new Promise((r) => setTimeout(r, 1000).unref())]);
      process.abort();
    }
    const closing = new Promise<void>((r) => this.#server.close(() => r()));
    for (const c of [...this.#conns]) c.end();
    await closing;
    this.#log((howto & RB_HALT) !== 0 ? 'halted (with RB_HALT, not exiting)' : 'halted');
    this.#resolveExit({ howto });
  }

  #removeFiles(): void {
    if (this.url.proto === 'unix') {
      try {
        unlinkSync(this.url.path);
      } catch {
        // already gone
      }
    }
    if (this.tokenFile !== undefined && this.token !== undefined) removeTokenFile(this.tokenFile, this.token);
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
