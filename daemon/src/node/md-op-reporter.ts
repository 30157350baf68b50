// The master's md verdicts on client commands (cluster/md-ops.ts): after a reconcile round the
// master tells the cluster, with an md-done entry, whether md carried out each pending command.
// Owns: deciding done / failed per pending op, the transient-failure count, and not proposing
// the same verdict twice while the first is in flight.
// Invariants:
// - only the writer reports (the reconciler calls in only with the writer role; md-done is
//   fenced by term at apply);
// - an op is 'done' only after a round whose plan, made from a record at or after the op's
//   index, found nothing left to do in the kernel;
// - an op fails on a permanent md error at once, on transient ones after MD_MAX_OP_ATTEMPTS
//   rounds: never an endless retry;
// - attempts and inFlight hold only keys of ops still pending (pruned each report):
//   <= MD_MAX_PENDING_OPS_PER_ARRAY * MD_MAX_ARRAYS.
import { OpError, type ErrorCode } from '../common/errors.js';
import { MD_MAX_OP_ATTEMPTS } from '../common/limits.js';
import type { Term } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import { localPath, type MdAction } from '../cluster/plan.js';
import type { ArrayRecord, PendingMdOp } from '../cluster/types.js';
import type { Logger } from './deps.js';

/** errno values with which md refuses for good (the same request can never succeed as is). */
const PERMANENT_ERRNOS = new Set(['EINVAL', 'ENXIO', 'ENODEV', 'ENOSPC', 'EEXIST', 'EBUSY', 'EROFS', 'EPERM', 'ENOENT', 'EOVERFLOW']);
const PERMANENT_CODES = new Set<ErrorCode>(['E_NO_SUCH_DEVICE', 'E_INVALID_ARGUMENT', 'E_INVALID_STATE', 'E_MDADM_FAILED', 'E_NOT_SUPPORTED', 'E_NO_SUPERBLOCK', 'E_DEVICE_BUSY']);

export function permanentMdError(e: unknown): boolean {
  if (!(e instanceof OpError)) return false;
  if (PERMANENT_CODES.has(e.code)) return true;
  return e.code === 'E_KERNEL' && PERMANENT_ERRNOS.has(String(e.details.errno));
}

const keyOf = (device: string, p: PendingMdOp): string => `${device} ${p.client}#${p.seq}`;

export class MdOpReporter {
  /** op key -> failed rounds so far. */
  private readonly attempts = new Map<string, number>();
  /** op key -> term in which its verdict was proposed (not yet applied); a new term may propose again. */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly node: string, private readonly propose: (cmd: Command) => void, private readonly logger: Logger) {}

  /** The master's plan from the record at `base` found the kernel in line: ops up to `base` are done. */
  converged(rec: ArrayRecord, base: number, term: Term): void {
    this.prune(rec);
    for (const p of rec.pendingMd ?? []) if (p.sinceIndex <= base) this.report(rec, p, term, { ok: true });
  }

  /** An md action of the master failed: the ops it was carrying out fail now (permanent) or after repeated rounds. */
  failed(rec: ArrayRecord, action: MdAction, e: unknown, term: Term): void {
    this.prune(rec);
    const permanent = permanentMdError(e);
    const code: ErrorCode = e instanceof OpError ? e.code : 'E_INTERNAL';
    const message = (e as Error).message;
    for (const p of rec.pendingMd ?? []) {
      if (!this.concerns(rec, p, action)) continue;
      const key = keyOf(rec.device, p);
      const n = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, n);
      if (permanent || n >= MD_MAX_OP_ATTEMPTS) {
        this.logger.warn({ device: rec.device, op: p.op, client: p.client, seq: p.seq, code, err: message, attempts: n }, 'md refused a committed operation; recording it as failed');
        this.report(rec, p, term, { ok: false, code, message });
      }
    }
  }

  /** Whether `action` carries out (part of) the pending op `p`. */
  private concerns(rec: ArrayRecord, p: PendingMdOp, action: MdAction): boolean {
    if ('member' in p.target) {
      const m = rec.members.find((x) => x.path === (p.target as { member: string }).member);
      const path = m ? localPath(m, this.node) : p.target.member;
      if ('member' in action && action.member === path) return true;
      return action.kind === 'replace' && action.with === path;
    }
    switch (action.kind) {
      case 'create': case 'assemble': case 'stop': return p.target.array === 'run';
      case 'read-only': case 'read-write': return p.target.array === 'read-only' || p.target.array === 'run';
      case 'sync-action': return p.target.array === 'sync';
      case 'grow-bitmap': case 'grow-size': case 'grow-raid-devices': case 'grow-chunk': return p.target.array === 'grow';
      default: return false;
    }
  }

  private report(rec: ArrayRecord, p: PendingMdOp, term: Term, verdict: { ok: true } | { ok: false; code: ErrorCode; message: string }): void {
    const key = keyOf(rec.device, p);
    if (this.inFlight.get(key) === term) return;
    this.inFlight.set(key, term);
    this.propose({
      op: 'md-done', device: rec.device, term, client: p.client, seq: p.seq, ok: verdict.ok,
      ...(verdict.ok ? {} : { code: verdict.code, message: verdict.message.slice(0, 200) }),
    } as Command);
  }

  /** Forgets ops of `rec` that are no longer pending (settled or superseded). */
  private prune(rec: ArrayRecord): void {
    const live = new Set((rec.pendingMd ?? []).map((p) => keyOf(rec.device, p)));
    const prefix = `${rec.device} `;
    for (const k of [...this.inFlight.keys()]) if (k.startsWith(prefix) && !live.has(k)) this.inFlight.delete(k);
    for (const k of [...this.attempts.keys()]) if (k.startsWith(prefix) && !live.has(k)) this.attempts.delete(k);
  }
}
