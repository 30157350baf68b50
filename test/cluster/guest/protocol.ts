// The host <-> guest-agent request protocol of the 3-guest cluster lane, carried as JSON files
// in the cluster's shared 9p bus dir (the host's busDir is /lab/bus in every guest).
// Owns: the bus layout (paths by node and incarnation), the request/response shapes, and their
// validation from untrusted JSON (both sides read files the other side wrote).
// Invariants:
// - A request or response file appears only complete: the writer writes `.<name>.tmp` and
//   renames it to `<name>.json`; readers ignore dot files.
// - Request ids are unique per (node, incarnation): a rebooted guest gets a new incarnation
//   directory, so it can never run a request meant for the guest it replaced.
// - parseRequest/parseResponse never throw: bad input yields null (the agent answers an
//   unparseable request with an error response under the file's own id).
import { CLUSTER_LANE_MAX_ARGV, CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS } from '../../lib/limits.js';

export type AgentRequest =
  /** Runs argv (no shell unless argv says so) and returns its exit code and output. */
  | { id: string; kind: 'exec'; argv: string[]; timeoutMs: number }
  /** GET on the daemon's status endpoint (127.0.0.1), e.g. "/mdstat" or "/api/v1/status". */
  | { id: string; kind: 'http'; path: string; timeoutMs: number }
  /** Polls a (sysfs) file until its trimmed content matches `pattern`; a long poll. */
  | { id: string; kind: 'wait-file'; path: string; pattern: string; intervalMs: number; timeoutMs: number }
  /** The guest's wall clock now (for the host's offset estimate). */
  | { id: string; kind: 'clock' }
  /** This guest's mdclusterd unit (unit-runner.ts): systemctl start / stop / reload, or
   *  `kill -9 $MAINPID` (a crash: the unit's Restart= applies). */
  | { id: string; kind: 'daemon'; action: DaemonAction }
  /** The unit runner's record (UnitRecord): starts, READY=1, exits, ExecStopPost runs. */
  | { id: string; kind: 'unit' }
  /** Stops a running wait-file request early (it then answers ok=false "cancelled"). */
  | { id: string; kind: 'cancel'; target: string }
  /** Answers with the guest's wall clock, then reboots the guest at once (sysrq b: no sync). */
  | { id: string; kind: 'crash' }
  /** Ends the agent (the guest then stops its arrays and powers off). No response. */
  | { id: string; kind: 'exit' };

export type AgentRequestKind = AgentRequest['kind'];

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface WaitFileResult {
  value: string;
  /** Guest wall-clock time (ms since the epoch) at which the match was read. */
  matchedGuestWallMs: number;
  polls: number;
}

export interface ClockResult {
  guestWallMs: number;
}

export type DaemonAction = 'start' | 'stop' | 'kill' | 'reload';
const DAEMON_ACTIONS: readonly string[] = ['start', 'stop', 'kill', 'reload'];

export interface DaemonResult {
  pid: number | null;
  running: boolean;
  /** reload: ExecReload's exit code. */
  reloadCode?: number;
}

/** One start of the unit's main process, as the guest's unit runner saw it (guest wall ms). */
export interface UnitStart {
  /** 1 for the first start of this guest incarnation. */
  n: number;
  pid: number | null;
  guestWallMs: number;
  /** When READY=1 arrived from the main pid (Type=notify); null before. */
  readyGuestWallMs: number | null;
  /** The first STATUS= text this start sent (with READY=1 for mdclusterd). */
  readyStatus: string | null;
  end: { guestWallMs: number; code: number | null; signal: string | null; result: string } | null;
}

export interface UnitRecord {
  unit: string;
  state: 'inactive' | 'activating' | 'active' | 'deactivating' | 'auto-restart' | 'failed';
  mainPid: number | null;
  /** Every start of the main process in this guest incarnation (restarts included). */
  startCount: number;
  /** The latest starts (at most CLUSTER_LANE_MAX_UNIT_RECORDS). */
  starts: UnitStart[];
  stopPost: { guestWallMs: number; command: string; code: number }[];
  lastStatus: string | null;
  watchdogPings: number;
  /** Largest gap between READY=1/WATCHDOG=1 datagrams (not enforced, see unit-file.ts). */
  watchdogMaxGapMs: number | null;
  /** Datagrams dropped by NotifyAccess= (from a pid other than the main one). */
  rejectedNotifications: number;
  failedReason: string | null;
  /** [Service] directives of the installed unit that the lane does not apply. */
  notApplied: string[];
}

/** What the agent did to install the package (dpkg -i in the guest). */
export interface InstallRecord {
  deb: string;
  command: string[];
  wallMs: number;
  unitPath: string;
}

export type AgentResponse =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; error: string };

/** Where things live in the bus dir, relative to its root (host busDir or guest /lab/bus). */
export const busLayout = {
  setupDir: (node: number): string => `setup/node${node}`,
  setupReady: (node: number): string => `setup/node${node}/READY`,
  nodeDir: (node: number): string => `node${node}`,
  daemonLog: (node: number): string => `node${node}/daemon.log`,
  agentLog: (node: number): string => `node${node}/agent.log`,
  writerLog: (node: number): string => `node${node}/writer.log`,
  reqDir: (node: number, incarnation: number): string => `rpc/node${node}/${incarnation}/req`,
  respDir: (node: number, incarnation: number): string => `rpc/node${node}/${incarnation}/resp`,
  /** Written by the agent once it serves requests (JSON: pid, guest wall time). */
  agentReady: (node: number, incarnation: number): string => `rpc/node${node}/${incarnation}/READY`,
  /** Written by the agent after installing the package (JSON InstallRecord). */
  installed: (node: number, incarnation: number): string => `rpc/node${node}/${incarnation}/installed.json`,
  patternFile: 'pattern.bin',
} as const;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A request file name: the id plus ".json"; dot files (temporaries) never match. */
export const REQUEST_FILE = /^([A-Za-z0-9_-]{1,64})\.json$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS;

export function parseRequest(text: string): AgentRequest | null {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  if (!isObj(v) || !isStr(v.id) || !ID.test(v.id)) return null;
  const id = v.id;
  switch (v.kind) {
    case 'exec':
      if (!Array.isArray(v.argv) || v.argv.length === 0 || v.argv.length > CLUSTER_LANE_MAX_ARGV) return null;
      if (!v.argv.every((a) => isStr(a) && !a.includes('\0')) || !isMs(v.timeoutMs)) return null;
      return { id, kind: 'exec', argv: v.argv as string[], timeoutMs: v.timeoutMs };
    case 'http':
      if (!isStr(v.path, 256) || !v.path.startsWith('/') || !isMs(v.timeoutMs)) return null;
      return { id, kind: 'http', path: v.path, timeoutMs: v.timeoutMs };
    case 'wait-file':
      if (!isStr(v.path, 256) || !v.path.startsWith('/') || !isStr(v.pattern, 256) || !isMs(v.intervalMs) || !isMs(v.timeoutMs)) return null;
      try { new RegExp(v.pattern); } catch { return null; }
      return { id, kind: 'wait-file', path: v.path, pattern: v.pattern, intervalMs: v.intervalMs, timeoutMs: v.timeoutMs };
    case 'clock': return { id, kind: 'clock' };
    case 'daemon':
      if (typeof v.action !== 'string' || !DAEMON_ACTIONS.includes(v.action)) return null;
      return { id, kind: 'daemon', action: v.action as DaemonAction };
    case 'unit': return { id, kind: 'unit' };
    case 'cancel':
      if (!isStr(v.target, 64) || !ID.test(v.target)) return null;
      return { id, kind: 'cancel', target: v.target };
    case 'crash': return { id, kind: 'crash' };
    case 'exit': return { id, kind: 'exit' };
    default: return null;
  }
}

export function parseResponse(text: string): AgentResponse | null {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  if (!isObj(v) || !isStr(v.id) || !ID.test(v.id)) return null;
  if (v.ok === true) return { id: v.id, ok: true, result: v.result };
  if (v.ok === false && isStr(v.error, 1 << 20)) return { id: v.id, ok: false, error: v.error };
  return null;
}

/** The id a request file name carries, or null for temporaries and foreign files. */
export function requestIdOf(fileName: string): string | null {
  return REQUEST_FILE.exec(fileName)?.[1] ?? null;
}
