import { describe, expect, it } from 'vitest';
import { parseUrl, SUN_PATH_MAX } from '../src/index.js';

describe('parseUrl (sp_common.c parseurl)', () => {
  it('resolves a relative unix path against the cwd, keeps an absolute one', () => {
    expect(parseUrl('unix://sock', true, '/home/u/dir')).toEqual({ proto: 'unix', path: '/home/u/dir/sock', url: 'unix:///home/u/dir/sock' });
    expect(parseUrl('unix:///tmp/sock', false)).toMatchObject({ proto: 'unix', path: '/tmp/sock' });
  });

  it('parses tcp with and without the trailing slash; 0 and * are INADDR_ANY for servers only', () => {
    expect(parseUrl('tcp://127.0.0.1:3755/', false)).toMatchObject({ proto: 'tcp', host: '127.0.0.1', port: 3755, any: false });
    expect(parseUrl('tcp://127.0.0.1:3755', false)).toMatchObject({ port: 3755 });
    expect(parseUrl('tcp://0:3755/', true)).toMatchObject({ host: '0.0.0.0', any: true });
    expect(parseUrl('tcp://*:1/', true)).toMatchObject({ host: '0.0.0.0', any: true });
    expect(() => parseUrl('tcp://0:3755/', false)).toThrow(/client needs !INADDR_ANY/);
  });

  it.each([
    ['sock', 'EINVAL', /invalid locator/],
    ['tcp://127.0.0.1/', 'EINVAL', /missing port/],
    ['tcp://127.0.0.1:12x/', 'EINVAL', /junk at end of port/],
    ['tcp://127.0.0.1:65536/', 'ERANGE', /out of range/],
    ['tcp://localhost:80/', 'EINVAL', /not an IPv4/],
    ['tcp6://[::1]:80/', 'EOPNOTSUPP', /not yet implemented/],
    ['udp://x', 'EINVAL', /unknown protocol/],
    ['unix://', 'EINVAL', /empty/],
  ])('rejects %s with %s', (url, code, msg) => {
    expect(() => parseUrl(url, true)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
  });

  it('refuses a socket path longer than sun_path', () => {
    const long = `unix:///${'x'.repeat(SUN_PATH_MAX)}`;
    expect(() => parseUrl(long, true)).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
  });
});
