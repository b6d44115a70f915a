#!/usr/bin/env node
'use strict';
// The `rump.sysctl` command. Committed (not built) so that `pnpm install` can link it before anything is
// built; it runs the bundled program in ../dist/bundle (CommonJS, as the bundle: no ES module loader
// on the way to a cold start), or says how to build it.
const { existsSync } = require('node:fs');

const entry = `${__dirname}/../dist/bundle/rump.sysctl.cjs`;
if (!existsSync(entry)) {
  process.stderr.write('rump.sysctl: @rumpts/server is not built yet (no dist/bundle/): run pnpm build\n');
  process.exit(1);
}
require(entry);
