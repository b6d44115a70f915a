#!/usr/bin/env node
// The `fsu` command. Committed (not built) so that `pnpm install` can link it before anything is
// built; it runs the compiled program in ../dist, or says how to build it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/fsu/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('fsu: @rumpts/ukfs is not built yet (no dist/): run pnpm build\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
