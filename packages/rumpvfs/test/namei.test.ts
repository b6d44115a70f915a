import { beforeEach, describe, expect, it } from 'vitest';
import { type Kernel, O_CREAT, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY, O_DIRECTORY, type Proc } from '@rumpts/librump';
import { code, vfsKernel } from './helpers.js';

let k: Kernel;
let p: Proc;
beforeEach(async () => {
  k = await vfsKernel();
  p = k.proc;
});


describe('namei', () => {
  it('absolute, relative, dot and dotdot', () => {
    p.mkdir('/a', 0o755);
    p.mkdir('/a/b', 0o755);
    p.chdir('/a');
    expect(p.stat('b').ino).toBe(p.stat('/a/b').ino);
    expect(p.stat('./b/../b/.').ino).toBe(p.stat('/a/b').ino);
    expect(p.stat('..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/../../..').ino).toBe(p.stat('/').ino);
    expect(p.stat('//a///b//').ino).toBe(p.stat('/a/b').ino);
  });

  it('empty path is ENOENT; too long is ENAMETOOLONG', () => {
    expect(code(() => p.stat(''))).toBe('ENOENT');
    expect(code(() => p.stat(`/${'x'.repeat(256)}`))).toBe('ENAMETOOLONG');
    expect(code(() => p.stat(`/${'x'.repeat(255)}`))).toBe('ENOENT');
    expect(code(() => p.stat('/a/'.repeat(400)))).toBe('ENAMETOOLONG');
    // 1023 bytes is the longest path (PATH_MAX 1024 includes the NUL).
    expect(code(() => p.stat(`/${'a/'.repeat(510)}b`))).toBe('ENOENT');
    expect(code(() => p.stat(`/${'a/'.repeat(511)}b`))).toBe('ENAMETOOLONG');
    // Multi-byte names count bytes, not characters.
    expect(code(() => p.mkdir(`/${'é'.repeat(128)}`, 0o755))).toBe('ENAMETOOLONG');
    p.mkdir(`/${'é'.repeat(127)}`, 0o755);
  });

  it('names are bytes: an escaped byte counts one, a lone surrogate with no byte form is EILSEQ', () => {
    // NAME_MAX 255 bytes: 255 escaped bytes fit, 256 do not.
    p.mkdir(`/${'\uDCE9'.repeat(255)}`, 0o755);
    expect(code(() => p.mkdir(`/${'\uDCE9'.repeat(256)}`, 0o755))).toBe('ENAMETOOLONG');
    // PATH_MAX: a path of 1023 bytes, most of them escaped, is looked up; 1024 is too long.
    expect(code(() => p.stat(`/${'\uDCE9/'.repeat(510)}b`))).toBe('ENOENT');
    expect(code(() => p.stat(`/${'\uDCE9/'.repeat(511)}b`))).toBe('ENAMETOOLONG');
    // A symlink's size is its target's bytes; the target keeps its escapes.
    p.symlink('t\uDCE9\uDCE8', '/l');
    expect(p.lstat('/l').size).toBe(3);
    expect(p.readlink('/l')).toBe('t\uDCE9\uDCE8');
    p.symlink('\uDCE9'.repeat(1023), '/long');
    expect(p.lstat('/long').size).toBe(1023);
    expect(code(() => p.symlink('\uDCE9'.repeat(1024), '/toolong'))).toBe('ENAMETOOLONG');
    // No byte form: nothing can be made under such a name or pointing at such a target.
    expect(code(() => p.mkdir('/bad\uD800', 0o755))).toBe('EILSEQ');
    expect(code(() => p.open('/bad\uDC20', O_CREAT | O_WRONLY, 0o644))).toBe('EILSEQ');
    expect(code(() => p.symlink('x\uD800', '/badlink'))).toBe('EILSEQ');
    expect(code(() => p.rename('/l', '/bad\uDBFF'))).toBe('EILSEQ');
    expect(code(() => p.stat('/bad\uD800'))).toBe('ENOENT');
  });

  it('trailing slash requires a directory', () => {
    const fd = p.open('/f', O_CREAT | O_WRONLY, 0o644);
    p.close(fd);
    p.mkdir('/d', 0o755);
    expect(code(() => p.stat('/f/'))).toBe('ENOTDIR');
    expect(code(() => p.stat('/f/.'))).toBe('ENOTDIR');
    expect(code(() => p.stat('/f/x'))).toBe('ENOTDIR');
    expect(p.stat('/d/').ino).toBe(p.stat('/d').ino);
    expect(code(() => p.open('/g/', O_CREAT | O_WRONLY))).toBe('EISDIR');
    p.mkdir('/e/', 0o755);
    expect(code(() => p.unlink('/f/'))).toBe('ENOTDIR');
  });

  it('symlinks: relative, absolute, chains, loops, zero length, NOFOLLOW', () => {
    p.mkdir('/dir', 0o755);
    p.close(p.open('/dir/file', O_CREAT | O_WRONLY, 0o644));
    p.symlink('dir/file', '/rel');
    p.symlink('/dir', '/abs');
    p.symlink('rel', '/chain');
    p.symlink('/abs/file', '/chain2');
    const ino = p.stat('/dir/file').ino;
    expect(p.stat('/rel').ino).toBe(ino);
    expect(p.stat('/abs/file').ino).toBe(ino);
    expect(p.stat('/chain').ino).toBe(ino);
    expect(p.stat('/chain2').ino).toBe(ino);
    expect(p.lstat('/chain').ino).not.toBe(ino);
    expect(p.stat('/abs/').ino).toBe(p.stat('/dir').ino);
    p.symlink('loop2', '/loop1');
    p.symlink('loop1', '/loop2');
    expect(code(() => p.stat('/loop1'))).toBe('ELOOP');
    // A chain of exactly 32 links resolves; 33 does not.
    p.symlink('/dir/file', '/l0');
    for (let i = 1; i <= 32; i++) p.symlink(`/l${i - 1}`, `/l${i}`);
    expect(p.stat('/l31').ino).toBe(ino);
    expect(code(() => p.stat('/l32'))).toBe('ELOOP');
    p.symlink('', '/empty');
    expect(code(() => p.stat('/empty'))).toBe('ENOENT');
    expect(p.lstat('/empty').size).toBe(0);
    expect(code(() => p.open('/rel', O_RDONLY | O_NOFOLLOW))).toBe('EFTYPE');
    expect(code(() => p.open('/rel', O_RDONLY | O_DIRECTORY))).toBe('ENOTDIR');
    // O_CREAT through a dangling symlink creates the target.
    p.symlink('/dir/new', '/dangling');
    p.close(p.open('/dangling', O_CREAT | O_RDWR, 0o600));
    expect(p.stat('/dir/new').mode & 0o777).toBe(0o600);
    // symlink to "/" then chdir into it.
    p.symlink('/', '/rootlink');
    p.chdir('/rootlink');
    expect(p.getcwd()).toBe('/');
  });

  it('search permission on every directory for non-root', () => {
    p.mkdir('/locked', 0o700);
    p.mkdir('/locked/inner', 0o755);
    p.mkdir('/open', 0o755);
    const u = k.newproc();
    u.setcred({ uid: 1000, gid: 1000, groups: [1000] });
    expect(code(() => u.stat('/locked/inner'))).toBe('EACCES');
    expect(code(() => u.stat('/locked'))).toBe('OK');
    expect(code(() => u.stat('/open'))).toBe('OK');
    expect(code(() => u.mkdir('/open/x', 0o755))).toBe('EACCES');
    expect(code(() => u.chdir('/locked'))).toBe('EACCES');
    // root passes
    expect(code(() => p.stat('/locked/inner'))).toBe('OK');
  });

  it('.. crosses mount points in both directions', () => {
    p.mkdir('/mnt', 0o755);
    p.mount('rumpfs', '/mnt', 0);
    p.mkdir('/mnt/sub', 0o755);
    const rootOfMount = p.stat('/mnt');
    expect(rootOfMount.dev).not.toBe(p.stat('/').dev);
    expect(p.stat('/mnt/sub/..').ino).toBe(rootOfMount.ino);
    expect(p.stat('/mnt/..').ino).toBe(p.stat('/').ino);
    expect(p.stat('/mnt/..').dev).toBe(p.stat('/').dev);
    p.chdir('/mnt/sub');
    expect(p.getcwd()).toBe('/mnt/sub');
    p.chdir('../..');
    expect(p.getcwd()).toBe('/');
    // lookup_simple of t_vnops
    expect(p.stat('/mnt/../mnt').ino).toBe(p.stat('/mnt/./../mnt').ino);
  });

  it('chroot confines ..', () => {
    p.mkdir('/jail', 0o755);
    p.mkdir('/jail/etc', 0o755);
    const q = k.newproc();
    q.chroot('/jail');
    q.chdir('/');
    expect(q.stat('/..').ino).toBe(p.stat('/jail').ino);
    expect(q.stat('/etc').ino).toBe(p.stat('/jail/etc').ino);
    expect(q.getcwd()).toBe('/');
  });
});
