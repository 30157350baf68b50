// The typed daemon configuration and the cross-field rules that a per-key schema cannot state.
// Owns: the Config shape the rest of the daemon reads, the mapping from the file's kebab-case
// keys to it, path resolution, and the timing/peer/fence consistency checks.
// Invariants of a Config returned by buildConfig (checked here, relied on everywhere):
// - nodeId is one of peers' keys; peer addresses are pairwise distinct;
// - heartbeatTicks < leaseTicks < electionTicks - driftBoundTicks (leader lease safety);
// - every path is absolute (relative paths in the file are resolved against its directory);
// - md.simDiskDir is set iff md.driver is "sim";
// - fenceRequired implies a non-empty fenceCommand whose argv[0] is absolute;
// - a status port bound beyond loopback has TLS and a bearer token (status.tls-cert/-key and
//   status.token-file): the status view shows the whole cluster, so it is never open to a network.
import { dirname, isAbsolute, resolve } from 'node:path';
import { isNodeId, type NodeId } from '../common/types.js';
import type { RawConfig } from './schema.js';
import { formatHostPort, parseHostPort, type HostPort } from './hostport.js';

export type { HostPort } from './hostport.js';

/** Longest unix socket path (sockaddr_un.sun_path is 108 bytes including the NUL). */
const MAX_UNIX_SOCKET_PATH_BYTES = 107;

export interface TimingConfig {
  tickMs: number;
  heartbeatTicks: number;
  /** Minimum election timeout; Raft randomizes in [electionTicks, 2*electionTicks). */
  electionTicks: number;
  /** Invariant: heartbeatTicks < leaseTicks < electionTicks - driftBoundTicks. */
  leaseTicks: number;
  /** Ticks of clock-rate disagreement and tick quantization the lease must leave unused. */
  driftBoundTicks: number;
  /** The configured drift in ppm when the bound was derived from it, else null. */
  clockDriftPpm: number | null;
}

export interface MasterConfig {
  fenceAction: 'stop-array' | 'reboot' | 'none';
  /** argv run against a node being fenced; "{node}" in an argument is replaced by its id. */
  fenceCommand: string[];
  fenceTimeoutMs: number;
  /** Invariant: true implies fenceCommand.length > 0. */
  fenceRequired: boolean;
  checkpointIntervalMs: number;
  /** How long a new master waits for an old master that neither confirmed it holds no writable
   * array nor was fenced, before promoting anyway (0: promote at once, trusting the lease). */
  unconfirmedGraceMs: number;
}

export interface TransportConfig {
  pingIntervalMs: number;
  /** Invariant: deadAfterMs > pingIntervalMs. */
  deadAfterMs: number;
  reconnectMinMs: number;
  /** Invariant: reconnectMaxMs >= reconnectMinMs. */
  reconnectMaxMs: number;
  connectTimeoutMs: number;
}

export interface Config {
  /** Absolute path of the file this was loaded from (for messages). */
  file: string;
  nodeId: NodeId;
  dataDir: string;
  listen: { peer: HostPort; status: HostPort; controlSocketPath: string };
  /** Every member including this node. Invariant: has nodeId; addresses are distinct. */
  peers: ReadonlyMap<NodeId, HostPort>;
  tls: { caPath: string; certPath: string; keyPath: string };
  md: { driver: 'kernel' | 'sim'; simDiskDir: string | null };
  timing: TimingConfig;
  master: MasterConfig;
  alerts: { program: string | null; mail: string | null; mailFrom: string | null; syslog: boolean; incrementPercent: number; mdadmConf: string | null };
  transport: TransportConfig;
  log: { level: 'error' | 'warn' | 'info' | 'debug'; journalPrefix: 'auto' | 'on' | 'off' };
  /**
   * join: this node joins an existing cluster (mdctl --cluster add-node on the master): it
   * starts with no founding membership and waits to be added. peers must then list the
   * current members (and this node), so that it accepts and reaches them.
   */
  cluster: { join: boolean };
  /** The status port's remote access. Invariant: tls and tokenFile are set when listen.status is not loopback. */
  status: { tls: { certPath: string; keyPath: string } | null; tokenFile: string | null; allowedOrigins: string[] };
  /** [spare-groups]: the arrays (md device or UUID) of each group; an array is in at most one group. */
  spareGroups: { name: string; arrays: string[] }[];
}

/** 127.0.0.0/8, ::1 and "localhost": the addresses only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** One problem found in the file: the key path (e.g. ["timing", "lease-ticks"]) and what is allowed. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The drift bound in ticks derived from a clock drift rate: two clocks each off by ppm
 * disagree by up to 2*ppm over an election timeout, plus one tick because the nodes' tick
 * phases are unrelated (quantization).
 */
export function driftBoundTicksFromPpm(ppm: number, electionTicks: number): number {
  return 1 + Math.ceil((2 * ppm * electionTicks) / 1_000_000);
}

/** Maps a schema-valid raw config to a Config, or returns every cross-field issue found. */
export function buildConfig(raw: RawConfig, file: string): { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const base = dirname(file);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const nodeId = raw['node-id'] as NodeId;
  const peers = buildPeers(raw, issues);
  const timing = buildTiming(raw, issues);
  const master = buildMaster(raw, issues);
  const transport = buildTransport(raw, issues);
  const controlSocketPath = abs(raw.listen['control-socket']);
  if (Buffer.byteLength(controlSocketPath) > MAX_UNIX_SOCKET_PATH_BYTES) {
    issues.push({ path: ['listen', 'control-socket'], message: `expected a unix socket path of at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes (after resolving to ${controlSocketPath})` });
  }
  const simDir = raw.md['sim-disk-dir'];
  if (raw.md.driver === 'sim' && simDir === undefined) {
    issues.push({ path: ['md', 'sim-disk-dir'], message: 'required when md.driver = "sim": the directory holding the simulated disks' });
  }
  if (raw.md.driver === 'kernel' && simDir !== undefined) {
    issues.push({ path: ['md', 'sim-disk-dir'], message: 'only allowed when md.driver = "sim"' });
  }
  const selfAddr = peers.get(nodeId);
  if (selfAddr === undefined) {
    issues.push({ path: ['peers'], message: `expected an entry for this node ("${nodeId}" = "host:port"): peers lists every member, including this node` });
  }
  const status = buildStatus(raw, abs, issues);
  const spareGroups = Object.entries(raw['spare-groups']).map(([name, arrays]) => ({ name, arrays: arrays.map((a) => a.replace(/^\/dev\//, '')) }));
  const grouped = spareGroups.flatMap((g) => g.arrays);
  const twice = grouped.find((a, i) => grouped.indexOf(a) !== i);
  if (twice !== undefined) issues.push({ path: ['spare-groups'], message: `${twice} is listed twice: an array belongs to one spare group` });
  if (issues.length > 0) return { ok: false, issues };
  const config: Config = {
    file,
    nodeId,
    dataDir: abs(raw['data-dir']),
    listen: {
      peer: raw.listen.peer === undefined ? selfAddr! : parseHostPort(raw.listen.peer)!,
      status: parseHostPort(raw.listen.status)!,
      controlSocketPath,
    },
    peers,
    tls: { caPath: abs(raw.tls.ca), certPath: abs(raw.tls.cert), keyPath: abs(raw.tls.key) },
    md: { driver: raw.md.driver, simDiskDir: simDir === undefined ? null : abs(simDir) },
    timing,
    master,
    alerts: {
      program: raw.alerts.program === undefined ? null : abs(raw.alerts.program), mail: raw.alerts.mail ?? null, mailFrom: raw.alerts['mail-from'] ?? null,
      syslog: raw.alerts.syslog, incrementPercent: raw.alerts.increment, mdadmConf: raw.alerts['mdadm-conf'] === '' ? null : abs(raw.alerts['mdadm-conf']),
    },
    transport,
    log: { level: raw.log.level, journalPrefix: raw.log['journal-prefix'] },
    cluster: { join: raw.cluster.join },
    status,
    spareGroups,
  };
  return { ok: true, config };
}

function buildStatus(raw: RawConfig, abs: (p: string) => string, issues: ConfigIssue[]): Config['status'] {
  const s = raw.status;
  const cert = s['tls-cert'];
  const key = s['tls-key'];
  if ((cert === undefined) !== (key === undefined)) {
    issues.push({ path: ['status', cert === undefined ? 'tls-cert' : 'tls-key'], message: 'expected both status.tls-cert and status.tls-key, or neither' });
  }
  const host = parseHostPort(raw.listen.status)!.host;
  if (!isLoopbackHost(host) && (cert === undefined || s['token-file'] === undefined)) {
    issues.push({ path: ['listen', 'status'], message: `a status port on ${host} (beyond loopback) needs status.tls-cert, status.tls-key and status.token-file: it shows the whole cluster; bind 127.0.0.1 to run without them` });
  }
  return {
    tls: cert !== undefined && key !== undefined ? { certPath: abs(cert), keyPath: abs(key) } : null,
    tokenFile: s['token-file'] === undefined ? null : abs(s['token-file']),
    allowedOrigins: [...s['allowed-origins']],
  };
}

function buildPeers(raw: RawConfig, issues: ConfigIssue[]): Map<NodeId, HostPort> {
  const peers = new Map<NodeId, HostPort>();
  const seen = new Map<string, string>();
  for (const [id, addr] of Object.entries(raw.peers)) {
    if (!isNodeId(id)) {
      issues.push({ path: ['peers', id], message: 'expected a node id as the key: 1-63 characters of letters, digits, "_", "." or "-", starting with a letter or digit' });
      continue;
    }
    const hp = parseHostPort(addr)!;
    const canonical = formatHostPort(hp).toLowerCase();
    const other = seen.get(canonical);
    if (other !== undefined) {
      issues.push({ path: ['peers', id], message: `expected a distinct address; "${addr}" is also used by peers.${other}` });
      continue;
    }
    seen.set(canonical, id);
    peers.set(id, hp);
  }
  return peers;
}

function buildTiming(raw: RawConfig, issues: ConfigIssue[]): TimingConfig {
  const t = raw.timing;
  const electionTicks = t['election-ticks'];
  const heartbeatTicks = t['heartbeat-ticks'];
  const leaseTicks = t['lease-ticks'];
  const ppm = t['clock-drift-ppm'];
  let driftBoundTicks = t['drift-bound-ticks'] ?? 2;
  if (ppm !== undefined && t['drift-bound-ticks'] !== undefined) {
    issues.push({ path: ['timing', 'clock-drift-ppm'], message: 'expected only one of timing.clock-drift-ppm and timing.drift-bound-ticks' });
  } else if (ppm !== undefined) {
    driftBoundTicks = driftBoundTicksFromPpm(ppm, electionTicks);
  }
  if (heartbeatTicks >= electionTicks) {
    issues.push({ path: ['timing', 'heartbeat-ticks'], message: `expected fewer ticks than timing.election-ticks (${electionTicks}), got ${heartbeatTicks}` });
  }
  if (leaseTicks <= heartbeatTicks) {
    issues.push({ path: ['timing', 'lease-ticks'], message: `expected more ticks than timing.heartbeat-ticks (${heartbeatTicks}) so a heartbeat round can renew the lease before it ends, got ${leaseTicks}` });
  }
  if (leaseTicks >= electionTicks - driftBoundTicks) {
    issues.push({ path: ['timing', 'lease-ticks'], message: `expected fewer ticks than election-ticks - drift bound = ${electionTicks} - ${driftBoundTicks} = ${electionTicks - driftBoundTicks}, got ${leaseTicks}` });
  }
  return { tickMs: t['tick-ms'], heartbeatTicks, electionTicks, leaseTicks, driftBoundTicks, clockDriftPpm: ppm ?? null };
}

function buildMaster(raw: RawConfig, issues: ConfigIssue[]): MasterConfig {
  const m = raw.master;
  const cmd = m['fence-command'];
  if (m['fence-required'] && cmd.length === 0) {
    issues.push({ path: ['master', 'fence-command'], message: 'expected a non-empty argv when master.fence-required = true' });
  }
  if (cmd.length > 0 && !isAbsolute(cmd[0])) {
    issues.push({ path: ['master', 'fence-command', 0], message: `expected an absolute program path as the first argument, got ${JSON.stringify(cmd[0])}` });
  }
  return {
    fenceAction: m['fence-action'],
    fenceCommand: [...cmd],
    fenceTimeoutMs: m['fence-timeout-ms'],
    fenceRequired: m['fence-required'],
    checkpointIntervalMs: m['checkpoint-interval-ms'],
    unconfirmedGraceMs: m['unconfirmed-grace-ms'],
  };
}

function buildTransport(raw: RawConfig, issues: ConfigIssue[]): TransportConfig {
  const t = raw.transport;
  if (t['dead-after-ms'] <= t['ping-interval-ms']) {
    issues.push({ path: ['transport', 'dead-after-ms'], message: `expected more than transport.ping-interval-ms (${t['ping-interval-ms']}), got ${t['dead-after-ms']}` });
  }
  if (t['reconnect-max-ms'] < t['reconnect-min-ms']) {
    issues.push({ path: ['transport', 'reconnect-max-ms'], message: `expected at least transport.reconnect-min-ms (${t['reconnect-min-ms']}), got ${t['reconnect-max-ms']}` });
  }
  return {
    pingIntervalMs: t['ping-interval-ms'],
    deadAfterMs: t['dead-after-ms'],
    reconnectMinMs: t['reconnect-min-ms'],
    reconnectMaxMs: t['reconnect-max-ms'],
    connectTimeoutMs: t['connect-timeout-ms'],
  };
}
