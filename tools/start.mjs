// The main job: rump_server in the foreground on unix://.rumpts/sock with a 64 MiB FFS disk
// (.rumpts/disk.img, made with our newfs on first run) mounted read-write at /mnt.
// Reach it with RUMP_SERVER=unix://.rumpts/sock (pnpm exec fsu --server …, rump.sysctl, the client
// library); stop it with `RUMP_SERVER=unix://.rumpts/sock pnpm exec rump.halt` or Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const serverDir = dirname(require.resolve('@rumpts/server/package.json'));
const bin = join(serverDir, require('@rumpts/server/package.json').bin.rump_allserver);
mkdirSync(join(root, '.rumpts'), { recursive: true });
const url = 'unix://.rumpts/sock';
console.log(`rumpts: starting rump_allserver on ${url} (disk .rumpts/disk.img at /mnt)`);
console.log(`rumpts: try  RUMP_SERVER=${url} pnpm exec fsu --server ${url} ls -l /mnt`);
console.log(`rumpts: stop RUMP_SERVER=${url} pnpm exec rump.halt`);
const args = ['-s', '-d', 'key=/dev/dk,hostpath=.rumpts/disk.img,size=64m', '--newfs', '--mount', 'ffs:/dev/dk:/mnt', ...process.argv.slice(2), url];
const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
