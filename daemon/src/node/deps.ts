// The injected dependencies of the node shell: clock, timers, transport, storage, logger, the
// md driver, files (writer-log appends), the fence command runner and the fatal handler.
// Owns: the seams that let the same node code run in production (real sockets, files, kernel)
// and in tests/simulation (in-memory transport, simulated md driver, controllable clock), and
// the production implementations of the seams that have one here (system*).
// Invariants: the node shell reaches the outside world only through these interfaces (this is
// the one file of node/ that imports a Node built-in for effects; .dependency-cruiser.cjs);
// a fatal error is named by its cause, never reported as a catch-all.
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { NodeId } from '../common/types.js';
import type { HostPort } from '../config/hostport.js';
import type { MdDriver } from '../md/driver.js';
import type { Entry, HardState, Prng, RaftRestored, Snapshot } from '../raft/types.js';

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

import type { Logger } from '../log/logger.js';
export type { Logger };

export interface PeerTransport {
  start(): Promise<void>;
  send(to: NodeId, payload: Uint8Array): void;
  onMessage(handler: (from: NodeId, payload: Uint8Array) => void): void;
  onPeerState(handler: (peer: NodeId, up: boolean) => void): void;
  /**
   * Evidence that a peer's process is not running: its host refused a connection to it. It may
   * be wrong (a firewall can refuse too); Raft uses it only to start an election early, safely
   * (raft/leader-gone.ts). Optional: a transport without it never reports any.
   */
  onPeerGone?(handler: (peer: NodeId) => void): void;
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

/** Synchronous appends: a line written before a kill -9 is kept (node/writer-log.ts). */
export interface Files {
  appendSync(path: string, text: string): void;
}

/** Runs an external command (the fence hook) with a timeout; resolves with its failure, if any. */
/** A finished command: ok is exit status 0; status is the exit status otherwise (null: killed, timed out or never started). */
export type CommandResult = { ok: true } | { ok: false; message: string; status?: number | null };

export interface CommandRunner {
  /** Runs `cmd argv...` (no shell), `stdin` written to its standard input when given; killed after timeoutMs. */
  run(cmd: string, argv: string[], timeoutMs: number, stdin?: string): Promise<CommandResult>;
}

/**
 * Why the node cannot go on. storage: a Raft write (save, snapshot, compaction) failed, so
 * continuing could acknowledge what is not durable. invariant: applying a committed entry
 * threw (a bug in the state machine): the replicas may no longer agree. (md failures are not
 * fatal here: a failed demotion climbs the writer's escalation ladder, node/writer.ts.)
 */
export type FatalCause = 'storage' | 'invariant';

/** Called once the node cannot continue; production logs and exits (exit code by cause). */
export type FatalHandler = (cause: FatalCause, err: Error) => void;

export interface NodeDeps {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  transport: PeerTransport;
  storage: RaftStorage;
  driver: MdDriver;
  prng: Prng;
  /** Default systemFiles. */
  files?: Files;
  /** Default systemCommands. */
  commands?: CommandRunner;
  /** Default exitOnFatal(logger). */
  fatal?: FatalHandler;
  /**
   * Called on every tick timer callback after the first with how late it ran (ms past the
   * interval, >= 0): the event-loop lag of the timing-critical path (ticks, heartbeats, lease).
   */
  onTickLagMs?: (lagMs: number) => void;
}

/** sysexits.h codes, one per cause: a supervisor (and a reader of the exit status) tells them apart. */
export const FATAL_EXIT_CODES: Readonly<Record<FatalCause, number>> = { storage: 74, invariant: 70 };

export function exitOnFatal(logger: Logger): FatalHandler {
  return (cause, err) => {
    logger.error({ cause, err: err.message, code: FATAL_EXIT_CODES[cause] }, `fatal (${cause}): stopping the process`);
    process.exit(FATAL_EXIT_CODES[cause]);
  };
}

export const systemFiles: Files = {
  appendSync: (path, text) => appendFileSync(path, text),
};

export const systemCommands: CommandRunner = {
  run: (cmd, argv, timeoutMs, stdin) => new Promise((resolve) => {
    const child = execFile(cmd, argv, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err) => resolve(err
      ? { ok: false, message: err.message, status: typeof err.code === 'number' && err.signal === null ? err.code : null }
      : { ok: true }));
    if (child.stdin) {
      child.stdin.on('error', () => { /* the process went away: reported through its exit */ });
      child.stdin.end(stdin ?? '');
    }
  }),
};

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
