#!/usr/bin/env node
'use strict';
// The `fsu` command. Committed (not built) so that `pnpm install` can link it before anything is
// built; it runs the bundled program in ../dist/bundle (CommonJS, as the bundle: no ES module loader
// on the way to a cold start), or says how to build it.
const { existsSync } = require('node:fs');

const entry = `${__dirname}/../dist/bundle/fsu.cjs`;
if (!existsSync(entry)) {
  process.stderr.write('fsu: @rumpts/ukfs is not built yet (no dist/bundle/): run pnpm build\n');
  process.exit(1);
}
require(entry);
