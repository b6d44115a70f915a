/**
 * The component libraries this package depends on, linked from its own copy when `-l` names one of
 * them: no look-up by name at start-up (for the bundled rump_server, no second copy of them loaded
 * from node_modules either). Any other -l, and -m, still load by name or path.
 */
import { type LibraryNamespace, packageCandidates } from '@rumpts/librump';
import * as etfs from '@rumpts/etfs';
import * as rumpdevDisk from '@rumpts/rumpdev-disk';
import * as rumpfsFfs from '@rumpts/rumpfs-ffs';
import * as rumpfsTmpfs from '@rumpts/rumpfs-tmpfs';
import * as rumpvfs from '@rumpts/rumpvfs';

const OWN: Readonly<Record<string, LibraryNamespace>> = {
  '@rumpts/rumpvfs': rumpvfs,
  '@rumpts/etfs': etfs,
  '@rumpts/rumpdev-disk': rumpdevDisk,
  '@rumpts/rumpfs-ffs': rumpfsFfs,
  '@rumpts/rumpfs-tmpfs': rumpfsTmpfs,
};

/** The library a -l spec names: our own copy of a dependency of this package, or the spec to look up. */
export function ownLibrary(spec: string): string | LibraryNamespace {
  for (const name of packageCandidates(spec)) {
    const ns = OWN[name];
    if (ns) return ns;
  }
  return spec;
}
