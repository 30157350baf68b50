// mdadm's create mode: `mdctl -C /dev/md0 -l1 -n2 /dev/sda1 /dev/sdb1 [-x1 /dev/sdc1]`.
// Owns: turning mdadm's create options into one replicated create command (the proposing node
// chooses the array UUID, as `mdadm --uuid` would) and mdadm's notices.
// Invariant: every option is checked before anything is sent.
import { randomBytes } from 'node:crypto';
import { intOption, mdName, UsageError } from './args.js';
import { Ctx, describe, EXIT, homeHost } from './context.js';
import { isMetadataVersion, type CommandOf, type RaidLevel } from './commands.js';

const LEVELS: Record<string, RaidLevel> = {
  linear: 'linear', '-1': 'linear', raid0: 'raid0', '0': 'raid0', stripe: 'raid0', raid1: 'raid1', '1': 'raid1', mirror: 'raid1',
  raid4: 'raid4', '4': 'raid4', raid5: 'raid5', '5': 'raid5', raid6: 'raid6', '6': 'raid6', raid10: 'raid10', '10': 'raid10',
};

export function parseLevel(v: unknown): RaidLevel {
  const l = LEVELS[String(v ?? '').toLowerCase()];
  if (!l) throw new UsageError(`invalid raid level: ${String(v)}`);
  return l;
}

export function newUuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}:${h.slice(8, 16)}:${h.slice(16, 24)}:${h.slice(24, 32)}`;
}

/** Chunk sizes in mdadm accept K/M suffixes; the default unit is KiB. */
function chunkKiB(v: unknown): number | null {
  if (v === undefined) return null;
  const m = /^([0-9]+)([KkMm]?)$/.exec(String(v));
  if (!m) throw new UsageError(`invalid chunk size: ${String(v)}`);
  const n = Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1024 : 1);
  if (n < 4 || (n & (n - 1)) !== 0) throw new UsageError(`chunk size must be a power of 2, at least 4K, not ${String(v)}`);
  return n;
}

export function buildCreate(args: Ctx['args'], host: string): CommandOf<'create'> {
  const [dev, ...devices] = args.positionals;
  const device = dev ? mdName(dev) : null;
  if (!device) throw new UsageError(dev ? `${dev} is not an md device name` : 'an md device to create is needed');
  const v = args.values;
  if (v.level === undefined) throw new UsageError('a RAID level is needed: use --level');
  const level = parseLevel(v.level);
  const raidDevices = intOption(v['raid-devices'], 'raid-devices', 1, 64);
  if (raidDevices === undefined) throw new UsageError('the number of active devices is needed: use --raid-devices');
  const spares = intOption(v['spare-devices'], 'spare-devices', 0, 64) ?? 0;
  if (devices.length !== raidDevices + spares) {
    throw new UsageError(`${raidDevices + spares} devices are needed for ${raidDevices} raid devices and ${spares} spares, ${devices.length} given`);
  }
  for (const d of devices) if (d !== 'missing' && !d.startsWith('/')) throw new UsageError(`${d} is not a device path`);
  const metadata = String(v.metadata ?? '1.2').replace(/^default$/, '1.2').replace(/^1$/, '1.2');
  if (!isMetadataVersion(metadata)) throw new UsageError(`metadata ${metadata} is not supported on a cluster (use 1.0, 1.1 or 1.2)`);
  const bitmap = String(v.bitmap ?? 'none');
  if (bitmap !== 'internal' && bitmap !== 'none') throw new UsageError(`--bitmap=${bitmap}: only internal or none`);
  const minor = /^md([0-9]+)$/.exec(device)?.[1] ?? device;
  return {
    op: 'create', device, uuid: v.uuid !== undefined ? String(v.uuid) : newUuid(), name: String(v.name ?? `${host}:${minor}`).slice(0, 32),
    level, raidDevices, members: devices, spares, metadata, bitmap,
    chunkKiB: level === 'raid1' || level === 'linear' ? (v.chunk === undefined ? null : (() => { throw new UsageError(`${level} has no chunk size`); })()) : chunkKiB(v.chunk),
    layout: v.layout !== undefined ? String(v.layout) : v.parity !== undefined ? String(v.parity) : null,
    assumeClean: v['assume-clean'] === true, sizeKiB: intOption(v.size, 'size', 1, Number.MAX_SAFE_INTEGER) ?? null,
  };
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
  ctx.info(`array /dev/${String(cmd.device)} started.`);
  return EXIT.OK;
}
