/**
 * The worker thread of a blocking remote process: connects to the rump server with the async client
 * and serves one request at a time from the calling thread (which is blocked waiting for it).
 */
import { workerData } from 'node:worker_threads';
import { isRumpError } from '@rumpts/librump';
import { connect, type RumpClient } from '@rumpts/server';
import type { Reply, Request, WireError, WorkerData } from './messages.js';

const data = workerData as WorkerData;
const { port, flag } = data;

function answer(r: Reply): void {
  port.postMessage(r);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function wire(e: unknown): WireError {
  if (isRumpError(e)) return { code: e.code, detail: e.detail, syscall: e.syscall, path: e.path };
  return { code: 'EIO', detail: e instanceof Error ? e.message : String(e), syscall: undefined, path: undefined };
}

type Ts = { sec: number; nsec: number } | null;

async function run(c: RumpClient, req: Request): Promise<unknown> {
  const a = req.args;
  const n = (i: number): number => a[i] as number;
  const s = (i: number): string => a[i] as string;
  const b = (i: number): Uint8Array => a[i] as Uint8Array;
  const t = (i: number): Ts => a[i] as Ts;
  switch (req.call) {
    case 'read': {
      const buf = new Uint8Array(n(1));
      return buf.subarray(0, await c.read(n(0), buf));
    }
    case 'pread': {
      const buf = new Uint8Array(n(1));
      return buf.subarray(0, await c.pread(n(0), buf, n(2)));
    }
    case 'open': return c.open(s(0), n(1), n(2));
    case 'close': return c.close(n(0));
    case 'write': return c.write(n(0), b(1));
    case 'pwrite': return c.pwrite(n(0), b(1), n(2));
    case 'lseek': return c.lseek(n(0), n(1), n(2));
    case 'fstat': return c.fstat(n(0));
    case 'stat': return c.stat(s(0));
    case 'lstat': return c.lstat(s(0));
    case 'access': return c.access(s(0), n(1));
    case 'mkdir': return c.mkdir(s(0), n(1));
    case 'rmdir': return c.rmdir(s(0));
    case 'unlink': return c.unlink(s(0));
    case 'rename': return c.rename(s(0), s(1));
    case 'link': return c.link(s(0), s(1));
    case 'symlink': return c.symlink(s(0), s(1));
    case 'readlink': return c.readlink(s(0));
    case 'getdents': return c.getdents(n(0), n(1));
    case 'chmod': return c.chmod(s(0), n(1));
    case 'lchmod': return c.lchmod(s(0), n(1));
    case 'fchmod': return c.fchmod(n(0), n(1));
    case 'chown': return c.chown(s(0), n(1), n(2));
    case 'lchown': return c.lchown(s(0), n(1), n(2));
    case 'fchown': return c.fchown(n(0), n(1), n(2));
    case 'utimes': return c.utimes(s(0), t(1), t(2));
    case 'lutimes': return c.lutimes(s(0), t(1), t(2));
    case 'futimes': return c.futimes(n(0), t(1), t(2));
    case 'truncate': return c.truncate(s(0), n(1));
    case 'ftruncate': return c.ftruncate(n(0), n(1));
    case 'fsync': return c.fsync(n(0));
    case 'getcwd': return c.getcwd();
    case 'statvfs': return c.statvfs(s(0));
    case 'chdir': return c.chdir(s(0));
    case 'umask': return c.umask(n(0));
    case 'disconnect': return c.disconnect();
  }
}

async function main(): Promise<void> {
  let client: RumpClient;
  try {
    client = await connect(data.url, { ...(data.token !== undefined ? { token: data.token } : {}), comm: data.comm });
  } catch (e) {
    answer({ ok: false, error: wire(e) });
    return;
  }
  answer({ ok: true, value: client.info.pid });
  port.on('message', (req: Request) => {
    run(client, req).then(
      (value) => answer({ ok: true, value: value ?? null }),
      (e: unknown) => answer({ ok: false, error: wire(e) }),
    );
  });
}

void main();

