/**
 * `node --import @rumpts/nodefs/hijack app.js`: with RUMP_SERVER set, node:fs and node:fs/promises
 * calls on paths under /rump (RUMPHIJACK_PREFIX to change it) go to that rump server, everything else
 * to the host — the unmodified program does not know. Like rumphijack(3), a missing or unreachable
 * server is fatal at start-up.
 */
import { isMainThread } from 'node:worker_threads';
import { installHijack } from './hijack/install.js';
import { RemoteProc } from './remote/remoteproc.js';

// Worker threads share node:fs with nothing: only the main thread is hijacked (and connects).
if (isMainThread) {
  const target = new RemoteProc({ comm: `hijack:${process.argv[1] ?? 'node'}` });
  installHijack({ target, prefix: process.env['RUMPHIJACK_PREFIX'] ?? '/rump' });
}
