// mdadm's grow mode: `mdctl --grow /dev/md0 --bitmap=internal|none`. Each change is one
// replicated command (daemon/src/cluster/grow.ts): the master carries it out on its writable
// array, the standbys re-read the superblocks once it is done.
// Owns: which grow changes the command line asks for, refusing what mdctl cannot do, and
// mdadm's output: nothing on success for a bitmap change; "mdctl: <md's or mdadm's reason>"
// with exit 1 on a refusal.
// Invariant: one change per invocation, as mdadm; nothing is sent before the command line parsed.
import { mdName, UsageError } from './args.js';
import { ClientError } from './client.js';
import type { Command } from './commands.js';
import { Ctx, EXIT } from './context.js';

/** The grow change the command line asks for. */
export function growCommand(ctx: Ctx): Command {
  const v = ctx.args.values;
  const dev = ctx.args.positionals[0];
  if (dev === undefined) throw new UsageError('no devices given.');
  if (ctx.args.positionals.length > 1) throw new UsageError(`--grow takes one md device (got ${ctx.args.positionals[1]} too); use manage mode to add devices`);
  const device = mdName(dev);
  if (!device) throw new UsageError(`${dev} is not an md array`);
  if (v.bitmap !== undefined) {
    const bitmap = String(v.bitmap);
    if (bitmap !== 'internal' && bitmap !== 'none') throw new UsageError(`--bitmap=${bitmap}: a cluster has internal bitmaps or none (no bitmap files)`);
    return { op: 'grow-bitmap', device, bitmap };
  }
  throw new UsageError('no changes to --grow');
}

export async function runGrow(ctx: Ctx): Promise<number> {
  const cmd = growCommand(ctx);
  try {
    await ctx.propose({ command: cmd });
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    // md's or mdadm's own words, as mdadm prints them (mdadm's prefix becomes ours).
    ctx.note(`${e.message.replace(/^mdadm: /, '')} [${e.code}]`);
    return EXIT.FAIL;
  }
  return EXIT.OK;
}
