/**
 * Our server's answers against the recorded ones, field by field: every reply header (length,
 * reqno, class, type, union), every rsp_sysresp field but the padding NetBSD leaves uninitialised,
 * every one-way request (COPYOUT length, address and bytes — struct stat, statvfs and dirents
 * decoded field by field — and RAISE's signal). The fields allowed to differ are listed in DIFFERENT
 * with the reason; everything else must be equal.
 */
import {
  RSP_SYSRESP, RUMPSP_COPYOUT, RUMPSP_PREFORK, RUMPSP_RAISE, RUMPSP_RESP, RUMPSP_SYSCALL, SP_HEADER, type SpFrame, STAT_FIELDS, STAT_SIZE, STATVFS_FIELDS,
  STATVFS_SIZE, SYS___fstat50, SYS___lstat50, SYS___stat50, SYS___sysctl, SYS_fstatat, SYS_fstatvfs1, SYS_getvfsstat, SYS_statvfs1, unpackDirents,
  SYS___getdents30,
} from '@rumpts/rumpclient/protocol';
import { recall, type OurCall } from './replay.js';

/**
 * Fields whose values are the machine's, not the protocol's: they may differ, and only they.
 * (A time field differs only where the recording holds a wall-clock time; a time a client set,
 * such as utimes' 1000000000.123456, must come back exactly.)
 */
export const DIFFERENT: Readonly<Record<string, string>> = {
  st_dev: "dev_t numbering of the disk driver (NetBSD's rumpblk 0xc500, ours another)",
  st_rdev: 'NetBSD reports NODEV (-1) for files that are not devices; rumpts reports 0',
  st_gen: 'inode generation numbers are random on creation (NetBSD rump gave 0)',
  'f_fsidx[0]': 'the device number again',
  f_fsid: 'the device number again',
  f_syncreads: 'I/O counters of the kernel run (rumpts keeps none: 0)',
  f_syncwrites: 'I/O counters',
  f_asyncreads: 'I/O counters',
  f_asyncwrites: 'I/O counters',
  'kern.hostname': "rump-<pid>.<host's name>: the pid and the machine differ",
};

/** A time recorded as the recording machine's clock (2020 or later) rather than a value a client set. */
const CLOCK = 1_600_000_000;

function field(b: Buffer, off: number, size: number): string {
  if (size === 4) return String(b.readUInt32LE(off));
  if (size === 8) return String(b.readBigInt64LE(off));
  const end = b.indexOf(0, off);
  return JSON.stringify(b.toString('latin1', off, end < 0 || end > off + size ? off + size : end));
}

function structDiff(what: string, fields: Readonly<Record<string, readonly [number, number]>>, rec: Buffer, ours: Buffer, out: string[]): void {
  for (const [name, [off, size]] of Object.entries(fields)) {
    const r = field(rec, off, size);
    const o = field(ours, off, size);
    if (r === o) continue;
    const base = name.replace(/\.tv_n?sec$/, '');
    if (DIFFERENT[name] !== undefined) continue;
    if (/_(a|m|c|birth)tim$/.test(base) && Number(field(rec, STAT_FIELDS[`${base}.tv_sec`]?.[0] ?? off, 8)) >= CLOCK) continue;
    out.push(`${what}: ${name} recorded ${r}, ours ${o}`);
  }
}

function copyoutBody(f: SpFrame): { len: number; addr: number; data: Buffer } {
  return { len: Number(f.buf.readBigUInt64LE(SP_HEADER)), addr: Number(f.buf.readBigUInt64LE(SP_HEADER + 8)), data: f.buf.subarray(SP_HEADER + 16) };
}

/** The MIB a recorded __sysctl asked for, from the client memory of the call. */
function sysctlName(c: OurCall): string {
  const a = c.rec.req.buf.subarray(SP_HEADER);
  const namep = Number(a.readBigUInt64LE(0));
  const n = a.readUInt32LE(8);
  const b = recall(c.rec.memory, namep, n * 4, false);
  return b ? Array.from({ length: n }, (_, i) => b.readInt32LE(i * 4)).join('.') : '?';
}

/** Compare one call's COPYOUT data by the struct its syscall writes. */
function compareData(c: OurCall, what: string, rec: Buffer, ours: Buffer, out: string[]): void {
  const sysnum = c.rec.req.type === RUMPSP_SYSCALL ? c.rec.req.u : -1;
  if ([SYS___stat50, SYS___lstat50, SYS___fstat50, SYS_fstatat].includes(sysnum) && rec.length === STAT_SIZE) {
    return structDiff(`${what} struct stat`, STAT_FIELDS, rec, ours, out);
  }
  if ([SYS_statvfs1, SYS_fstatvfs1, SYS_getvfsstat].includes(sysnum) && rec.length % STATVFS_SIZE === 0) {
    return structDiff(`${what} struct statvfs`, STATVFS_FIELDS, rec, ours, out);
  }
  if (sysnum === SYS___getdents30) {
    const r = JSON.stringify(unpackDirents(rec));
    const o = JSON.stringify(unpackDirents(ours));
    if (r !== o || !rec.equals(ours)) out.push(`${what} dirents recorded ${r}, ours ${o}`);
    return;
  }
  if (!rec.equals(ours)) out.push(`${what} data recorded ${rec.toString('hex').slice(0, 96)}…, ours ${ours.toString('hex').slice(0, 96)}…`);
}

/** Every difference between the recording and our answers (empty: the same). */
export function compareCalls(calls: readonly OurCall[], label: string): string[] {
  const out: string[] = [];
  for (const c of calls) {
    const r = c.rec;
    const what = `${label} conn ${r.conn} reqno ${r.req.reqno} (class ${r.req.cls} type ${r.req.type} u ${r.req.u})`;
    // The recorded client had hung up before this answer: nothing of it reached a client.
    if (r.lost) continue;
    if (c.unanswered.length > 0) out.push(`${what}: our server asked for client memory the recorded client never gave: ${JSON.stringify(c.unanswered)}`);
    if (!r.reply) {
      if (c.reply) out.push(`${what}: NetBSD did not answer, ours did (class ${c.reply.cls} u ${c.reply.u})`);
      continue;
    }
    if (!c.reply) {
      out.push(`${what}: no answer from ours (NetBSD answered class ${r.reply.cls} type ${r.reply.type} u ${r.reply.u})`);
      continue;
    }
    const [a, b] = [r.reply, c.reply];
    for (const [k, x, y] of [['rsp_len', a.len, b.len], ['rsp_class', a.cls, b.cls], ['rsp_type', a.type, b.type], ['u', a.u, b.u]] as const) {
      if (x !== y) out.push(`${what}: reply ${k} recorded ${x}, ours ${y}`);
    }
    if (!a.buf.subarray(8, 16).equals(b.buf.subarray(8, 16))) out.push(`${what}: reply reqno differs`);
    if (a.cls === RUMPSP_RESP && a.type === RUMPSP_SYSCALL && a.len === SP_HEADER + RSP_SYSRESP && b.len === a.len) {
      const [ea, eb] = [a.buf.readInt32LE(SP_HEADER), b.buf.readInt32LE(SP_HEADER)];
      if (ea !== eb) out.push(`${what}: rsys_error recorded ${ea}, ours ${eb}`);
      for (const i of [0, 1]) {
        const [ra, rb] = [a.buf.readBigInt64LE(SP_HEADER + 8 + 8 * i), b.buf.readBigInt64LE(SP_HEADER + 8 + 8 * i)];
        if (ra !== rb) out.push(`${what}: rsys_retval[${i}] recorded ${ra}, ours ${rb}`);
      }
    } else if (!(a.cls === RUMPSP_RESP && a.type === RUMPSP_PREFORK) && !a.buf.subarray(SP_HEADER).equals(b.buf.subarray(SP_HEADER))) {
      out.push(`${what}: reply body recorded ${a.buf.subarray(SP_HEADER).toString('hex')}, ours ${b.buf.subarray(SP_HEADER).toString('hex')}`);
    }
    // one-way requests made while the call ran: COPYOUT frames and RAISE
    const ra = r.oneway;
    const rb = c.oneway;
    if (ra.length !== rb.length) {
      out.push(`${what}: ${ra.length} one-way requests recorded (${ra.map((f) => f.type).join(',')}), ours ${rb.length} (${rb.map((f) => f.type).join(',')})`);
      continue;
    }
    ra.forEach((fa, i) => {
      const fb = rb[i] as SpFrame;
      const w = `${what} one-way #${i}`;
      const hostname = c.rec.req.type === RUMPSP_SYSCALL && c.rec.req.u === SYS___sysctl && sysctlName(c) === '1.10';
      if (fa.type !== fb.type || fa.cls !== fb.cls || (fa.len !== fb.len && !hostname)) return void out.push(`${w}: recorded type ${fa.type} len ${fa.len}, ours type ${fb.type} len ${fb.len}`);
      if (fa.type === RUMPSP_RAISE) {
        if (fa.u !== fb.u) out.push(`${w}: RAISE signal recorded ${fa.u}, ours ${fb.u}`);
        return;
      }
      if (fa.type !== RUMPSP_COPYOUT) return;
      const [x, y] = [copyoutBody(fa), copyoutBody(fb)];
      if (hostname) {
        // kern.hostname (see DIFFERENT): the same addresses; the string and *oldlenp are the machine's
        if (x.addr !== y.addr) out.push(`${w}: COPYOUT address recorded 0x${x.addr.toString(16)}, ours 0x${y.addr.toString(16)}`);
        return;
      }
      if (x.len !== y.len || x.addr !== y.addr) return void out.push(`${w}: COPYOUT recorded ${x.len}@0x${x.addr.toString(16)}, ours ${y.len}@0x${y.addr.toString(16)}`);
      compareData(c, w, x.data, y.data, out);
    });
  }
  return out;
}
