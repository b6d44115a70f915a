/**
 * Disk ioctl commands (sys/sys/dkio.h) with NetBSD's encoding (sys/sys/ioccom.h):
 * direction | (parameter length & 0x1fff) << 16 | group << 8 | number.
 */
import { DISKLABEL_SIZE } from '../label/constants.js';

const IOC_VOID = 0x20000000;
const IOC_OUT = 0x40000000;
const IOC_IN = 0x80000000;
const IOCPARM_MASK = 0x1fff;

function ioc(inout: number, group: string, num: number, len: number): number {
  return (inout | ((len & IOCPARM_MASK) << 16) | (group.charCodeAt(0) << 8) | num) >>> 0;
}
/** _IO (sys/ioccom.h): an ioctl command with no argument, number `num` of group `group` (one letter). */
export function _IO(group: string, num: number): number {
  return ioc(IOC_VOID, group, num, 0);
}
/** _IOR: an ioctl command that returns (copies out) an argument of `len` bytes. */
export function _IOR(group: string, num: number, len: number): number {
  return ioc(IOC_OUT, group, num, len);
}
/** _IOW: an ioctl command that takes (copies in) an argument of `len` bytes. */
export function _IOW(group: string, num: number, len: number): number {
  return ioc(IOC_IN, group, num, len);
}

/** Get the disklabel (struct disklabel, 404 bytes on amd64). */
export const DIOCGDINFO = _IOR('d', 101, DISKLABEL_SIZE);
/** Set the in-core disklabel. */
export const DIOCSDINFO = _IOW('d', 102, DISKLABEL_SIZE);
/** Set the in-core disklabel and write it to the disk. */
export const DIOCWDINFO = _IOW('d', 103, DISKLABEL_SIZE);
/** Flush the device's write cache (int argument). */
export const DIOCCACHESYNC = _IOW('d', 118, 4);
/** Media size in bytes (off_t). */
export const DIOCGMEDIASIZE = _IOR('d', 132, 8);
/** Sector size (u_int). */
export const DIOCGSECTORSIZE = _IOR('d', 133, 4);
