/**
 * fsu's standard output, error and input.
 *
 * Output goes out with synchronous write(2)s on fd 1: when `write` returns, the bytes are in the pipe
 * or file and the caller may reuse its buffer. (`process.stdout.write` keeps a reference to a buffer
 * while a pipe is full, and `fsu cat` reusing its read buffer corrupted everything after the first
 * 64 KiB sent into a slow pipe.) Node turns a pipe non-blocking as soon as it wraps it — any import of
 * `node:process` does — so EAGAIN only means "the pipe is full": the descriptor is put back to
 * blocking where the handle allows, else fsu naps and retries. A closed reader (EPIPE, `fsu … | head`)
 * ends the command quietly, as SIGPIPE ends a Unix tool.
 */
import { fstatSync, readSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Tty from 'node:tty';
import { hostErr, errorLine } from './errors.js';
import { CommanderError } from 'commander';
import { hint, UsageError } from './usage.js';

/**
 * isatty(fd), asking node:tty (which loads net and the stream modules behind it) only about a
 * character device other than /dev/null: a pipe or a file is never a terminal, and most runs write to one.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    // Nor is /dev/null, where benchmarks and scripts send what they do not want.
    if (st.rdev === nullDevice()) return false;
  } catch {
    return false;
  }
  return (createRequire(import.meta.url)('node:tty') as typeof Tty).isatty(fd);
}

let devNull: number | undefined;
function nullDevice(): number {
  if (devNull === undefined) {
    try {
      devNull = statSync('/dev/null').rdev;
    } catch {
      devNull = -1;
    }
  }
  return devNull;
}

/** The reader of standard output went away (EPIPE): stop, say nothing. */
export class BrokenPipe extends Error {
  constructor() {
    super('standard output closed');
  }
}

/** 128 + SIGPIPE: what a shell reports for a Unix tool that wrote into a closed pipe. */
export const EXIT_BROKEN_PIPE = 141;

/** How errors name standard output; a failure there ends the run (no later operand can be printed). */
const STDOUT = 'standard output';

const napCell = new Int32Array(new SharedArrayBuffer(4));
const unblocked = new Set<number>();

/** Put fd 1 or 2 back to blocking mode through Node's own handle (libuv's uv_stream_set_blocking). */
function unblock(fd: number): boolean {
  if (unblocked.has(fd)) return false;
  unblocked.add(fd);
  const stream: unknown = fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined;
  const handle = (stream as { _handle?: { setBlocking?: (blocking: boolean) => number } } | undefined)?._handle;
  return typeof handle?.setBlocking === 'function' && handle.setBlocking(true) === 0;
}

/** write(2) all of `buf` to `fd`, waiting while the pipe is full. Throws BrokenPipe on EPIPE. */
export function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  let nap = 0.05;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
      nap = 0.05;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        if (unblock(fd)) continue;
        Atomics.wait(napCell, 0, 0, nap);
        nap = Math.min(nap * 2, 20);
        continue;
      }
      if (code === 'EINTR') continue;
      if (code === 'EPIPE') throw new BrokenPipe();
      throw hostErr(e, fd === 1 ? STDOUT : 'standard error');
    }
  }
}

const LINE_BUFFER = 64 * 1024;

/**
 * Standard output and error of one fsu run, and its exit status: commands report a failed operand
 * with `fail` and go on with the next, as the Unix tools do; the run then ends with status 1.
 */
export class Io {
  status = 0;
  #lines: string[] = [];
  #pending = 0;
  readonly #tty = isTerminal(1);

  /** One line on standard output (buffered like stdio: by line on a terminal, in 64 KiB blocks otherwise). */
  out = (line: string): void => {
    this.text(`${line}\n`);
  };

  /** Text on standard output, buffered as `out` is. */
  text(s: string): void {
    this.#lines.push(s);
    this.#pending += s.length;
    if (this.#tty || this.#pending >= LINE_BUFFER) this.flush();
  }

  /** Bytes on standard output; the buffer is free again when this returns. */
  write = (b: Uint8Array): void => {
    this.flush();
    writeAll(1, b);
  };

  flush(): void {
    if (this.#pending === 0) return;
    const s = this.#lines.join('');
    this.#lines = [];
    this.#pending = 0;
    writeAll(1, Buffer.from(s));
  }

  /** A line on standard error (after what standard output holds so far), prefixed `fsu: `. */
  warn = (msg: string): void => {
    this.say(`fsu: ${msg}\n`);
  };

  /** Text on standard error as it is, after what standard output holds so far. */
  say = (s: string): void => {
    this.flush();
    try {
      writeAll(2, Buffer.from(s));
    } catch {
      // nowhere left to say it
    }
  };

  /**
   * Report an error about one operand and carry on (status 1). Usage errors and a standard output
   * that failed or closed are not about an operand: they end the run.
   */
  fail = (e: unknown, path?: string): void => {
    if (e instanceof BrokenPipe || e instanceof UsageError || (e as { path?: unknown } | null)?.path === STDOUT) throw e;
    this.status = 1;
    this.warn(errorLine(e, path));
  };

  /** Run `fn` for one operand; a failure is reported and the run goes on. */
  async each<T>(items: readonly T[], fn: (item: T) => unknown, pathOf: (item: T) => string | undefined = (i) => (typeof i === 'string' ? i : undefined)): Promise<void> {
    for (const item of items) {
      try {
        await fn(item);
      } catch (e) {
        this.fail(e, pathOf(item));
      }
    }
  }

  /**
   * The exit status for an error that ended a command line, reported as fsu reports it: a commander
   * exit (help, version: 0; a bad option: 2, commander said why), a usage error (its line and the
   * command's hint: 2), anything else one line naming `subject` (1). A closed standard output is
   * rethrown for the caller's status 141.
   */
  ended(e: unknown, command: string | undefined, subject: string | undefined): number {
    this.flush();
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      this.warn(e.message);
      this.say(`${hint(command)}\n`);
      return 2;
    }
    if (e instanceof BrokenPipe) throw e;
    this.warn(errorLine(e, subject));
    return 1;
  }
}

/**
 * Standard input in chunks. Pipes, sockets and terminals are read through Node's stream for fd 0 (it
 * waits for data without spinning: Node made the descriptor non-blocking, so a plain read(2) would
 * fail with EAGAIN); files and devices, which Node's stream does not read (a device looks empty to it),
 * with read(2) in 1 MiB chunks.
 */
export async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  let st;
  try {
    st = fstatSync(0);
  } catch (e) {
    throw hostErr(e, 'standard input');
  }
  if (st.isDirectory()) throw hostErr(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), 'standard input');
  if (st.isFIFO() || st.isSocket() || isTerminal(0)) {
    try {
      for await (const chunk of process.stdin) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    } catch (e) {
      throw hostErr(e, 'standard input');
    }
    return;
  }
  let nap = 0.05;
  for (;;) {
    const buf = new Uint8Array(1 << 20);
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
        Atomics.wait(napCell, 0, 0, nap);
        nap = Math.min(nap * 2, 20);
        continue;
      }
      throw hostErr(e, 'standard input');
    }
    if (n === 0) return;
    nap = 0.05;
    yield buf.subarray(0, n);
  }
}
