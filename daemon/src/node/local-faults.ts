// What this node's kernel says on its own (md events from the driver's watch): a member that
// fails here is proposed faulty for the whole cluster; any other event asks for a reconcile
// pass. Owns: the set of local failures proposed and not yet applied.
// Invariants:
// - Each failed member is proposed once while its proposal is pending; at most
//   NODE_MAX_PENDING_LOCAL_EVENTS are pending (more are dropped: the reconcile loop observes
//   the kernel anyway).
// - Without force: like md itself (which refuses to fail the last in-sync member and marks the
//   array broken instead), the cluster must not record the last in-sync member as faulty - a
//   forced fail there leaves a record no node can assemble from (cluster simulator seeds 35, 42).
import { NODE_MAX_PENDING_LOCAL_EVENTS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { MdEvent } from '../md/types.js';
import type { Logger } from './deps.js';
import type { SubmitOptions } from './requests.js';

/** Time a local failure's proposal may take before it is dropped (the next md event retries). */
const LOCAL_FAULT_TIMEOUT_MS = 10_000;

export interface LocalFaultHooks {
  state(): ClusterState;
  propose(cmd: Command, opts: SubmitOptions): Promise<unknown>;
  requestReconcile(): void;
}

export class LocalFaults {
  /** "device member" pairs proposed faulty by this node and not yet applied. */
  private readonly pending = new Set<string>();

  constructor(private readonly self: NodeId, private readonly hooks: LocalFaultHooks, private readonly logger: Logger) {}

  onMdEvent(ev: MdEvent): void {
    if (ev.type !== 'member-faulty') {
      this.hooks.requestReconcile();
      return;
    }
    const rec = this.hooks.state().arrays.find((a) => a.device === ev.device);
    const m = rec?.members.find((x) => x.path === ev.member || x.localPaths[this.self] === ev.member);
    if (!rec || !m || m.role === 'faulty' || m.role === 'removed') return;
    const key = `${ev.device} ${m.path}`;
    if (this.pending.has(key) || this.pending.size >= NODE_MAX_PENDING_LOCAL_EVENTS) return;
    this.pending.add(key);
    this.logger.warn({ device: ev.device, member: m.path }, 'member failed on this node; proposing it faulty cluster-wide');
    void this.hooks.propose({ op: 'set-faulty', device: ev.device, member: m.path, force: false } as Command, { timeoutMs: LOCAL_FAULT_TIMEOUT_MS })
      .catch((e) => this.logger.warn({ err: (e as Error).message }, 'faulty proposal failed'))
      .finally(() => this.pending.delete(key));
  }
}
