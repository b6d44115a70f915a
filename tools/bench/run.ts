/**
 * Benchmark runner (`pnpm bench [name…]`): runs each named benchmark in tools/bench/*.bench.ts and
 * prints our figure, the reference tool's figure measured in the same run, and the ratio. Targets
 * live here as printed ratios, never as timed assertions in unit tests.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = await discover();
const chosen = wanted.length ? all.filter((b) => wanted.includes(b.name)) : all;
const unknown = wanted.filter((w) => !all.some((b) => b.name === w));
if (unknown.length) {
  console.error(`bench: unknown benchmark(s): ${unknown.join(', ')}; have: ${all.map((b) => b.name).join(', ') || '(none)'}`);
  process.exit(2);
}
if (chosen.length === 0) {
  console.log('benchmark  case  ours  reference  ratio');
  console.log('(no benchmarks defined yet)');
  process.exit(0);
}
const header = ['benchmark', 'case', 'ours', 'reference', 'ratio (ours/ref)', 'target'];
const lines: string[][] = [];
for (const b of chosen) {
  const r = await b.run();
  for (const row of r.rows) {
    const ratio = row.reference && row.reference.unit === row.ours.unit ? (row.ours.value / row.reference.value).toFixed(2) : '-';
    lines.push([b.name, row.case, `${fmt(row.ours)} (${row.ours.label})`, row.reference ? `${fmt(row.reference)} (${row.reference.label})` : '-', ratio, row.target ?? '']);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
const show = (l: string[]) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
console.log(show(header));
for (const l of lines) console.log(show(l));
