// mdadm's create mode: `mdctl -C /dev/md0 -l1 -n2 /dev/sda1 /dev/sdb1 [-x1 /dev/sdc1]`.
// Owns: turning mdadm's create options into one replicated create command (the proposing node
// chooses the array UUID, as `mdadm --uuid` would) and mdadm's notices.
// Invariant: every option is checked before anything is sent.
import { randomBytes } from 'node:crypto';
import { intOption, mdName, parseSizeSectors, UsageError } from './args.js';
import { Ctx, describe, EXIT, homeHost } from './context.js';
import { isMetadataVersion, type CommandOf, type RaidLevel } from './commands.js';
import { ClientError } from './client.js';

const LEVELS: Record<string, RaidLevel> = {
  linear: 'linear', '-1': 'linear', raid0: 'raid0', '0': 'raid0', stripe: 'raid0', raid1: 'raid1', '1': 'raid1', mirror: 'raid1',
  raid4: 'raid4', '4': 'raid4', raid5: 'raid5', '5': 'raid5', raid6: 'raid6', '6': 'raid6', raid10: 'raid10', '10': 'raid10',
};

/** Levels mdadm knows that md-cluster cannot run (a clear refusal rather than "invalid"). */
const KNOWN_ELSEWHERE = new Set(['multipath', 'mp', 'faulty', 'container', '-4', '-5']);

export function parseLevel(v: unknown): RaidLevel {
  const l = LEVELS[String(v ?? '').toLowerCase()];
  if (!l) {
    if (KNOWN_ELSEWHERE.has(String(v ?? '').toLowerCase())) throw new UsageError(`raid level ${String(v)} is not supported on a cluster`);
    throw new UsageError(`invalid raid level: ${String(v)}`);
  }
  return l;
}

export function newUuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}:${h.slice(8, 16)}:${h.slice(16, 24)}:${h.slice(24, 32)}`;
}

/** Chunk sizes take mdadm's size suffixes (K default); at least 4 KiB, a power of 2. */
function chunkKiB(v: unknown): number | null {
  if (v === undefined) return null;
  const sectors = parseSizeSectors(String(v));
  if (sectors === null || sectors < 8 || sectors % 2 !== 0) throw new UsageError(`invalid chunk/rounding value: ${String(v)}`);
  const n = sectors / 2;
  if ((n & (n - 1)) !== 0) throw new UsageError(`chunk size must be a power of 2, not ${String(v)}`);
  return n;
}

/** --size: mdadm's parse_size (K default; M, G, T; s for sectors) or "max"; KiB, null for max/unset. */
export function sizeKiB(v: unknown): number | null {
  if (v === undefined || v === 'max') return null;
  const sectors = parseSizeSectors(String(v));
  if (sectors === null || sectors < 8) throw new UsageError(`invalid size: ${String(v)}`);
  return Math.floor(sectors / 2);
}

const POLICIES = ['resync', 'bitmap', 'journal', 'ppl'] as const;

/** --consistency-policy and --write-journal as mdadm checks them; md on a cluster has resync and bitmap only. */
function checkPolicy(v: Ctx['args']['values'], level: RaidLevel, bitmap: string): void {
  if (v['write-journal'] !== undefined) {
    if (!['raid4', 'raid5', 'raid6'].includes(level)) throw new UsageError('--write-journal is only supported for RAID level 4/5/6.');
    throw new UsageError('--write-journal: a journal device is not supported on a cluster (md-cluster has no raid5 journal)');
  }
  if (v['consistency-policy'] === undefined) return;
  const p = String(v['consistency-policy']);
  if (!(POLICIES as readonly string[]).includes(p)) throw new UsageError(`Invalid consistency policy: ${p}`);
  if (level === 'raid0' || level === 'linear') throw new UsageError(`--consistency-policy not meaningful with level ${level}.`);
  if (p === 'journal') throw new UsageError('--write-journal is required for consistency policy: journal');
  if (p === 'ppl') {
    if (level !== 'raid5') throw new UsageError('PPL consistency policy is only supported for RAID level 5.');
    throw new UsageError('--consistency-policy=ppl is not supported on a cluster');
  }
  if (p === 'bitmap' && bitmap !== 'internal') throw new UsageError('--bitmap is required for consistency policy: bitmap');
}

/** The array name mdadm writes: HOMEHOST:NAME, or NAME alone with --homehost=<none>/<ignore>. */
function arrayName(v: Ctx['args']['values'], host: string, minor: string): string {
  if (v.name !== undefined) return String(v.name).slice(0, 32);
  const hh = v.homehost === undefined || v.homehost === '<system>' ? host : String(v.homehost);
  return (hh === '<none>' || hh === '<ignore>' ? minor : `${hh}:${minor}`).slice(0, 32);
}

export function buildCreate(args: Ctx['args'], host: string): CommandOf<'create'> {
  const [dev, ...devices] = args.positionals;
  const meta = args.values.metadata;
  if (meta !== undefined && /^(ddf|imsm|external:.*)$/i.test(String(meta))) {
    throw new ClientError('E_EXTERNAL_METADATA', `--metadata=${String(meta)}: external-metadata (DDF/IMSM) containers are not supported on a cluster yet (use 1.0, 1.1 or 1.2)`);
  }
  const device = dev ? mdName(dev) : null;
  if (!device) throw new UsageError(dev ? `${dev} is not an md device name` : 'an md device to create is needed');
  const v = args.values;
  if (v.level === undefined) throw new UsageError('a RAID level is needed: use --level');
  const level = parseLevel(v.level);
  const raidDevices = intOption(v['raid-devices'], 'raid-devices', 1, 64);
  if (raidDevices === undefined) throw new UsageError('the number of active devices is needed: use --raid-devices');
  if (raidDevices === 1 && v.force !== true) {
    throw new UsageError("'1' is an unusual number of drives for an array, so it is probably a mistake.  If you really mean it you will need to specify --force before setting the number of drives.");
  }
  const spares = intOption(v['spare-devices'], 'spare-devices', 0, 64) ?? 0;
  if (spares > 0 && (level === 'raid0' || level === 'linear')) throw new UsageError(`raid level ${level} is incompatible with spare-devices setting.`);
  if (devices.length !== raidDevices + spares) {
    throw new UsageError(`${raidDevices + spares} devices are needed for ${raidDevices} raid devices and ${spares} spares, ${devices.length} given`);
  }
  for (const d of devices) if (d !== 'missing' && !d.startsWith('/')) throw new UsageError(`${d} is not a device path`);
  const metadata = String(v.metadata ?? '1.2').replace(/^default$/, '1.2').replace(/^1$/, '1.2');
  if (!isMetadataVersion(metadata)) throw new UsageError(`metadata ${metadata} is not supported on a cluster (use 1.0, 1.1 or 1.2)`);
  const bitmap = String(v.bitmap ?? 'none');
  if (bitmap !== 'internal' && bitmap !== 'none') throw new UsageError(`--bitmap=${bitmap}: only internal or none`);
  checkPolicy(v, level, bitmap);
  const minor = /^md([0-9]+)$/.exec(device)?.[1] ?? device;
  return {
    op: 'create', device, uuid: v.uuid !== undefined ? String(v.uuid) : newUuid(), name: arrayName(v, host, minor),
    level, raidDevices, members: devices, spares, metadata, bitmap,
    chunkKiB: level === 'raid1' || level === 'linear' ? (v.chunk === undefined ? null : (() => { throw new UsageError(`${level} has no chunk size`); })()) : chunkKiB(v.chunk),
    layout: v.layout !== undefined ? String(v.layout) : v.parity !== undefined ? String(v.parity) : null,
    assumeClean: v['assume-clean'] === true, sizeKiB: sizeKiB(v.size),
    ...(v.force === true ? { force: true } : {}),
  };
}

/** mdadm 4.2's notices before "array started": the boot-device note (raid1 with the superblock at the start) and the default metadata. */
export function createNotes(cmd: Pick<CommandOf<'create'>, 'level' | 'metadata'>, metadataDefaulted: boolean): string[] {
  const out: string[] = [];
  if (cmd.level === 'raid1' && cmd.metadata !== '1.0') {
    out.push("Note: this array has metadata at the start and\n    may not be suitable as a boot device.  If you plan to\n    store '/boot' on this device please ensure that\n    your boot-loader understands md/v1.x metadata, or use\n    --metadata=0.90");
  }
  if (metadataDefaulted) out.push('Defaulting to version 1.2 metadata');
  return out;
}

export async function runCreate(ctx: Ctx): Promise<number> {
  const cmd = buildCreate(ctx.args, homeHost());
  const c = await ctx.daemon();
  for (const m of cmd.members) {
    if (m === 'missing') continue;
    try { await c.request('confirm', { path: m }); } catch (e) { ctx.note(describe(e, `cannot confirm ${m} on this node`)); return EXIT.FAIL; }
  }
  try {
    await ctx.propose({ command: cmd, waitAll: ctx.args.values['wait-all'] === true, timeoutMs: 60_000 });
  } catch (e) {
    ctx.note(describe(e, `create /dev/${cmd.device} failed`));
    return EXIT.FAIL;
  }
  for (const n of createNotes(cmd, ctx.args.values.metadata === undefined)) ctx.info(n);
  ctx.info(`array /dev/${String(cmd.device)} started.`);
  return EXIT.OK;
}
