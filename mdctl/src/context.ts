// What every mdctl mode gets: parsed arguments, output streams, the daemon client, and the
// mdadm-style error type. Owns: message formatting (`mdctl: ...`) and exit codes.
import { hostname } from 'node:os';
import { verbosity, type ParsedArgs } from './args.js';
import { Client, ClientError, socketPaths } from './client.js';
import type { Proposer, ProposeBody, ProposeResult } from './propose.js';

/** mdadm's exit codes. */
export const EXIT = { OK: 0, FAIL: 1, USAGE: 2, DEGRADED: 1, UNUSABLE: 2, NO_INFO: 4 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export class Ctx {
  private client: Client | null = null;
  private proposer: Proposer | null = null;
  constructor(readonly args: ParsedArgs, readonly io: Io) {}

  private sockets(): string[] {
    return socketPaths(this.args.values.socket as string | undefined, this.io.env);
  }

  /** The first listed daemon that accepts a connection (the local one first; MDCTL_SOCKET may list others). */
  async daemon(): Promise<Client> {
    if (this.client) return this.client;
    let first: unknown = null;
    for (const path of this.sockets()) {
      const c = new Client(path);
      try {
        await c.connect();
        this.client = c;
        return c;
      } catch (e) {
        first ??= e;
        c.close();
      }
    }
    throw first;
  }

  /**
   * A read-only request (state, kernel view), asked again through the next listed daemon when the
   * one asked goes away mid-request (E_NO_DAEMON): a read changes nothing, so asking again is
   * always safe. Each daemon gets at most two tries.
   */
  async read<T>(type: string, body: Record<string, unknown> = {}): Promise<T> {
    const tries = this.sockets().length * 2;
    for (let i = 1; ; i++) {
      try {
        return await (await this.daemon()).request<T>(type, body);
      } catch (e) {
        if (!(e instanceof ClientError) || e.code !== 'E_NO_DAEMON' || i >= tries) throw e;
        this.client?.close();
        this.client = null;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /**
   * Proposes a command exactly once (this invocation's session; retried through the listed
   * daemons on connection loss, E_NOT_LEADER or a timeout) and waits for md's result.
   */
  async propose(body: ProposeBody): Promise<ProposeResult> {
    // Loaded only by the modes that change something (start-up cost: see main.ts).
    if (this.proposer === null) {
      const { Proposer: P } = await import('./propose.js');
      this.proposer ??= new P(this.sockets(), undefined, (m) => { if (this.verbose) this.note(m); });
    }
    return this.proposer.propose(body);
  }

  close(): void {
    this.client?.close();
    this.proposer?.close();
  }
  /** mdadm prints its notices on stderr as "mdadm: ..."; ours say "mdctl: ...". */
  note(msg: string): void {
    this.io.err(`mdctl: ${msg}\n`);
  }
  /** A notice of success ("array started"), which --quiet silences as mdadm's does; errors use note(). */
  info(msg: string): void {
    if (verbosity(this.args.values) >= 0) this.note(msg);
  }
  get verbose(): boolean {
    return verbosity(this.args.values) > 0;
  }
}

/** mdadm's HOMEHOST default: this host's name ("Name : host:0  (local to host host)"). */
export function homeHost(): string {
  return hostname();
}

/** Formats a daemon error as mdadm would: what failed, on which device, and why (with the code). */
export function describe(e: unknown, what: string): string {
  if (e instanceof ClientError) return `${what}: ${e.message} [${e.code}]`;
  return `${what}: ${(e as Error).message}`;
}
