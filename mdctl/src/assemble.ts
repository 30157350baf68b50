// mdadm's assemble mode: `mdctl -A /dev/md0 /dev/sda1 /dev/sdb1`, `-A --scan`, `-A --uuid U`.
// Owns: reading the members' superblocks through the daemon (examine) and proposing one
// assemble command per array. Invariant: members whose superblocks disagree on the array UUID
// are refused before anything is proposed.
import { mdName, UsageError } from './args.js';
import { Ctx, describe, EXIT } from './context.js';
import { readState } from './state.js';
import { isMetadataVersion, type CommandOf, type RaidLevel } from './commands.js';

interface Sb { setUuid: string; setName: string; level: number; layout: number; raidDisks: number; chunkSectors: number; minorVersion: number; featureMap: number; devNumber: number; devRoles: number[] }
const LEVEL_NAMES: Record<number, RaidLevel> = { [-1]: 'linear', 0: 'raid0', 1: 'raid1', 4: 'raid4', 5: 'raid5', 6: 'raid6', 10: 'raid10' };

export async function runAssemble(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  const c = await ctx.daemon();
  if (v.scan === true || (v.uuid !== undefined && ctx.args.positionals.length <= 1)) {
    const s = await readState(ctx);
    const wanted = s.state.arrays.filter((a) => a.run === 'stopped' && (v.uuid === undefined || a.uuid === v.uuid));
    if (wanted.length === 0) { ctx.note(v.uuid ? `no stopped array with UUID ${String(v.uuid)}` : 'no stopped arrays to assemble'); return v.uuid ? EXIT.FAIL : EXIT.OK; }
    for (const a of wanted) {
      try { await ctx.propose({ command: { op: 'run', device: a.device } }); ctx.note(`/dev/${a.device} has been started.`); } catch (e) { ctx.note(describe(e, `/dev/${a.device}`)); return EXIT.FAIL; }
    }
    return EXIT.OK;
  }
  const [dev, ...members] = ctx.args.positionals;
  const device = dev ? mdName(dev) : null;
  if (!device) throw new UsageError('an md device to assemble is needed');
  if (members.length === 0) throw new UsageError(`no devices given to assemble /dev/${device} from (or use --scan)`);
  const sbs: Sb[] = [];
  for (const m of members) {
    try { sbs.push((await c.request<{ superblock: Sb }>('examine', { path: m })).superblock); } catch (e) { ctx.note(describe(e, `cannot examine ${m}`)); return EXIT.FAIL; }
  }
  const uuids = new Set(sbs.map((s) => s.setUuid));
  if (uuids.size > 1) { ctx.note(`the devices belong to different arrays (${[...uuids].join(', ')})`); return EXIT.FAIL; }
  if (v.uuid !== undefined && !uuids.has(String(v.uuid))) { ctx.note(`the devices do not belong to array ${String(v.uuid)}`); return EXIT.FAIL; }
  const sb = sbs[0];
  const metadata = `1.${sb.minorVersion}`;
  if (!isMetadataVersion(metadata)) { ctx.note(`/dev/${device}: metadata ${metadata} is not supported on a cluster`); return EXIT.FAIL; }
  const cmd: CommandOf<'assemble'> = {
    op: 'assemble', device, uuid: sb.setUuid, name: sb.setName, level: LEVEL_NAMES[sb.level] ?? 'raid1', raidDisks: sb.raidDisks, members,
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

/** mdadm's "has been started with N drives (out of R) and S spares." from the members' own roles. */
export function startedNotice(device: string, sbs: readonly Pick<Sb, 'raidDisks' | 'devNumber' | 'devRoles'>[]): string {
  const raidDisks = sbs[0]?.raidDisks ?? 0;
  const active = sbs.filter((s) => (s.devRoles[s.devNumber] ?? 0xffff) < raidDisks).length;
  const spares = sbs.length - active;
  const s = (n: number) => (n === 1 ? '' : 's');
  return `/dev/${device} has been started with ${active} drive${s(active)}${active < raidDisks ? ` (out of ${raidDisks})` : ''}` +
    `${spares > 0 ? ` and ${spares} spare${s(spares)}` : ''}.`;
}
