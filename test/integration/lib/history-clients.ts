// Clients for the history test: each has its own session (client id, seq 1, 2, ...), one request
// in flight, and records every operation it invokes. Owns: the retry rule of a test client and
// the operation records.
// Retry rule (the same as mdctl's Proposer): an answer from a daemon (success or a refusal) is
// final; "no answer" (connection lost, E_NOT_LEADER, E_TIMEOUT, no leader, ...) is asked again
// with the SAME (client, seq) through the next node, until HISTORY_OP_DEADLINE_MS: then the
// outcome is recorded as indeterminate (it may or may not have been applied), never guessed.
// Invariants: seqs of one client are consecutive and each is used for exactly one command;
// every record has invoke <= complete (wall ms); at most HISTORY_MAX_OPS records per recorder.
import { writeFileSync } from 'node:fs';
import { ClientError, ControlConn } from './control.js';
import { sleep } from './wait.js';

/** How long one operation may be retried: several failovers (each < 2 s) fit. */
export const HISTORY_OP_DEADLINE_MS = 30_000;
/** One attempt's bound: the daemon's own propose timeout plus transport slack. */
const ATTEMPT_TIMEOUT_MS = 4000;
const ATTEMPT_SLACK_MS = 1000;
/** Pause before asking again: short against a failover, long enough not to spin on a dead socket. */
const RETRY_PAUSE_MS = 50;
/** Records kept per recorder: 40 rounds of ~10 s with 6 clients at ~20 ops/s fit well below. */
export const HISTORY_MAX_OPS = 200_000;
/** Codes that mean "no answer": the same request may be asked again (mdctl/src/propose.ts). */
const RETRYABLE = new Set(['E_NO_DAEMON', 'E_NOT_LEADER', 'E_NO_LEADER', 'E_NO_QUORUM', 'E_TIMEOUT', 'E_SHUTTING_DOWN', 'E_PROPOSAL_DROPPED']);

export const wallNow = (): number => performance.timeOrigin + performance.now();

export type Outcome = 'ok' | 'refused' | 'indeterminate';

export interface OpRecord {
  client: string;
  seq: number;
  command: Record<string, unknown>;
  invokeWallMs: number;
  completeWallMs: number;
  outcome: Outcome;
  /** The daemon's refusal code (refused), or the last no-answer code (indeterminate). */
  code?: string;
  /** Reported log index (ok). */
  index?: number;
  /** Reported md status (ok). */
  md?: string;
  /** Every node asked, in order (the last one answered, if any). */
  nodes: string[];
}

export class HistoryRecorder {
  readonly ops: OpRecord[] = [];
  /** Free-form events (kills, cuts, restarts) with wall times, for a replay of a failure. */
  readonly events: { wallMs: number; what: string }[] = [];

  add(r: OpRecord): void {
    if (this.ops.length >= HISTORY_MAX_OPS) throw new Error(`more than ${HISTORY_MAX_OPS} operations recorded`);
    this.ops.push(r);
  }

  event(what: string): void {
    if (this.events.length < HISTORY_MAX_OPS) this.events.push({ wallMs: wallNow(), what });
  }

  write(path: string, extra: Record<string, unknown> = {}): void {
    writeFileSync(path, JSON.stringify({ ...extra, events: this.events, ops: this.ops }, null, 1));
  }
}

/** One test client: a session, a preferred node order, its own control connections. */
export class HistoryClient {
  private seq = 0;
  private readonly conns = new Map<string, ControlConn>();

  constructor(readonly id: string, private readonly nodes: string[], socketOf: (node: string) => string, private readonly rec: HistoryRecorder) {
    for (const n of nodes) this.conns.set(n, new ControlConn(socketOf(n)));
  }

  /** Proposes `command` exactly once (session client#seq), retrying through the nodes; records it. */
  async propose(command: Record<string, unknown>): Promise<OpRecord> {
    const session = { client: this.id, seq: ++this.seq };
    const rec: OpRecord = { client: this.id, seq: session.seq, command, invokeWallMs: wallNow(), completeWallMs: 0, outcome: 'indeterminate', nodes: [] };
    const deadline = rec.invokeWallMs + HISTORY_OP_DEADLINE_MS;
    let k = 0;
    while (wallNow() < deadline) {
      const node = this.nodes[k % this.nodes.length];
      rec.nodes.push(node);
      try {
        const r = await this.conns.get(node)!.request<{ index: number; md: string }>('propose', { command, session, timeoutMs: ATTEMPT_TIMEOUT_MS }, ATTEMPT_TIMEOUT_MS + ATTEMPT_SLACK_MS);
        Object.assign(rec, { outcome: 'ok', index: r.index, md: r.md, completeWallMs: wallNow() });
        this.rec.add(rec);
        return rec;
      } catch (e) {
        const code = e instanceof ClientError ? e.code : 'E_TIMEOUT';
        if (!RETRYABLE.has(code)) {
          Object.assign(rec, { outcome: 'refused', code, completeWallMs: wallNow() });
          this.rec.add(rec);
          return rec;
        }
        rec.code = code;
        this.conns.get(node)!.close();
        k++;
        await sleep(RETRY_PAUSE_MS);
      }
    }
    rec.completeWallMs = wallNow();
    this.rec.add(rec);
    return rec;
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
  }
}
