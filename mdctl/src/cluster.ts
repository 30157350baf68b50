// Cluster operations: `mdctl --cluster status | step-down [--to NODE] | confirm DEVICE |
// add-node ID=HOST:PORT | remove-node ID [--force]` (--timeout SECONDS for the last two).
// Owns: their output and exit codes.
import { MEMBERSHIP_MAX_TIMEOUT_MS } from '../../daemon/src/common/limits.js';
import { intOption, UsageError } from './args.js';
import { Ctx, describe, EXIT } from './context.js';
import { readState } from './state.js';

export async function runCluster(ctx: Ctx): Promise<number> {
  const verb = String(ctx.args.values.cluster);
  if (!['status', 'step-down', 'confirm', 'add-node', 'remove-node'].includes(verb)) {
    throw new UsageError(`--cluster ${verb}: expected status, step-down, confirm, add-node or remove-node`);
  }
  const c = await ctx.daemon();
  try {
    switch (verb) {
      case 'status': return await status(ctx);
      case 'step-down': {
        const r = await c.request<{ master: string; term: number; elapsedMs: number }>('step-down', ctx.args.values.to ? { to: String(ctx.args.values.to) } : {});
        ctx.io.out(`master is now ${r.master} (term ${r.term}), handed over in ${r.elapsedMs} ms\n`);
        return EXIT.OK;
      }
      case 'confirm': {
        if (ctx.args.positionals.length === 0) throw new UsageError('--cluster confirm needs a device');
        for (const p of ctx.args.positionals) { await c.request('confirm', { path: p }); ctx.info(`${p} confirmed on this node`); }
        return EXIT.OK;
      }
      case 'add-node': {
        const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+:[0-9]+)$/.exec(ctx.args.positionals[0] ?? '');
        if (!m) throw new UsageError('--cluster add-node needs ID=HOST:PORT');
        const r = await c.request<{ node: string; address: string; steps: string[]; catchUpMs: number; elapsedMs: number }>('add-node', { node: m[1], address: m[2], ...timeoutOf(ctx) });
        ctx.io.out(r.steps.length === 0 ? `${r.node} already is a voting member at ${r.address}\n`
          : `${r.node} (${r.address}) is a voting member: ${r.steps.join(', ')}; caught up in ${r.catchUpMs} ms, ${r.elapsedMs} ms in all\n`);
        return EXIT.OK;
      }
      case 'remove-node': {
        if (!ctx.args.positionals[0]) throw new UsageError('--cluster remove-node needs a node id');
        const r = await c.request<{ node: string; steps: string[]; handedOver: boolean; elapsedMs: number }>('remove-node', { node: ctx.args.positionals[0], force: ctx.args.values.force === true, ...timeoutOf(ctx) });
        ctx.io.out(`${r.node} removed from the cluster (${r.steps.join(', ') || 'nothing left to do'}) in ${r.elapsedMs} ms${r.handedOver ? '; it was the master and handed leadership over: stop its daemon' : ''}\n`);
        return EXIT.OK;
      }
      default: throw new UsageError(`--cluster ${verb}: expected status, step-down, confirm, add-node or remove-node`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    ctx.note(describe(e, `--cluster ${verb}`));
    return EXIT.FAIL;
  }
}

/** --timeout SECONDS for add-node/remove-node (the daemon bounds it); absent: the daemon's default. */
function timeoutOf(ctx: Ctx): { timeoutMs?: number } {
  const seconds = intOption(ctx.args.values.timeout, 'timeout', 1, MEMBERSHIP_MAX_TIMEOUT_MS / 1000);
  return seconds === undefined ? {} : { timeoutMs: seconds * 1000 };
}

async function status(ctx: Ctx): Promise<number> {
  const s = (await readState(ctx)).status;
  const lines = [
    `cluster term ${s.term}, master ${s.master ?? '(none)'}, leader ${s.leader ?? '(none)'}`,
    `this node ${s.node}: ${s.role}${s.writer ? ', writer' : ''}, lease ${s.lease.valid ? `valid for ${(s.lease.endTick ?? 0) - s.lease.nowTick} ticks` : 'not held'}, commit ${s.commitIndex}, applied ${s.appliedIndex}`,
    '',
    'NODE        ROLE      HEALTHY  APPLIED  LAG  ADDRESS',
    ...s.nodes.map((n) => [n.id.padEnd(11), n.role.padEnd(9), (n.healthy ? 'yes' : 'no').padEnd(8), String(n.appliedIndex ?? '-').padStart(7), String(n.appliedIndex === null ? '-' : Math.max(0, s.commitIndex - n.appliedIndex)).padStart(4), n.address].join(' ')),
  ];
  ctx.io.out(lines.join('\n') + '\n');
  return EXIT.OK;
}
