// mdadm's manage mode: `mdctl /dev/md0 --fail /dev/sdb1 --remove /dev/sdb1 --add /dev/sdc1`,
// applied left to right, each operation a replicated command that the daemon commits and
// applies before the next one starts. Owns: resolving the words `failed` and `detached`,
// choosing add vs re-add as mdadm does (re-add only for a device whose superblock says it was
// an active member of this array), refusing an impossible --re-add, and mdadm's notices.
// Invariant: an operation is sent only after the whole command line parsed; the first failure
// stops the sequence (exit 1) with a message naming the device, the reason and the code.
import type { ManageOp } from './args.js';
import type { SuperblockInfo } from '../../daemon/src/md/types.js';
import { mdName, UsageError } from './args.js';
import { Ctx, describe, EXIT } from './context.js';
import { externalMetadataNote, findRecord, readState, type StateReply } from './state.js';
import type { CommandOf } from './commands.js';

/** The commands manage mode sends: per member, or array-wide (no member). */
type Cmd = CommandOf<'set-faulty' | 'hot-remove' | 'hot-add' | 're-add' | 'add-spare' | 'write-mostly' | 'replace' | 'read-only' | 'read-write' | 'run' | 'stop'>;

export async function runManage(ctx: Ctx): Promise<number> {
  const device = mdName(ctx.args.device!);
  if (!device) throw new UsageError(`${ctx.args.device} is not an md device`);
  const ops = pairReplace(ctx.args.ops);
  for (const { op, devices } of ops) {
    if (needsDevices(op) && devices.length === 0) throw new UsageError(`--${op} needs at least one device`);
    if (!needsDevices(op) && devices.length > 0) throw new UsageError(`--${op} takes no device (got ${devices[0]})`);
  }
  let changed = 0;
  for (const { op, devices, withDevices } of ops) {
    const state = await readState(ctx);
    const found = findRecord(state, device);
    if (!found) {
      ctx.note(await externalMetadataNote(ctx, device) ?? `/dev/${device} is not an array managed by this cluster [E_NO_SUCH_ARRAY]`);
      return EXIT.FAIL;
    }
    if (found.rec.run === 'stopped' && op !== 'run' && op !== 'stop') {
      ctx.note(`Cannot get array info for /dev/${device}: the array is stopped in this cluster (mdctl --assemble /dev/${device} starts it) [E_INVALID_STATE]`);
      return EXIT.FAIL;
    }
    const targets = expand(op, devices, state, device);
    const readdable = op === 'add' || op === 're-add' ? await readdableMembers(ctx, found.rec, targets) : new Set<string>();
    if (op === 're-add') {
      const refused = targets.find((m) => !readdable.has(m));
      if (refused !== undefined) {
        const why = found.rec.bitmap === 'internal' ? 'it was not an active member of this array' : 'the array has no write-intent bitmap (use --add)';
        ctx.note(`--re-add for ${refused} to /dev/${device} is not possible: ${why}`);
        return EXIT.FAIL;
      }
    }
    for (const [cmd, done] of commandsFor(op, device, targets, withDevices, ctx.args.values.force === true, state, readdable)) {
      try {
        if (cmd.op === 'hot-add' || cmd.op === 'add-spare' || cmd.op === 're-add') await confirmLocally(ctx, cmd.member);
        await ctx.propose({ command: cmd, waitAll: ctx.args.values['wait-all'] === true });
        changed++;
        const said = cmd.op === 're-add' ? await readdOutcome(ctx, device, cmd.member) : done;
        if (said) ctx.info(said);
      } catch (e) {
        const member = 'member' in cmd ? cmd.member : null;
        ctx.note(describe(e, `${opVerb(op)} ${member ?? `/dev/${device}`}${member ? ` in /dev/${device}` : ''} failed`));
        return EXIT.FAIL;
      }
    }
  }
  return ctx.args.values.test === true && changed === 0 ? 2 : EXIT.OK;
}

const needsDevices = (op: ManageOp): boolean => !['readwrite', 'readonly', 'run', 'stop'].includes(op);
const opVerb = (op: ManageOp): string => ({ fail: 'set faulty', 'set-faulty': 'set faulty', remove: 'hot remove', add: 'add', 're-add': 're-add', 'add-spare': 'add spare' } as Record<string, string>)[op] ?? op;

/** `--replace X --with Y` becomes one replace operation. */
function pairReplace(ops: Ctx['args']['ops']): { op: ManageOp; devices: string[]; withDevices: string[] }[] {
  const out: { op: ManageOp; devices: string[]; withDevices: string[] }[] = [];
  for (const o of ops) {
    if (o.op === 'with') {
      const prev = out[out.length - 1];
      if (!prev || prev.op !== 'replace') throw new UsageError('--with must follow --replace');
      prev.withDevices.push(...o.devices);
      continue;
    }
    out.push({ op: o.op, devices: [...o.devices], withDevices: [] });
  }
  for (const o of out) if (o.op === 'replace' && o.withDevices.length > o.devices.length) throw new UsageError('more --with devices than --replace devices');
  return out;
}

/** The words `failed` (faulty members) and `detached` (members this node cannot see). */
function expand(op: ManageOp, devices: string[], state: StateReply, device: string): string[] {
  const rec = findRecord(state, device)!.rec;
  const out: string[] = [];
  for (const d of devices) {
    if (d === 'failed' && (op === 'remove')) out.push(...rec.members.filter((m) => m.role === 'faulty').map((m) => m.path));
    else if (d === 'detached' && (op === 'remove' || op === 'fail' || op === 'set-faulty')) out.push(...rec.members.filter((m) => m.role !== 'removed' && m.deviceUuid === null && m.descNumber < 0).map((m) => m.path));
    else out.push(d);
  }
  return out;
}

/**
 * The devices md would take back with a re-add (mdadm Manage_add's test): the cluster remembers
 * them as members that left (removed or faulty, superblock known), their superblock says they
 * were an active member of this array, and the array has a write-intent bitmap (without one md
 * refuses a member whose events fell behind; mdadm then falls back to a fresh add, which the
 * cluster cannot do after the command committed). Any other device is added fresh.
 */
async function readdableMembers(ctx: Ctx, rec: StateReply['state']['arrays'][number], devices: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const c = await ctx.daemon();
  for (const d of devices) {
    const old = rec.members.find((x) => x.path === d);
    if (rec.bitmap !== 'internal' || !old || (old.role !== 'removed' && old.role !== 'faulty') || old.deviceUuid === null) continue;
    try {
      const { superblock: sb } = await c.request<{ superblock: SuperblockInfo }>('examine', { path: d });
      const role = sb.devNumber < sb.devRoles.length ? sb.devRoles[sb.devNumber] : 0xffff;
      if (sb.setUuid === rec.uuid && role < rec.raidDisks) out.add(d);
    } catch { /* no readable superblock: a fresh add */ }
  }
  return out;
}

function commandsFor(op: ManageOp, device: string, devices: string[], withDevices: string[], force: boolean, state: StateReply, readdable: ReadonlySet<string>): [Cmd, string | null][] {
  const rec = findRecord(state, device)!.rec;
  const md = `/dev/${device}`;
  switch (op) {
    case 'fail': case 'set-faulty': return devices.map((m) => [{ op: 'set-faulty', device, member: m, force }, `set ${m} faulty in ${md}`]);
    case 'remove': return devices.map((m) => [{ op: 'hot-remove', device, member: m }, `hot removed ${m} from ${md}`]);
    case 'add': return devices.map((m) => (readdable.has(m) ? [{ op: 're-add', device, member: m }, `re-added ${m}`] : [{ op: 'hot-add', device, member: m }, `added ${m}`]));
    case 're-add': return devices.map((m) => [{ op: 're-add', device, member: m }, `re-added ${m}`]);
    case 'add-spare': return devices.map((m) => [{ op: 'add-spare', device, member: m }, `added ${m}`]);
    case 'write-mostly': return devices.map((m) => [{ op: 'write-mostly', device, member: m, on: true }, null]);
    case 'replace': return devices.map((m, i) => [{ op: 'replace', device, member: m, with: withDevices[i] ?? findSpare(rec, m) }, `marked ${m} (device ${i}) in ${md} for replacement`]);
    case 'readonly': return [[{ op: 'read-only', device }, null]];
    case 'readwrite': return [[{ op: 'read-write', device }, null]];
    case 'run': return [[{ op: 'run', device }, `started ${md}`]];
    case 'stop': return [[{ op: 'stop', device }, `stopped ${md}`]];
    case 'with': return [];
  }
}

function findSpare(rec: StateReply['state']['arrays'][number], member: string): string {
  const spare = rec.members.find((m) => m.role === 'spare' && m.replacementFor === null);
  if (!spare) throw new UsageError(`no spare to replace ${member} with: give --with DEVICE`);
  return spare.path;
}

const READD_OUTCOME_POLLS = 25;
const READD_OUTCOME_POLL_MS = 200;

/**
 * What a re-add became, said truthfully: md takes a re-added device back into its old slot
 * (mdadm "re-added"), or, when its bitmap cannot cover the gap, as a spare for a full
 * recovery (then mdctl says "added"). Waits (bounded) for the master's observation to settle
 * the member's role; still pending at the bound, it says "re-added" as mdadm would.
 */
async function readdOutcome(ctx: Ctx, device: string, member: string): Promise<string> {
  for (let i = 0; i < READD_OUTCOME_POLLS; i++) {
    const m = findRecord(await readState(ctx), device)?.rec.members.find((x) => x.path === member);
    if (!m) break;
    if (m.pendingAdd === null) return m.role === 'spare' ? `added ${member}` : `re-added ${member}`;
    await new Promise((r) => setTimeout(r, READD_OUTCOME_POLL_MS));
  }
  return `re-added ${member}`;
}

/** mdadm --add on a clustered array needs the device confirmed; this node confirms what it sees. */
async function confirmLocally(ctx: Ctx, path: string): Promise<void> {
  const c = await ctx.daemon();
  try { await c.request('confirm', { path }); } catch { /* the daemon's add will say what is missing */ }
}
