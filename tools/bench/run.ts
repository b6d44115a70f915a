/**
 * Benchmark runner: `pnpm bench [name…] [--runs=N] [--check] [--in-process] [--env-as-is]`.
 *
 * By default it runs the cold end-to-end figures (cold.ts): our command-line programs as a user runs
 * them, one new process each, against the reference tool in the same run, printed with the ratio (or
 * the milliseconds above `node -e 0`), the reference's time and the peak RSS of both. The in-process
 * benchmarks (tools/bench/*.bench.ts: one warm process) run when named or with --in-process.
 * Targets are printed, never asserted in unit tests; --check makes a missed cold target exit 1.
 */
import { readdirSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COLD_CASES, type ColdCase, type ColdRow, STARTUP_ENV_NOISE, fmtBytes, runCold } from './cold.js';

/** One measured figure: a value and its unit (e.g. 1.9, 'µs/op'). */
export interface Figure {
  value: number;
  unit: string;
  /** What was measured, e.g. 'rumpts stat' or 'host fs.statSync'. */
  label: string;
}

export interface BenchResult {
  /** Rows: one comparison each (a benchmark may report several, e.g. per directory size). */
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

const dir = import.meta.dirname;

async function discover(): Promise<Benchmark[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const out: Benchmark[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: Benchmark };
    if (mod.default) out.push(mod.default);
  }
  return out;
}

function fmt(f: Figure | null): string {
  if (!f) return '-';
  const v = f.value >= 100 ? f.value.toFixed(0) : f.value >= 1 ? f.value.toFixed(2) : f.value.toPrecision(3);
  return `${v} ${f.unit}`;
}

/** Each row's cells padded to the widest in its column. */
function table(header: string[], lines: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const show = (l: string[]) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [show(header), ...lines.map(show)];
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const inProcess = args.includes('--in-process');
const envAsIs = args.includes('--env-as-is');
const runsArg = args.find((a) => a.startsWith('--runs='));
const runs = runsArg ? Number(runsArg.slice('--runs='.length)) : 5;
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  console.error('bench: --runs=N takes 1..100');
  process.exit(2);
}
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--check' && a !== '--in-process' && a !== '--env-as-is' && !a.startsWith('--runs='));
if (unknownFlags.length) {
  console.error(`bench: unknown option(s) ${unknownFlags.join(', ')} (--runs=N, --check, --in-process, --env-as-is)`);
  process.exit(2);
}
const wanted = args.filter((a) => !a.startsWith('-'));
const all = await discover();
const coldWanted = wanted.filter((w): w is ColdCase => (COLD_CASES as readonly string[]).includes(w));
const inWanted = wanted.filter((w) => all.some((b) => b.name === w));
const unknown = wanted.filter((w) => !coldWanted.includes(w as ColdCase) && !inWanted.includes(w));
if (unknown.length) {
  console.error(`bench: unknown benchmark(s): ${unknown.join(', ')}; cold: ${COLD_CASES.join(', ')}; in-process: ${all.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
// By default the cold figures; in-process benchmarks when named or with --in-process.
const coldCases: ColdCase[] = wanted.length ? coldWanted : [...COLD_CASES];
const chosen = wanted.length ? all.filter((b) => inWanted.includes(b.name)) : inProcess ? all : [];

const load0 = loadavg()[0]!;
console.log(`machine: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, node ${process.version}`);
let missed = 0;
if (coldCases.length) {
  console.log(`cold processes: ${runs} runs of each command after one untimed run, ours and the reference in turn; medians (min–max); peak RSS beside each`);
  const noise = STARTUP_ENV_NOISE.filter((v) => process.env[v] !== undefined);
  if (noise.length && !envAsIs) console.log(`unset for the timed commands: ${noise.join(', ')} (Node reads it at every start: a cost of this machine's set-up; --env-as-is keeps it)`);
  const rows = await runCold({ runs, cases: coldCases, log: (l) => console.error(l), envAsIs });
  const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
  const time = (s: ColdRow['ours']): string => `${ms(s.median)} (${(s.min * 1000).toFixed(0)}–${(s.max * 1000).toFixed(0)})`;
  const figure = (r: ColdRow): string =>
    r.figure.kind === 'ms-above' ? `+${r.figure.value.toFixed(0)} ms` : `${r.figure.value.toFixed(2)}×${r.figure.kind === 'throughput-ratio' ? ' throughput' : ''}`;
  const lines = rows.map((r) => {
    const extra = (r.extra ?? []).map((e) => `; ${e.text}: ${e.met ? 'yes' : 'NO'}`).join('');
    if ((r.target !== '' && !r.met) || (r.extra ?? []).some((e) => !e.met)) missed++;
    const cpu = (s: ColdRow['ours']): string => (Number.isFinite(s.cpu) ? ms(s.cpu) : '-');
    const floor = r.floor ? `${ms(r.floor.stats.median)}, ${figure({ ...r, figure: { kind: r.figure.kind, value: r.floor.value } })}${r.floor.met || r.target === '' ? '' : ' (misses the target too)'}` : '-';
    return [r.case, `${time(r.ours)} ${r.oursLabel}`, fmtBytes(r.ours.rss), cpu(r.ours), `${time(r.reference)} ${r.referenceLabel}`, fmtBytes(r.reference.rss), cpu(r.reference), figure(r), r.target === '' ? `-${extra}` : `${r.target}: ${r.met ? 'yes' : 'NO'}${extra}`, floor];
  });
  for (const l of table(['case', 'ours: wall', 'RSS', 'CPU', 'reference (same run): wall', 'RSS', 'CPU', 'figure (wall)', 'target met', 'Node floor (same run): wall, figure'], lines)) console.log(l);
  if (rows.some((r) => r.floor)) {
    console.log('Node floor: a bare Node program doing only the host I/O of the command (tools/bench/floor/), timed in the same run against the same reference;');
    console.log('where it misses the target too, no Node process meets that target on this machine.');
  }
}
if (chosen.length) {
  console.log('in-process (one warm process, not what a user runs):');
  const lines: string[][] = [];
  for (const b of chosen) {
    const r = await b.run();
    for (const row of r.rows) {
      const ratio = row.reference && row.reference.unit === row.ours.unit ? (row.ours.value / row.reference.value).toFixed(2) : '-';
      lines.push([b.name, row.case, `${fmt(row.ours)} (${row.ours.label})`, row.reference ? `${fmt(row.reference)} (${row.reference.label})` : '-', ratio, row.target ?? '']);
    }
  }
  for (const l of table(['benchmark', 'case', 'ours', 'reference', 'ratio (ours/ref)', 'target'], lines)) console.log(l);
}
console.log(`load average (1 min): ${load0.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`);
if (check && missed > 0) {
  console.error(`bench: ${missed} cold target(s) missed`);
  process.exit(1);
}
