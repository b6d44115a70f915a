/**
 * NetBSD's sysproxy wire format, protocol 0.4 (rump_sp(7); sp_common.c): a banner line from the
 * server, then frames with a 24-byte header in the host's byte order — little-endian amd64 (LP64)
 * here, the only ABI NetBSD's librumpclient and ours share:
 *
 *   0 u64 rsp_len (the whole frame)  8 u64 rsp_reqno  16 u16 rsp_class  18 u16 rsp_type
 *  20 u32 sysnum | error | handshake type | signal number
 *
 * Each side numbers its own requests; a response echoes the reqno of its request. Constants keep
 * NetBSD's names (RUMPSP_*, HANDSHAKE_*, RUMPSP_ERR_*).
 */
import type { ErrnoCode } from '@rumpts/librump';
import type { FrameLayout } from '../assembler.js';

/** Bytes in a frame header. */
export const SP_HEADER = 24;
/** The protocol's major version (the banner's `0` of `0.4`). */
export const SP_PROTO_MAJOR = 0;
/** The protocol's minor version (the banner's `4` of `0.4`). */
export const SP_PROTO_MINOR = 4;
/** The client reads the banner with one read() of MAXBANNER - 1 bytes; it must end in '\n'. */
export const SP_MAXBANNER = 96;

/** rsp_class. */
export const RUMPSP_REQ = 0;
/** rsp_class: a response to the peer's request. */
export const RUMPSP_RESP = 1;
/** rsp_class: an error response; the u32 is an RUMPSP_ERR_* code. */
export const RUMPSP_ERROR = 2;

/** rsp_type. */
export const RUMPSP_HANDSHAKE = 0;
/** rsp_type: a system call (client to server), its reply. */
export const RUMPSP_SYSCALL = 1;
/** rsp_type: the server reads bytes of the client's memory. */
export const RUMPSP_COPYIN = 2;
/** rsp_type: the server reads a NUL-terminated string of the client's memory. */
export const RUMPSP_COPYINSTR = 3;
/** rsp_type: the server writes bytes into the client's memory (no reply). */
export const RUMPSP_COPYOUT = 4;
/** rsp_type: the server writes a string into the client's memory (no reply). */
export const RUMPSP_COPYOUTSTR = 5;
/** rsp_type: the server asks the client for anonymous memory; the reply is its address. */
export const RUMPSP_ANONMMAP = 6;
/** rsp_type: a client about to fork asks for the authentication cookie its child presents. */
export const RUMPSP_PREFORK = 7;
/** rsp_type: the server asks the client to raise a signal (the u32). */
export const RUMPSP_RAISE = 8;

/** Handshake types (the u32 of a HANDSHAKE request). */
export const HANDSHAKE_GUEST = 0;
/** Handshake type: authentication (NetBSD leaves it unimplemented). */
export const HANDSHAKE_AUTH = 1;
/** Handshake type: a forked child joins with its parent's PREFORK cookie. */
export const HANDSHAKE_FORK = 2;
/** Handshake type: a process after exec renames itself (the body is its new comm). */
export const HANDSHAKE_EXEC = 3;

/** enum rumpsp_err: the u32 of an ERROR frame. */
export const RUMPSP_ERR_NONE = 0;
/** ERROR code: the server is busy, try again (EAGAIN). */
export const RUMPSP_ERR_TRYAGAIN = 1;
/** ERROR code: authentication failed (EPERM). */
export const RUMPSP_ERR_AUTH = 2;
/** ERROR code: the FORK handshake named no known PREFORK cookie (ESRCH). */
export const RUMPSP_ERR_INVALID_PREFORK = 3;
/** ERROR code: the kernel could not fork the process (EIO). */
export const RUMPSP_ERR_RFORK_FAILED = 4;
/** ERROR code: a call arrived while the process is in exec (EBUSY). */
export const RUMPSP_ERR_INEXEC = 5;
/** ERROR code: the server is out of memory (ENOMEM). */
export const RUMPSP_ERR_NOMEM = 6;
/** ERROR code: a request the server could not parse (EINVAL). */
export const RUMPSP_ERR_MALFORMED_REQUEST = 7;

/** The errno a client reports for each ERROR code (rumpclient.c errmap). */
export const RUMPSP_ERR_ERRNO: Readonly<Record<number, ErrnoCode>> = {
  [RUMPSP_ERR_TRYAGAIN]: 'EAGAIN',
  [RUMPSP_ERR_AUTH]: 'EPERM',
  [RUMPSP_ERR_INVALID_PREFORK]: 'ESRCH',
  [RUMPSP_ERR_RFORK_FAILED]: 'EIO',
  [RUMPSP_ERR_INEXEC]: 'EBUSY',
  [RUMPSP_ERR_NOMEM]: 'ENOMEM',
  [RUMPSP_ERR_MALFORMED_REQUEST]: 'EINVAL',
};

/** Sizes of the fixed bodies (LP64). */
export const RSP_COPYDATA = 16; // size_t rcp_len, void *rcp_addr
/** Bytes of a SYSCALL reply body: int rsys_error, pad, register_t rsys_retval[2]. */
export const RSP_SYSRESP = 24; // int rsys_error, pad, register_t rsys_retval[2]
/** Bytes of a FORK handshake body: uint32_t rf_auth[4], int rf_cancel. */
export const RSP_HANDSHAKE_FORK = 20; // uint32_t rf_auth[4], int rf_cancel
/** Bytes of a PREFORK cookie. */
export const RSP_AUTHLEN = 16;

/** A parsed frame header; the frame's bytes stay in `buf` (body from SP_HEADER). */
export interface SpFrame {
/** The frame's length, header included (rsp_len). */
  len: number;
  /** rsp_reqno, exact below 2^53 (a peer's larger reqno is echoed from `buf`, never from here). */
  reqno: number;
/** rsp_class: RUMPSP_REQ, RUMPSP_RESP or RUMPSP_ERROR. */
  cls: number;
/** rsp_type: RUMPSP_HANDSHAKE, RUMPSP_SYSCALL, …. */
  type: number;
  /** The union: sysnum, error, handshake type or signal number. */
  u: number;
/** The whole frame, header included. */
  buf: Buffer;
}

/** The length field is a u64: past 2^53 it is only "too big", which the frame limit refuses. */
function u64(b: Buffer, off: number): number {
  return b.readUInt32LE(off + 4) * 0x1_0000_0000 + b.readUInt32LE(off);
}

/** Where sysproxy keeps a frame's length, for FrameAssembler. */
export const SYSPROXY_LAYOUT: FrameLayout = {
  lengthBytes: 8,
  minFrame: SP_HEADER,
  length: (head) => u64(head, 0),
};

/** Read the header of a whole frame (as FrameAssembler hands it over). */
export function parseSpFrame(buf: Buffer): SpFrame {
  return { len: buf.length, reqno: u64(buf, 8), cls: buf.readUInt16LE(16), type: buf.readUInt16LE(18), u: buf.readUInt32LE(20), buf };
}

/**
 * Write a header at `off`. `reqno` is a number, or the 8 bytes of a peer's reqno to echo as they are.
 */
export function putSpHeader(b: Buffer, off: number, len: number, reqno: number | Uint8Array, cls: number, type: number, u = 0): void {
  b.writeUInt32LE(len % 0x1_0000_0000, off);
  b.writeUInt32LE(Math.floor(len / 0x1_0000_0000), off + 4);
  if (typeof reqno === 'number') {
    b.writeUInt32LE(reqno % 0x1_0000_0000, off + 8);
    b.writeUInt32LE(Math.floor(reqno / 0x1_0000_0000), off + 12);
  } else {
    b.set(reqno.subarray(0, 8), off + 8);
  }
  b.writeUInt16LE(cls, off + 16);
  b.writeUInt16LE(type, off + 18);
  b.writeUInt32LE(u >>> 0, off + 20);
}

/** A whole frame: header + body. */
export function spFrame(reqno: number | Uint8Array, cls: number, type: number, u: number, body?: Uint8Array): Buffer {
  const n = body ? body.length : 0;
  const b = Buffer.allocUnsafe(SP_HEADER + n);
  putSpHeader(b, 0, SP_HEADER + n, reqno, cls, type, u);
  if (body) b.set(body, SP_HEADER);
  return b;
}

/** The server's banner: `RUMPSP-0.4-<ostype>-<osrelease>/<machine>\n`. */
export function spBanner(ostype: string, osrelease: string, machine: string): string {
  const s = `RUMPSP-${SP_PROTO_MAJOR}.${SP_PROTO_MINOR}-${ostype}-${osrelease}/${machine}\n`;
  return s.length < SP_MAXBANNER ? s : `${s.slice(0, SP_MAXBANNER - 2)}\n`;
}

/** Does a banner line announce protocol 0.x (the client refuses another major version)? */
export function bannerVersion(line: string):
  | {
      /** The major version (a client refuses another). */
      major: number;
      /** The minor version. */
      minor: number;
    }
  | undefined {
  const m = /^RUMPSP-(\d+)\.(\d+)-/.exec(line);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}
