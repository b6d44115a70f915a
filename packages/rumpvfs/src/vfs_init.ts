/**
 * The rumpvfs component (rump_vfs_init): attaches the VFS to a kernel, mounts the rumpfs root with
 * /dev (0755) and /tmp (01777), fills the system call table, gives every process a cwd, and at
 * halt syncs and unmounts everything.
 */
import { RB_NOSYNC, type Kernel, type RumpComponent, MNT_LAZY, MNT_LOCAL, MNT_RDONLY, errno } from '@rumpts/librump';
import { Mount, vref, vrele } from './mount.js';
import { rumpfs_vfsops } from './rumpfs.js';
import { vfsSyscalls } from './syscalls.js';
import { VFS_SUBSYSTEM, Vfs } from './vfs.js';
import { vfs_shutdown } from './vfs_syscalls_mount.js';
import type { Cwdinfo } from './cwd.js';
import { VDIR } from './vattr.js';

function rumpvfs_init(kernel: Kernel): void {
  const vfs = new Vfs(kernel);
  kernel.setSubsystem(VFS_SUBSYSTEM, vfs);
  vfs.attach(rumpfs_vfsops);
  kernel.sysctl_.create('vfs.generic.fstypes', { get: () => vfs.fstypes(), description: 'registered file system types' });

  // mountroot: rumpfs on "/".
  const mp = new Mount(kernel, rumpfs_vfsops, MNT_LOCAL, null, '/', vfs.allocFsid());
  rumpfs_vfsops.mount(mp, undefined, { kernel, proc: kernel.proc, openBlockDevice: () => { throw errno('ENOTBLK'); } });
  const root = mp.root();
  vfs.rootvnode = root;
  vfs.mounts.push(mp);
  const t = vfs.types.get('rumpfs');
  if (t) t.refcount++;
  const ctx = { cred: { uid: 0, gid: 0, groups: [0] } };
  vrele(root.ops.mkdir(root, 'dev', { type: VDIR, mode: 0o755, uid: 0, gid: 0, rdev: 0 }, ctx));
  vrele(root.ops.mkdir(root, 'tmp', { type: VDIR, mode: 0o1777, uid: 0, gid: 0, rdev: 0 }, ctx));

  kernel.sysent = vfsSyscalls(vfs, kernel);
  kernel.onProcFork((child, parent) => {
    const pc = parent?.cwdi as Cwdinfo | undefined;
    const cdir = pc?.cdir ?? root;
    const rdir = pc?.rdir ?? null;
    vref(cdir);
    if (rdir) vref(rdir);
    child.cwdi = { cdir, rdir } satisfies Cwdinfo;
  });
  kernel.onProcExit((p) => {
    const c = p.cwdi as Cwdinfo | undefined;
    if (!c) return;
    p.cwdi = undefined;
    if (!c.cdir.dead) vrele(c.cdir);
    if (c.rdir && !c.rdir.dead) vrele(c.rdir);
  });
  // The syncer's pass: one step per writable file system, each synced and its device flushed.
  kernel.syncer.setWork(() =>
    vfs.mounts
      .filter((m) => (m.flag & MNT_RDONLY) === 0 && m.fstypename !== 'rumpfs')
      .map((m) => () => {
        if (!vfs.mounts.includes(m) || (m.flag & MNT_RDONLY) !== 0) return; // unmounted or made read-only since
        m.ops.sync(m, MNT_LAZY);
        m.device?.bdev.flush();
      }),
  );
  kernel.onHalt((howto) => {
    const rv = vfs.rootvnode;
    if (rv && !rv.dead) vrele(rv);
    vfs_shutdown(vfs, (howto & RB_NOSYNC) === 0, (m) => kernel.printf(m));
  });
}

/**
 * The rumpvfs component (rump_vfs_init, faction vfs): attaches the VFS, mounts the rumpfs root with
 * /dev and /tmp, installs the file system calls, gives processes a cwd, and syncs and unmounts
 * everything at halt.
 */
export const rumpvfs_component: RumpComponent = {
  name: 'rumpvfs',
  faction: 'vfs',
  init: rumpvfs_init,
};
