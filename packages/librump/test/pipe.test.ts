/** pipe2(2) and execve's close-on-exec, on a kernel with no factions (sys_pipe.c, kern_exec.c). */
import { describe, expect, it } from 'vitest';
import { F_GETFL, O_CLOEXEC, O_NONBLOCK, PIPE_SIZE, rump_init, S_IFIFO } from '../src/index.js';

describe('pipe2', () => {
  it('carries bytes in order; EAGAIN where NetBSD would block; EOF and EPIPE once an end is closed', async () => {
    const k = await rump_init({ logger: () => undefined });
    const p = k.newproc();
    const [r, w] = p.pipe2(O_NONBLOCK);
    expect(p.fcntl(r, F_GETFL) & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(p.fstat(w).mode & 0o170000).toBe(S_IFIFO);
    const buf = new Uint8Array(8);
    expect(() => p.read(r, buf)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(p.write(w, Buffer.from('abc'))).toBe(3);
    expect(p.write(w, Buffer.from('def'))).toBe(3);
    expect(p.read(r, buf)).toBe(6);
    expect(Buffer.from(buf.subarray(0, 6)).toString()).toBe('abcdef');
    expect(() => p.write(r, buf)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // full: a write past the buffer is short, then EAGAIN
    expect(p.write(w, new Uint8Array(PIPE_SIZE + 100))).toBe(PIPE_SIZE);
    expect(() => p.write(w, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    p.close(w);
    let got = 0;
    for (let n = p.read(r, new Uint8Array(4096)); n > 0; n = p.read(r, new Uint8Array(4096))) got += n;
    expect(got).toBe(PIPE_SIZE); // then 0: end of file
    const [r2, w2] = p.pipe2();
    p.close(r2);
    expect(() => p.write(w2, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    expect(() => p.pipe2(0x1000)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    k.halt();
  });

  it('closeOnExec closes exactly the close-on-exec descriptors', async () => {
    const k = await rump_init({ logger: () => undefined });
    const p = k.newproc();
    const [a, b] = p.pipe2(O_CLOEXEC);
    const [c, d] = p.pipe2();
    p.closeOnExec();
    expect(p.fd.fds()).toEqual([c, d]);
    expect(() => p.fstat(a)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => p.fstat(b)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    k.halt();
  });
});
