// Control-socket requests from tests and benchmarks, through mdctl's own Client (so the
// harness speaks exactly what mdctl speaks). Owns: per-request deadlines and connection reuse.
// Invariant: a request that times out closes its connection (a late reply can never be taken
// for the answer to a later request), and every request ends within its deadline.
import { Client, ClientError } from '../../../mdctl/src/client.js';
import { withTimeout } from './wait.js';

export { ClientError };

export const DEFAULT_CONTROL_TIMEOUT_MS = 20_000;

/** One reusable control connection to one daemon; reconnects after a failure. */
export class ControlConn {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;

  constructor(readonly socketPath: string) {}

  private async get(timeoutMs: number): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const c = new Client(this.socketPath);
      try {
        await withTimeout(c.connect(), timeoutMs, `connecting to ${this.socketPath}`);
      } catch (e) {
        c.close();
        throw e;
      }
      this.client = c;
      return c;
    })().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  async request<T = unknown>(type: string, body: Record<string, unknown> = {}, timeoutMs = DEFAULT_CONTROL_TIMEOUT_MS): Promise<T> {
    const c = await this.get(timeoutMs);
    try {
      return await withTimeout(c.request<T>(type, body), timeoutMs, `control ${type} on ${this.socketPath}`);
    } catch (e) {
      // A daemon error reply leaves the connection usable; anything else drops it.
      if (!(e instanceof ClientError) || e.code === 'E_NO_DAEMON' || e.code === 'E_TOO_LARGE') this.close();
      throw e;
    }
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}
