// mdadm's --examine and --query for mdctl: components are read through the local daemon's md
// driver (so the simulated driver works too), arrays come from the cluster-wide view. Owns:
// choosing what to print per device and mdadm's exit codes for these two modes.
// Invariants: every device named is answered (a failure is a "mdctl: ..." note and exit 1,
// never a crash); text goes through the format modules (examine-format.ts, query-format.ts).
import type { Superblock090Info, SuperblockInfo } from '../../daemon/src/md/types.js';
import { mdName, UsageError, verbosity } from './args.js';
import { renderExamineBrief, type ExaminedDevice } from './examine-brief.js';
import { candidateDevices, DEFAULT_MDADM_CONF, PROC_PARTITIONS, readBounded, readMdadmConf } from './mdadm-conf.js';
import { ClientError } from './client.js';
import { Ctx, describe, EXIT, homeHost } from './context.js';
import { levelName, renderExamine } from './examine-format.js';
import { renderExamine090 } from './examine-format-090.js';
import { queryArrayLine, queryMemberLines, queryNothingLine, type QueryActivity } from './query-format.js';
import { findRecord, readState, type StateReply } from './state.js';

const TOOL = 'mdctl';

type ExamineReply = { superblock: SuperblockInfo } | { superblock090: Superblock090Info };

async function examineReply(ctx: Ctx, path: string): Promise<ExamineReply> {
  const c = await ctx.daemon();
  return c.request<ExamineReply>('examine', { path });
}

/**
 * The component's v1.x superblock. A 0.90 one is refused with E_NOT_SUPPORTED (assemble,
 * incremental and query work on v1.x members only; --examine prints 0.90 itself).
 */
export async function superblockOf(ctx: Ctx, path: string): Promise<SuperblockInfo> {
  const r = await examineReply(ctx, path);
  if ('superblock' in r) return r.superblock;
  throw new ClientError('E_NOT_SUPPORTED', `${path} has 0.90 metadata, which mdctl reads for --examine only`, { path });
}

/** The config file --scan reads (--config, else mdadm's default). */
export function configPath(ctx: Ctx): string {
  return ctx.args.values.config !== undefined ? String(ctx.args.values.config) : DEFAULT_MDADM_CONF;
}

/** The devices `--scan` looks at: mdadm.conf's DEVICE lines over /proc/partitions (MDCTL_PARTITIONS overrides its path, for tests). */
export function scanDevices(ctx: Ctx): string[] {
  const conf = readMdadmConf(configPath(ctx));
  return candidateDevices(conf, readBounded(ctx.io.env.MDCTL_PARTITIONS ?? PROC_PARTITIONS) ?? '');
}

/**
 * --examine: every device's superblock (mdadm's full text), or with --brief / --scan one
 * ARRAY line per array (--scan without devices examines what mdadm.conf's DEVICE lines name;
 * --scan implies --brief unless -vv). Devices without a superblock are skipped silently in
 * brief output, as mdadm does.
 */
export async function examine(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  const scan = v.scan === true;
  const brief = v.brief === true || (scan && verbosity(v) < 2);
  let paths = ctx.args.positionals;
  if (paths.length === 0) {
    if (!scan) throw new UsageError('No devices to examine');
    paths = scanDevices(ctx);
    if (paths.length === 0) { ctx.note(`No devices listed in ${configPath(ctx)}`); return EXIT.FAIL; }
  }
  let rc = EXIT.OK as number;
  const found: ExaminedDevice[] = [];
  for (const p of paths) {
    try {
      const r = await examineReply(ctx, p);
      if (!('superblock' in r)) {
        if (!brief) ctx.io.out(renderExamine090(p, r.superblock090, { homehost: homeHost() }));
        else { ctx.note(`${p} has 0.90 metadata: --examine --brief/--scan reads v1.x only`); rc = EXIT.FAIL; }
      } else if (brief) found.push({ path: p, sb: r.superblock });
      else ctx.io.out(renderExamine(p, r.superblock, { homehost: homeHost() }));
    } catch (e) {
      const none = e instanceof ClientError && e.code === 'E_NO_SUPERBLOCK';
      if (none && !brief) { ctx.note(`No md superblock detected on ${p}.`); rc = EXIT.FAIL; }
      else if (!none && !scan) { ctx.note(describe(e, `cannot open ${p}`)); rc = EXIT.FAIL; }
    }
  }
  if (brief) ctx.io.out(renderExamineBrief(found, { verbose: verbosity(v) > 0 }));
  return rc;
}

function queryArray(ctx: Ctx, s: StateReply, dev: string, name: string): number {
  const found = findRecord(s, name);
  if (!found || found.rec.run !== 'running') {
    ctx.note(`cannot open ${dev}: ${found ? 'the array is stopped in this cluster' : 'no such array in this cluster'}`);
    return EXIT.FAIL;
  }
  const { rec, view } = found;
  const spares = view.members.filter((m) => !m.flags.includes('faulty') && !m.flags.includes('in_sync')).length;
  ctx.io.out(queryArrayLine({ device: dev, arraySizeKiB: view.arraySizeKiB, level: rec.level, raidDisks: rec.raidDisks, spares, tool: TOOL }));
  return EXIT.OK;
}

/** What mdadm calls the component's state in its array: found at its number, elsewhere, or not running. */
function activityOf(s: StateReply, path: string, sb: SuperblockInfo): { activity: QueryActivity; arrayPath: string | null } {
  const i = s.state.arrays.findIndex((a) => a.uuid === sb.setUuid && a.run === 'running');
  if (i < 0) return { activity: 'inactive', arrayPath: null };
  const held = s.views[i].members.some((m) => m.devPath === path && m.descNumber === sb.devNumber);
  return { activity: held ? 'active' : 'mismatch', arrayPath: `/dev/${s.state.arrays[i].device}` };
}

async function queryComponent(ctx: Ctx, s: StateReply, dev: string): Promise<number> {
  let sb: SuperblockInfo;
  try {
    sb = await superblockOf(ctx, dev);
  } catch (e) {
    if (e instanceof ClientError && e.code === 'E_NO_SUPERBLOCK') { ctx.io.out(queryNothingLine(dev)); return EXIT.OK; }
    ctx.note(describe(e, `cannot open ${dev}`));
    return EXIT.FAIL;
  }
  ctx.io.out(queryMemberLines({ device: dev, devNumber: sb.devNumber, raidDisks: sb.raidDisks, level: levelName(sb.level), ...activityOf(s, dev, sb), tool: TOOL }));
  return EXIT.OK;
}

export async function query(ctx: Ctx): Promise<number> {
  if (ctx.args.positionals.length === 0) throw new UsageError('--query needs a device');
  let s: StateReply;
  try { s = await readState(ctx); } catch (e) { ctx.note(describe(e, 'cannot get the cluster state')); return EXIT.FAIL; }
  let rc = EXIT.OK as number;
  for (const p of ctx.args.positionals) {
    const name = mdName(p);
    rc = Math.max(rc, name ? queryArray(ctx, s, p, name) : await queryComponent(ctx, s, p));
  }
  return rc;
}
