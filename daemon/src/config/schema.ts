// The zod schema of mdclusterd.toml, key by key, as written in the file (kebab-case).
// Owns: which keys exist, their types, ranges and defaults, and the wording of each "what is
// allowed" message. Cross-field rules (lease < election - drift, ...) live in config.ts.
// Invariants: every object is strict (an unknown key is an error, never ignored); every
// number has a range; every message says what is allowed, so load.ts only prepends the file
// name and the key path. The reasons for the default values are in etc/mdclusterd.toml.
import { z } from 'zod';
import { isNodeId } from '../common/types.js';
import { assert } from '../common/assert.js';
import {
  CONFIG_MAX_ARG_CHARS, CONFIG_MAX_ARGV, CONFIG_MAX_MAIL_CHARS, CONFIG_MAX_PATH_CHARS, MD_MAX_ARRAYS, RAFT_MAX_CATCHUP_TICKS, RAFT_MAX_MEMBERS,
} from '../common/limits.js';
import { parseHostPort } from './hostport.js';

// ---- ranges (named so the messages and tests agree) ----
export const TICK_MS_RANGE = [1, 1000] as const;
export const HEARTBEAT_TICKS_RANGE = [1, 1000] as const;
export const ELECTION_TICKS_RANGE = [2, 10_000] as const;
export const LEASE_TICKS_RANGE = [1, 10_000] as const;
export const DRIFT_BOUND_TICKS_RANGE = [0, 1000] as const;
export const CLOCK_DRIFT_PPM_RANGE = [0, 100_000] as const;
export const FENCE_TIMEOUT_MS_RANGE = [100, 600_000] as const;
export const CHECKPOINT_INTERVAL_MS_RANGE = [100, 3_600_000] as const;
export const UNCONFIRMED_GRACE_MS_RANGE = [0, 600_000] as const;
export const PING_INTERVAL_MS_RANGE = [50, 60_000] as const;
export const DEAD_AFTER_MS_RANGE = [100, 300_000] as const;
export const RECONNECT_MS_RANGE = [10, 60_000] as const;
export const CONNECT_TIMEOUT_MS_RANGE = [100, 60_000] as const;

// A node catching up after a stall replays at most RAFT_MAX_CATCHUP_TICKS ticks at once: that
// must cover the longest randomized election timeout a config allows (2 * election-ticks).
assert(RAFT_MAX_CATCHUP_TICKS >= 2 * ELECTION_TICKS_RANGE[1], 'a catch-up covers the longest election timeout');

function intIn([min, max]: readonly [number, number], unit: string): z.ZodInt {
  const error = `expected an integer number of ${unit} from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A strict table: an unknown key is an issue, a non-table value says a table was expected. */
function table<T extends z.core.$ZodLooseShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  return z.strictObject(shape, { error: 'expected a table' });
}

const hostPort = z.string({ error: 'expected a string "host:port"' }).refine((s) => parseHostPort(s) !== null, {
  error: 'expected "host:port" with an IPv4 address, a [bracketed] IPv6 address or a host name, and a port from 1 to 65535',
});

const path = z.string({ error: 'expected a file path string' })
  .min(1, { error: 'expected a non-empty file path' })
  .max(CONFIG_MAX_PATH_CHARS, { error: `expected a file path of at most ${CONFIG_MAX_PATH_CHARS} characters` })
  .refine((s) => !s.includes('\0'), { error: 'a file path may not contain NUL' });

const nodeIdString = z.string({ error: 'expected a node id string' }).refine((s) => isNodeId(s), {
  error: 'expected a node id: 1-63 characters of letters, digits, "_", "." or "-", starting with a letter or digit',
});

const listen = table({
  peer: hostPort.optional(),
  status: hostPort.default('127.0.0.1:8400'),
  'control-socket': path.default('/run/mdclusterd/control.sock'),
});

const peers = z.record(z.string(), hostPort, { error: 'expected a table of node-id = "host:port"' })
  .refine((r) => Object.keys(r).length >= 1 && Object.keys(r).length <= RAFT_MAX_MEMBERS, {
    error: `expected 1 to ${RAFT_MAX_MEMBERS} peers (every member, including this node)`,
  });

const tls = table({ ca: path, cert: path, key: path });

const md = table({
  driver: z.enum(['kernel', 'sim'], { error: 'expected "kernel" or "sim"' }).default('kernel'),
  'sim-disk-dir': path.optional(),
});

const timing = table({
  'tick-ms': intIn(TICK_MS_RANGE, 'milliseconds').default(10),
  'heartbeat-ticks': intIn(HEARTBEAT_TICKS_RANGE, 'ticks').default(5),
  'election-ticks': intIn(ELECTION_TICKS_RANGE, 'ticks').default(30),
  'lease-ticks': intIn(LEASE_TICKS_RANGE, 'ticks').default(20),
  'drift-bound-ticks': intIn(DRIFT_BOUND_TICKS_RANGE, 'ticks').optional(),
  'clock-drift-ppm': intIn(CLOCK_DRIFT_PPM_RANGE, 'parts per million').optional(),
});

const argv = z.array(
  z.string({ error: 'expected each argument to be a string' }).max(CONFIG_MAX_ARG_CHARS, { error: `expected arguments of at most ${CONFIG_MAX_ARG_CHARS} characters` }),
  { error: 'expected an array of strings (argv), e.g. ["/usr/local/sbin/fence", "{node}"]' },
).max(CONFIG_MAX_ARGV, { error: `expected at most ${CONFIG_MAX_ARGV} arguments` });

const master = table({
  'fence-action': z.enum(['stop-array', 'reboot', 'none'], { error: 'expected "stop-array", "reboot" or "none"' }).default('stop-array'),
  'fence-command': argv.default([]),
  'fence-timeout-ms': intIn(FENCE_TIMEOUT_MS_RANGE, 'milliseconds').default(10_000),
  'fence-required': z.boolean({ error: 'expected true or false' }).default(false),
  'checkpoint-interval-ms': intIn(CHECKPOINT_INTERVAL_MS_RANGE, 'milliseconds').default(1000),
  'unconfirmed-grace-ms': intIn(UNCONFIRMED_GRACE_MS_RANGE, 'milliseconds').default(0),
});

const alerts = table({
  program: path.optional(),
  mail: z.string({ error: 'expected a mail address string' }).max(CONFIG_MAX_MAIL_CHARS, { error: 'mail address too long' })
    .regex(/^[^\s@"<>]+@[^\s@"<>]+$/, { error: 'expected a mail address like "root@localhost"' }).optional(),
  syslog: z.boolean({ error: 'expected true or false' }).default(true),
  /** From: of alert mails (mdadm.conf MAILFROM when unset). */
  'mail-from': z.string({ error: 'expected a mail address string' }).max(CONFIG_MAX_MAIL_CHARS, { error: 'mail address too long' })
    .regex(/^[^\n\r]+$/, { error: 'expected one line' }).optional(),
  /** RebuildNN step in percent (mdadm --increment). */
  increment: intIn([1, 99], 'percent').default(20),
  /** mdadm.conf whose MAILADDR, MAILFROM and PROGRAM apply where this section sets none ("" = none). */
  'mdadm-conf': z.string({ error: 'expected a file path string' }).default('/etc/mdadm/mdadm.conf'),
});

const transport = table({
  'ping-interval-ms': intIn(PING_INTERVAL_MS_RANGE, 'milliseconds').default(500),
  'dead-after-ms': intIn(DEAD_AFTER_MS_RANGE, 'milliseconds').default(2000),
  'reconnect-min-ms': intIn(RECONNECT_MS_RANGE, 'milliseconds').default(50),
  'reconnect-max-ms': intIn(RECONNECT_MS_RANGE, 'milliseconds').default(1000),
  'connect-timeout-ms': intIn(CONNECT_TIMEOUT_MS_RANGE, 'milliseconds').default(2000),
});

const log = table({
  level: z.enum(['error', 'warn', 'info', 'debug'], { error: 'expected "error", "warn", "info" or "debug"' }).default('info'),
  'journal-prefix': z.enum(['auto', 'on', 'off'], { error: 'expected "auto", "on" or "off"' }).default('auto'),
});

const origin = z.string({ error: 'expected an origin string like "https://dash.example:8400"' })
  .regex(/^https?:\/\/[^/\s]+$/, { error: 'expected an origin: "http://" or "https://", a host and an optional port, no path' });

/** The status port's remote access (config.ts: required beyond loopback). */
const status = table({
  'tls-cert': path.optional(),
  'tls-key': path.optional(),
  'token-file': path.optional(),
  'allowed-origins': z.array(origin, { error: 'expected an array of origin strings' }).max(CONFIG_MAX_ARGV, { error: `expected at most ${CONFIG_MAX_ARGV} origins` }).default([]),
});

/** [spare-groups]: group name = the arrays (md device or UUID) among which the master moves spares, as mdadm's spare-group. */
const spareGroups = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'expected a group name of letters, digits, "_", "." or "-"' }),
  z.array(z.string().regex(/^(\/dev\/)?md[A-Za-z0-9_.-]{1,30}$|^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/, { error: 'expected an md device ("md0") or a UUID in colon form' }),
    { error: 'expected an array of md devices or UUIDs' }).max(MD_MAX_ARRAYS, { error: `expected at most ${MD_MAX_ARRAYS} arrays` }),
  { error: 'expected a table of group = ["md0", "md1"]' },
);

const cluster = table({
  join: z.boolean({ error: 'expected true or false' }).default(false),
});

/** The whole file. Sections with only defaulted keys may be left out. */
export const rawConfigSchema = z.strictObject({
  'node-id': nodeIdString,
  'data-dir': path.default('/var/lib/mdclusterd'),
  listen: listen.prefault({}),
  peers,
  tls,
  md: md.prefault({}),
  timing: timing.prefault({}),
  master: master.prefault({}),
  alerts: alerts.prefault({}),
  transport: transport.prefault({}),
  log: log.prefault({}),
  cluster: cluster.prefault({}),
  status: status.prefault({}),
  'spare-groups': spareGroups.default({}),
}, { error: 'expected a table' });

export type RawConfig = z.output<typeof rawConfigSchema>;

/** The keys allowed in the table at `path` (for "unknown key" messages), or null if none known. */
export function allowedKeysAt(keyPath: readonly PropertyKey[]): string[] | null {
  let schema: unknown = rawConfigSchema;
  for (const key of keyPath) {
    const shape = shapeOf(schema);
    if (shape === null || typeof key !== 'string' || !(key in shape)) return null;
    schema = shape[key];
  }
  const shape = shapeOf(schema);
  return shape === null ? null : Object.keys(shape);
}

function shapeOf(schema: unknown): Record<string, unknown> | null {
  let s = schema as { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown } } } | undefined;
  for (let depth = 0; depth < 4 && s !== undefined; depth++) {
    if (s.shape !== undefined) return s.shape;
    s = s._zod?.def?.innerType as typeof s;
  }
  return null;
}
