// mdadm's incremental mode (`mdctl -I /dev/sdb`, the udev path): one device appeared; put it
// where it belongs. Owns: choosing, from its superblock and the cluster record, between adding
// it to a running array and attaching it to one that is not running; the node-local attach map
// (mdadm keeps /run/mdadm/map and an inactive md array; a replicated assemble names all its
// members at once, so mdctl keeps the attached devices in a file and starts the array, or
// assembles a new one, when every active member has been attached). Invariants: nothing is
// proposed for a device without a superblock or of a level md-cluster cannot run; the array
// name comes from the record, else mdadm.conf's ARRAY line, else the highest free mdN from
// md127 down; the map is bounded (MD_MAX_ARRAYS arrays, MD_MAX_MEMBERS_PER_ARRAY devices).
import { mdName, UsageError } from './args.js';
import { levelOf } from './assemble.js';
import { ClientError } from './client.js';
import { Ctx, describe, EXIT } from './context.js';
import { configPath, superblockOf } from './inspect.js';
import { readBounded, readMdadmConf } from './mdadm-conf.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MD_MAX_ARRAYS, MD_MAX_MEMBERS_PER_ARRAY } from '../../daemon/src/common/limits.js';
import { readState } from './state.js';
import type { SuperblockInfo } from '../../daemon/src/md/types.js';
import { isMetadataVersion } from './commands.js';

const FIRST_AUTO_MINOR = 127;
/** Devices attached to arrays not yet started, per array UUID (MDCTL_INCREMENTAL_MAP overrides, for tests). */
const DEFAULT_MAP = '/run/mdctl/incremental.map';

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
  if (rec && rec.run === 'running') {
    const md = `/dev/${rec.device}`;
    const m = rec.members.find((x) => x.path === path);
    if (m && m.role !== 'removed' && m.role !== 'faulty') { ctx.info(`${path} attached to ${md} which is already active.`); return EXIT.OK; }
    const op = m && m.deviceUuid !== null && rec.bitmap === 'internal' ? 're-add' : 'hot-add';
    try { await ctx.propose({ command: { op, device: rec.device, member: path } }); } catch (e) { ctx.note(describe(e, `cannot add ${path} to ${md}`)); return EXIT.FAIL; }
    ctx.info(`${path} ${op === 're-add' ? 're-added' : 'added'} to ${md}`);
    return EXIT.OK;
  }
  // Not running: attach the device (this node's map, as mdadm's /run/mdadm/map), start the
  // array once every active member has been attached (or at once with --run).
  const device = rec ? rec.device : deviceFor(ctx, sb, s.state.arrays.map((a) => a.device));
  const mapPath = ctx.io.env.MDCTL_INCREMENTAL_MAP ?? DEFAULT_MAP;
  const map = readMap(mapPath);
  const attached = [...new Set([...(map[sb.setUuid] ?? []), path])];
  const members: { path: string; sb: SuperblockInfo }[] = [];
  for (const p of attached) {
    if (p === path) { members.push({ path, sb }); continue; }
    try { const o = await superblockOf(ctx, p); if (o.setUuid === sb.setUuid) members.push({ path: p, sb: o }); } catch (e) { if (!(e instanceof ClientError)) throw e; }
  }
  const active = members.filter((x) => (x.sb.devRoles[x.sb.devNumber] ?? 0xffff) < sb.raidDisks).length;
  if (active < sb.raidDisks && v.run !== true) {
    map[sb.setUuid] = members.map((x) => x.path);
    writeMap(mapPath, map);
    ctx.info(`${path} attached to /dev/${device}, not enough to start safely.`);
    return EXIT.OK;
  }
  try {
    if (rec) await ctx.propose({ command: { op: 'run', device: rec.device } });
    else {
      const metadata = `1.${sb.minorVersion}`;
      if (!isMetadataVersion(metadata)) { ctx.note(`${path}: metadata ${metadata} is not supported on a cluster`); return EXIT.FAIL; }
      await ctx.propose({
        command: {
          op: 'assemble', device, uuid: sb.setUuid, name: sb.setName, level: levelOf(sb), raidDisks: sb.raidDisks, members: members.map((x) => x.path),
          metadata, bitmap: (sb.featureMap & 1) !== 0 ? 'internal' : 'none', chunkKiB: sb.chunkSectors > 0 ? sb.chunkSectors / 2 : null, layout: null,
        },
        timeoutMs: 60_000,
      });
    }
  } catch (e) {
    ctx.note(describe(e, `cannot start /dev/${device}`));
    return EXIT.FAIL;
  }
  delete map[sb.setUuid];
  writeMap(mapPath, map);
  ctx.info(`${path} attached to /dev/${device}, which has been started.`);
  return EXIT.OK;
}

type AttachMap = Record<string, string[]>;

function readMap(path: string): AttachMap {
  try {
    const v: unknown = JSON.parse(readBounded(path) ?? '{}');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const out: AttachMap = {};
    for (const [k, paths] of Object.entries(v)) {
      if (Array.isArray(paths)) out[k] = paths.filter((p): p is string => typeof p === 'string' && p.startsWith('/')).slice(0, MD_MAX_MEMBERS_PER_ARRAY);
    }
    return out;
  } catch {
    return {};
  }
}

/** At most MD_MAX_ARRAYS arrays are remembered (the oldest attached first forgotten). */
function writeMap(path: string, map: AttachMap): void {
  const keys = Object.keys(map);
  for (const k of keys.slice(0, Math.max(0, keys.length - MD_MAX_ARRAYS))) delete map[k];
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(map));
}

/** The ARRAY line's device for this UUID, else the highest free mdN from md127 down. */
function deviceFor(ctx: Ctx, sb: SuperblockInfo, used: readonly string[]): string {
  const line = readMdadmConf(configPath(ctx)).arrays.find((a) => a.uuid === sb.setUuid && a.device !== null);
  const named = line?.device ? mdName(line.device) : null;
  if (named) return named;
  for (let minor = FIRST_AUTO_MINOR; minor >= 0; minor--) if (!used.includes(`md${minor}`)) return `md${minor}`;
  throw new UsageError('no free md device name');
}
