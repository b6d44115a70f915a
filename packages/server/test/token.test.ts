/**
 * tcp requires a token (issue 16 item 6): generated when none is given, written 0600 where a client
 * of the same user finds it from the URL; --insecure (insecure: true) is the only way around it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, parseUrl, type RumpClient, tokenDir, tokenFilePath } from '../src/index.js';
import { type InProcess, RUNTIME_DIR, startInProcess } from './helpers.js';

const servers: InProcess[] = [];
const clients: RumpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.stop();
  delete process.env['RUMP_SERVER_TOKEN'];
});

async function tcpServer(opts: Parameters<typeof startInProcess>[0] = {}, url = 'tcp://127.0.0.1:0/'): Promise<InProcess> {
  const s = await startInProcess(opts, url);
  servers.push(s);
  return s;
}

async function client(url: string, opts: Parameters<typeof connect>[1] = {}): Promise<RumpClient> {
  const c = await connect(url, opts);
  clients.push(c);
  return c;
}

describe('tcp requires a token', () => {
  it('one is generated and written 0600 (directory 0700) under $XDG_RUNTIME_DIR/rumpts, keyed by host and port', async () => {
    const s = await tcpServer();
    const u = s.server.url;
    if (u.proto !== 'tcp') throw new Error('not tcp');
    expect(s.server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(s.server.tokenFile).toBe(join(RUNTIME_DIR, 'rumpts', `tcp-127.0.0.1-${u.port}.token`));
    expect(tokenFilePath(u)).toBe(s.server.tokenFile);
    const file = s.server.tokenFile as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(tokenDir()).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toBe(`${s.server.token}\n`);
    // a client of this user finds it from the URL alone
    const c = await client(s.url);
    expect(await c.getcwd()).toBe('/');
    await s.server.halt(0);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a connection without the token, or with a wrong one, before any call', async () => {
    const s = await tcpServer();
    const nprocs = s.kernel.sysctl('kern.rump.nprocs');
    await expect(connect(s.url, { token: '' })).rejects.toMatchObject({ code: 'EAUTH', detail: expect.stringMatching(/no token given/) });
    await expect(connect(s.url, { token: 'guess' })).rejects.toMatchObject({ code: 'EAUTH', detail: expect.stringMatching(/does not match/) });
    process.env['RUMP_SERVER_TOKEN'] = 'wrong';
    await expect(connect(s.url)).rejects.toMatchObject({ code: 'EAUTH' });
    delete process.env['RUMP_SERVER_TOKEN'];
    // without the file a client has nothing to send, and says where it looked
    rmSync(s.server.tokenFile as string);
    await expect(connect(s.url)).rejects.toMatchObject({
      code: 'EAUTH',
      detail: expect.stringContaining(`set RUMP_SERVER_TOKEN, or run the client as the user who started the server (it reads ${s.server.tokenFile})`),
    });
    expect(s.kernel.sysctl('kern.rump.nprocs')).toBe(nprocs);
    process.env['RUMP_SERVER_TOKEN'] = s.server.token;
    expect(await (await client(s.url)).getpid()).toBeGreaterThan(0);
  });

  it('a given token is required and written to the file as well', async () => {
    const s = await tcpServer({ token: 'given-secret' });
    expect(readFileSync(s.server.tokenFile as string, 'utf8')).toBe('given-secret\n');
    await expect(connect(s.url, { token: 'other' })).rejects.toMatchObject({ code: 'EAUTH' });
    await client(s.url);
    await client(s.url, { token: 'given-secret' });
  });

  it('a server on every address writes 0.0.0.0; a client of 127.0.0.1 falls back to it', async () => {
    const s = await tcpServer({}, 'tcp://0:0/');
    const u = s.server.url;
    if (u.proto !== 'tcp') throw new Error('not tcp');
    expect(s.server.tokenFile).toBe(join(RUNTIME_DIR, 'rumpts', `tcp-0.0.0.0-${u.port}.token`));
    expect(s.url).toBe(`tcp://127.0.0.1:${u.port}/`);
    expect(await (await client(s.url)).getcwd()).toBe('/');
  });

  it('insecure: no token, no file, anyone connects', async () => {
    const s = await tcpServer({ insecure: true });
    expect(s.server.token).toBeUndefined();
    expect(s.server.tokenFile).toBeUndefined();
    const u = parseUrl(s.url, false);
    if (u.proto !== 'tcp') throw new Error('not tcp');
    expect(existsSync(tokenFilePath(u))).toBe(false);
    expect(await (await client(s.url, { token: '' })).getcwd()).toBe('/');
  });

  it('unix sockets stay 0600 without a token file', async () => {
    const s = await startInProcess();
    servers.push(s);
    expect(s.server.token).toBeUndefined();
    expect(s.server.tokenFile).toBeUndefined();
    expect(statSync(s.url.slice('unix://'.length)).mode & 0o777).toBe(0o600);
    await client(s.url);
  });

  it('a token directory open to others is closed to 0700; one that is not a directory is refused', async () => {
    const dir = tokenDir();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    await tcpServer();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const saved = process.env['XDG_RUNTIME_DIR'];
    const other = join(RUNTIME_DIR, 'not-a-dir');
    mkdirSync(other);
    writeFileSync(join(other, 'rumpts'), 'x');
    process.env['XDG_RUNTIME_DIR'] = other;
    try {
      await expect(startInProcess({}, 'tcp://127.0.0.1:0/')).rejects.toMatchObject({ code: 'ENOTDIR' });
    } finally {
      process.env['XDG_RUNTIME_DIR'] = saved;
    }
  });
});
