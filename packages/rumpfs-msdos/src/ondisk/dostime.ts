/**
 * DOS dates and times (msdosfs_conv.c unix2dostime/dos2unixtime, direntry.h DD_* and DT_* fields).
 * DOS stores local time: `gmtoff` (seconds east of UTC, the mount's gmtoff argument) is added when
 * writing and subtracted when reading. Modification times have 2-second granularity, creation times
 * 10 ms (the hundredths byte), access times a date only.
 */
import type { Timespec } from '@rumpts/librump';

/** Seconds from 1970-01-01 to 1980-01-01, the DOS epoch. */
export const SECONDSTO1980 = 315532800;
/** The last representable moment: 2107-12-31 23:59:58 (local). */
const MAX_DOS_LOCAL = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/**
 * A time as a DOS directory entry stores it: date word, time word and hundredths byte, in the volume's local
 * time.
 */
export interface DosTime {
  /** DD_*: year-1980 << 9 | month << 5 | day. */
  date: number;
  /** DT_*: hours << 11 | minutes << 5 | seconds / 2. */
  time: number;
  /** Hundredths of a second past `time` (0..199: the odd second lives here). */
  hundredths: number;
}

/**
 * unix2dostime: a UTC time in the volume's local time, truncated to even seconds. Times before 1980
 * are stored as 1980-01-01 00:00:00 and times past 2107 as the last DOS second (NetBSD stores
 * nonsense dates for both).
 */
export function unix2dostime(ts: Timespec, gmtoff: number): DosTime {
  let t = ts.sec + gmtoff;
  // The odd second of the local time goes to the hundredths byte (creation times keep it).
  let hun = (t & 1) * 100 + Math.floor(ts.nsec / 10_000_000);
  if (t < SECONDSTO1980) {
    t = SECONDSTO1980;
    hun = 0;
  } else if (t > MAX_DOS_LOCAL) {
    t = MAX_DOS_LOCAL;
    hun = 0;
  }
  const even = t - (t & 1);
  if (even !== lastEven) {
    // Date's UTC getters are slow and every create and write asks for the time: keep the last second's words.
    const d = new Date(t * 1000);
    lastDate = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
    lastTime = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
    lastEven = even;
  }
  return { date: lastDate, time: lastTime, hundredths: hun };
}

/** The local even second unix2dostime last converted, and its date and time words. */
let lastEven = Number.NaN;
let lastDate = 0;
let lastTime = 0;

/**
 * dos2unixtime: DOS fields back to UTC. A zero date means "not set" and gives the epoch, as NetBSD;
 * out-of-range fields (month 0 or 13, hour 25 …) carry over into the next unit instead of failing.
 */
export function dos2unixtime(date: number, time: number, hundredths: number, gmtoff: number): Timespec {
  if (date === 0) return { sec: 0, nsec: 0 };
  const year = 1980 + ((date >> 9) & 0x7f);
  const month = Math.max(1, (date >> 5) & 0x0f);
  const day = date & 0x1f;
  // Date.UTC is slow and stat asks for three times at once, nearly always of the same month: keep the last.
  const ym = (year << 4) | month;
  if (ym !== lastYm) {
    lastMonthStart = Date.UTC(year, month - 1, 1) / 1000;
    lastYm = ym;
  }
  const base = lastMonthStart;
  const sec = base + (day - 1) * 86400 + ((time >> 11) & 0x1f) * 3600 + ((time >> 5) & 0x3f) * 60 + (time & 0x1f) * 2 + Math.floor(hundredths / 100);
  return { sec: sec - gmtoff, nsec: (hundredths % 100) * 10_000_000 };
}

/** The year and month dos2unixtime last converted ((year << 4) | month), and that month's first second (UTC). */
let lastYm = -1;
let lastMonthStart = 0;
