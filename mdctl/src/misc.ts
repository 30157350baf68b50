// mdadm's misc mode: --detail (with --scan, --export, --brief, --test, --verbose), --examine,
// --query, --wait and --action. Owns: choosing what to show and mdadm's exit codes
// (--detail --test: 0 ok, 1 degraded, 2 unusable, 4 cannot get information).
// The cluster-wide view is used for arrays (the same text on every node); the mdadm fields come
// first, then a "Cluster" section that a script parsing mdadm's fields can ignore.
import { renderDetail } from '../../daemon/src/md/format/detail.js';
import { renderExport } from '../../daemon/src/md/format/export.js';
import { renderScan } from '../../daemon/src/md/format/scan.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { newestStartedFirst } from '../../daemon/src/cluster/types.js';
import { mdName, UsageError } from './args.js';
import { Ctx, describe, EXIT, homeHost } from './context.js';
import { examine, query } from './inspect.js';
import { arrayAction, isArrayAction, waitClean, zeroSuperblocks } from './misc-arrays.js';
import { findRecord, readState, type StateReply } from './state.js';
import { isSyncAction } from './commands.js';

export async function runMisc(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  if (v.detail) return detail(ctx);
  if (v.examine) return examine(ctx);
  if (v['examine-bitmap']) { ctx.note('--examine-bitmap is not supported yet (the daemon reads no bitmap superblock)'); return EXIT.FAIL; }
  if (v['zero-superblock']) return zeroSuperblocks(ctx);
  if (v['wait-clean']) return waitClean(ctx);
  if (isArrayAction(v)) return arrayAction(ctx);
  if (v.query) return query(ctx);
  if (v.wait) return waitSync(ctx);
  if (v.action !== undefined) return action(ctx);
  throw new UsageError('no misc operation');
}

function arraysNamed(ctx: Ctx, s: StateReply): { name: string; found: ReturnType<typeof findRecord> }[] {
  if (ctx.args.positionals.length === 0) {
    if (ctx.args.values.scan !== true) throw new UsageError('No devices given.');
    // /proc/mdstat order (newest started first), as the daemon's cluster /mdstat lists them.
    const running = newestStartedFirst(s.state.arrays.filter((a) => a.run === 'running'));
    return running.map((a) => ({ name: a.device, found: findRecord(s, a.device) }));
  }
  return ctx.args.positionals.map((p) => {
    const name = mdName(p);
    if (!name) throw new UsageError(`${p} is not an md device`);
    return { name, found: findRecord(s, name) };
  });
}

/** mdadm --detail --test exit status for one array. */
export function testStatus(view: ArrayState, rec: StateReply['state']['arrays'][number]): number {
  if (rec.run !== 'running') return EXIT.NO_INFO;
  const inSync = view.members.filter((m) => m.flags.includes('in_sync')).length;
  const minimum: Record<string, number> = { raid1: 1, raid4: rec.raidDisks - 1, raid5: rec.raidDisks - 1, raid6: rec.raidDisks - 2, raid10: Math.ceil(rec.raidDisks / 2) };
  if (inSync < (minimum[rec.level] ?? rec.raidDisks)) return EXIT.UNUSABLE;
  return view.degraded > 0 ? EXIT.DEGRADED : EXIT.OK;
}

function clusterSection(s: StateReply, rec: StateReply['state']['arrays'][number]): string {
  const st = s.status;
  const views = st.nodes.map((n) => `${n.id}=${n.role === 'down' ? 'down' : n.id === st.master && !rec.adminReadOnly ? 'writable' : 'read-only'}`).join(' ');
  const sync = rec.sync.action === 'idle' ? 'idle' : `${rec.sync.action} ${rec.sync.doneSectors}/${rec.sync.totalSectors} sectors (term ${rec.sync.term})`;
  return ['', '   Cluster : mdclusterd', `    Master : ${st.master ?? '(none)'} (term ${st.term})`, `Node Views : ${views}`, `Checkpoint : ${sync}`, ''].join('\n');
}

async function detail(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  let s: StateReply;
  try { s = await readState(ctx); } catch (e) { ctx.note(describe(e, 'cannot get the cluster state')); return EXIT.NO_INFO; }
  const targets = arraysNamed(ctx, s);
  let worst = EXIT.OK as number;
  const brief = v.brief === true || (v.scan === true && v.export !== true);
  if (brief) {
    // renderScan takes /proc/mdstat order (newest first) and prints it reversed (oldest first);
    // named arrays print in the order given, as mdadm handles them one by one.
    const views = targets.filter((t) => t.found && t.found.rec.run === 'running').map((t) => t.found!.view);
    if (ctx.args.positionals.length > 0) views.reverse();
    ctx.io.out(renderScan(views, { verbose: ctx.verbose }));
  }
  for (const t of targets) {
    if (!t.found) {
      ctx.note(`cannot open /dev/${t.name}: no such array in this cluster [E_NO_SUCH_ARRAY]`);
      worst = Math.max(worst, v.test ? EXIT.NO_INFO : EXIT.FAIL);
      continue;
    }
    const { rec, view } = t.found;
    if (rec.run !== 'running') {
      // mdadm cannot open a stopped array's device: nothing on stdout, exit 1 (4 with --test).
      ctx.note(`cannot open /dev/${t.name}: the array is stopped in this cluster (mdctl --assemble /dev/${t.name} starts it)`);
      worst = Math.max(worst, v.test ? EXIT.NO_INFO : EXIT.FAIL);
      continue;
    }
    if (v.export === true) ctx.io.out(renderExport(view));
    else if (!brief) ctx.io.out(renderDetail(view, { homehost: homeHost() }) + clusterSection(s, rec));
    if (v.test === true) worst = Math.max(worst, testStatus(view, rec));
  }
  return worst;
}

async function waitSync(ctx: Ctx): Promise<number> {
  const names = ctx.args.positionals.map((p) => mdName(p) ?? (() => { throw new UsageError(`${p} is not an md device`); })());
  if (names.length === 0) throw new UsageError('--wait needs an md device');
  let waited = false;
  for (;;) {
    const s = await readState(ctx);
    const busy = names.filter((n) => { const f = findRecord(s, n); return f && f.rec.sync.action !== 'idle'; });
    if (names.some((n) => !findRecord(s, n))) { ctx.note(`no such array in this cluster [E_NO_SUCH_ARRAY]`); return EXIT.FAIL; }
    if (busy.length === 0) return waited ? EXIT.OK : EXIT.FAIL; // mdadm: 1 when there was nothing to wait for
    waited = true;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function action(ctx: Ctx): Promise<number> {
  const act = String(ctx.args.values.action);
  if (!isSyncAction(act)) throw new UsageError(`--action=${act}: expected check, repair, idle or frozen`);
  const name = ctx.args.positionals[0] ? mdName(ctx.args.positionals[0]) : null;
  if (!name) throw new UsageError('--action needs an md device');
  try {
    await ctx.propose({ command: { op: 'sync-action', device: name, action: act } });
  } catch (e) {
    ctx.note(describe(e, `/dev/${name}: ${act}`));
    return EXIT.FAIL;
  }
  return EXIT.OK;
}
