// mdadm's misc mode: --detail (with --scan, --export, --brief, --test, --verbose), --examine,
// --query, --wait and --action. Owns: choosing the operation and mdadm's exit codes for --wait
// and --action; --detail is misc-detail.ts, --examine/--query inspect.ts, the array actions
// misc-arrays.ts, each loaded with import() only when asked for (start-up cost: see main.ts).
import { mdName, UsageError } from './args.js';
import { describe, EXIT, type Ctx } from './context.js';
import { findRecord, readState } from './state.js';

export async function runMisc(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  if (v.detail) return (await import('./misc-detail.js')).detail(ctx);
  if (v.examine) return (await import('./inspect.js')).examine(ctx);
  if (v['examine-bitmap']) { ctx.note('--examine-bitmap is not supported yet (the daemon reads no bitmap superblock)'); return EXIT.FAIL; }
  const arrays = await import('./misc-arrays.js');
  if (v['zero-superblock']) return arrays.zeroSuperblocks(ctx);
  if (v['wait-clean']) return arrays.waitClean(ctx);
  if (arrays.isArrayAction(v)) return arrays.arrayAction(ctx);
  if (v.query) return (await import('./inspect.js')).query(ctx);
  if (v.wait) return waitSync(ctx);
  if (v.action !== undefined) return action(ctx);
  throw new UsageError('no misc operation');
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
  if (!(await import('./commands.js')).isSyncAction(act)) throw new UsageError(`--action=${act}: expected check, repair, idle or frozen`);
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
