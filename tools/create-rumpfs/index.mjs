#!/usr/bin/env node
// create-rumpfs: write a new rumpts file-system plugin package from template/.
//
//   node tools/create-rumpfs/index.mjs <name> [dir] [--scope @you] [--workspace] [--force]
//
// <name> is the file-system type (what mount(2) takes, e.g. "myfs"): lower-case letters and digits.
// The package is `rumpfs-<name>` (unscoped, so `kernel.modload('rumpfs_<name>')` and ukfs's
// modloadDir find it); `--scope @you` names it `@you/rumpfs-<name>` instead (then load it by its
// package name or path). `dir` defaults to ./rumpfs-<name>. `--workspace` writes `workspace:*`
// ranges for the @rumpts packages, for a package inside the rumpts monorepo.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEMPLATE = join(HERE, 'template');
const REPO = resolve(HERE, '..', '..');

const USAGE = 'usage: create-rumpfs <name> [dir] [--scope @scope] [--workspace] [--force]';

/** Parse argv into options; throws a usage message on anything wrong. */
export function parseArgs(argv) {
  const opts = { name: '', dir: '', scope: '', workspace: false, force: false };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workspace') opts.workspace = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--scope') opts.scope = argv[++i] ?? '';
    else if (a.startsWith('--scope=')) opts.scope = a.slice('--scope='.length);
    else if (a === '-h' || a === '--help') throw new Error(USAGE);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else rest.push(a);
  }
  if (rest.length < 1 || rest.length > 2) throw new Error(USAGE);
  opts.name = rest[0];
  if (!/^[a-z][a-z0-9]{0,30}$/.test(opts.name)) {
    throw new Error(`bad name '${opts.name}': a file-system type is lower-case letters and digits, starting with a letter`);
  }
  if (opts.scope && !/^@[a-z0-9][a-z0-9._-]*$/.test(opts.scope)) throw new Error(`bad scope '${opts.scope}': use @name`);
  opts.dir = resolve(rest[1] ?? `rumpfs-${opts.name}`);
  return opts;
}

/** The version range a dependency gets: from this checkout's package.json files. */
function rangeOf(pkgDir, fallback) {
  try {
    const v = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
    return typeof v === 'string' ? `^${v}` : fallback;
  } catch {
    return fallback;
  }
}

function rootDevRange(name, fallback) {
  try {
    const dev = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).devDependencies ?? {};
    return typeof dev[name] === 'string' ? dev[name] : fallback;
  } catch {
    return fallback;
  }
}

/** Every template file, relative to template/, without its .tmpl suffix. */
function templateFiles(dir = TEMPLATE) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...templateFiles(p));
    else if (e.name.endsWith('.tmpl')) out.push(relative(TEMPLATE, p));
  }
  return out.sort();
}

/** Write the package; returns the list of files written (relative to opts.dir). */
export function createRumpfs(opts) {
  if (existsSync(opts.dir) && readdirSync(opts.dir).length > 0 && !opts.force) {
    throw new Error(`${opts.dir} exists and is not empty (use --force to write into it)`);
  }
  const pkg = `${opts.scope ? `${opts.scope}/` : ''}rumpfs-${opts.name}`;
  const subst = {
    __PKG__: pkg,
    __LIBRUMP_RANGE__: opts.workspace ? 'workspace:*' : rangeOf(join(REPO, 'packages/librump'), '^0.1.0'),
    __RUMPVFS_RANGE__: opts.workspace ? 'workspace:*' : rangeOf(join(REPO, 'packages/rumpvfs'), '^0.1.0'),
    __TYPESCRIPT_RANGE__: rootDevRange('typescript', '^5.6.0'),
    __VITEST_RANGE__: rootDevRange('vitest', '^3.0.0'),
  };
  const written = [];
  for (const rel of templateFiles()) {
    let text = readFileSync(join(TEMPLATE, rel), 'utf8');
    for (const [k, v] of Object.entries(subst)) text = text.replaceAll(k, v);
    // The template's file system is called skelfs; rename identifiers, strings and file names.
    text = text.replaceAll('skelfs', opts.name).replaceAll('SKELFS', opts.name.toUpperCase()).replaceAll('Skelfs', opts.name[0].toUpperCase() + opts.name.slice(1));
    let out = rel.slice(0, -'.tmpl'.length).replaceAll('skelfs', opts.name);
    if (out === 'gitignore') out = '.gitignore'; // npm would drop a file named .gitignore from the tool's own package
    const dest = join(opts.dir, out);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, text);
    written.push(out);
  }
  return { pkg, written };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const { pkg, written } = createRumpfs(opts);
    console.log(`created ${pkg} in ${opts.dir}:`);
    for (const f of written) console.log(`  ${f}`);
    console.log(`\nnext:\n  cd ${relative(process.cwd(), opts.dir) || '.'}\n  npm install && npm run build && npm test`);
  } catch (e) {
    console.error(`create-rumpfs: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
