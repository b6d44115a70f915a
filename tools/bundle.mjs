#!/usr/bin/env node
// Bundle a package's command-line programs (after tsc) so that a cold start reads three files
// instead of resolving, reading and compiling a hundred ES modules:
//
//   node ../../tools/bundle.mjs NAME=dist/path/entry.js[:function] … [--copy dist/path/file …] [--train NAME=runs.json …]
//
// For each NAME, in dist/bundle/:
//   NAME.cjs        the program: what a bin entry runs (or imports). Tiny; it compiles NAME.code.cjs
//                   with V8's code cache NAME.cache and runs it.
//   NAME.code.cjs   the program and everything it imports from this repository's packages and from
//                   npm, as one CommonJS script (Node's built-ins stay require()s).
//   NAME.cache      V8's code cache of NAME.code.cjs, every function compiled, made by this build's
//                   node. Another node version rejects it (V8 checks): the script is then compiled
//                   from source as usual, only slower. Never written at run time. With --train, the
//                   cache holds only the functions that the training runs compiled (see trainedCache).
// ENTRY:function runs function(process.argv.slice(2)); a plain ENTRY runs as a script does.
//
// A module of this repository keeps its own import.meta.url (the URL of its file, found from the
// bundle's place), so what it finds from there — its package's dependencies, a worker script, its
// package.json — it still finds. Files to have beside the bundle can be copied there with --copy.
// Modules of this repository's packages have no import-time side effects: what a program does not
// use is left out.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Script } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { build } from 'esbuild';
import ts from 'typescript';

const args = process.argv.slice(2);
const programs = [];
const copies = [];
/** NAME → the JSON file listing its training runs (--train). */
const training = new Map();
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const m = /^([\w.-]+)=([^:]+)(?::(\w+))?$/.exec(a);
  const t = a === '--train' ? /^([\w.-]+)=(.+)$/.exec(args[i + 1] ?? '') : null;
  if (a === '--copy' && args[i + 1]) copies.push(args[++i]);
  else if (t) {
    training.set(t[1], resolve(t[2]));
    i++;
  } else if (m) programs.push({ name: m[1], entry: resolve(m[2]), fn: m[3] });
  else {
    console.error(`bundle: unexpected argument '${a}' (NAME=ENTRY[:function] or --copy FILE)`);
    process.exit(2);
  }
}
for (const name of training.keys()) {
  if (!programs.some((p) => p.name === name)) {
    console.error(`bundle: --train ${name}: no program of that name`);
    process.exit(2);
  }
}
if (programs.length === 0) {
  console.error('bundle: no programs (NAME=dist/path/entry.js[:function])');
  process.exit(2);
}

const outdir = resolve('dist/bundle');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const packagesDir = resolve(import.meta.dirname, '../packages') + sep;
/** The repository's own packages are side-effect free: modules nothing uses are dropped. */
const ownPackagesArePure = {
  name: 'own-packages-are-pure',
  setup(b) {
    b.onResolve({ filter: /^@rumpts\// }, async (r) => {
      if (r.pluginData === 'pure') return undefined;
      const res = await b.resolve(r.path, { resolveDir: r.resolveDir, kind: r.kind, importer: r.importer, pluginData: 'pure' });
      if (res.errors.length > 0) return { errors: res.errors };
      return { ...res, sideEffects: !res.path.startsWith(packagesDir) };
    });
  },
};

/** How the starter wraps the script, exactly as the cache was made for it (V8 checks the source). */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname, __import) {';
const WRAP_TAIL = '\n})';

/** The starter (NAME.cjs): no dependencies but Node's built-ins; the bin entry runs or imports it. */
function starter(name) {
  return `#!/usr/bin/env node
'use strict';
// ${name}, bundled (made by tools/bundle.mjs at build time: do not edit). Compiles ${name}.code.cjs
// with the V8 code cache made by the build (${name}.cache; a node that rejects it compiles from source).
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { Script, constants } = require('node:vm');
const file = __dirname + '/${name}.code.cjs';
let cachedData;
try {
  cachedData = readFileSync(__dirname + '/${name}.cache');
} catch {
  // no cache: compile from source
}
// The script is ASCII (the build checks): latin1 reads it without UTF-8 decoding.
const source = ${JSON.stringify(WRAP_HEAD)} + readFileSync(file, 'latin1') + ${JSON.stringify(WRAP_TAIL)};
const script = new Script(source, { filename: file, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
const mod = { exports: {} };
// import() inside a vm script needs a callback Node 20 only has behind flags: the script's import()s
// (modules loaded by URL at run time) call this module's own.
script.runInThisContext()(mod.exports, createRequire(file), mod, file, __dirname, (url) => import(url));
`;
}

/**
 * The script's dynamic import()s (of modules found at run time) as calls of `__import`, which the
 * starter supplies: a vm script cannot import() by itself. Found with TypeScript's parser, so only real
 * import() calls change, never text in a string.
 */
function routeDynamicImports(file) {
  const text = readFileSync(file, 'latin1');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const at = [];
  const visit = (n) => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) at.push(n.expression.getStart(sf));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = text;
  for (const pos of at.sort((a, b) => b - a)) out = `${out.slice(0, pos)}__import${out.slice(pos + 'import'.length)}`;
  writeFileSync(file, out, 'latin1');
  return at.length;
}

/**
 * A code cache of only what the program runs (--train): the training runs, each a cold process of the
 * program on scratch files, compile functions as they are first called, and each run starts from the
 * cache the run before it left and leaves one with its own functions added. A cold process of a trained
 * command then deserialises about 40% of what the every-function cache holds (V8 loads a cache in time
 * proportional to its size: some 5 ms less for fsu cat), and a function no run called is compiled
 * from source when first called. The runs file is a JSON array of runs: a run is an argument list, or
 * `{ "args": [...], "stopOn": TEXT, "then": [[...], ...], "env": {...} }` for a program that runs until
 * stopped (a server): once TEXT appears on its standard error, each `then` command runs in turn
 * (`node ARGS`, paths from the package directory: clients, so the server's code for serving them is
 * trained too), then the program is sent SIGTERM unless it has ended, and must exit 0. `env` is added
 * to the environment of the program and its `then` commands. `{tmp}` in an argument or a value is a
 * scratch directory holding `data`, a 1 MiB file, and `small`, a line of text.
 */
async function trainedCache(name, file, runsFile) {
  const runs = JSON.parse(readFileSync(runsFile, 'utf8'));
  const isArgs = (a) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  const isRun = (r) =>
    isArgs(r) ||
    (r !== null && typeof r === 'object' && isArgs(r.args) && (r.stopOn === undefined || typeof r.stopOn === 'string') &&
      (r.then === undefined || (r.stopOn !== undefined && Array.isArray(r.then) && r.then.every(isArgs))) &&
      (r.env === undefined || (r.env !== null && typeof r.env === 'object' && Object.values(r.env).every((v) => typeof v === 'string'))));
  if (!Array.isArray(runs) || !runs.every(isRun)) {
    throw new Error(`bundle: ${runsFile}: not a JSON array of runs (argument lists, or { args, stopOn, then, env })`);
  }
  const tmp = mkdtempSync(join(tmpdir(), `bundle-train-${name}-`));
  try {
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(tmp, 'data'), data);
    writeFileSync(join(tmp, 'small'), 'training\n');
    const trainer = join(tmp, 'trainer.cjs');
    writeFileSync(trainer, TRAINER);
    const cache = join(tmp, 'cache');
    let have = false;
    for (const run of runs) {
      const { args, stopOn, then = [], env = {} } = Array.isArray(run) ? { args: run } : run;
      const sub = (a) => a.replaceAll('{tmp}', tmp);
      const r = await trainingRun([trainer, file, have ? cache : '', cache, join(dirname(file), `${name}.cjs`), JSON.stringify(args.map(sub))], {
        cwd: tmp,
        env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, sub(v)])),
        stopOn,
        then: then.map((c) => c.map(sub)),
      });
      if (r.status !== 0) throw new Error(`bundle: training run '${name} ${args.join(' ')}' failed (exit ${r.status}): ${r.stderr.trim()}`);
      have = true;
    }
    return readFileSync(cache);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * One training process: its exit status and standard error. With `stopOn`, once that text is on its
 * standard error the `then` commands run one after another, and then it is sent SIGTERM if still running.
 */
function trainingRun(args, { cwd, env, stopOn, then }) {
  const childEnv = { ...process.env, NODE_OPTIONS: '', ...env };
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: childEnv });
    let stderr = '';
    let stopped = false;
    let ended = false;
    let thenFailed = false;
    // A server that never says stopOn (or never stops) fails the build instead of hanging it.
    const bound = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const stop = () => {
      for (const c of then) {
        const r = spawnSync(process.execPath, c, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: childEnv, timeout: 30_000 });
        if (r.status !== 0) thenFailed = true;
        if (r.status !== 0) stderr += `\n(then: node ${c.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim()})`;
      }
      if (!ended) child.kill('SIGTERM');
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => {
      stderr += c;
      if (stopOn !== undefined && !stopped && stderr.includes(stopOn)) {
        stopped = true;
        // After this handler: the then commands block this process, not the child.
        setImmediate(stop);
      }
    });
    child.on('error', (e) => {
      clearTimeout(bound);
      reject(e);
    });
    child.on('exit', () => {
      ended = true;
    });
    child.on('close', (code, sig) => {
      clearTimeout(bound);
      resolveRun({ status: thenFailed ? 'a then command failed' : (code ?? sig), stderr: stopOn !== undefined && !stopped ? `never said '${stopOn}': ${stderr}` : stderr });
    });
  });
}

/** One training run (a cold process): the script compiled as the starter compiles it, run, its cache written at exit. */
const TRAINER = `'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script, constants } = require('node:vm');
const [file, cacheIn, cacheOut, start, argv] = process.argv.slice(2);
const cachedData = cacheIn ? readFileSync(cacheIn) : undefined;
const script = new Script(${JSON.stringify(WRAP_HEAD)} + readFileSync(file, 'latin1') + ${JSON.stringify(WRAP_TAIL)}, { filename: file, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
if (cachedData && script.cachedDataRejected) { process.stderr.write('the cache of the run before was rejected'); process.exit(70); }
process.argv = [process.argv[0], start, ...JSON.parse(argv)];
process.on('exit', (code) => { if (code === 0) writeFileSync(cacheOut, script.createCachedData()); });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file), (url) => import(url));
`;

/** V8's code cache of the wrapped script with every function compiled (not only those run at start-up). */
function codeCache(file) {
  const source = WRAP_HEAD + readFileSync(file, 'latin1') + WRAP_TAIL;
  setFlagsFromString('--no-lazy');
  let script;
  try {
    script = new Script(source, { filename: file });
  } finally {
    setFlagsFromString('--lazy');
  }
  return script.createCachedData();
}

/**
 * Modules whose top-level work (and the Node built-ins they import) a program pays for only when it
 * first calls them: import-meta-resolve is needed only to load a module by package name.
 */
const LAZY = { 'import-meta-resolve': ['resolve'] };
const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`);
    // The shim's own require() is of the real module.
    b.onResolve({ filter, namespace: 'lazy' }, (r) => b.resolve(r.path, { resolveDir: r.resolveDir, kind: r.kind, pluginData: 'real' }));
    b.onResolve({ filter }, (r) => (r.pluginData === 'real' ? undefined : { path: r.path, namespace: 'lazy', pluginData: r.resolveDir }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (a) => ({
      resolveDir: a.pluginData,
      contents: LAZY[a.path].map((f) => `export function ${f}(...args) { return require(${JSON.stringify(a.path)}).${f}(...args); }`).join('\n'),
    }));
  },
};

/**
 * Built-ins that an npm dependency requires at load but our programs never use on their common paths:
 * commander requires node:child_process (for executable subcommands) — with net, streams and dgram
 * behind it. Its require() gets an object that loads the module on first use.
 */
const LAZY_BUILTINS = [{ importer: /[\\/]commander[\\/]/, builtin: 'node:child_process' }];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (r) => {
      if (r.namespace === 'lazy-builtin') return { path: r.path, external: true };
      const hit = LAZY_BUILTINS.find((l) => l.importer.test(r.importer) && l.builtin === `node:${r.path.replace(/^node:/, '')}`);
      return hit ? { path: hit.builtin, namespace: 'lazy-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => ({
      loader: 'js',
      contents: `let m; const load = () => (m ??= require(${JSON.stringify(a.path)}));
module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, k) => Object.getOwnPropertyDescriptor(load(), k) });`,
    }));
  },
};

/**
 * `import.meta.url` of this repository's modules stays the URL of the module's own file (found from
 * the bundle's place, by the path between them), so whatever a module finds from it — its package's
 * dependencies (createRequire), a worker script, its package.json — is found where it was before
 * bundling. Other code's import.meta.url is the bundle's.
 */
const ownModuleUrls = {
  name: 'own-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (a) => {
      if (!a.path.startsWith(packagesDir)) return undefined;
      const text = readFileSync(a.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, a.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `__moduleUrl(${JSON.stringify(rel)})`), loader: 'js' };
    });
  },
};

const summary = [];
for (const p of programs) {
  const contents = p.fn
    ? `import { ${p.fn} } from ${JSON.stringify(p.entry)};\n${p.fn}(process.argv.slice(2));\n`
    : `import ${JSON.stringify(p.entry)};\n`;
  const codeFile = join(outdir, `${p.name}.code.cjs`);
  const result = await build({
    stdin: { contents, resolveDir: dirname(p.entry), sourcefile: `${p.name}-start.js`, loader: 'js' },
    outfile: codeFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': '__bundleUrl' },
    banner: {
      js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href, __moduleUrl = (rel) => new URL(rel, __bundleUrl).href;",
    },
    charset: 'ascii',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [ownPackagesArePure, lazyModules, lazyBuiltins, ownModuleUrls],
  });
  routeDynamicImports(codeFile);
  const code = readFileSync(codeFile);
  if (code.some((b) => b > 0x7f)) throw new Error(`bundle: ${codeFile} is not ASCII`);
  const start = join(outdir, `${p.name}.cjs`);
  writeFileSync(start, starter(p.name));
  chmodSync(start, 0o755);
  const cache = training.has(p.name) ? await trainedCache(p.name, codeFile, training.get(p.name)) : codeCache(codeFile);
  writeFileSync(join(outdir, `${p.name}.cache`), cache);
  const inputs = Object.keys(result.metafile.inputs).length;
  summary.push(`${p.name} (${inputs} modules, ${(code.length / 1024).toFixed(0)} KiB, cache ${(cache.length / 1024).toFixed(0)} KiB)`);
}
for (const c of copies) copyFileSync(c, join(outdir, basename(c)));

// The cache must be one this node accepts, or every start compiles from source: check in a fresh process.
const check = `const { readFileSync } = require('node:fs'); const { Script, constants } = require('node:vm');
const bad = [];
for (const [file, cache] of JSON.parse(process.argv[1])) {
  const s = new Script(${JSON.stringify(WRAP_HEAD)} + readFileSync(file, 'latin1') + ${JSON.stringify(WRAP_TAIL)}, { filename: file, cachedData: readFileSync(cache), importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (s.cachedDataRejected) bad.push(file);
}
if (bad.length) { console.error('rejected: ' + bad.join(', ')); process.exit(1); }`;
const pairs = programs.map((p) => [join(outdir, `${p.name}.code.cjs`), join(outdir, `${p.name}.cache`)]);
const r = spawnSync(process.execPath, ['-e', check, JSON.stringify(pairs)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
if (r.status !== 0) {
  console.error(`bundle: V8 rejects the code cache this build made (${(r.stderr || r.error?.message || '').trim()})`);
  process.exit(1);
}
console.log(`bundle: dist/bundle: ${summary.join('; ')}`);
