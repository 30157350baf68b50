// Fuzz surface (d): mdclusterd.toml text. Owns: the TOML generator (every section and key of
// config/schema.ts, with in-range, boundary and wrong-typed values). Fed to parseConfigText
// (daemon/src/config/load.ts), the same path loadConfig takes after its bounded read.
// Documented refusal: OpError('E_BAD_CONFIG'). A returned Config must satisfy its own relations
// (config.ts's invariants: timing order, node-id among peers, absolute
// paths, sim-disk-dir iff the sim driver), checked here so a wrong
// acceptance is a crash too.
import fc from 'fast-check';
import { OpError } from '../../../daemon/src/common/errors.js';
import { parseConfigText } from '../../../daemon/src/config/load.js';
import type { Surface, Target } from '../engine.js';

const FILE = '/etc/mdclusterd/mdclusterd.toml';

const word = fc.constantFrom('node1', 'node2', 'n-3', '', 'x'.repeat(70), 'a b', '10.0.0.1:8401', '[::1]:1', 'h:0', 'h:65536', '/p', 'kernel', 'sim', 'stop-array', 'reboot', 'info', 'auto', '\u0000', 'é');
const scalar = fc.oneof(
  word.map((s) => JSON.stringify(s)),
  fc.integer({ min: -5, max: 1_000_000 }).map(String),
  fc.constantFrom('true', 'false', '1e400', 'nan', 'inf', '-0', '0x10', '1_000', '9007199254740993', '[]', '{}', '[1, "a"]', '1979-05-27T07:32:00Z'),
);
const KEYS: Record<string, string[]> = {
  '': ['node-id', 'data-dir'],
  listen: ['peer', 'status', 'control-socket'],
  peers: ['node1', 'node2', 'node3', 'node4'],
  tls: ['ca', 'cert', 'key'],
  md: ['driver', 'sim-disk-dir'],
  timing: ['tick-ms', 'heartbeat-ticks', 'election-ticks', 'lease-ticks', 'drift-bound-ticks', 'clock-drift-ppm'],
  master: ['fence-action', 'fence-command', 'fence-timeout-ms', 'fence-required', 'checkpoint-interval-ms', 'unconfirmed-grace-ms'],
  alerts: ['program', 'mail', 'syslog'],
  transport: ['ping-interval-ms', 'dead-after-ms', 'reconnect-min-ms', 'reconnect-max-ms', 'connect-timeout-ms'],
  log: ['level', 'journal-prefix'],
  cluster: ['join'],
};
const section = fc.constantFrom(...Object.keys(KEYS)).chain((name) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS[name]!), fc.constantFrom('unknown', '"quoted key"', 'a.b')), scalar), { maxLength: 6 })
    .map((kvs) => `${name === '' ? '' : `[${name}]\n`}${kvs.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`));
/** A valid base file most of the time, so the generator reaches the semantic checks. */
const BASE = 'node-id = "node1"\n[peers]\nnode1 = "127.0.0.1:8401"\n[tls]\nca = "/c"\ncert = "/c"\nkey = "/k"\n';

function check(text: string): void {
  let c;
  try {
    c = parseConfigText(text, FILE);
  } catch (e) {
    if (e instanceof OpError && e.code === 'E_BAD_CONFIG') return;
    throw e;
  }
  const t = c.timing;
  if (!(t.heartbeatTicks < t.leaseTicks && t.leaseTicks < t.electionTicks - t.driftBoundTicks)) {
    throw new Error(`accepted timing heartbeat ${t.heartbeatTicks}, lease ${t.leaseTicks}, election ${t.electionTicks}, drift ${t.driftBoundTicks}`);
  }
  if (!c.peers.has(c.nodeId)) throw new Error(`accepted node-id ${c.nodeId} missing from peers`);
  if (!c.dataDir.startsWith('/') || !c.listen.controlSocketPath.startsWith('/')) throw new Error('accepted a relative path');
  if ((c.md.simDiskDir !== null) !== (c.md.driver === 'sim')) throw new Error('accepted md.sim-disk-dir without md.driver = "sim" (or the reverse)');
}

export const configSurface: Surface = {
  name: 'config',
  description: 'mdclusterd.toml text -> parseConfigText; refusal: OpError E_BAD_CONFIG',
  hangBoundMs: 1000,
  setup(): Promise<Target> {
    return Promise.resolve({
      structured: fc.tuple(fc.boolean(), fc.array(section, { maxLength: 8 }))
        .map(([base, secs]) => Buffer.from((base ? BASE : '') + secs.join(''))),
      run: (input: Uint8Array) => check(Buffer.from(input).toString('utf8')),
      close: () => Promise.resolve(),
    });
  },
};
