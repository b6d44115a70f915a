// The main job: rump_allserver in the foreground on unix://.rumpts/sock with a 64 MiB FFS disk
// (.rumpts/disk.img, made with our newfs on first run) mounted read-write at /mnt with the WAPBL log
// (MNT_LOG), so a crash (kill -9, power loss) is replayed at the next start instead of leaving an
// unclean file system. The server locks the image while it runs, syncs on its own (vfs.sync.*),
// and syncs and unmounts on Ctrl-C, SIGTERM or rump.halt.
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
const image = '.rumpts/disk.img';
mkdirSync(join(root, '.rumpts'), { recursive: true });
const url = 'unix://.rumpts/sock';
console.log(`rumpts: starting rump_allserver on ${url} (disk ${image} at /mnt, with the log)`);
console.log(`rumpts: try  pnpm exec fsu --server ${url} ls -l /mnt`);
console.log(`rumpts: stop RUMP_SERVER=${url} pnpm exec rump.halt   (or Ctrl-C)`);
const args = ['-s', '-d', `key=/dev/dk,hostpath=${image},size=64m`, '--newfs', '--mount', 'ffs:/dev/dk:/mnt:log', ...process.argv.slice(2), url];
const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['inherit', 'inherit', 'pipe'] });
// The server names the repair command with the image's absolute path; from here it is this one.
const fsck = new RegExp(`\`fsu fsck -y ${join(root, image).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``, 'g');
child.stderr.setEncoding('utf8');
child.stderr.on('data', (text) => process.stderr.write(text.replace(fsck, `\`pnpm exec fsu fsck -y ${image}\``)));
// Ctrl-C in the terminal reaches the server itself (same process group), and a second SIGINT would
// make it exit at once: pass SIGINT on only if the server has not ended a moment later (a SIGINT
// sent to this process alone).
process.on('SIGINT', () => setTimeout(() => child.kill('SIGINT'), 500));
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGHUP', () => child.kill('SIGHUP'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
