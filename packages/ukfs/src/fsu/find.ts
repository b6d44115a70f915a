/**
 * fsu find: find(1) on a target — `find IMAGE [PATH…] [EXPRESSION]` with the primaries `-name` and
 * `-iname` (glob), `-type` (f d l p c b s), `-maxdepth`, `-mindepth`, `-print`, `-print0`, and `!`/`-not`
 * before a test. Primaries are ANDed and evaluated left to right; without an action every match is
 * printed.
 */
import { encodeName, nameHasEscapes, nameText, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type Stat } from '@rumpts/librump';
import type { Io } from './stdio.js';
import type { FsuTarget } from './target.js';
import { UsageError } from './usage.js';
import { Ancestry, ijoin, isDir, names } from './walk.js';

type Primary =
  | { kind: 'test'; negate: boolean; test: (name: string, st: Stat) => boolean }
  | { kind: 'print'; end: string };

export interface FindExpr {
  starts: string[];
  primaries: Primary[];
  mindepth: number;
  maxdepth: number;
}

/** fnmatch(3) without flags: `*`, `?`, `[...]` / `[!...]`, backslash quoting. */
export function globToRegExp(g: string, ignoreCase = false): RegExp {
  let s = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === '*') s += '.*';
    else if (c === '?') s += '.';
    else if (c === '\\' && i + 1 < g.length) s += (g[++i] as string).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else if (c === '[') {
      const close = g.indexOf(']', i + 2);
      if (close < 0) {
        s += '\\[';
        continue;
      }
      let body = g.slice(i + 1, close);
      const neg = body.startsWith('!') || body.startsWith('^');
      if (neg) body = body.slice(1);
      s += `[${neg ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else s += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${s}$`, ignoreCase ? 'is' : 's');
}

const FIND_TYPES: Record<string, number> = { f: S_IFREG, d: S_IFDIR, l: S_IFLNK, p: S_IFIFO, c: S_IFCHR, b: S_IFBLK, s: S_IFSOCK };

/** Parse find's operands: start paths (default `/`), then the expression. */
export function parseFind(args: string[]): FindExpr {
  const e: FindExpr = { starts: [], primaries: [], mindepth: 0, maxdepth: Infinity };
  let i = 0;
  while (i < args.length && !(args[i] as string).startsWith('-') && args[i] !== '!') e.starts.push(args[i++] as string);
  if (e.starts.length === 0) e.starts.push('/');
  let negate = false;
  const value = (p: string): string => {
    const v = args[++i];
    if (v === undefined) throw new UsageError(`find: ${p} needs an argument`);
    return v;
  };
  const depth = (p: string): number => {
    const v = value(p);
    if (!/^\d+$/.test(v)) throw new UsageError(`find: ${p}: '${v}' is not a number`);
    return Number(v);
  };
  for (; i < args.length; i++) {
    const p = args[i] as string;
    if (p === '!' || p === '-not') {
      negate = !negate;
      continue;
    }
    if (p === '-name' || p === '--name' || p === '-iname') {
      const re = globToRegExp(value(p), p === '-iname');
      e.primaries.push({ kind: 'test', negate, test: (name) => re.test(name) });
    } else if (p === '-type' || p === '--kind') {
      const v = value(p);
      const want = FIND_TYPES[v];
      if (want === undefined) throw new UsageError(`find: -type: unknown type '${v}' (f, d, l, p, c, b or s)`);
      e.primaries.push({ kind: 'test', negate, test: (_n, st) => (st.mode & S_IFMT) === want });
    } else if (p === '-maxdepth') e.maxdepth = depth(p);
    else if (p === '-mindepth') e.mindepth = depth(p);
    else if (p === '-print' || p === '-print0') e.primaries.push({ kind: 'print', end: p === '-print' ? '\n' : '\0' });
    else throw new UsageError(`find: unknown primary or operator '${p}'`);
    if (negate && (p === '-maxdepth' || p === '-mindepth' || p.startsWith('-print'))) throw new UsageError(`find: '!' must come before a test, not ${p}`);
    negate = false;
  }
  if (negate) throw new UsageError("find: '!' at the end of the expression");
  if (!e.primaries.some((x) => x.kind === 'print')) e.primaries.push({ kind: 'print', end: '\n' });
  return e;
}

/** Walk each start path and evaluate the expression on every entry. */
export async function cmd_find(fs: FsuTarget, expr: FindExpr, io: Io): Promise<void> {
  const ancestry = new Ancestry();
  const evaluate = (path: string, name: string, st: Stat): void => {
    for (const p of expr.primaries) {
      if (p.kind === 'print') {
        // -print0 feeds xargs -0: a name's exact bytes; -print is for reading: bad bytes as \xNN.
        if (!nameHasEscapes(path)) io.text(path + p.end);
        else if (p.end === '\0') io.write(encodeName(path + p.end));
        else io.text(nameText(path) + p.end);
      } else if (p.test(name, st) === p.negate) return;
    }
  };
  const walk = async (path: string, name: string, depth: number): Promise<void> => {
    const st = await fs.lstat(path);
    if (depth >= expr.mindepth) evaluate(path, name, st);
    if (!isDir(st) || depth >= expr.maxdepth) return;
    if (!ancestry.enter(path, st, io)) return;
    try {
      for (const n of await names(fs, path, true, io)) {
        const child = ijoin(path, n);
        try {
          await walk(child, n, depth + 1);
        } catch (e) {
          io.fail(e, child);
        }
      }
    } finally {
      ancestry.leave();
    }
  };
  await io.each(expr.starts, (s) => walk(s, s.replace(/\/+$/, '').split('/').pop() || '/', 0));
}
