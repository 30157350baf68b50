// mdadm's assemble mode: `mdctl -A /dev/md0 /dev/sda1 /dev/sdb1`, `-A --scan`, `-A --uuid U`.
// Owns: finding the members (given, or with --scan from mdadm.conf's ARRAY lines and the
// devices its DEVICE lines name, through the daemon's examine), --no-degraded, and proposing
// one assemble (or run, for an array the cluster already knows) per array.
// Invariants: members whose superblocks disagree on the array UUID are refused before
// anything is proposed; a level md-cluster cannot run is an error, never a guess.
import { mdName, UsageError } from './args.js';
import { ClientError } from './client.js';
import { Ctx, describe, EXIT } from './context.js';
import { configPath, scanDevices, superblockOf } from './inspect.js';
import { readMdadmConf, type ConfArray } from './mdadm-conf.js';
import { readState, type StateReply } from './state.js';
import { isMetadataVersion, type CommandOf, type RaidLevel } from './commands.js';

interface Sb { setUuid: string; setName: string; level: number; layout: number; raidDisks: number; chunkSectors: number; minorVersion: number; featureMap: number; devNumber: number; devRoles: number[] }
const LEVEL_NAMES: Record<number, RaidLevel> = { [-1]: 'linear', 0: 'raid0', 1: 'raid1', 4: 'raid4', 5: 'raid5', 6: 'raid6', 10: 'raid10' };
const OTHER_LEVELS: Record<number, string> = { [-4]: 'multipath', [-5]: 'faulty' };

export function levelOf(sb: Pick<Sb, 'level'>): RaidLevel {
  const l = LEVEL_NAMES[sb.level];
  if (l === undefined) throw new UsageError(`level ${OTHER_LEVELS[sb.level] ?? sb.level} is not supported on a cluster`);
  return l;
}

export async function runAssemble(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  if (v.update !== undefined) {
    ctx.note(`--update=${String(v.update)} is not supported: on a cluster the master's md writes the superblocks`);
    return EXIT.FAIL;
  }
  if (v['no-degraded'] === true && v.scan !== true) { ctx.note('--no-degraded not meaningful without a --scan assembly.'); return EXIT.FAIL; }
  if (v.scan === true) return scanAssemble(ctx);
  if (v.uuid !== undefined && ctx.args.positionals.length <= 1) return byUuid(ctx, String(v.uuid));
  const [dev, ...members] = ctx.args.positionals;
  const device = dev ? mdName(dev) : null;
  if (!device) throw new UsageError('an md device must be given in this mode');
  if (members.length === 0) throw new UsageError(`no devices given to assemble /dev/${device} from (or use --scan)`);
  const sbs: Sb[] = [];
  for (const m of members) {
    try { sbs.push(await superblockOf(ctx, m)); } catch (e) { ctx.note(describe(e, `cannot examine ${m}`)); return EXIT.FAIL; }
  }
  const uuids = new Set(sbs.map((s) => s.setUuid));
  if (uuids.size > 1) { ctx.note(`the devices belong to different arrays (${[...uuids].join(', ')})`); return EXIT.FAIL; }
  if (v.uuid !== undefined && !uuids.has(String(v.uuid))) { ctx.note(`the devices do not belong to array ${String(v.uuid)}`); return EXIT.FAIL; }
  return assembleFrom(ctx, device, members, sbs);
}

async function assembleFrom(ctx: Ctx, device: string, members: string[], sbs: Sb[]): Promise<number> {
  const sb = sbs[0];
  const metadata = `1.${sb.minorVersion}`;
  if (!isMetadataVersion(metadata)) { ctx.note(`/dev/${device}: metadata ${metadata} is not supported on a cluster`); return EXIT.FAIL; }
  let level: RaidLevel;
  try { level = levelOf(sb); } catch (e) { ctx.note(`/dev/${device}: ${(e as Error).message}`); return EXIT.FAIL; }
  if (ctx.args.values['no-degraded'] === true) {
    const active = activeCount(sbs);
    if (active < sb.raidDisks) {
      ctx.note(`/dev/${device} assembled from ${active} drive${active === 1 ? '' : 's'} (out of ${sb.raidDisks}), but not started.`);
      return EXIT.FAIL;
    }
  }
  const cmd: CommandOf<'assemble'> = {
    op: 'assemble', device, uuid: sb.setUuid, name: sb.setName, level, raidDisks: sb.raidDisks, members,
    metadata, bitmap: (sb.featureMap & 1) !== 0 ? 'internal' : 'none',
    chunkKiB: sb.chunkSectors > 0 ? sb.chunkSectors / 2 : null, layout: null,
  };
  try {
    await ctx.propose({ command: cmd, timeoutMs: 60_000 });
  } catch (e) {
    ctx.note(describe(e, `assemble /dev/${device} failed`));
    return EXIT.FAIL;
  }
  ctx.info(startedNotice(device, sbs));
  return EXIT.OK;
}

/** Runs the stopped arrays the cluster knows (all, or the one with this UUID). */
async function byUuid(ctx: Ctx, uuid: string | null, s?: StateReply): Promise<number> {
  const state = s ?? await readState(ctx);
  const wanted = state.state.arrays.filter((a) => a.run === 'stopped' && (uuid === null || a.uuid === uuid));
  if (wanted.length === 0) { ctx.note(uuid !== null ? `no stopped array with UUID ${uuid}` : 'no stopped arrays to assemble'); return uuid !== null ? EXIT.FAIL : EXIT.OK; }
  for (const a of wanted) {
    try { await ctx.propose({ command: { op: 'run', device: a.device } }); ctx.info(`/dev/${a.device} has been started.`); } catch (e) { ctx.note(describe(e, `/dev/${a.device}`)); return EXIT.FAIL; }
  }
  return EXIT.OK;
}

/**
 * -A --scan: every ARRAY line of mdadm.conf (or, when it has none, every stopped array the
 * cluster knows). An array the cluster knows is started again (run); one it does not is
 * assembled from the devices whose superblocks carry its UUID (devices= or the DEVICE lines).
 */
async function scanAssemble(ctx: Ctx): Promise<number> {
  const conf = readMdadmConf(configPath(ctx));
  const s = await readState(ctx);
  const named = ctx.args.positionals.map((p) => mdName(p) ?? p);
  const lines = conf.arrays.filter((a) => named.length === 0 || (a.device !== null && named.includes(mdName(a.device) ?? a.device)));
  if (conf.arrays.length === 0 && named.length === 0) return byUuid(ctx, null, s);
  if (lines.length === 0) { for (const n of named) ctx.note(`/dev/${n} not identified in config file.`); return EXIT.FAIL; }
  let rc = EXIT.OK as number;
  let examined: { path: string; sb: Sb }[] | null = null;
  for (const line of lines) {
    const known = s.state.arrays.find((a) => (line.uuid !== null && a.uuid === line.uuid) || (line.device !== null && a.device === mdName(line.device)));
    if (known) {
      if (known.run === 'running') continue; // mdadm -As skips arrays already active
      rc = Math.max(rc, await byUuid(ctx, known.uuid, s));
      continue;
    }
    examined ??= await examineAll(ctx);
    rc = Math.max(rc, await assembleLine(ctx, line, examined));
  }
  return rc;
}

async function examineAll(ctx: Ctx): Promise<{ path: string; sb: Sb }[]> {
  const out: { path: string; sb: Sb }[] = [];
  for (const p of scanDevices(ctx)) {
    try { out.push({ path: p, sb: await superblockOf(ctx, p) }); } catch (e) { if (!(e instanceof ClientError)) throw e; }
  }
  return out;
}

async function assembleLine(ctx: Ctx, line: ConfArray, examined: { path: string; sb: Sb }[]): Promise<number> {
  const device = line.device !== null ? mdName(line.device) : null;
  const matches = examined.filter(({ path, sb }) =>
    (line.uuid === null || sb.setUuid === line.uuid) && (line.name === null || sb.setName === line.name || sb.setName.endsWith(`:${line.name}`)) &&
    (line.devices === null || line.devices.includes(path)));
  if (matches.length === 0) { ctx.note(`no devices found for ${line.device ?? line.uuid ?? '(unnamed array)'}`); return EXIT.FAIL; }
  if (!device) { ctx.note(`${line.device ?? '(no device)'}: mdctl needs an md device name such as /dev/md0 on the ARRAY line`); return EXIT.FAIL; }
  return assembleFrom(ctx, device, matches.map((m) => m.path), matches.map((m) => m.sb));
}

function activeCount(sbs: readonly Pick<Sb, 'raidDisks' | 'devNumber' | 'devRoles'>[]): number {
  const raidDisks = sbs[0]?.raidDisks ?? 0;
  return sbs.filter((s) => (s.devRoles[s.devNumber] ?? 0xffff) < raidDisks).length;
}

/** mdadm's "has been started with N drives (out of R) and S spares." from the members' own roles. */
export function startedNotice(device: string, sbs: readonly Pick<Sb, 'raidDisks' | 'devNumber' | 'devRoles'>[]): string {
  const raidDisks = sbs[0]?.raidDisks ?? 0;
  const active = activeCount(sbs);
  const spares = sbs.length - active;
  const s = (n: number) => (n === 1 ? '' : 's');
  return `/dev/${device} has been started with ${active} drive${s(active)}${active < raidDisks ? ` (out of ${raidDisks})` : ''}` +
    `${spares > 0 ? ` and ${spares} spare${s(spares)}` : ''}.`;
}
