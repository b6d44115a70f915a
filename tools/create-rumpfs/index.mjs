#!/usr/bin/env node
// create-rumpfs: write a new rumpts file-system plugin package from template/.
//
//   node tools/create-rumpfs/index.mjs <name> [dir] [--scope @you] [--from DIR | --workspace] [--force]
//
// <name> is the file-system type (what mount(2) takes, e.g. "myfs"): lower-case letters and digits.
// The package is `rumpfs-<name>` (unscoped, so `kernel.modload('rumpfs_<name>')` and ukfs's
// modloadDir find it); `--scope @you` names it `@you/rumpfs-<name>` instead (then load it by its
// package name or path). `dir` defaults to ./rumpfs-<name>. `--workspace` writes `workspace:*`
// ranges for the @rumpts packages, for a package inside the rumpts monorepo. `--from DIR` installs
// them from DIR instead of the npm registry: DIR holds the tarballs of `pnpm tarballs` (pnpm pack)
// or package folders, and the generated package depends on them by `file:` path (and overrides
// every @rumpts dependency to them, so their own dependencies on each other resolve there too).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEMPLATE = join(HERE, 'template');
const REPO = resolve(HERE, '..', '..');

const USAGE = 'usage: create-rumpfs <name> [dir] [--scope @scope] [--from DIR | --workspace] [--force]';

/** Parse argv into options; throws a usage message on anything wrong. */
export function parseArgs(argv) {
  const opts = { name: '', dir: '', scope: '', workspace: false, force: false, from: '' };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workspace') opts.workspace = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--scope') opts.scope = argv[++i] ?? '';
    else if (a.startsWith('--scope=')) opts.scope = a.slice('--scope='.length);
    else if (a === '--from') opts.from = argv[++i] ?? '';
    else if (a.startsWith('--from=')) opts.from = a.slice('--from='.length);
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
  if (argv.some((a) => a === '--from' || a.startsWith('--from='))) {
    if (!opts.from) throw new Error(`--from needs a directory of @rumpts tarballs or package folders\n${USAGE}`);
    if (opts.workspace) throw new Error('--from and --workspace exclude each other');
    opts.from = resolve(opts.from);
  }
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

/** The package.json of a tarball (package/package.json inside it). */
function tarballManifest(file) {
  try {
    return JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return undefined;
  }
}

/**
 * The @rumpts packages in `dir`, name → `file:` spec: `*.tgz` tarballs (pnpm pack / npm pack) and
 * package folders. A tarball wins over a folder of the same package.
 */
export function localPackages(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--from ${dir}: not a directory`);
  const found = new Map();
  const entries = readdirSync(dir).sort();
  for (const e of entries) {
    const p = join(dir, e);
    if (e.endsWith('.tgz') && statSync(p).isFile()) {
      const m = tarballManifest(p);
      if (typeof m?.name === 'string' && m.name.startsWith('@rumpts/')) found.set(m.name, `file:${p}`);
    }
  }
  for (const e of entries) {
    const pj = join(dir, e, 'package.json');
    if (!existsSync(pj)) continue;
    let m;
    try {
      m = JSON.parse(readFileSync(pj, 'utf8'));
    } catch {
      continue;
    }
    if (typeof m?.name === 'string' && m.name.startsWith('@rumpts/') && !found.has(m.name)) found.set(m.name, `file:${join(dir, e)}`);
  }
  for (const need of ['@rumpts/librump', '@rumpts/rumpvfs']) {
    if (!found.has(need)) {
      throw new Error(`--from ${dir}: no ${need} there (put the .tgz files of \`pnpm tarballs\` there, or package folders)`);
    }
  }
  return found;
}

/** Point the generated package at local @rumpts packages: file: dev dependencies and overrides (npm and pnpm). */
function useLocalPackages(pkgJsonPath, local) {
  const pj = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
  for (const name of Object.keys(pj.devDependencies ?? {})) {
    if (local.has(name)) pj.devDependencies[name] = local.get(name);
  }
  // The packages depend on each other by version (0.1.0), which the registry does not have yet.
  const overrides = Object.fromEntries([...local].sort(([a], [b]) => a.localeCompare(b)));
  pj.overrides = overrides;
  pj.pnpm = { ...(pj.pnpm ?? {}), overrides };
  writeFileSync(pkgJsonPath, `${JSON.stringify(pj, null, 2)}\n`);
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
  if (opts.from) localPackages(opts.from); // refuse a bad --from before writing anything
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
  if (opts.from) useLocalPackages(join(opts.dir, 'package.json'), localPackages(opts.from));
  return { pkg, written };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const { pkg, written } = createRumpfs(opts);
    console.log(`created ${pkg} in ${opts.dir}:`);
    for (const f of written) console.log(`  ${f}`);
    const cd = `  cd ${relative(process.cwd(), opts.dir) || '.'}`;
    if (opts.workspace) {
      console.log(`\nnext (inside the rumpts checkout):\n  pnpm install\n${cd}\n  pnpm run build && pnpm test`);
    } else {
      console.log(`\nnext:\n${cd}\n  npm install && npm run build && npm test`);
      if (!opts.from) {
        console.log('\nThe @rumpts packages are not on the npm registry yet: until they are, build and pack them in a');
        console.log('rumpts checkout (pnpm install && pnpm tarballs) and scaffold with --from <checkout>/dist/tarballs.');
      }
    }
  } catch (e) {
    console.error(`create-rumpfs: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
