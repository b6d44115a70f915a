#!/usr/bin/env node
/**
 * rump.halt(1) [-dhn]: reboot(2) the server named by RUMP_SERVER — it syncs (unless -n), halts and
 * exits 0 (-h: stays, idle; -d: syncs all the same, then dumps core). Exit 1 when no server answers.
 */
import { Command, CommanderError } from 'commander';
import { RB_DUMP, RB_HALT, RB_NOSYNC } from '@rumpts/librump';
import { connect } from '@rumpts/rumpclient';
import { message } from './util.js';

const cmd = new Command('rump.halt')
  .usage('[-dhn]')
  .description('halt the rump kernel server named by RUMP_SERVER')
  .option('-d', 'sync, then dump core (RB_DUMP)')
  .option('-h', 'halt but do not exit (RB_HALT)')
  .option('-n', 'do not sync (RB_NOSYNC)')
  .helpOption('--help')
  .exitOverride();
try {
  cmd.parse(process.argv.slice(2), { from: 'user' });
  if (cmd.args.length > 0) throw new Error(`unexpected argument '${cmd.args[0]}'`);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
  process.stderr.write(`rump.halt: ${(e as Error).message}\nusage: rump.halt [-dhn]\n`);
  process.exit(1);
}
const o = cmd.opts<{ d?: true; h?: true; n?: true }>();
const howto = (o.d ? RB_DUMP : 0) | (o.h ? RB_HALT : 0) | (o.n ? RB_NOSYNC : 0);
/** Connect, reboot, exit: an async function, not top-level await, so that the program bundles as a script. */
async function halt(): Promise<never> {
  let client;
  try {
    // RUMP_PROTOCOL=sysproxy: a NetBSD rump_server (or ours over NetBSD's protocol)
    client = await connect(undefined, { comm: 'rump.halt', protocol: process.env['RUMP_PROTOCOL'] === 'sysproxy' ? 'sysproxy' : 'rumpts' });
  } catch (e) {
    process.stderr.write(`rump.halt: init failed: ${message(e)}\n`);
    process.exit(1);
  }
  try {
    await client.reboot(howto);
  } catch (e) {
    process.stderr.write(`rump.halt: reboot: ${message(e)}\n`);
    process.exit(1);
  }
  client.destroy();
  process.exit(0);
}
void halt();
