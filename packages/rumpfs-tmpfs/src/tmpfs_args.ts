/**
 * Mount data of tmpfs (struct tmpfs_args, mount_tmpfs(8)): `{ size?, nodes?, mode?, uid?, gid? }`.
 * Every field is optional; a bad one is refused with EINVAL naming it.
 */
import { errno, type MountData } from '@rumpts/librump';

/** tmpfs mount data (struct tmpfs_args; the mount_tmpfs(8) options of the same meaning). */
export interface TmpfsArgs {
  /** Byte limit of the file system (-s). Below one page (or absent): no limit but kernel memory. */
  size?: number;
  /** Most files the file system may hold (-n). Default: one per KiB of the size limit. */
  nodes?: number;
  /** Root directory mode (-m). Default: the mount point's. */
  mode?: number;
  /** Root directory owner (-u). Default: the mount point's. */
  uid?: number;
  /** Root directory group (-g). Default: the mount point's. */
  gid?: number;
}

function field(data: Readonly<Record<string, unknown>>, name: keyof TmpfsArgs, max: number): number | undefined {
  const v = data[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw errno('EINVAL', `tmpfs mount data: '${name}' must be an integer 0..${max}, got ${JSON.stringify(v) ?? typeof v}`);
  }
  return v;
}

/** Validate mount(2) data for tmpfs. Unknown fields are refused so typos do not pass silently. */
export function parseTmpfsArgs(data: MountData): TmpfsArgs {
  if (data === undefined) return {};
  if (typeof data !== 'object' || data === null) throw errno('EINVAL', 'tmpfs mount data must be an object');
  const known = new Set(['size', 'nodes', 'mode', 'uid', 'gid']);
  for (const k of Object.keys(data)) if (!known.has(k)) throw errno('EINVAL', `tmpfs mount data: unknown field '${k}'`);
  const args: TmpfsArgs = {};
  const size = field(data, 'size', Number.MAX_SAFE_INTEGER);
  const nodes = field(data, 'nodes', 0xffffffff);
  const mode = field(data, 'mode', 0o7777);
  const uid = field(data, 'uid', 0xffffffff);
  const gid = field(data, 'gid', 0xffffffff);
  if (size !== undefined) args.size = size;
  if (nodes !== undefined) args.nodes = nodes;
  if (mode !== undefined) args.mode = mode;
  if (uid !== undefined) args.uid = uid;
  if (gid !== undefined) args.gid = gid;
  return args;
}
