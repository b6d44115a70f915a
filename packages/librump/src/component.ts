/**
 * Rump components (RUMP_COMPONENT): pieces of kernel linked in before boot, grouped in factions.
 * A library package exports `components`; rump_init orders them by faction and by what they require.
 */
import { errno } from './errno.js';
import type { Kernel } from './kernel.js';

/** Factions init in this order (rump.c: kern, then vfs, dev, net), dependencies permitting. */
export const FACTIONS = ['kern', 'vfs', 'dev', 'net'] as const;
/** A component's faction: kern, vfs, dev or net. */
export type Faction = (typeof FACTIONS)[number];

/** A piece of kernel linked in before boot (RUMP_COMPONENT): a library exports a list of them as `components`. */
export interface RumpComponent {
  /** Unique name, e.g. 'rumpvfs', 'etfs'. Modules and components may require it by this name. */
  readonly name: string;
  /** Its faction, which orders init among components ready at the same time. */
  readonly faction: Faction;
  /** Names of components that must init first. */
  readonly requires?: readonly string[];
  /** Set the component up in a booting kernel (attach its subsystem, sysctl nodes, hooks). */
  init(kernel: Kernel): void;
  /** Called at halt, in reverse init order. */
  fini?(kernel: Kernel): void;
}

/** Does `x` have the shape of a RumpComponent (a library's export is checked before use)? */
export function isComponent(x: unknown): x is RumpComponent {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Partial<RumpComponent>;
  return typeof c.name === 'string' && typeof c.init === 'function' && FACTIONS.includes(c.faction as Faction);
}

/**
 * Order components so each follows what it requires, preferring faction order among the ready ones.
 * A missing requirement or a cycle is an error naming the components involved.
 */
export function orderComponents(list: readonly RumpComponent[]): RumpComponent[] {
  const byName = new Map<string, RumpComponent>();
  for (const c of list) {
    if (byName.has(c.name)) throw errno('EEXIST', `component '${c.name}' is linked twice`);
    byName.set(c.name, c);
  }
  for (const c of list) {
    for (const r of c.requires ?? []) {
      if (!byName.has(r)) {
        throw errno('ENOENT', `component '${c.name}' requires '${r}', which is not linked (libraries are not autoloaded: list '${r}' first)`);
      }
    }
  }
  const done = new Set<string>();
  const out: RumpComponent[] = [];
  const rank = (c: RumpComponent): number => FACTIONS.indexOf(c.faction);
  while (out.length < list.length) {
    const ready = list
      .filter((c) => !done.has(c.name) && (c.requires ?? []).every((r) => done.has(r)))
      .sort((a, b) => rank(a) - rank(b));
    const next = ready[0];
    if (!next) {
      const stuck = list.filter((c) => !done.has(c.name)).map((c) => c.name);
      throw errno('EDEADLK', `component dependency cycle among: ${stuck.join(', ')}`);
    }
    done.add(next.name);
    out.push(next);
  }
  return out;
}
