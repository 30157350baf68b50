// mdadm's --detail (with --scan, --export, --brief, --test): the mdadm fields of each named
// array from the cluster-wide view (the same text on every node), then a "Cluster" section that
// a script parsing mdadm's fields can ignore. Owns: the targets (--scan: every running array in
// /proc/mdstat order), mdadm's exit codes (--test: 0 ok, 1 degraded, 2 unusable, 4 cannot get
// information). The --export and --brief renderers are loaded only when asked for (start-up
// cost: see main.ts). A named external-metadata array (DDF/IMSM) the cluster does not manage
// is shown from this node's kernel view, without a Cluster section (local-external.ts).
import { renderDetail } from '../../daemon/src/md/format/detail.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { newestStartedFirst } from '../../daemon/src/cluster/array-order.js';
import { mdName, UsageError } from './args.js';
import { describe, EXIT, homeHost, type Ctx } from './context.js';
import { findRecord, readState, type StateReply } from './state.js';

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

export async function detail(ctx: Ctx): Promise<number> {
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
    const { renderScan } = await import('../../daemon/src/md/format/scan.js');
    ctx.io.out(renderScan(views, { verbose: ctx.verbose }));
  }
  for (const t of targets) {
    if (!t.found) {
      // A DDF/IMSM container or volume this node's md holds: mdadm's text from the local view.
      const lx = ctx.args.positionals.length > 0 ? await import('./local-external.js') : null;
      const local = lx === null ? null : await lx.localExternal(ctx, t.name);
      if (lx !== null && local !== null) {
        ctx.io.out(lx.renderLocalExternal(local, v.export === true ? 'export' : brief ? 'brief' : 'detail', ctx.verbose));
        continue;
      }
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
    if (v.export === true) ctx.io.out((await import('../../daemon/src/md/format/export.js')).renderExport(view));
    else if (!brief) ctx.io.out(renderDetail(view, { homehost: homeHost() }) + clusterSection(s, rec));
    if (v.test === true) worst = Math.max(worst, testStatus(view, rec));
  }
  return worst;
}
