// @rumpts/rumpclient's sysproxy client exercising calls the NetBSD recordings do not have, for recording
import { connect } from '@rumpts/rumpclient';
const O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x200, O_TRUNC = 0x400, O_CLOEXEC = 0x400000;
const url = process.argv[2];
const out = [];
const log = (...a) => { out.push(a.map((x) => typeof x === 'string' ? x : JSON.stringify(x)).join(' ')); };
const c = await connect(url, { protocol: 'sysproxy', comm: 'rumpts-ops', onRaise: (s) => log('raise', s) });
await c.mkdir('/mnt', 0o777);
await c.mount('ffs', '/mnt', 0, { fspec: '/dev/dk' });
await c.mkdir('/mnt/t', 0o755);
await c.mount('tmpfs', '/mnt/t', 0, { size: 4 << 20, mode: 0o1777, uid: 0, gid: 0 });
log('vfsstat', (await c.getvfsstat()).map((v) => `${v.fstypename}@${v.mntonname}`));
let fd = await c.open('/mnt/t/f', O_RDWR | O_CREAT | O_TRUNC, 0o640);
log('writev', await c.writev(fd, [Buffer.from('abc'), Buffer.from('defgh'), Buffer.alloc(5000, 0x78)]));
log('lseek', await c.lseek(fd, 1, 0));
const iov = [Buffer.alloc(2), Buffer.alloc(4), Buffer.alloc(10)];
log('readv', await c.readv(fd, iov), iov.map((b) => b.toString('latin1')));
await c.ftruncate(fd, 6);
log('fstatvfs', (await c.fstatvfs(fd)).fstypename);
log('dup', await c.dup(fd), 'fcntl', await c.fcntl(fd, 1, 0));
await c.futimes(fd, { sec: 1500000000, nsec: 123456000 }, { sec: 1500000001, nsec: 654321000 });
log('futimes', (await c.fstat(fd)).mtime);
await c.close(fd);
await c.truncate('/mnt/t/f', 3);
await c.utimes('/mnt/t/f', { sec: 1111111111, nsec: 222222222 }, { sec: 1222222222, nsec: 333333333 });
const st = await c.stat('/mnt/t/f');
log('utimensat', st.atime, st.mtime, st.size);
await c.symlink('f', '/mnt/t/l');
await c.lutimes('/mnt/t/l', { sec: 1300000000, nsec: 1 }, { sec: 1300000001, nsec: 2 });
log('lutimes', (await c.lstat('/mnt/t/l')).mtime);
await c.link('/mnt/t/f', '/mnt/t/g');
log('nlink', (await c.stat('/mnt/t/g')).nlink);
await c.mkfifo('/mnt/t/fifo', 0o600);
log('fifo mode', ((await c.lstat('/mnt/t/fifo')).mode).toString(8));
await c.access('/mnt/t/f', 4);
try { await c.access('/mnt/t/nope', 0); } catch (e) { log('access', e.code); }
await c.chdir('/mnt/t');
log('getcwd', await c.getcwd());
log('umask', await c.umask(0o22), await c.umask(0o22));
await c.chmod('g', 0o600);
await c.lchown('l', 5, 6);
log('lchown', (await c.lstat('l')).uid);
fd = await c.open('f', O_RDONLY | O_CLOEXEC);
const keep = await c.open('g', O_RDONLY);
const child = await c.fork({ comm: 'ops-child' });
const b = Buffer.alloc(2); await child.read(keep, b); log('child read', b.toString());
await child.disconnect();
await c.exec('ops-exec');
try { await c.fstat(fd); } catch (e) { log('after exec cloexec fd', e.code); }
log('after exec kept fd read', await c.read(keep, Buffer.alloc(8)));
await c.close(keep);
await c.chdir('/');
await c.unlink('/mnt/t/g'); await c.unlink('/mnt/t/l'); await c.unlink('/mnt/t/fifo');
// (no unmount: the forked child's cwd, /mnt/t, is released by NetBSD's server a moment after it goes)
try { await c.rmdir('/mnt/sub'); } catch (e) { log('rmdir', e.code); }
log('getdents', (await (async () => { const d = await c.open('/mnt/sub', O_RDONLY); const r = await c.getdents(d, 512); await c.close(d); return r; })()).map((e) => e.name));
await c.reboot(0);
log('reboot answered');
console.log(out.join('\n'));
