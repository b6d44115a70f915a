/** `node --import @rumpts/server/hijack app.js`: an unmodified program's node:fs calls under /rump reach the server. */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG, startInProcess } from './helpers.js';

describe('@rumpts/server/hijack', () => {
  it('routes /rump paths of an unmodified script to the server', async () => {
    const s = await startInProcess();
    try {
      const app = join(s.dir, 'app.mjs');
      // Nothing here knows about rump: plain node:fs on /rump paths.
      writeFileSync(
        app,
        [
          "import fs from 'node:fs';",
          "fs.mkdirSync('/rump/tmp/app', { recursive: true });",
          "fs.writeFileSync('/rump/tmp/app/note.txt', 'written by an unmodified program\\n');",
          "console.log(fs.readdirSync('/rump/tmp/app').join(','));",
          "console.log(fs.readFileSync('/rump/tmp/app/note.txt', 'utf8').trim());",
        ].join('\n'),
      );
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
        execFile(process.execPath, ['--import', '@rumpts/server/hijack', app], { cwd: PKG, env: { ...process.env, RUMP_SERVER: s.url }, timeout: 30_000 }, (e, stdout, stderr) =>
          res({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }),
        );
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('note.txt\nwritten by an unmodified program\n');
      expect(s.kernel.proc.stat('/tmp/app/note.txt').size).toBe(33);
      expect(existsSync('/rump')).toBe(false);
    } finally {
      await s.stop();
    }
  });
});
