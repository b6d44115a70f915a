/** fsu disklabel: the NetBSD disklabel of an image, as disklabel(8) lists it. */
import { errno, nameText } from '@rumpts/librump';
import { HostFileBlockDevice, readDiskLabel } from '@rumpts/rumpdev-disk';
import { checkImage } from './image.js';

/** Print the disklabel of `image` through `out` (ENOENT if it has none). */
export function cmd_disklabel(image: string, out: (line: string) => void): void {
  checkImage(image);
  const dev = new HostFileBlockDevice(image, { readonly: true });
  try {
    const r = readDiskLabel(dev);
    if (!r) throw errno('ENOENT', 'no disklabel', { path: image });
    const l = r.label;
    out(`# ${nameText(image)}:`);
    out(`type: ${l.type}  typename: ${l.typename}  packname: ${l.packname}`);
    out(`bytes/sector: ${l.secsize}  sectors/unit: ${l.secperunit}`);
    out(`${l.partitions.length} partitions:`);
    out('#        size    offset     fstype');
    l.partitions.forEach((p, i) => {
      if (p.size > 0) out(` ${String.fromCharCode(97 + i)}: ${String(p.size).padStart(9)} ${String(p.offset).padStart(9)} ${String(p.fstype).padStart(10)}`);
    });
  } finally {
    dev.close?.();
  }
}
