/**
 * sysctl(3) as a flat table of dotted names (kern.hostname, vfs.generic.fstypes…), one per kernel.
 * Nodes are values or getters; a writable node has a setter. Unknown name → ENOENT,
 * writing a read-only node → EPERM, as sysctl(3) says.
 */
import { errno } from './errno.js';

/** What a sysctl node holds. */
export type SysctlValue = string | number | boolean;

/** One sysctl node: a getter and, when writable, a setter. */
export interface SysctlNode {
  /** Human description, shown by `sysctl -d`. */
  description?: string;
  /** The current value. */
  get(): SysctlValue;
  /** Present only on writable nodes; validates and stores, throwing RumpError on bad values. */
  set?(value: SysctlValue): void;
}

/** The sysctl tree of one kernel (`kernel.sysctl_`), where factions add their nodes. */
export class Sysctl {
  readonly #nodes = new Map<string, SysctlNode>();

  /** Create (or replace, for the component that owns it) a node. */
  create(name: string, node: SysctlNode): void {
    if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/.test(name)) throw errno('EINVAL', `bad sysctl name '${name}'`);
    this.#nodes.set(name, node);
  }

  /** A read-only constant. */
  constant(name: string, value: SysctlValue, description?: string): void {
    this.create(name, description === undefined ? { get: () => value } : { get: () => value, description });
  }

  /** A node holding a value that `set` may change, with an optional validator. */
  variable<T extends SysctlValue>(name: string, initial: T, check?: (v: SysctlValue) => T, description?: string): void {
    let cur: T = initial;
    const node: SysctlNode = {
      get: () => cur,
      set: (v) => {
        cur = check ? check(v) : (v as T);
      },
    };
    if (description !== undefined) node.description = description;
    this.create(name, node);
  }

  /** Remove a node (its owner unloads). */
  destroy(name: string): void {
    this.#nodes.delete(name);
  }

  /** Is there a node by this name? */
  has(name: string): boolean {
    return this.#nodes.has(name);
  }

  /** Read, or write then return the old value (sysctl(3) returns oldp and sets newp). */
  access(name: string, newValue?: SysctlValue): SysctlValue {
    const node = this.#nodes.get(name);
    if (!node) throw errno('ENOENT', `unknown sysctl '${name}'`, { syscall: 'sysctl' });
    const old = node.get();
    if (newValue !== undefined) {
      if (!node.set) throw errno('EPERM', `sysctl '${name}' is read-only`, { syscall: 'sysctl' });
      node.set(newValue);
    }
    return old;
  }

  /** Every node name under `prefix` (all when omitted), sorted, like `sysctl -a`. */
  list(prefix = ''): string[] {
    const p = prefix === '' ? '' : prefix.endsWith('.') ? prefix : `${prefix}.`;
    return [...this.#nodes.keys()].filter((n) => p === '' || n.startsWith(p) || n === prefix).sort();
  }
}
