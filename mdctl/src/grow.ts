// mdadm's grow mode: `mdctl --grow /dev/md0 --bitmap=internal|none`, `--size=N|max
// [--assume-clean]`, `--raid-devices=N [--force] [--backup-file=F]` and `--chunk=N
// [--backup-file=F]`. Each change is one replicated command (daemon/src/cluster/grow.ts): the
// master carries it out on its writable array, the standbys re-read the superblocks once it
// is done. Owns: which grow change the command line asks for, resolving --size=max as md does
// (the smallest member's room, whole chunks for striped levels), refusing what mdctl cannot
// do, and mdadm 4.2's output: nothing on success for a bitmap change; "component size of
// /dev/mdX has been set to NK" (or "unchanged at NK", or "/dev/mdX: no change requested") on
// stderr for a size;
// "raid_disks for /dev/mdX set to N" on stdout for a raid1 mirror count; nothing for a restripe
// (--chunk; the same chunk is no change: nothing, exit 0, as mdadm 4.2);
// "mdctl: <md's or mdadm's reason>" (each line of a several-line reason) with exit 1 on a refusal.
// Invariant: one change per invocation, as mdadm; nothing is sent before the command line parsed.
import type { ArrayState } from '../../daemon/src/md/types.js';
import { intOption, mdName, parseSizeSectors, UsageError, verbosity, type ParsedArgs } from './args.js';
import { ClientError } from './client.js';
import type { Command, CommandOf } from './commands.js';
import { Ctx, EXIT } from './context.js';
import { externalMetadataNote, findRecord, readState } from './state.js';

/** What the command line asks for: a bitmap change, or a size (KiB, or 'max' to resolve). */
export type GrowRequest = CommandOf<'grow-bitmap' | 'grow-raid-devices' | 'grow-chunk'> | { op: 'grow-size'; device: string; size: number | 'max'; assumeClean: boolean };

/** A combination mdadm 4.2 refuses after parsing (exit 1, not a usage error). */
export class GrowRefusal extends Error {}

/** mdadm's --chunk value (parse_size: K default, M/G/T/s suffixes; at least 4K, whole KiB) in KiB. */
export function growChunkKiB(v: unknown): number {
  const sectors = parseSizeSectors(String(v));
  if (sectors === null || sectors < 8 || sectors % 2 !== 0) throw new UsageError(`invalid chunk/rounding value: ${String(v)}`);
  return sectors / 2;
}

function backupFileOf(v: ParsedArgs['values']): string | undefined {
  const backupFile = v['backup-file'] === undefined ? undefined : String(v['backup-file']);
  if (backupFile !== undefined && !backupFile.startsWith('/')) throw new UsageError(`--backup-file=${backupFile}: an absolute path on the master is needed`);
  return backupFile;
}

/**
 * Changes asked for together, refused as mdadm 4.2 refuses them (a bitmap with any geometry
 * change; a size with any other change) or as mdctl does (a device count and a chunk in one
 * reshape, which mdadm would do).
 */
function refuseCombination(changes: string[]): void {
  if (changes.length < 2) return;
  if (changes.includes('bitmap')) throw new GrowRefusal('--bitmap changes cannot be used with other geometry changes in --grow mode');
  if (changes.includes('size')) {
    throw new GrowRefusal('cannot change component size at the same time as other changes.\n   Change size first, then check data is intact before making other changes.');
  }
  throw new GrowRefusal('changing --raid-devices and --chunk in one reshape is not supported by mdctl (one --grow each) [E_NOT_SUPPORTED]');
}

/** The grow change the command line asks for; null when it asks for none (mdadm: a notice, exit 0). */
export function growCommand(ctx: Ctx): GrowRequest | null {
  const v = ctx.args.values;
  const dev = ctx.args.positionals[0];
  if (dev === undefined) throw new UsageError('no devices given.');
  if (ctx.args.positionals.length > 1) throw new UsageError(`--grow takes one md device (got ${ctx.args.positionals[1]} too); use manage mode to add devices`);
  const device = mdName(dev);
  if (!device) throw new UsageError(`${dev} is not an md array`);
  const chunkKiB = v.chunk === undefined ? undefined : growChunkKiB(v.chunk);
  if (v.level !== undefined) {
    // mdadm 4.2 Grow_reshape refuses a level with a chunk first; mdctl does no level change at all.
    if (chunkKiB !== undefined) throw new GrowRefusal('Cannot change array level in the same operation as changing chunk size.');
    throw new GrowRefusal(`changing the raid level of /dev/${device} (--level=${String(v.level)}) is not supported by mdctl [E_NOT_SUPPORTED]`);
  }
  const changes = ['bitmap', 'size', 'raid-devices', 'chunk'].filter((k) => v[k] !== undefined);
  refuseCombination(changes);
  const backupFile = backupFileOf(v);
  if (v['raid-devices'] !== undefined) {
    const raidDevices = intOption(v['raid-devices'], 'raid-devices', 1, 1920)!;
    return { op: 'grow-raid-devices', device, raidDevices, ...(v.force === true ? { force: true } : {}), ...(backupFile === undefined ? {} : { backupFile }) };
  }
  if (chunkKiB !== undefined) return { op: 'grow-chunk', device, chunkKiB, ...(backupFile === undefined ? {} : { backupFile }) };
  if (v.bitmap !== undefined) {
    const bitmap = String(v.bitmap);
    if (bitmap !== 'internal' && bitmap !== 'none') throw new UsageError(`--bitmap=${bitmap}: a cluster has internal bitmaps or none (no bitmap files)`);
    return { op: 'grow-bitmap', device, bitmap };
  }
  if (v.size !== undefined) {
    const text = String(v.size);
    const sectors = text === 'max' ? 'max' : parseSizeSectors(text);
    if (sectors === null || (sectors !== 'max' && sectors < 2)) throw new UsageError(`invalid size: ${text}`);
    return { op: 'grow-size', device, size: sectors === 'max' ? 'max' : Math.floor(sectors / 2), assumeClean: v['assume-clean'] === true };
  }
  return null;
}

/**
 * --size=max as md computes it (update_size with size 0): the smallest room of the members in a
 * slot (dev-X/size), in whole chunks for striped levels; read from this node's kernel, which
 * assembled the same superblocks as the master's.
 */
export function maxSizeKiB(k: ArrayState): number | null {
  const sizes = k.members.filter((m) => m.slot !== null && !m.flags.includes('faulty')).map((m) => m.sizeKiB);
  if (sizes.length === 0) return null;
  const min = Math.min(...sizes);
  const chunkKiB = k.level === 'raid1' ? 0 : k.chunkSizeBytes / 1024;
  return chunkKiB > 0 ? min - (min % chunkKiB) : min;
}

async function runSize(ctx: Ctx, req: Extract<GrowRequest, { op: 'grow-size' }>): Promise<number> {
  const md = `/dev/${req.device}`;
  const found = findRecord(await readState(ctx), req.device);
  if (!found) {
    ctx.note(await externalMetadataNote(ctx, req.device) ?? `${md} is not an array managed by this cluster [E_NO_SUCH_ARRAY]`);
    return EXIT.FAIL;
  }
  const before = found.rec.componentSizeKiB;
  let sizeKiB: number;
  if (req.size === 'max') {
    const { arrays } = await ctx.read<{ arrays: ArrayState[] }>('kernel', { device: req.device });
    const max = arrays.length === 1 ? maxSizeKiB(arrays[0]) : null;
    if (max === null) {
      ctx.note(`Cannot set device size for ${md}: this node's kernel does not run it (no member sizes to take the maximum of) [E_INVALID_STATE]`);
      return EXIT.FAIL;
    }
    sizeKiB = max;
  } else {
    // mdadm changes nothing for the size the array already has (only "max" is re-applied).
    if (req.size === before) {
      ctx.info(`${md}: no change requested`);
      return EXIT.OK;
    }
    sizeKiB = req.size;
  }
  if (sizeKiB === before) {
    ctx.info(`component size of ${md} unchanged at ${sizeKiB}K`);
    return EXIT.OK;
  }
  const cmd: CommandOf<'grow-size'> = { op: 'grow-size', device: req.device, sizeKiB, ...(req.assumeClean ? { assumeClean: true } : {}) };
  if (!(await proposeOrSay(ctx, cmd, (e) => (e.code === 'E_KERNEL' ? `Cannot set device size for ${md}: ${strerror(e.message)}` : null)))) return EXIT.FAIL;
  // md-done came only once the master's kernel had this size (node/md-op-reporter.ts).
  ctx.info(`component size of ${md} has been set to ${sizeKiB}K`);
  return EXIT.OK;
}

/** mdadm's follow-up lines to a first line md's or mdadm's refusal came with (the daemon carries the first). */
const MDADM_CONTINUATION: readonly [RegExp, string][] = [[/Cannot grow - need backup-file$/, ' Please provide one with "--backup=..."']];

/** A refusal as mdadm prints it (one message a line, each with the tool's prefix), the stable code after the last. */
function sayLines(ctx: Ctx, message: string, code: string): void {
  const lines = message.replace(/^mdadm: /, '').split('\n');
  for (const [re, more] of MDADM_CONTINUATION) if (re.test(lines[lines.length - 1])) lines.push(more);
  lines[lines.length - 1] += ` [${code}]`;
  for (const l of lines) ctx.note(l);
}

/**
 * --chunk: the same chunk changes nothing (mdadm 4.2 says nothing and exits 0: its own
 * no-change test compares KiB with bytes, so it goes on to find no restripe needed); otherwise
 * the restripe is md's reshape on the master, and mdctl returns once it has started.
 */
async function runChunk(ctx: Ctx, cmd: CommandOf<'grow-chunk'>): Promise<number> {
  const found = findRecord(await readState(ctx), cmd.device);
  if (found && found.rec.chunkKiB === cmd.chunkKiB && found.rec.level !== 'raid1') return EXIT.OK;
  try {
    await ctx.propose({ command: cmd });
    return EXIT.OK;
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    sayLines(ctx, e.message, e.code);
    return EXIT.FAIL;
  }
}

async function runRaidDevices(ctx: Ctx, cmd: CommandOf<'grow-raid-devices'>): Promise<number> {
  const md = `/dev/${cmd.device}`;
  const found = findRecord(await readState(ctx), cmd.device);
  if (found && found.rec.raidDisks === cmd.raidDevices) {
    ctx.info(`${md}: no change requested`);
    return EXIT.OK;
  }
  if (!(await proposeOrSay(ctx, cmd))) return EXIT.FAIL;
  // mdadm 4.2 reports a raid_disks change that needs no reshape (raid1) on stdout; a reshape
  // just starts (its progress is in /proc/mdstat and --detail).
  if (found?.rec.level === 'raid1' && verbosity(ctx.args.values) >= 0) ctx.io.out(`raid_disks for ${md} set to ${cmd.raidDevices}\n`);
  return EXIT.OK;
}

/** strerror(3) of the errnos md answers a resize with, as mdadm prints them. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOSPC: 'No space left on device', EINVAL: 'Invalid argument', EBUSY: 'Device or resource busy', EROFS: 'Read-only file system',
  EPERM: 'Operation not permitted', EIO: 'Input/output error', ENODEV: 'No such device',
};

/** md's errno in a driver's E_KERNEL message (by name, or already as strerror text); the message itself otherwise. */
export function strerror(message: string): string {
  for (const [name, text] of Object.entries(STRERROR)) if (new RegExp(`\\b${name}\\b`).test(message) || message.endsWith(text)) return text;
  return message;
}

/**
 * Proposes `cmd`; on a refusal prints the reason as mdadm would (`say` may word md's error as
 * mdadm does; otherwise md's or mdadm's own words, mdadm's prefix becoming ours) and returns false.
 */
async function proposeOrSay(ctx: Ctx, cmd: Command, say: (e: ClientError) => string | null = () => null): Promise<boolean> {
  try {
    await ctx.propose({ command: cmd });
    return true;
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    ctx.note(`${say(e) ?? e.message.replace(/^mdadm: /, '')} [${e.code}]`);
    return false;
  }
}

export async function runGrow(ctx: Ctx): Promise<number> {
  let req: GrowRequest | null;
  try {
    req = growCommand(ctx);
  } catch (e) {
    if (!(e instanceof GrowRefusal)) throw e;
    ctx.note(e.message); // one mdadm message (its continuation lines carry no prefix)
    return EXIT.FAIL;
  }
  if (req === null) {
    ctx.note('no changes to --grow');
    return EXIT.OK;
  }
  if (req.op === 'grow-size') return runSize(ctx, req);
  if (req.op === 'grow-raid-devices') return runRaidDevices(ctx, req);
  if (req.op === 'grow-chunk') return runChunk(ctx, req);
  return (await proposeOrSay(ctx, req)) ? EXIT.OK : EXIT.FAIL;
}
