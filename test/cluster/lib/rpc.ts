// Host side of the guest-agent protocol (guest/protocol.ts): one client per guest incarnation.
// Owns: writing request files atomically into the bus dir, waiting for the response file, and
// turning a missing answer into a clear error (timeout, or the guest ended).
// Invariants: each request id is used once; a call resolves or rejects within its timeout
// plus RPC_GRACE_MS; a guest that ended (qemu exited) fails every pending call at once.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  busLayout, parseResponse, type AgentRequest, type ClockResult, type DaemonAction, type DaemonResult, type ExecResult, type HttpResult, type UnitRecord, type WaitFileResult,
} from '../guest/protocol.js';

/** Time on top of a request's own bound for the agent to pick it up and answer. */
const RPC_GRACE_MS = 15_000;
/** How often the host looks for a response file (a local directory: cheap). */
const RPC_POLL_MS = 2;

/** A request without its id (distributive over the union, so each kind keeps its fields). */
type RequestBody = AgentRequest extends infer R ? (R extends AgentRequest ? Omit<R, 'id'> : never) : never;
type Body<K extends AgentRequest['kind']> = Extract<RequestBody, { kind: K }>;

export class AgentClient {
  private seq = 0;

  constructor(
    private readonly busDir: string,
    readonly node: number,
    readonly incarnation: number,
    /** False once the guest's qemu exited. */
    private readonly alive: () => boolean,
  ) {}

  private newId(): string {
    this.seq += 1;
    return `r${this.seq.toString().padStart(6, '0')}`;
  }

  private post(req: AgentRequest): void {
    const dir = join(this.busDir, busLayout.reqDir(this.node, this.incarnation));
    const tmp = join(dir, `.${req.id}.tmp`);
    writeFileSync(tmp, JSON.stringify(req));
    renameSync(tmp, join(dir, `${req.id}.json`));
  }

  /** Sends a request and resolves with the agent's result; rejects with the agent's error. */
  call<T>(body: RequestBody, boundMs: number): Promise<T> {
    return this.begin<T>(body, boundMs).result;
  }

  /** Sends a request; `result` settles with the answer (the id allows a cancel). */
  begin<T>(body: RequestBody, boundMs: number): { id: string; result: Promise<T> } {
    const id = this.newId();
    this.post({ ...body, id } as AgentRequest);
    return { id, result: this.await<T>(id, body.kind, boundMs) };
  }

  private async await<T>(id: string, kind: string, boundMs: number): Promise<T> {
    const respPath = join(this.busDir, busLayout.respDir(this.node, this.incarnation), `${id}.json`);
    const deadline = performance.now() + boundMs + RPC_GRACE_MS;
    for (;;) {
      if (existsSync(respPath)) {
        const resp = parseResponse(readFileSync(respPath, 'utf8'));
        try { unlinkSync(respPath); } catch { /* already gone */ }
        if (resp === null) throw new Error(`node${this.node}: malformed response to ${kind} ${id}`);
        if (!resp.ok) throw new Error(`node${this.node}: ${kind} failed: ${resp.error}`);
        return resp.result as T;
      }
      if (!this.alive()) throw new Error(`node${this.node} (incarnation ${this.incarnation}) ended before answering ${kind} ${id}`);
      if (performance.now() > deadline) throw new Error(`node${this.node}: no answer to ${kind} ${id} within ${boundMs + RPC_GRACE_MS} ms`);
      await new Promise((r) => setTimeout(r, RPC_POLL_MS));
    }
  }

  /** Sends a request that gets no answer (exit, or a command that crashes the guest). */
  send(body: RequestBody): void {
    this.post({ ...body, id: this.newId() } as AgentRequest);
  }

  exec(argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
    return this.call<ExecResult>({ kind: 'exec', argv, timeoutMs } satisfies Body<'exec'>, timeoutMs);
  }

  http(path: string, timeoutMs = 10_000): Promise<HttpResult> {
    return this.call<HttpResult>({ kind: 'http', path, timeoutMs } satisfies Body<'http'>, timeoutMs);
  }

  waitFile(path: string, pattern: string, timeoutMs: number, intervalMs = 5): Promise<WaitFileResult> {
    return this.call<WaitFileResult>({ kind: 'wait-file', path, pattern, intervalMs, timeoutMs } satisfies Body<'wait-file'>, timeoutMs);
  }

  /** A long poll that can be cancelled (e.g. on the standby that did not become master). */
  beginWaitFile(path: string, pattern: string, timeoutMs: number, intervalMs = 5): { id: string; result: Promise<WaitFileResult> } {
    return this.begin<WaitFileResult>({ kind: 'wait-file', path, pattern, intervalMs, timeoutMs } satisfies Body<'wait-file'>, timeoutMs);
  }

  async cancel(target: string): Promise<boolean> {
    return (await this.call<{ cancelled: boolean }>({ kind: 'cancel', target } satisfies Body<'cancel'>, 5_000)).cancelled;
  }

  /** Reboots the guest at once (sysrq b); resolves with its wall clock just before. */
  crash(): Promise<ClockResult> {
    return this.call<ClockResult>({ kind: 'crash' } satisfies Body<'crash'>, 5_000);
  }

  clock(): Promise<ClockResult> {
    return this.call<ClockResult>({ kind: 'clock' } satisfies Body<'clock'>, 5_000);
  }

  /** The unit's start/stop/kill/reload; a stop may take TimeoutStopSec plus ExecStopPost (a node start on TCG). */
  daemon(action: DaemonAction): Promise<DaemonResult> {
    return this.call<DaemonResult>({ kind: 'daemon', action } satisfies Body<'daemon'>, 180_000);
  }

  unit(): Promise<UnitRecord> {
    return this.call<UnitRecord>({ kind: 'unit' } satisfies Body<'unit'>, 10_000);
  }
}
