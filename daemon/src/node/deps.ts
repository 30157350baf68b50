// The injected dependencies of the node shell: clock, timers, transport, storage, logger.
// Owns: the seams that let the same node code run in production (real sockets, files, kernel)
// and in tests/simulation (in-memory transport, simulated md driver, controllable clock).
// Invariant: the node shell reaches the outside world only through these interfaces.
import type { NodeId } from '../common/types.js';
import type { HostPort } from '../config/hostport.js';
import type { Entry, HardState, RaftRestored, Snapshot } from '../raft/types.js';

export interface Clock {
  /** Monotonic milliseconds (never goes back). */
  monoMs(): number;
  /** Wall-clock milliseconds since the epoch (for logs and writer intervals). */
  wallMs(): number;
}

export interface Timers {
  setInterval(fn: () => void, ms: number): { cancel(): void };
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export type { Logger } from '../log/logger.js';

export interface PeerTransport {
  start(): Promise<void>;
  send(to: NodeId, payload: Uint8Array): void;
  onMessage(handler: (from: NodeId, payload: Uint8Array) => void): void;
  onPeerState(handler: (peer: NodeId, up: boolean) => void): void;
  close(): Promise<void>;
  /**
   * Membership changes (node/peers.ts): start accepting and dialing a new peer, or move a known
   * one to a new address. Optional: a transport without it reaches every node it was built with.
   */
  addPeer?(id: NodeId, addr: HostPort): boolean;
  /** Forget a removed peer: close its links and refuse its connections. */
  removePeer?(id: NodeId): boolean;
}

export interface RaftStorage {
  /** Durable state to restart the Raft core from. */
  restored(): RaftRestored;
  save(batch: { hardState: HardState | null; entries: Entry[]; snapshot: Snapshot | null; mustSync: boolean }): Promise<void>;
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  compact(index: number): Promise<void>;
  close(): Promise<void>;
}

export const systemClock: Clock = {
  monoMs: () => performance.now(),
  wallMs: () => performance.timeOrigin + performance.now(),
};

export const systemTimers: Timers = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    return { cancel: () => clearInterval(h) };
  },
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(h) };
  },
};
