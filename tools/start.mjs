// The main job until the server lands: boot a rump kernel with every component package this
// checkout has, print its components, modules and sysctl basics, then halt it.
import { rump_init } from '@rumpts/librump';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const known = ['@rumpts/rumpvfs', '@rumpts/etfs', '@rumpts/rumpdev-disk'];
const libraries = known.filter((name) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
});

const kernel = await rump_init({ libraries, verbose: process.argv.includes('-v') });
for (const mod of ['rumpfs_tmpfs', 'rumpfs_ffs', 'rumpfs_cd9660']) {
  try {
    await kernel.modload(mod);
  } catch {
    // not built in this checkout
  }
}
console.log(`${kernel.sysctl('kern.version')}`);
console.log(`hostname     ${kernel.sysctl('kern.hostname')}`);
console.log(`hw.ncpu      ${kernel.sysctl('hw.ncpu')}`);
console.log(`hw.physmem   ${kernel.sysctl('hw.physmem')}`);
console.log(`memlimit     ${kernel.sysctl('kern.rump.memlimit')}`);
console.log(`fstypes      ${kernel.sysctl('vfs.generic.fstypes') || '(none)'}`);
console.log('components:');
for (const c of kernel.components()) console.log(`  ${c.faction.padEnd(5)} ${c.name}`);
if (kernel.components().length === 0) console.log('  (none linked)');
console.log('modules:');
for (const m of kernel.modstat()) console.log(`  ${m.name} (${m.class}, ${m.source}) refs ${m.refcount}`);
if (kernel.modstat().length === 0) console.log('  (none loaded)');
kernel.halt();
console.log('halted');
