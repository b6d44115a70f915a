#!/usr/bin/env node
// The `rump_allserver` command. Committed (not built) so that `pnpm install` can link it before anything is
// built; it runs the compiled program in ../dist, or says how to build it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/rump_allserver.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('rump_allserver: @rumpts/server is not built yet (no dist/): run pnpm build\n');
  process.exit(1);
}
await import(entry.href);
