// mdadm's misc-mode array and component actions: --stop/--run/--readonly/--readwrite given
// before the md devices (and --stop --scan: every running array), --wait-clean, and
// --zero-superblock. Owns: choosing the targets, mdadm's notices and exit codes for these.
// Invariants: array changes are replicated commands (ctx.propose), one array at a time, in
// the order given (--scan: /proc/mdstat order, newest started first, as mdadm walks it);
// zeroing goes to the local daemon, which refuses a disk the cluster still uses.
import { newestStartedFirst } from '../../daemon/src/cluster/array-order.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { mdName, UsageError } from './args.js';
import { ClientError } from './client.js';
import type { CommandOf } from './commands.js';
import { Ctx, describe, EXIT } from './context.js';
import { findRecord, readState } from './state.js';

type ArrayCmd = CommandOf<'stop' | 'run' | 'read-only' | 'read-write'>;
const WAIT_CLEAN_POLL_MS = 200;

function arrayOp(v: Ctx['args']['values']): { op: ArrayCmd['op']; done: (md: string) => string | null } | null {
  if (v.stop === true) return { op: 'stop', done: (md) => `stopped ${md}` };
  if (v.run === true) return { op: 'run', done: (md) => `started ${md}` };
  if (v.readonly === true) return { op: 'read-only', done: () => null };
  if (v.readwrite === true) return { op: 'read-write', done: () => null };
  return null;
}

export function isArrayAction(v: Ctx['args']['values']): boolean {
  return arrayOp(v) !== null;
}

/** `mdctl --stop /dev/md0 ...`, `mdctl -Ss`, `--run`, `--readonly`, `--readwrite`. */
export async function arrayAction(ctx: Ctx): Promise<number> {
  const { op, done } = arrayOp(ctx.args.values)!;
  const s = await readState(ctx);
  let names: string[];
  if (ctx.args.positionals.length === 0) {
    if (!(op === 'stop' && ctx.args.values.scan === true)) throw new UsageError('No devices given.');
    names = newestStartedFirst(s.state.arrays.filter((a) => a.run === 'running')).map((a) => a.device);
  } else {
    names = ctx.args.positionals.map((p) => mdName(p) ?? (() => { throw new UsageError(`${p} is not an md device`); })());
  }
  let rc = EXIT.OK as number;
  for (const name of names) {
    const md = `/dev/${name}`;
    if (!findRecord(s, name)) { ctx.note(`error opening ${md}: no such array in this cluster [E_NO_SUCH_ARRAY]`); rc = EXIT.FAIL; continue; }
    try {
      await ctx.propose({ command: { op, device: name } as ArrayCmd });
      const msg = done(md);
      // mdadm 4.2's --stop --scan says nothing per array; named arrays get "stopped /dev/mdN".
      if (msg && (ctx.args.positionals.length > 0 || ctx.verbose)) ctx.info(msg);
    } catch (e) {
      ctx.note(describe(e, `${op} ${md} failed`));
      rc = EXIT.FAIL;
    }
  }
  return rc;
}

/** mdadm's WaitClean: the array's writes are all on disk (md array_state clean, or read-only on this node). */
export function isClean(view: ArrayState | undefined): boolean {
  return view !== undefined && ['clean', 'readonly', 'read-auto'].includes(view.arrayState);
}

/** --wait-clean devices (or --scan: every running array): polls this node's kernel until each is clean. */
export async function waitClean(ctx: Ctx): Promise<number> {
  const s = await readState(ctx);
  const names = ctx.args.positionals.length > 0
    ? ctx.args.positionals.map((p) => mdName(p) ?? (() => { throw new UsageError(`${p} is not an md device`); })())
    : ctx.args.values.scan === true ? s.state.arrays.filter((a) => a.run === 'running').map((a) => a.device) : (() => { throw new UsageError('No devices given.'); })();
  let rc = EXIT.OK as number;
  for (const name of names) {
    const found = findRecord(s, name);
    if (!found || found.rec.run !== 'running') { ctx.note(`/dev/${name} is not an active md array`); rc = EXIT.FAIL; continue; }
    for (;;) {
      const { arrays } = await ctx.read<{ arrays: ArrayState[] }>('kernel', { device: name });
      if (arrays.length === 0) { ctx.note(`/dev/${name} is not an active md array on this node`); rc = EXIT.FAIL; break; }
      if (isClean(arrays[0])) break;
      await new Promise((r) => setTimeout(r, WAIT_CLEAN_POLL_MS));
    }
  }
  return rc;
}

/**
 * --zero-superblock devices: mdadm prints "Unrecognised md component device - X" for a device
 * without one and still exits 0; a busy device is "Couldn't open X for write - not zeroing"
 * (exit 2, mdadm's Kill status).
 */
export async function zeroSuperblocks(ctx: Ctx): Promise<number> {
  if (ctx.args.positionals.length === 0) throw new UsageError('No devices given.');
  const c = await ctx.daemon();
  let rc = EXIT.OK as number;
  for (const p of ctx.args.positionals) {
    if (!p.startsWith('/')) throw new UsageError(`${p} is not a device path`);
    try {
      const r = await c.request<{ result: 'zeroed' | 'none' }>('zero-superblock', { path: p, force: ctx.args.values.force === true });
      if (r.result === 'none') ctx.info(`Unrecognised md component device - ${p}`);
    } catch (e) {
      if (e instanceof ClientError && e.code === 'E_DEVICE_BUSY') {
        // mdadm's line exactly (scripts match it); why the cluster refused it with --verbose.
        const [line, why] = e.message.split(': ', 2);
        ctx.note(line);
        if (why && ctx.verbose) ctx.note(`${p}: ${why} [${e.code}]`);
        rc = Math.max(rc, 2);
        continue;
      }
      ctx.note(describe(e, `cannot zero the superblock of ${p}`));
      rc = Math.max(rc, EXIT.FAIL);
    }
  }
  return rc;
}
