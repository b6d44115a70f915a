/**
 * @rumpts/rumpclient's README example, as a user runs it: the js block taken from the README and run
 * by node against a server of ours (both protocols on its socket), its output checked.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type InProcess, startInProcess } from './helpers.js';

const PKG = resolve(import.meta.dirname, '../../rumpclient');
let srv: InProcess | undefined;
afterEach(async () => {
  await srv?.stop();
});

it('the README example writes over both protocols and prints what it says', async () => {
  srv = await startInProcess();
  const md = readFileSync(join(PKG, 'README.md'), 'utf8');
  const code = /^```js\n([\s\S]*?)^```$/m.exec(md)?.[1];
  expect(code).toBeDefined();
  // in the package's folder, so its imports resolve as they would for a user of the package
  const file = join(PKG, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, code as string);
  try {
    const out = await new Promise<string>((res, rej) => {
      execFile(process.execPath, [file], { env: { ...process.env, RUMP_SERVER: srv?.url } }, (e, stdout, stderr) => (e ? rej(new Error(`${e.message}\n${stderr}`)) : res(stdout)));
    });
    expect(out).toBe('rumpts 20\nsysproxy 22\n');
  } finally {
    rmSync(file, { force: true });
  }
  expect(srv.kernel.proc.stat('/tmp/hello-sysproxy').size).toBe(22);
});
