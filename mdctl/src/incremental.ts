// mdadm's incremental mode (`mdctl -I /dev/sdb`, the udev path): one device appeared; put it
// where it belongs. Owns: choosing, from its superblock and the cluster record, between adding
// it back to a running array, starting a stopped array the cluster knows, and assembling a new
// one once every active member is visible (all at once: a replicated assemble names all its
// members, so md's partial "inactive" array is not built). Invariants: nothing is proposed for
// a device without a superblock or of a level md-cluster cannot run; the array name comes
// from mdadm.conf's ARRAY line when it has one, else the highest free mdN from md127 down.
import { mdName, UsageError } from './args.js';
import { levelOf, startedNotice } from './assemble.js';
import { ClientError } from './client.js';
import { Ctx, describe, EXIT } from './context.js';
import { configPath, scanDevices, superblockOf } from './inspect.js';
import { readMdadmConf } from './mdadm-conf.js';
import { readState } from './state.js';
import type { SuperblockInfo } from '../../daemon/src/md/types.js';
import { isMetadataVersion } from './commands.js';

const FIRST_AUTO_MINOR = 127;

export async function runIncremental(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  if (v.scan === true) { ctx.note('--incremental --scan is not supported: use --assemble --scan'); return EXIT.FAIL; }
  if (v['rebuild-map'] === true) return EXIT.OK; // mdctl keeps no map file: the cluster record is the map
  const [path, ...rest] = ctx.args.positionals;
  if (!path) throw new UsageError('--incremental requires a device.');
  if (rest.length > 0) throw new UsageError('--incremental takes one device');
  if (v.fail === true) { ctx.note(`--incremental --fail: use mdctl /dev/mdN --fail ${path} (the cluster must agree on a failure)`); return EXIT.FAIL; }
  let sb: SuperblockInfo;
  try { sb = await superblockOf(ctx, path); } catch (e) {
    if (e instanceof ClientError && e.code === 'E_NO_SUPERBLOCK') { ctx.note(`no RAID superblock on ${path}.`); return EXIT.FAIL; }
    ctx.note(describe(e, `cannot open ${path}`));
    return EXIT.FAIL;
  }
  try { levelOf(sb); } catch (e) { ctx.note(`${path}: ${(e as Error).message}`); return EXIT.FAIL; }
  const s = await readState(ctx);
  const rec = s.state.arrays.find((a) => a.uuid === sb.setUuid);
  if (rec) {
    const md = `/dev/${rec.device}`;
    if (rec.run === 'stopped') {
      try { await ctx.propose({ command: { op: 'run', device: rec.device } }); } catch (e) { ctx.note(describe(e, `cannot start ${md}`)); return EXIT.FAIL; }
      ctx.info(`${md} has been started.`);
      return EXIT.OK;
    }
    const m = rec.members.find((x) => x.path === path);
    if (m && m.role !== 'removed' && m.role !== 'faulty') { ctx.info(`${path} attached to ${md} which is already active.`); return EXIT.OK; }
    const op = m && m.deviceUuid !== null && rec.bitmap === 'internal' ? 're-add' : 'hot-add';
    try { await ctx.propose({ command: { op, device: rec.device, member: path } }); } catch (e) { ctx.note(describe(e, `cannot add ${path} to ${md}`)); return EXIT.FAIL; }
    ctx.info(`${path} ${op === 're-add' ? 're-added' : 'added'} to ${md}`);
    return EXIT.OK;
  }
  // A new array: its members are the visible devices with this UUID.
  const members: { path: string; sb: SuperblockInfo }[] = [{ path, sb }];
  for (const p of scanDevices(ctx)) {
    if (p === path) continue;
    try { const o = await superblockOf(ctx, p); if (o.setUuid === sb.setUuid) members.push({ path: p, sb: o }); } catch (e) { if (!(e instanceof ClientError)) throw e; }
  }
  const device = deviceFor(ctx, sb, s.state.arrays.map((a) => a.device));
  const active = members.filter((x) => (x.sb.devRoles[x.sb.devNumber] ?? 0xffff) < sb.raidDisks).length;
  if (active < sb.raidDisks && v.run !== true) {
    ctx.info(`${path} attached to /dev/${device}, not enough to start (${active}).`);
    return EXIT.OK;
  }
  const metadata = `1.${sb.minorVersion}`;
  if (!isMetadataVersion(metadata)) { ctx.note(`${path}: metadata ${metadata} is not supported on a cluster`); return EXIT.FAIL; }
  try {
    await ctx.propose({
      command: {
        op: 'assemble', device, uuid: sb.setUuid, name: sb.setName, level: levelOf(sb), raidDisks: sb.raidDisks, members: members.map((x) => x.path),
        metadata, bitmap: (sb.featureMap & 1) !== 0 ? 'internal' : 'none', chunkKiB: sb.chunkSectors > 0 ? sb.chunkSectors / 2 : null, layout: null,
      },
      timeoutMs: 60_000,
    });
  } catch (e) {
    ctx.note(describe(e, `cannot assemble /dev/${device}`));
    return EXIT.FAIL;
  }
  ctx.info(startedNotice(device, members.map((x) => x.sb)));
  return EXIT.OK;
}

/** The ARRAY line's device for this UUID, else the highest free mdN from md127 down. */
function deviceFor(ctx: Ctx, sb: SuperblockInfo, used: readonly string[]): string {
  const line = readMdadmConf(configPath(ctx)).arrays.find((a) => a.uuid === sb.setUuid && a.device !== null);
  const named = line?.device ? mdName(line.device) : null;
  if (named) return named;
  for (let minor = FIRST_AUTO_MINOR; minor >= 0; minor--) if (!used.includes(`md${minor}`)) return `md${minor}`;
  throw new UsageError('no free md device name');
}
