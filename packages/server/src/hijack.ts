/**
 * `node --import @rumpts/server/hijack app.js` (the name rump_server users expect, like rumphijack(3)):
 * node:fs calls on paths under /rump go to the server in RUMP_SERVER. The work is done by
 * @rumpts/nodefs/hijack, which sits above this package, so it is found at run time — from the
 * program's cwd, then from this package's folder.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as esmResolve } from 'import-meta-resolve';

const bases = [process.cwd(), fileURLToPath(new URL('..', import.meta.url))];
let url: string | undefined;
for (const base of bases) {
  try {
    url = esmResolve('@rumpts/nodefs/hijack', pathToFileURL(join(base, 'noop.js')).href);
    break;
  } catch {
    // next base
  }
}
if (!url) {
  process.stderr.write('rumpts hijack: @rumpts/nodefs is not installed (npm install @rumpts/nodefs)\n');
  process.exit(1);
}
await import(url);
