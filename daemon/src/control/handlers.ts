// Dispatch of control requests to the node: propose, read state, mdstat, kernel views,
// examine, zero-superblock, subscribe, step-down, membership (add-node/remove-node: node/membership.ts), device
// confirmation.
// Owns: validation of each request's fields (with E_BAD_REQUEST naming the field) and the
// translation of results and errors. Invariants: a request that fails validation reaches
// neither Raft nor the md driver; the node is read only through its read model (node.view(),
// node/view.ts), and the step-down is the node's one hand-over (node/handover.ts).
import { OpError } from '../common/errors.js';
import { isNodeId, type NodeId } from '../common/types.js';
import { parseCommand } from '../cluster/commands.js';
import { isSessionRef } from '../cluster/sessions.js';
import type { SubmitOptions } from '../node/requests.js';
import { MEMBERSHIP_DEFAULT_TIMEOUT_MS, MEMBERSHIP_MAX_TIMEOUT_MS } from '../common/limits.js';
import { parseHostPort } from '../config/hostport.js';
import { clusterArrayView } from '../cluster/view.js';
import type { ClusterNode } from '../node/node.js';
import type { MdDriver } from '../md/driver.js';
import { readOrNull } from '../node/reconcile.js';
import { clusterMdstat, statusJson } from '../status/source.js';
import type { ControlConnection, Handler } from './server.js';

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_TIMEOUT_MS = 600_000;

function field<T>(req: Record<string, unknown>, name: string, ok: (v: unknown) => v is T, what: string): T {
  const v = req[name];
  if (!ok(v)) throw new OpError('E_BAD_REQUEST', `${name}: expected ${what}`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const isPath = (v: unknown): v is string => isString(v) && v.startsWith('/') && !/[\s\0]/.test(v);
const optional = <T>(ok: (v: unknown) => v is T) => (v: unknown): v is T | undefined => v === undefined || ok(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isTimeout = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_TIMEOUT_MS;
const isNodeIdValue = (v: unknown): v is NodeId => isNodeId(v);
const isAddress = (v: unknown): v is string => isString(v) && parseHostPort(v) !== null;
const isMembershipTimeout = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MEMBERSHIP_MAX_TIMEOUT_MS;

function membershipTimeout(req: Record<string, unknown>): number {
  return field(req, 'timeoutMs', optional(isMembershipTimeout), `milliseconds up to ${MEMBERSHIP_MAX_TIMEOUT_MS}`) ?? MEMBERSHIP_DEFAULT_TIMEOUT_MS;
}

export interface HandlerDeps {
  node: ClusterNode;
  /** Whether this node sees a block device (md-cluster's --cluster-confirm). */
  seesDevice(path: string): Promise<boolean>;
  /** Wraps each client proposal (the daemon times it for mdclusterd_commit_latency_seconds). */
  timeProposal?: <T>(p: Promise<T>) => Promise<T>;
}

export function makeHandler({ node, seesDevice, timeProposal }: HandlerDeps): Handler {
  return async (req, conn) => {
    switch (req.type) {
      case 'propose': return timeProposal ? timeProposal(propose(node, req)) : propose(node, req);
      case 'state': {
        const local = field(req, 'local', optional(isBool), 'a boolean') ?? false;
        await node.readState({ local, timeoutMs: DEFAULT_TIMEOUT_MS });
        const view = node.view();
        // The session table is the state machine's bookkeeping, not the admin's view: left out.
        const { sessions: _sessions, ...state } = view.state;
        return { status: statusJson(view), state, views: view.state.arrays.map(clusterArrayView) };
      }
      case 'mdstat': {
        const local = field(req, 'local', optional(isBool), 'a boolean') ?? false;
        if (local) return { text: await node.deps.driver.readMdstat() };
        await node.readState({ local: false, timeoutMs: DEFAULT_TIMEOUT_MS });
        return { text: clusterMdstat(node.view()) };
      }
      case 'kernel': {
        const device = field(req, 'device', optional(isString), 'an md device name');
        const names = device ? [device.replace(/^\/dev\//, '')] : await node.deps.driver.listArrays();
        const arrays = [];
        for (const n of names) { const a = await readOrNull(node.deps.driver, n); if (a) arrays.push(a); }
        return { arrays };
      }
      case 'examine': return examine(node.deps.driver, field(req, 'path', isPath, 'an absolute device path'));
      case 'zero-superblock': {
        const path = field(req, 'path', isPath, 'an absolute device path');
        const force = field(req, 'force', optional(isBool), 'a boolean') ?? false;
        return zeroSuperblock(node, path, force);
      }
      case 'subscribe': return subscribe(node, req.id, conn);
      case 'step-down': {
        const to = field(req, 'to', optional((v): v is NodeId => isNodeId(v)), 'a node id');
        return node.stepDown({ to, timeoutMs: DEFAULT_TIMEOUT_MS, resumeOnFailure: true });
      }
      case 'confirm': {
        const path = field(req, 'path', isPath, 'an absolute device path');
        if (!(await seesDevice(path))) throw new OpError('E_NO_SUCH_DEVICE', `${path} is not visible on node ${node.settings.id}`, { path });
        return proposeCommand(node, { op: 'device-seen', node: node.settings.id, path }, { timeoutMs: DEFAULT_TIMEOUT_MS });
      }
      case 'add-node': {
        const id = field(req, 'node', isNodeIdValue, 'a node id');
        const address = field(req, 'address', isAddress, 'a peer address "host:port"');
        return node.membership.addNode(id, address, membershipTimeout(req));
      }
      case 'remove-node': {
        const id = field(req, 'node', isNodeIdValue, 'a node id');
        const force = field(req, 'force', optional(isBool), 'a boolean') ?? false;
        return node.membership.removeNode(id, { timeoutMs: membershipTimeout(req), force });
      }
      default: throw new OpError('E_BAD_REQUEST', `unknown request type ${JSON.stringify(req.type)}`);
    }
  };
}

async function propose(node: ClusterNode, req: Record<string, unknown>): Promise<unknown> {
  const timeoutMs = field(req, 'timeoutMs', optional(isTimeout), `milliseconds up to ${MAX_TIMEOUT_MS}`) ?? DEFAULT_TIMEOUT_MS;
  const waitAll = field(req, 'waitAll', optional(isBool), 'a boolean') ?? false;
  const waitMd = field(req, 'waitMd', optional(isBool), 'a boolean') ?? true;
  const session = field(req, 'session', optional(isSessionRef), 'a session {client, seq} (client: 1-64 of A-Z a-z 0-9 : . _ -, seq >= 1)');
  return proposeCommand(node, req.command, { timeoutMs, waitAll, waitMd, session });
}

/** Only client commands come from outside: the node's own entries (observe, checkpoint, master, md-done) never do. */
const INTERNAL_OPS = new Set(['observe', 'checkpoint', 'master', 'master-cleared', 'alerts-sent', 'md-done']);

async function proposeCommand(node: ClusterNode, raw: unknown, opts: SubmitOptions): Promise<unknown> {
  const parsed = parseCommand(raw);
  if (!parsed.ok) throw new OpError('E_BAD_REQUEST', `command.${parsed.message}`);
  if (INTERNAL_OPS.has(parsed.command.op)) throw new OpError('E_BAD_REQUEST', `command.op: ${parsed.command.op} is the daemon's own entry, not a request`);
  const cmd = parsed.command;
  for (const device of 'device' in cmd ? [cmd.device] : 'from' in cmd ? [cmd.from, cmd.to] : []) {
    await refuseExternal(node.view().state.arrays, node.deps.driver, device);
  }
  const out = await node.propose(parsed.command, opts);
  if (!out.ok) throw new OpError(out.code, out.message, { index: out.index, md: out.md });
  return { index: out.index, md: out.md ?? 'none' };
}

/**
 * Refuses a command naming an array the cluster does not manage but this node's md holds with
 * external metadata (a DDF/IMSM container or a volume in one): cluster operations work on
 * md-native arrays only, and without this the answer would be a bare "no such array".
 */
export async function refuseExternal(managed: readonly { device: string }[], driver: MdDriver, device: string): Promise<void> {
  if (managed.some((a) => a.device === device)) return;
  const names = await driver.listArrays().catch(() => [] as string[]);
  if (!names.includes(device)) return;
  const local = await readOrNull(driver, device).catch(() => null); // unreadable: validation answers
  if (local === null || !local.metadataVersion.startsWith('external:')) return;
  const what = local.level === 'container' ? `a ${local.external?.format ?? 'external'} container` : `a volume in ${local.external?.container ? `/dev/${local.external.container}` : 'an external container'}`;
  throw new OpError('E_EXTERNAL_METADATA', `/dev/${device} is ${what} (metadata ${local.metadataVersion}): cluster operations on external-metadata (DDF/IMSM) arrays are not supported yet`, { device, metadata: local.metadataVersion });
}

/**
 * mdadm --examine's source: the component's v1.x superblock ({superblock}), else its 0.90 one
 * ({superblock090}) where the driver reads 0.90; a disk of a DDF container is refused with
 * E_EXTERNAL_METADATA (not examined, assembled or added by mdctl yet); without any of them,
 * the v1 reader's error.
 */
export async function examine(driver: MdDriver, path: string): Promise<unknown> {
  try {
    return { superblock: await driver.readSuperblock(path) };
  } catch (e) {
    if (!(e instanceof OpError) || e.code !== 'E_NO_SUPERBLOCK') throw e;
    const old = await driver.readSuperblock090?.(path).catch(() => null) ?? null;
    if (old !== null) return { superblock090: old };
    const ddf = await driver.readDdf?.(path).catch(() => null) ?? null;
    if (ddf !== null) {
      throw new OpError('E_EXTERNAL_METADATA', `${path} carries DDF metadata (container UUID ${ddf.containerUuid}): mdctl does not examine, assemble or add external-metadata disks yet`, { path });
    }
    throw e;
  }
}

/**
 * mdadm --zero-superblock on this node's view of a shared disk. The cluster's record decides
 * whether the disk is still in use, not only this kernel: a member of a running array is never
 * zeroed; a member of a stopped array only with --force (it would otherwise come back at the
 * next assemble). Not replicated: the superblock is on the disk, written once, by this node.
 */
async function zeroSuperblock(node: ClusterNode, path: string, force: boolean): Promise<unknown> {
  const driver = node.deps.driver;
  if (driver.zeroSuperblock === undefined) throw new OpError('E_NOT_SUPPORTED', `the ${driver.kind} md driver cannot zero superblocks`);
  await node.readState({ local: false, timeoutMs: DEFAULT_TIMEOUT_MS });
  // Only a disk that still carries the array's superblock is that array's (a zeroed or reused
  // disk is not, whatever the record remembers).
  const onDisk = await driver.readSuperblock(path).then((sb) => sb.setUuid, () => null);
  for (const a of node.view().state.arrays) {
    if (onDisk !== a.uuid || !a.members.some((m) => m.path === path && m.role !== 'removed')) continue;
    if (a.run === 'running' || !force) {
      throw new OpError('E_DEVICE_BUSY', `Couldn't open ${path} for write - not zeroing: it is a member of /dev/${a.device} (${a.run})${a.run === 'running' ? '' : ', --force zeroes it anyway'}`, { path });
    }
  }
  return { result: await driver.zeroSuperblock(path) };
}

function subscribe(node: ClusterNode, id: number, conn: ControlConnection): unknown {
  const unsubscribe = node.events.subscribe((event) => {
    if (!conn.push({ v: 1, id, event })) unsubscribe();
  });
  conn.onClose(unsubscribe);
  return { subscribed: true, status: statusJson(node.view()) };
}
