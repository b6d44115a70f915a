/**
 * The listening side (rumpuser_sp.c): a net.Server on a unix or tcp socket. Every accepted connection
 * becomes a Connection with its own kernel process. reboot(2) from a client — rump.halt — syncs and
 * halts the kernel, answers the caller, removes the socket and stops listening.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { errno, type ErrnoCode, type Kernel, OSRELEASE, OSTYPE, type Proc, RB_DUMP, RB_HALT, RB_NOSYNC, RUMP_RFCFDG, RUMPTS_VERSION } from '@rumpts/librump';
import { generateToken, parseUrl, PROTO_MAJOR, PROTO_MINOR, removeTokenFile, type RumpUrl, writeTokenFile } from '@rumpts/rumpclient';
import { HEADER_SIZE, K_HELLO, RUMPTS_LAYOUT, spBanner, SYSPROXY_LAYOUT } from '@rumpts/rumpclient/protocol';
import { ReplyBudget } from './budget.js';
import { ConnectionPipe, EndpointBase, type Sniffer } from './pipe.js';
import { byeFrame, Connection, type HostedConnection } from './connection.js';
import { SpConnection, type SpHost } from '../sysproxy/connection.js';
import { SpRefusal } from '../sysproxy/refusal.js';
import { PreforkTable } from '../sysproxy/prefork.js';
import { resolveLimits, type ServerLimits } from './limits.js';
import { ConnectionSlots } from './slots.js';

/** Log lines caused by unauthenticated peers: a burst of this many, then one per LOG_REFILL_MS. */
const LOG_BURST = 20;
const LOG_REFILL_MS = 1000;

/** What RumpServer.listen() serves, where, and how. */
export interface ServerOptions {
  /** The booted kernel to serve (bootServerKernel makes one). */
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
  /**
   * Also serve NetBSD's sysproxy clients (librumpclient, rump_sp(7)) on this listener: every
   * connection is greeted with the sysproxy banner and its first frame tells the two protocols
   * apart (docs/protocol.md §3). Default: on for unix sockets, and for tcp only when `insecure` —
   * sysproxy has no authentication, so it cannot sit behind a token. Where it is not served (tcp
   * with a token) the listener still greets with the banner, so that a sysproxy client's handshake
   * can be refused at once (ERROR AUTH, which librumpclient reports as EPERM) rather than left to
   * time out. `false` turns sysproxy off altogether: no banner, our protocol only.
   */
  sysproxy?: boolean;
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
  /** The RB_* flags reboot(2) was called with (RB_HALT, RB_POWERDOWN, RB_NOSYNC, RB_DUMP …). */
  howto: number;
}

/**
 * rump_server(1)'s listener: serves one kernel on a unix or tcp socket to clients of our protocol
 * and, unless turned off, of NetBSD's sysproxy on the same socket. Start one with RumpServer.listen().
 */
export class RumpServer implements SpHost {
  /** The kernel served. */
  readonly kernel: Kernel;
  /** The limits in force (the defaults, overridden by ServerOptions.limits). */
  readonly limits: ServerLimits;
  /** The reply bytes all connections may have waiting for slow readers, shared (ServerLimits.serverReplyBytes and reserveReplyBytes). */
  readonly budget: ReplyBudget;
  /** The handshake slots of connections not yet authenticated (ServerLimits.maxUnauthenticated). */
  readonly slots: ConnectionSlots;
  /** The secret clients must present, if any. */
  token: string | undefined;
  /** Where the token was written for local clients (tcp only). */
  tokenFile: string | undefined;
  /** Our protocol's identity line, sent in WELCOME: `RUMPTS-<version>-<ostype>-<osrelease>/rumpts-<version>`. */
  readonly banner: string;
  /** The sysproxy banner line, when this listener speaks sysproxy too. */
  readonly spBanner: string | undefined;
  /**
   * The banner every connection is greeted with: spBanner where sysproxy is served; the same line
   * where it is refused (tcp with a token), so that a sysproxy client is told so at once; none when
   * ServerOptions.sysproxy is false.
   */
  readonly #greeting: string | undefined;
  /** Preforked processes of sysproxy clients, waiting for their children. */
  readonly preforks = new PreforkTable();
  /** The locator clients use (for tcp port 0, the port actually bound). */
  url: RumpUrl;
  readonly #server: Server;
  readonly #conns = new Set<HostedConnection>();
  readonly #log: (line: string) => void;
  readonly #verbose: boolean;
  readonly #insecure: boolean;
  #logTokens = LOG_BURST;
  #logStamp = performance.now();
  #logSuppressed = 0;
  #nextId = 1;
  #initproc: Proc | undefined;
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
    const spAllowed = url.proto === 'unix' || (this.#insecure && this.token === undefined);
    if (opts.sysproxy === true && !spAllowed) {
      throw errno('EINVAL', 'sysproxy has no authentication: on tcp it is served only without a token, with --insecure');
    }
    this.spBanner = (opts.sysproxy ?? spAllowed) ? spBanner(OSTYPE, OSRELEASE, 'amd64') : undefined;
    this.#greeting = opts.sysproxy === false ? undefined : spBanner(OSTYPE, OSRELEASE, 'amd64');
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

  /** Write a line to the server's log (stderr, or the ServerOptions.log function). */
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

  /** Write a line to the log only when the server is verbose. */
  debug(line: string): void {
    if (this.#verbose) this.#log(line);
  }

  /** A new kernel process for a connection of our protocol. */
  newproc(): Proc {
    return this.kernel.newproc();
  }

  /**
   * NetBSD's rump kernel forks sysproxy guests off proc1 (init): made at the first guest, it takes
   * pid 1 on a fresh kernel, so guests are numbered from 2 as NetBSD's are (getpid's ppid is 1).
   */
  guestproc(): Proc {
    if (!this.#initproc || this.#initproc.exited) this.#initproc = this.kernel.newproc();
    return this.#initproc.rfork(RUMP_RFCFDG);
  }

  /** A connection has ended: forget it. */
  closed(conn: HostedConnection): void {
    if (this.#conns.delete(conn)) this.debug(`connection ${conn.id}: closed`);
  }

  #accept(s: Socket): void {
    if (this.#halting) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    const id = this.#nextId++;
    this.debug(`connection ${id}: accepted`);
    if (this.#greeting === undefined) {
      const c = new Connection(id, s, this);
      this.#conns.add(c);
      c.start();
      return;
    }
    // The sysproxy banner first (librumpclient reads it before it says anything); our client skips
    // it and sends HELLO, librumpclient sends its handshake. The first bytes decide. A sysproxy
    // client where sysproxy is not served is refused at its handshake, with no kernel in reach.
    s.write(this.#greeting);
    const pipe = new ConnectionPipe(s, undefined, this);
    const pending = new Undecided(id, this, pipe);
    this.#conns.add(pending);
    const sniffer: Sniffer = {
      need: SNIFF_BYTES,
      decide: (head) => {
        this.#conns.delete(pending);
        if (isRumptsHello(head)) {
          const c = new Connection(id, s, this, pipe);
          this.#conns.add(c);
          return { layout: RUMPTS_LAYOUT, endpoint: c };
        }
        if (this.spBanner === undefined) {
          const r = new SpRefusal(id, this, pipe);
          this.#conns.add(r);
          return { layout: SYSPROXY_LAYOUT, endpoint: r };
        }
        const c = new SpConnection(id, this, pipe);
        this.#conns.add(c);
        this.debug(`connection ${id}: sysproxy`);
        return { layout: SYSPROXY_LAYOUT, endpoint: c };
      },
    };
    pipe.start(pending, sniffer);
  }

  reboot(conn: HostedConnection, howto: number, reply: () => Promise<void>): void {
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

/** Bytes that tell the protocols apart: our HELLO's first value tag sits at byte 16. */
const SNIFF_BYTES = HEADER_SIZE + 5;
/** T_MAP, the tag of the HELLO's map (codec.ts). */
const T_MAP = 0x08;

/**
 * Our HELLO: kind HELLO at byte 8, a major version ≥ 1 at 12, and the map's tag at 16. A sysproxy
 * client's first frame has its class there (0 for a request), and a reqno below 2^32 leaves 12..15 zero.
 */
function isRumptsHello(h: Buffer): boolean {
  return h[8] === K_HELLO && h.readUInt16LE(HEADER_SIZE) >= 1 && h[HEADER_SIZE + 4] === T_MAP;
}

/**
 * A connection whose protocol its first bytes have not told yet: it can only time out or go. It is
 * told why in our protocol's words (a BYE, which our client waits for); a sysproxy client always
 * sends its whole handshake at once, so only ours can be caught half-way.
 */
class Undecided extends EndpointBase implements HostedConnection {
  constructor(
    readonly id: number,
    readonly host: RumpServer,
    readonly pipe: ConnectionPipe,
  ) {
    super();
  }

  frame(): void {
    // never called: frames exist only once the protocol is known
  }

  protected drop(code: ErrnoCode, why: string, now: boolean): void {
    this.host.logUnauthenticated(`connection ${this.id}: ${why}; closing it`);
    this.pipe.close(now ? undefined : byeFrame(code, why), now);
  }

  violation(e: unknown): void {
    this.drop('EPROTO', e instanceof Error ? e.message : String(e), false);
  }

  gone(): void {
    this.host.closed(this);
  }

  end(): void {
    this.pipe.close(undefined, true);
  }
}
