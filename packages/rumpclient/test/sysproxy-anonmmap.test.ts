/**
 * The client's side of ANONMMAP, as NetBSD's server drives it for an ENVSYS_GETDICTIONARY ioctl of
 * /dev/sysmon (the recorded `anonmmap` session): the kernel asks for memory, COPYOUTs the plist
 * there and the plistref (address, length) into the ioctl's argument. A scripted server plays
 * NetBSD's part on a unix socket; the bytes come back through readMemory().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import {
  FrameAssembler, parseSpFrame, RSP_COPYDATA, RUMPSP_ANONMMAP, RUMPSP_COPYOUT, RUMPSP_HANDSHAKE, RUMPSP_REQ, RUMPSP_RESP, RUMPSP_SYSCALL, SP_HEADER,
  type SpFrame, spFrame, SYS_ioctl, SYSPROXY_LAYOUT,
} from '../src/protocol.js';

const ENVSYS_GETDICTIONARY = 0xc0104500;
const PLIST = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n\0';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function sysresp(reqno: Buffer, retval: bigint): Buffer {
  const body = Buffer.alloc(24);
  body.writeBigInt64LE(retval, 8);
  return spFrame(reqno, RUMPSP_RESP, RUMPSP_SYSCALL, 0, body);
}

function copydata(len: number, addr: bigint, data?: Uint8Array): Buffer {
  const b = Buffer.alloc(RSP_COPYDATA + (data?.length ?? 0));
  b.writeBigUInt64LE(BigInt(len), 0);
  b.writeBigUInt64LE(addr, 8);
  if (data) b.set(data, RSP_COPYDATA);
  return b;
}

/** NetBSD's server for one guest whose ioctl ENVSYS_GETDICTIONARY needs anonymous memory; the rest EBADF. */
function scriptedServer(path: string): Promise<Server> {
  const srv = createServer((s: Socket) => {
    s.write('RUMPSP-0.4-NetBSD-7.99.34/amd64\n');
    const asm = new FrameAssembler(SYSPROXY_LAYOUT, 1 << 20);
    let ourReq = 1;
    const pending = new Map<number, (f: SpFrame) => void>();
    const ask = (type: number, body: Buffer): Promise<SpFrame> =>
      new Promise((resolve) => {
        const n = ourReq++;
        pending.set(n, resolve);
        s.write(spFrame(n, RUMPSP_REQ, type, 0, body));
      });
    const onSyscall = async (f: SpFrame): Promise<void> => {
      const reqno = f.buf.subarray(8, 16);
      const argp = f.buf.readBigUInt64LE(SP_HEADER + 16);
      if (f.u !== SYS_ioctl || f.buf.readUInt32LE(SP_HEADER + 8) !== ENVSYS_GETDICTIONARY) {
        const body = Buffer.alloc(24);
        body.writeInt32LE(9, 0); // EBADF
        s.write(spFrame(reqno, RUMPSP_RESP, RUMPSP_SYSCALL, 0, body));
        return;
      }
      const size = Buffer.alloc(8);
      size.writeBigUInt64LE(4096n);
      const mapped = await ask(RUMPSP_ANONMMAP, size);
      const addr = mapped.buf.readBigUInt64LE(SP_HEADER);
      const plist = Buffer.from(PLIST, 'latin1');
      s.write(spFrame(0, RUMPSP_REQ, RUMPSP_COPYOUT, 0, copydata(plist.length, addr, plist)));
      const ref = Buffer.alloc(16);
      ref.writeBigUInt64LE(addr, 0);
      ref.writeBigUInt64LE(BigInt(plist.length), 8);
      s.write(spFrame(0, RUMPSP_REQ, RUMPSP_COPYOUT, 0, copydata(16, argp, ref)));
      s.write(sysresp(reqno, 0n));
    };
    s.on('data', (chunk) => {
      asm.push(chunk);
      for (let b = asm.next(); b; b = asm.next()) {
        const f = parseSpFrame(b);
        if (f.cls === RUMPSP_RESP) {
          pending.get(f.reqno)?.(f);
          pending.delete(f.reqno);
        } else if (f.type === RUMPSP_HANDSHAKE) {
          s.write(spFrame(f.buf.subarray(8, 16), RUMPSP_RESP, RUMPSP_HANDSHAKE, 0, Buffer.alloc(4)));
        } else if (f.type === RUMPSP_SYSCALL) {
          void onSyscall(f);
        }
      }
    });
    s.on('error', () => {});
  });
  return new Promise((resolve) => srv.listen(path, () => resolve(srv)));
}

describe('sysproxy client: ANONMMAP', () => {
  it('maps memory for the server, takes its COPYOUT there, and readMemory gives the bytes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rumpclient-anon-'));
    const sock = join(dir, 's.sock');
    const srv = await scriptedServer(sock);
    cleanups.push(() => {
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const c = await connect(`unix://${sock}`, { protocol: 'sysproxy', comm: 'anon-test' });
    try {
      expect(c.banner).toBe('RUMPSP-0.4-NetBSD-7.99.34/amd64');
      const ref = Buffer.from(await c.ioctl(3, ENVSYS_GETDICTIONARY));
      const addr = Number(ref.readBigUInt64LE(0));
      const len = Number(ref.readBigUInt64LE(8));
      expect(len).toBe(PLIST.length);
      expect(addr).toBeGreaterThan(0);
      expect(Buffer.from(c.readMemory(addr, len)).toString('latin1')).toBe(PLIST);
      // the mapping is the 4096 bytes the server asked for, no more
      expect(c.readMemory(addr, 4096).length).toBe(4096);
      expect(() => c.readMemory(addr, 4097)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      await expect(c.ioctl(4, 0x40044501)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      await c.disconnect();
    }
  });
});
