#!/usr/bin/env node
/**
 * rump.sysctl(8) against RUMP_SERVER: `rump.sysctl [-n] name…` reads, `rump.sysctl [-w] name=value…`
 * sets (printing `name: old -> new`), `rump.sysctl -a [prefix]` lists every node.
 */
import { Command, CommanderError } from 'commander';
import type { SysctlValue } from '@rumpts/librump';
import { connect, type RumpClient } from '@rumpts/rumpclient';
import { message } from './util.js';

const cmd = new Command('rump.sysctl')
  .usage('[-anw] [name[=value] ...]')
  .description('read and set sysctl nodes of the rump kernel server named by RUMP_SERVER')
  .option('-a', 'list every node (under the names given)')
  .option('-n', 'print values only')
  .option('-w', 'set: arguments are name=value')
  .argument('[names...]')
  .exitOverride();
try {
  cmd.parse(process.argv.slice(2), { from: 'user' });
} catch (e) {
  process.exit(e instanceof CommanderError && e.exitCode === 0 ? 0 : 2);
}
const o = cmd.opts<{ a?: true; n?: true; w?: true }>();
const names = cmd.args;
if (!o.a && names.length === 0) {
  process.stderr.write('usage: rump.sysctl [-anw] [name[=value] ...]\n');
  process.exit(2);
}

function show(name: string, v: SysctlValue): string {
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return o.n ? s : `${name} = ${s}`;
}

/** Parse the text as the node's current type. */
function coerce(old: SysctlValue, text: string): SysctlValue {
  if (typeof old === 'number') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`'${text}' is not a number`);
    return n;
  }
  if (typeof old === 'boolean') {
    if (text === '1' || text === 'true') return true;
    if (text === '0' || text === 'false') return false;
    throw new Error(`'${text}' is not a boolean (0 or 1)`);
  }
  return text;
}

/** Connect, read and set, exit: an async function, not top-level await, so that the program bundles as a script. */
async function sysctl(): Promise<never> {
  let client: RumpClient;
  try {
    client = await connect(undefined, { comm: 'rump.sysctl' });
  } catch (e) {
    process.stderr.write(`rump.sysctl: ${message(e)}\n`);
    process.exit(1);
  }
  let status = 0;
  const out: string[] = [];
  const targets = o.a ? (names.length ? names : ['']) : names;
  for (const arg of targets) {
    const eq = arg.indexOf('=');
    try {
      if (o.a) {
        for (const n of await client.sysctlList(arg)) out.push(show(n, await client.sysctl(n)));
      } else if (eq >= 0) {
        const name = arg.slice(0, eq);
        const old = await client.sysctl(name);
        const nv = coerce(old, arg.slice(eq + 1));
        await client.sysctl(name, nv);
        out.push(o.n ? show(name, nv) : `${name}: ${show(name, old).split(' = ')[1]} -> ${show(name, nv).split(' = ')[1]}`);
      } else {
        if (o.w) throw new Error('-w needs name=value');
        out.push(show(arg, await client.sysctl(arg)));
      }
    } catch (e) {
      process.stderr.write(`rump.sysctl: ${eq >= 0 ? arg.slice(0, eq) : arg}: ${message(e)}\n`);
      status = 1;
    }
  }
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  client.destroy();
  process.exit(status);
}
void sysctl();
