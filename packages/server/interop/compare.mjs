// By hand: compare two runs of interop/run.sh (NetBSD's rump_server, ours) file by file, after
// taking out what depends on the machine and the moment — and naming each rule that did.
//
//   node interop/compare.mjs DIR-netbsd DIR-ours
//
// Prints, per file, the rules that matched and a unified diff of what still differs; exit status 1
// when anything does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** [name, pattern, replacement]: machine values first, then the two known differences of stat. */
const RULES = [
  ['scratch directory', /\/tmp\/rumpts-interop\.[A-Za-z0-9]+/g, 'TMP'],
  ['host pids', /host pid \d+/g, 'host pid N'],
  ['device numbers (st_dev, f_fsid)', /\b(dev|fsid)=0x[0-9a-f]+/g, '$1=DEV'],
  ['device numbers (f_fsidx)', /fsidx=0x[0-9a-f]+,/g, 'fsidx=DEV,'],
  ['wall-clock times', /\b(atime|mtime|ctime|birth)=1[7-9]\d{8}\.\d{9}/g, '$1=NOW'],
  ['kern.hostname', /kern\.hostname="[^"]*" len=\d+/g, 'kern.hostname=HOST'],
  ['user-space addresses', /plist=0x[0-9a-f]+/g, 'plist=ADDR'],
  // Known: NetBSD's ufs_getattr reports NODEV as st_rdev of a file that is not a device, ours 0.
  ['st_rdev of non-devices (NetBSD NODEV, ours 0)', /rdev=(0xffffffffffffffff|0)\b/g, 'rdev=NONE'],
  // Known: NetBSD's vn_stat always zeroes st_gen; ours reports the inode's generation.
  ['st_gen (NetBSD always 0)', /\bgen=(0x[0-9a-f]+|0)\b/g, 'gen=GEN'],
];

function normalize(text, fired) {
  let out = text;
  for (const [name, re, rep] of RULES) {
    const next = out.replace(re, rep);
    if (next !== out) fired.add(name);
    out = next;
  }
  return out;
}

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node interop/compare.mjs DIR-netbsd DIR-ours');
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'rumpts-compare-'));
let differ = false;
try {
  for (const f of readdirSync(a).filter((n) => n.endsWith('.txt')).sort()) {
    const fired = new Set();
    const na = join(scratch, `netbsd-${f}`);
    const nb = join(scratch, `ours-${f}`);
    writeFileSync(na, normalize(readFileSync(join(a, f), 'utf8'), fired));
    writeFileSync(nb, normalize(readFileSync(join(b, f), 'utf8'), fired));
    const d = spawnSync('diff', ['-u', '--label', `netbsd/${f}`, '--label', `ours/${f}`, na, nb], { encoding: 'utf8' });
    console.log(`== ${f}: ${d.status === 0 ? 'same' : 'DIFFERENT'}${fired.size ? ` (after: ${[...fired].join('; ')})` : ''}`);
    if (d.status !== 0) {
      differ = true;
      process.stdout.write(d.stdout);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(differ ? 1 : 0);
