/**
 * Names are bytes on the wire, NetBSD's sysproxy and ours alike: paths the client sends, dirent
 * names, link targets and the cwd the server sends back are byte strings. A name that is not valid
 * UTF-8 (a Latin-1 `caf\xe9`) travels as its exact bytes both ways and is the kernel's escaped name
 * (librump decodeName) — never U+FFFD, so names that differ only in such bytes stay apart. Over
 * tmpfs, which keeps the kernel's names as they are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeName, O_CREAT, O_RDONLY, O_WRONLY, isRumpError } from '@rumpts/librump';
import { connect, type RemoteClient } from '@rumpts/rumpclient';
import { type InProcess, startInProcess } from './helpers.js';

const servers: InProcess[] = [];
const clients: RemoteClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.stop();
});

async function pair(protocol: 'rumpts' | 'sysproxy'): Promise<{ s: InProcess; c: RemoteClient }> {
  const s = await startInProcess();
  servers.push(s);
  const c = protocol === 'sysproxy' ? await connect(s.url, { protocol }) : await connect(s.url);
  clients.push(c);
  return { s, c };
}

async function names(c: RemoteClient, dir: string): Promise<string[]> {
  const fd = await c.open(dir, O_RDONLY);
  try {
    const out: string[] = [];
    for (let d = await c.getdents(fd); d.length > 0; d = await c.getdents(fd)) out.push(...d.map((e) => e.name));
    return out.filter((n) => n !== '.' && n !== '..').sort();
  } finally {
    await c.close(fd);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return isRumpError(e) ? e.code : String(e);
  }
}

for (const protocol of ['sysproxy', 'rumpts'] as const) {
  it(`${protocol}: names that are not valid UTF-8 go in and come back exactly: create, list, open, readlink, getcwd`, async () => {
    const { s, c } = await pair(protocol);
    const made = ['caf\uDCE9', 'caf\uDCE8', 'caf\uFFFD', 'd\uDCFF'];
    for (const [i, n] of made.slice(0, 3).entries()) {
      const fd = await c.open(`/tmp/${n}`, O_CREAT | O_WRONLY, 0o644);
      await c.write(fd, Buffer.from(`file ${i}`));
      await c.close(fd);
    }
    await c.mkdir('/tmp/d\uDCFF', 0o755);
    await c.symlink('../caf\uDCE9', '/tmp/d\uDCFF/l\uDCE9');
    // The server decoded the bytes it copied in as the kernel's escaped names, each its own entry.
    const kfd = s.kernel.proc.open('/tmp', O_RDONLY);
    const kernelNames = s.kernel.proc.getdents(kfd).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
    s.kernel.proc.close(kfd);
    expect(kernelNames).toEqual([...made].sort());
    expect(s.kernel.proc.readlink('/tmp/d\uDCFF/l\uDCE9')).toBe('../caf\uDCE9');
    // And the client reads the dirents' bytes back as the same names.
    expect(await names(c, '/tmp')).toEqual([...made].sort());
    expect(await names(c, '/tmp/d\uDCFF')).toEqual(['l\uDCE9']);
    expect(await c.readlink('/tmp/d\uDCFF/l\uDCE9')).toBe('../caf\uDCE9');
    const buf = Buffer.alloc(16);
    const fd = await c.open('/tmp/d\uDCFF/l\uDCE9', O_RDONLY);
    const n = await c.read(fd, buf);
    await c.close(fd);
    expect(buf.toString('utf8', 0, n)).toBe('file 0');
    await c.chdir('/tmp/d\uDCFF');
    expect(await c.getcwd()).toBe('/tmp/d\uDCFF');
    expect(Buffer.from(encodeName(await c.getcwd()))).toEqual(Buffer.from([...Buffer.from('/tmp/d'), 0xff]));
  });
}

describe('sysproxy', () => {
  it('a name holding a lone surrogate that stands for no byte is EILSEQ at the client, nothing made', async () => {
    const { c } = await pair('sysproxy');
    expect(await codeOf(c.open('/tmp/x\uD800', O_CREAT | O_WRONLY, 0o644))).toBe('EILSEQ');
    expect(await codeOf(c.mkdir('/tmp/y\uDC00', 0o755))).toBe('EILSEQ');
    expect(await names(c, '/tmp')).toEqual([]);
  });
});
