/** Running the fsu binary from tests: directly, or inside a shell pipeline (`$FSU` in the script). */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FSU_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'fsu.cjs');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** fsu ARGS, with `input` on standard input. */
export function fsu(args: string[], input?: string | Buffer, opts: SpawnSyncOptions = {}): Ran {
  const r = spawnSync(process.execPath, [FSU_BIN, ...args], { encoding: 'utf8', input, timeout: 60_000, ...opts });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A bash script in which the shell function `fsu` runs the fsu binary; `set -o pipefail` is not set. */
export function sh(script: string, env: Record<string, string> = {}): Ran {
  const r = spawnSync('bash', ['-c', `fsu() { "$FSU_NODE" "$FSU_MAIN" "$@"; }\n${script}`], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FSU_NODE: process.execPath, FSU_MAIN: FSU_BIN, ...env },
  });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A python3 reader that drains standard input slowly (8 KiB per read, 2 ms apart) to standard output. */
export const SLOW_READER = `python3 -c 'import sys,time
i=sys.stdin.buffer; o=sys.stdout.buffer
while True:
    b=i.read1(8192) if hasattr(i,"read1") else i.read(8192)
    if not b: break
    o.write(b); time.sleep(0.002)
'`;
