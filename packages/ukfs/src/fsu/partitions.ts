/**
 * fsu partitions and fsu mkdisk: the command-line side. The work is in mkdisk.ts, loaded when one of
 * these commands runs, so fsu starts without the file-system packages.
 */
import type { Command } from 'commander';
import { errno } from '@rumpts/librump';
import { hostError, hostPathOf } from '@rumpts/etfs';
import { readFileSync } from 'node:fs';
import { parseSize } from '../size.js';

type Out = (line: string) => void;

/** Register `partitions` and `mkdisk` on fsu's program, each through `command` (which makes the subcommand of that name). */
export function registerDiskCommands(command: (name: string) => Command, out: Out): void {
  command('partitions')
    .summary('list the GPT or MBR partitions of an image')
    .description('list the GPT or MBR partitions of an image (scheme, index, type GUID or id, start, size in sectors, name); both GPT headers are checked')
    .option('--json', 'print JSON')
    .argument('<image>')
    .action(async (image: string, o: { json?: boolean }) => {
      const { cmd_partitions } = await import('./mkdisk.js');
      cmd_partitions(image, out, !!o.json);
    });
  command('mkdisk')
    .summary('build a partitioned disk (GPT or MBR) with FAT and FFS file systems from host directories')
    .description('build a partitioned disk from parts NAME:FS:SIZE[:DIR] (FS fat12, fat16, fat32, msdos, ffs, ffs1, ffs2; SIZE with dd suffixes or rest; name esp makes an EFI system partition), or from --spec FILE.json')
    .option('-s <size>', 'disk size (dd suffixes)')
    .option('--gpt', 'a GUID partition table (the default)')
    .option('--mbr', 'an MBR partition table')
    .option('--spec <file>', 'a JSON spec: {"scheme":"gpt","size":"256m","partitions":[{"name":"esp","fs":"fat32","size":"64m","dir":"efi"}]}')
    .argument('<image>')
    .argument('[parts...]')
    .action(async (image: string, partArgs: string[], o: { s?: string; gpt?: boolean; mbr?: boolean; spec?: string }) => {
      const { cmd_mkdisk, parseDiskSpecJson, parsePartSpec } = await import('./mkdisk.js');
      let spec: Parameters<typeof cmd_mkdisk>[1];
      if (o.spec !== undefined) {
        if (partArgs.length > 0 || o.s !== undefined) throw errno('EINVAL', 'mkdisk: --spec excludes parts and -s on the command line');
        let text: string;
        try {
          text = readFileSync(hostPathOf(o.spec), 'utf8');
        } catch (e) {
          throw hostError(e, `read ${o.spec}`);
        }
        spec = parseDiskSpecJson(text);
      } else {
        if (o.gpt && o.mbr) throw errno('EINVAL', 'mkdisk: --gpt and --mbr exclude each other');
        if (o.s === undefined) throw errno('EINVAL', 'mkdisk: give the disk size with -s SIZE');
        if (partArgs.length === 0) throw errno('EINVAL', 'mkdisk: give at least one part NAME:FS:SIZE[:DIR]');
        spec = { scheme: o.mbr ? 'mbr' : 'gpt', size: parseSize(o.s, '-s'), partitions: partArgs.map(parsePartSpec) };
      }
      await cmd_mkdisk(image, spec, out);
    });
}
