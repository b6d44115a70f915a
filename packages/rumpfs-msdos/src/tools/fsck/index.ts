/**
 * fsck_msdos(8) (sbin/fsck_msdos): check a FAT12/16/32 file system and, with `repair` (-y), fix
 * it; without (-n) the device is only read. In order: the boot sector (and FAT32's backup), the FAT
 * copies against each other and FAT[0]'s media byte, the directory tree with every chain claimed
 * (dir.ts), clusters in use that no chain reached (lost: freed), the clean-shutdown bit, FSInfo's
 * free count and next-free hint.
 *
 * Exit status as fsck_ffs here: 0 — clean as found, or every problem repaired (`repaired` says
 * which); 2 — problems remain (-n, or a repair that was impossible); 8 — the check itself failed
 * (no usable boot sector, an I/O error).
 */
import { errno, isRumpError } from '@rumpts/librump';
import type { BlockDevice } from '@rumpts/rumpvfs';
import { BOOTSIG, BOOTSIG_OFFSET, EXT_OFFSET_FAT16, EXT_OFFSET_FAT32, decodeBootSector, decodeFsInfo, encodeFsInfo, FSI_UNKNOWN } from '../../ondisk/bootsector.js';
import { type FatGeometry, fatGeometry } from '../../ondisk/geometry.js';
import { FsckContext, type FsckMsdosOptions, type Problem, UNOWNED } from './context.js';
import { checkTree } from './dir.js';

export type { FsckMsdosOptions, Problem as FsckMsdosProblem, ProblemKind as FsckMsdosProblemKind } from './context.js';

/** fsck_msdos exit status 0: clean as found, or every problem repaired. */
export const FSCK_MSDOS_EXIT_OK = 0;
/** fsck_msdos exit status 2: problems remain (-n, or not repairable). */
export const FSCK_MSDOS_EXIT_UNRESOLVED = 2;
/** fsck_msdos exit status 8: the check itself failed (no usable boot sector, an I/O error). */
export const FSCK_MSDOS_EXIT_CHECK_FAILED = 8;

/** What fsck_msdos found and did, the exit status, and the summary counts fsck.fat prints. */
export interface FsckMsdosResult {
  /** Nothing was found wrong. */
  clean: boolean;
  /** Every inconsistency found, in the order found. */
  problems: Problem[];
  /** Something was written (only with repair). */
  repaired: boolean;
  /** 0 clean or fully repaired, 2 problems remain, 8 the check failed. */
  exitStatus: number;
  /** FAT12/16/32, once the boot sector was read. */
  fatType?: 12 | 16 | 32;
  /** Clusters in use by files and directories, and in all (as fsck.fat's summary line). */
  usedClusters?: number;
  /** Data clusters of the volume. */
  clusters?: number;
  /** Files and directories found in the tree. */
  files?: number;
}

/** The boot sector, or for FAT32 its backup when the primary is unusable. */
function readBoot(dev: BlockDevice, problems: Problem[], repair: boolean): { g: FatGeometry; raw: Uint8Array; fromBackup: boolean } {
  const head = new Uint8Array(Math.max(512, dev.secsize));
  dev.read(head, 0);
  try {
    return { g: fatGeometry(decodeBootSector(head), dev.size, dev.secsize), raw: head, fromBackup: false };
  } catch (e) {
    // FAT32 keeps a copy at sector 6 (where it conventionally lives).
    for (const sec of [6]) {
      const at = sec * 512;
      if (at + 512 > dev.size) break;
      const b = new Uint8Array(Math.max(512, dev.secsize));
      dev.read(b, at - (at % dev.secsize));
      try {
        const g = fatGeometry(decodeBootSector(b), dev.size, dev.secsize);
        if (g.fatType === 32 && g.backupSec === sec) {
          problems.push({ kind: 'boot', message: `the boot sector is unusable (${(e as Error).message}); using its backup at sector ${sec}`, repaired: repair });
          return { g, raw: b, fromBackup: true };
        }
      } catch {
        // not a usable backup either
      }
    }
    throw e;
  }
}

/** Check (and with `opts.repair`, fix) the FAT file system on `dev`. Never throws for a damaged image. */
export function fsck_msdos(dev: BlockDevice, opts: FsckMsdosOptions = {}): FsckMsdosResult {
  const repair = opts.repair === true;
  if (repair && dev.readonly) throw errno('EROFS', 'fsck_msdos: repair (-y) needs a writable device');
  const early: Problem[] = [];
  let boot: ReturnType<typeof readBoot>;
  try {
    boot = readBoot(dev, early, repair);
  } catch (e) {
    const message = `no usable boot sector: ${isRumpError(e) ? (e.detail ?? e.message) : String(e)}`;
    opts.log?.(message);
    return { clean: false, problems: [{ kind: 'boot', message, repaired: false }], repaired: false, exitStatus: FSCK_MSDOS_EXIT_CHECK_FAILED };
  }
  const { g } = boot;
  if (g.maxcluster > 0x4000000) throw errno('EFBIG', `fsck_msdos: ${g.nclusters} clusters are more than this fsck keeps in memory`);
  const ctx = new FsckContext(dev, g, opts);
  ctx.problems.push(...early);
  for (const p of early) ctx.log(p.message);
  try {
    return run(ctx, boot.raw, boot.fromBackup);
  } catch (e) {
    const message = `the check failed: ${isRumpError(e) ? (e.detail ?? e.message) : String(e)}`;
    ctx.log(message);
    return { clean: false, problems: [...ctx.problems, { kind: 'boot', message, repaired: false }], repaired: false, exitStatus: FSCK_MSDOS_EXIT_CHECK_FAILED };
  }
}

function run(ctx: FsckContext, bootRaw: Uint8Array, fromBackup: boolean): FsckMsdosResult {
  const g = ctx.g;
  const fc = ctx.fc;
  const fat32 = g.fatType === 32;
  const bs = decodeBootSector(bootRaw);
  ctx.log(`** Phase 1 - Read and Compare FATs`);
  // The active FAT is the reference; the others must equal it.
  const active = ctx.readFat(g.activeFat);
  ctx.fat = active.entries;
  const fatRaw = active.raw;
  if (g.mirror) {
    for (let copy = 0; copy < g.nfats; copy++) {
      if (copy === g.activeFat) continue;
      const other = ctx.readFat(copy).entries;
      let diff = 0;
      let first = -1;
      for (let cn = 0; cn <= g.maxcluster; cn++) {
        if (other[cn] !== ctx.fat[cn]) {
          if (first < 0) first = cn;
          diff++;
        }
      }
      if (diff > 0 && ctx.problem('fat-copies', `FAT ${copy + 1} differs from FAT ${g.activeFat + 1} in ${diff} entries (first: cluster ${first}); using FAT ${g.activeFat + 1}`)) ctx.fatDirty = true;
    }
  }
  // FAT[0]: the media byte and all ones above it.
  const want0 = (fc.mask & ~0xff) | g.media;
  if (ctx.fat[0] !== want0 && ctx.problem('fat-media', `FAT[0] is 0x${ctx.fat[0]!.toString(16)}, should be 0x${want0.toString(16)} for media byte 0x${g.media.toString(16)}`)) ctx.setFat(0, want0);

  ctx.log(`** Phase 2 - Check Cluster Chains and Directories`);
  const treeOk = checkTree(ctx);

  ctx.log(`** Phase 3 - Check for Lost Clusters`);
  let lost = 0;
  let heads = 0;
  const pointedTo = new Uint8Array(g.maxcluster + 1);
  for (let cn = 2; cn <= g.maxcluster; cn++) {
    const v = ctx.fat[cn]!;
    if (ctx.owner[cn] === UNOWNED && v !== 0 && v !== fc.bad && v >= 2 && v <= g.maxcluster) pointedTo[v] = 1;
  }
  for (let cn = 2; cn <= g.maxcluster; cn++) {
    const v = ctx.fat[cn]!;
    if (ctx.owner[cn] !== UNOWNED || v === 0 || v === fc.bad) continue;
    lost++;
    if (pointedTo[cn] === 0) heads++;
  }
  if (lost > 0 && ctx.problem('lost-clusters', `${lost} lost cluster${lost > 1 ? 's' : ''} in ${Math.max(1, heads)} chain${heads > 1 ? 's' : ''}; freed`)) {
    for (let cn = 2; cn <= g.maxcluster; cn++) {
      const v = ctx.fat[cn]!;
      if (ctx.owner[cn] === UNOWNED && v !== 0 && v !== fc.bad) ctx.setFat(cn, 0);
    }
  }

  ctx.log(`** Phase 4 - Check the Clean Flag and FSInfo`);
  if (fc.cleanBit !== 0 && (ctx.fat[1]! & fc.cleanBit) === 0 && ctx.problem('clean', 'the file system was not unmounted cleanly (FAT[1] clean bit clear); marked clean')) {
    ctx.setFat(1, ctx.fat[1]! | fc.cleanBit);
  }
  const extOff = fat32 ? EXT_OFFSET_FAT32 : EXT_OFFSET_FAT16;
  let bootDirty = false;
  if (bs.ext.bootSig === 0x29 && (bs.ext.reserved1 & 1) !== 0 && ctx.problem('clean', 'the boot sector says the file system was not unmounted cleanly (dirty bit); cleared')) bootDirty = true;
  let free = 0;
  let used = 0;
  let firstFree = -1;
  for (let cn = 2; cn <= g.maxcluster; cn++) {
    const v = ctx.fat[cn]!;
    if (v === 0) {
      free++;
      if (firstFree < 0) firstFree = cn;
    } else if (v !== fc.bad) used++;
  }
  let fsinfo: Uint8Array | null = null;
  if (fat32 && g.fsInfoSec !== 0) {
    const at = g.fsInfoSec * g.bps;
    const raw = ctx.read(g.bps, at);
    const fi = decodeFsInfo(raw);
    if (!fi.valid) {
      if (ctx.problem('fsinfo', `FSInfo sector ${g.fsInfoSec} has bad signatures; rewritten`)) fsinfo = raw.fill(0);
    } else {
      if (fi.freeCount !== free && ctx.problem('fsinfo', `FSInfo free count is ${fi.freeCount === FSI_UNKNOWN ? 'unknown' : fi.freeCount}, really ${free}`)) fsinfo = raw;
      if (fi.nextFree !== FSI_UNKNOWN && (fi.nextFree < 2 || fi.nextFree > g.maxcluster) && ctx.problem('fsinfo', `FSInfo next free cluster ${fi.nextFree} is outside 2..${g.maxcluster}`)) fsinfo = raw;
    }
    if (fsinfo !== null) {
      const next = fi.valid && fi.nextFree >= 2 && fi.nextFree <= g.maxcluster ? fi.nextFree : firstFree >= 0 ? firstFree : FSI_UNKNOWN;
      encodeFsInfo({ freeCount: free, nextFree: next }, fsinfo);
      new DataView(fsinfo.buffer, fsinfo.byteOffset).setUint16(BOOTSIG_OFFSET, BOOTSIG, true);
    }
  }
  // FAT32's backup boot sector must equal the boot sector.
  let writeBackup = false;
  if (fat32 && g.backupSec !== 0 && !fromBackup) {
    const b = ctx.read(g.bps, g.backupSec * g.bps);
    let same = true;
    for (let i = 0; i < 512; i++) {
      if (b[i] !== bootRaw[i]) {
        same = false;
        break;
      }
    }
    if (!same && ctx.problem('boot', `the backup boot sector (sector ${g.backupSec}) differs from the boot sector; rewritten`)) writeBackup = true;
  }

  const unresolved = !treeOk;
  let repaired = false;
  if (ctx.repair && ctx.problems.length > 0) {
    ctx.log(`** Writing changes`);
    for (const [at, bytes] of ctx.dirty) ctx.write(bytes, at);
    if (ctx.fatDirty) {
      ctx.encodeFat(fatRaw);
      for (let copy = 0; copy < g.nfats; copy++) {
        if (!g.mirror && copy !== g.activeFat) continue;
        ctx.write(fatRaw, (g.resSectors + copy * g.fatSecs) * g.bps);
      }
    }
    if (fsinfo) ctx.write(fsinfo, g.fsInfoSec * g.bps);
    const bootOut = bootRaw.slice(0, g.bps);
    if (bootDirty) bootOut[extOff + 1] = bootOut[extOff + 1]! & ~1;
    if (bootDirty || fromBackup) ctx.write(bootOut, 0);
    if ((writeBackup || bootDirty) && g.backupSec !== 0) ctx.write(bootOut, g.backupSec * g.bps);
    ctx.dev.flush();
    repaired = true;
  }
  let files = 0;
  const seen = new Set<number>();
  for (let cn = 2; cn <= g.maxcluster; cn++) {
    const o = ctx.owner[cn]!;
    if (o !== UNOWNED && !seen.has(o)) {
      seen.add(o);
      files++;
    }
  }
  const clean = ctx.problems.length === 0;
  const exitStatus = clean || (ctx.repair && !unresolved) ? FSCK_MSDOS_EXIT_OK : FSCK_MSDOS_EXIT_UNRESOLVED;
  ctx.log(`${files} files, ${used}/${g.nclusters} clusters${clean ? '' : repaired ? ' (repaired)' : ''}`);
  return { clean, problems: ctx.problems, repaired, exitStatus, fatType: g.fatType, usedClusters: used, clusters: g.nclusters, files };
}
