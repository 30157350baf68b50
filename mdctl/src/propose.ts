// Exactly-once requests from mdctl: each invocation is one client session, each command it sends
// one (client, seq). Owns: the retry rule across connection loss, a daemon restart, E_NOT_LEADER
// and timeouts, and the one outcome the admin is told.
// Invariants:
// - a command keeps its (client, seq) across every retry, on any daemon: the cluster applies it
//   at most once and answers every copy with the recorded outcome (daemon cluster/sessions.ts);
// - an answer from a daemon (success or a refusal) is final; only "no answer" is retried;
// - retries end at the deadline (default MDCTL_PROPOSE_DEADLINE_MS): then the outcome is
//   reported as unknown (E_TIMEOUT), never guessed.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Client, ClientError } from './client.js';
import type { Command } from './commands.js';

/** How long one command may take, retries included (a failover takes well under this). */
export const MDCTL_PROPOSE_DEADLINE_MS = 60_000;
/** One attempt's timeout: a dead master is noticed and the next daemon tried within it. */
export const MDCTL_ATTEMPT_TIMEOUT_MS = 15_000;
/** Pause between attempts: long enough not to spin on a dead socket, short against failover time. */
export const MDCTL_RETRY_PAUSE_MS = 50;
/** Codes that mean "no answer yet": the same request may be asked again. */
const RETRYABLE = new Set(['E_NO_DAEMON', 'E_NOT_LEADER', 'E_NO_LEADER', 'E_NO_QUORUM', 'E_TIMEOUT', 'E_SHUTTING_DOWN', 'E_PROPOSAL_DROPPED']);

export interface ProposeBody {
  command: Command;
  waitAll?: boolean;
  /** Whole deadline for this command, retries included. */
  timeoutMs?: number;
}

export interface ProposeResult {
  index: number;
  md: string;
}

/** This invocation's client id: host, pid and 64 random bits (unique across hosts and restarts). */
export function newClientId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '').slice(0, 24) || 'host';
  return `mdctl.${host}.${process.pid}.${randomBytes(8).toString('hex')}`;
}

export class Proposer {
  private seq = 0;
  private current: Client | null = null;
  private next = 0;

  /**
   * @param sockets the daemons to ask, the local one first (MDCTL_SOCKET may list several,
   * separated by commas: the others are tried when the local daemon does not answer).
   */
  constructor(private readonly sockets: string[], private readonly clientId: string = newClientId(), private readonly log: (msg: string) => void = () => {}) {}

  async propose(body: ProposeBody): Promise<ProposeResult> {
    const session = { client: this.clientId, seq: ++this.seq };
    const deadline = Date.now() + (body.timeoutMs ?? MDCTL_PROPOSE_DEADLINE_MS);
    let last: ClientError | null = null;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      try {
        const c = await this.client();
        const timeoutMs = Math.max(1, Math.min(MDCTL_ATTEMPT_TIMEOUT_MS, deadline - Date.now()));
        return await withTimeout(c.request<ProposeResult>('propose', { command: body.command, session, waitAll: body.waitAll === true, timeoutMs }), timeoutMs + 1000);
      } catch (e) {
        const err = e instanceof ClientError ? e : new ClientError('E_NO_DAEMON', (e as Error).message);
        if (!RETRYABLE.has(err.code)) throw err;
        last = err;
        this.log(`no answer yet (${err.code}: ${err.message}); asking again with the same request`);
        this.drop();
        if (err.code === 'E_NO_DAEMON' || err.code === 'E_SHUTTING_DOWN') {
          this.next = (this.next + 1) % this.sockets.length;
          // Another daemon is asked at once (a dead one is no reason to wait); the pause is only
          // for asking a daemon that was already asked in this round.
          if (this.next !== 0) continue;
        }
        await sleep(Math.min(MDCTL_RETRY_PAUSE_MS * Math.min(attempt + 1, 10), Math.max(0, deadline - Date.now())));
      }
    }
    throw new ClientError('E_TIMEOUT', `no daemon answered within the deadline; whether the change happened is unknown (last: ${last?.message ?? 'none'})`, { session });
  }

  private async client(): Promise<Client> {
    if (this.current) return this.current;
    const c = new Client(this.sockets[this.next]);
    await c.connect();
    this.current = c;
    return c;
  }

  private drop(): void {
    this.current?.close();
    this.current = null;
  }

  close(): void {
    this.drop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new ClientError('E_TIMEOUT', `no reply within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
