/**
 * __sysctl(2) by MIB for sysproxy clients: the numeric names of sys/sysctl.h mapped onto the
 * kernel's dotted names, with the C type each is read as (a string with its NUL, an int, a quad).
 * sysctl_lookup's rules: the old value is copied out as far as *oldlenp allows (ENOMEM when it was
 * short), *oldlenp becomes the full size, and a new value replaces a writable node.
 */
import { errno, type Kernel, type SysctlValue } from '@rumpts/librump';

type CType = 'string' | 'int' | 'quad';

/** CTL_KERN 1, CTL_VFS 3, CTL_HW 6 and the nodes rumpts has under them. */
const MIB: ReadonlyMap<string, readonly [name: string, type: CType]> = new Map([
  ['1.1', ['kern.ostype', 'string']],
  ['1.2', ['kern.osrelease', 'string']],
  ['1.4', ['kern.version', 'string']],
  ['1.10', ['kern.hostname', 'string']],
  ['6.3', ['hw.ncpu', 'int']],
  ['6.5', ['hw.physmem', 'int']],
  ['6.7', ['hw.pagesize', 'int']],
]);

/** The MIB's node and C type; ENOENT (or EOPNOTSUPP for CTL_QUERY and friends, name[i] < 0) if unknown. */
export function mibNode(name: readonly number[]): readonly [string, CType] {
  if (name.some((n) => n < 0)) throw errno('EOPNOTSUPP', `sysctl meta-operations (${name.join('.')}) are not supported`);
  const node = MIB.get(name.join('.'));
  if (!node) throw errno('ENOENT', `no sysctl node ${name.join('.')}`);
  return node;
}

/** A node's value as the bytes sysctl(3) returns. */
export function encodeValue(v: SysctlValue, type: CType): Buffer {
  if (type === 'string') return Buffer.from(`${String(v)}\0`, 'utf8');
  const n = typeof v === 'boolean' ? Number(v) : Number(v);
  const b = Buffer.alloc(type === 'int' ? 4 : 8);
  if (type === 'int') b.writeInt32LE(Number.isFinite(n) ? Math.trunc(n) | 0 : 0);
  else b.writeBigInt64LE(BigInt(Number.isFinite(n) ? Math.trunc(n) : 0));
  return b;
}

/** Bytes of a new value → what the kernel's node takes. */
export function decodeValue(b: Buffer, type: CType): SysctlValue {
  if (type === 'string') {
    const nul = b.indexOf(0);
    return b.toString('utf8', 0, nul < 0 ? b.length : nul);
  }
  if (b.length !== (type === 'int' ? 4 : 8)) throw errno('EINVAL', `a ${type} sysctl value is ${type === 'int' ? 4 : 8} bytes, not ${b.length}`);
  return type === 'int' ? b.readInt32LE(0) : Number(b.readBigInt64LE(0));
}

/** Read (and with `newValue`, write) the node of `name`. */
export function sysctlMib(kernel: Kernel, name: readonly number[], newValue?: Buffer): { old: Buffer } {
  const [node, type] = mibNode(name);
  const old = encodeValue(kernel.sysctl(node), type);
  if (newValue !== undefined) kernel.sysctl(node, decodeValue(newValue, type));
  return { old };
}
