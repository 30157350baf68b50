// Config loading: the example file loads, defaults apply, and each kind of bad key or value
// gives E_BAD_CONFIG with a message naming the file, the key path and what is allowed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig, parseConfigText, DEFAULT_CONFIG_PATH } from '../../daemon/src/config/load.js';
import { driftBoundTicksFromPpm } from '../../daemon/src/config/config.js';
import { OpError } from '../../daemon/src/common/errors.js';
import { CONFIG_MAX_BYTES } from '../../daemon/src/common/limits.js';

const FILE = '/etc/mdclusterd/mdclusterd.toml';
const MINIMAL = `
node-id = "n1"
[peers]
n1 = "10.0.0.1:8401"
n2 = "10.0.0.2:8401"
n3 = "node3.example:8401"
[tls]
ca = "/tls/ca.crt"
cert = "/tls/n1.crt"
key = "/tls/n1.key"
`;

function bad(text: string, file = FILE): OpError {
  try {
    parseConfigText(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    expect((e as OpError).code).toBe('E_BAD_CONFIG');
    return e as OpError;
  }
  throw new Error('config was accepted');
}

/** MINIMAL with `extra` appended to section `[section]` (created at the end). */
function withSection(section: string, extra: string): string {
  return `${MINIMAL}\n[${section}]\n${extra}\n`;
}

describe('config: good files', () => {
  it('loads the example etc/mdclusterd.toml', () => {
    const c = loadConfig(resolve('etc/mdclusterd.toml'));
    expect(c.nodeId).toBe('node1');
    expect([...c.peers.keys()]).toEqual(['node1', 'node2', 'node3']);
    expect(c.peers.get(c.nodeId)).toEqual({ host: '10.0.0.1', port: 8401 });
    expect(c.listen.status).toEqual({ host: '127.0.0.1', port: 8400 });
    expect(c.listen.controlSocketPath).toBe('/run/mdclusterd/control.sock');
    expect(c.timing).toEqual({ tickMs: 10, heartbeatTicks: 5, electionTicks: 30, leaseTicks: 20, driftBoundTicks: 2, clockDriftPpm: null });
    expect(c.master.fenceAction).toBe('stop-array');
    expect(c.md.driver).toBe('kernel');
    expect(c.md.simDiskDir).toBeNull();
    expect(c.log).toEqual({ level: 'info', journalPrefix: 'auto' });
    expect(c.transport.deadAfterMs).toBeGreaterThan(c.transport.pingIntervalMs);
  });

  it('fills defaults and defaults the peer listener to this node\'s own address', () => {
    const c = parseConfigText(MINIMAL, FILE);
    expect(c.listen.peer).toEqual({ host: '10.0.0.1', port: 8401 });
    expect(c.listen.status).toEqual({ host: '127.0.0.1', port: 8400 });
    expect(c.dataDir).toBe('/var/lib/mdclusterd');
    expect(c.timing.leaseTicks).toBeLessThan(c.timing.electionTicks - c.timing.driftBoundTicks);
    expect(c.master).toEqual({ fenceAction: 'stop-array', fenceCommand: [], fenceTimeoutMs: 10_000, fenceRequired: false, checkpointIntervalMs: 1000, unconfirmedGraceMs: 0 });
    expect(c.alerts).toEqual({ program: null, mail: null, mailFrom: null, syslog: true, incrementPercent: 20, mdadmConf: '/etc/mdadm/mdadm.conf' });
    expect(c.peers.get('n3' as never)).toEqual({ host: 'node3.example', port: 8401 });
  });

  it('resolves relative paths against the config file directory', () => {
    const text = MINIMAL.replace('"/tls/ca.crt"', '"tls/ca.crt"') + '\ndata-dir = "state"\n';
    // data-dir after a table header would belong to [tls]; put it at the top instead.
    const fixed = `data-dir = "state"\n${MINIMAL.replace('"/tls/ca.crt"', '"tls/ca.crt"')}`;
    expect(() => parseConfigText(text, '/srv/conf/x.toml')).toThrow(/tls\.data-dir: unknown key/);
    const c = parseConfigText(fixed, '/srv/conf/x.toml');
    expect(c.tls.caPath).toBe('/srv/conf/tls/ca.crt');
    expect(c.dataDir).toBe('/srv/conf/state');
    expect(c.file).toBe('/srv/conf/x.toml');
  });

  it('derives the drift bound from clock-drift-ppm', () => {
    const c = parseConfigText(withSection('timing', 'clock-drift-ppm = 20000'), FILE);
    expect(c.timing.clockDriftPpm).toBe(20000);
    expect(c.timing.driftBoundTicks).toBe(driftBoundTicksFromPpm(20000, 30));
    expect(c.timing.driftBoundTicks).toBe(1 + Math.ceil(2 * 0.02 * 30));
  });

  it('accepts IPv6 peers and a sim driver with its disk dir', () => {
    const text = MINIMAL.replace('"10.0.0.2:8401"', '"[fd00::2]:8401"') + '\n[md]\ndriver = "sim"\nsim-disk-dir = "/tmp/disks"\n';
    const c = parseConfigText(text, FILE);
    expect(c.peers.get('n2' as never)).toEqual({ host: 'fd00::2', port: 8401 });
    expect(c.md).toEqual({ driver: 'sim', simDiskDir: '/tmp/disks' });
  });
});

describe('config: each bad key or value is named precisely', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown top-level key', `bogus = 1\n${MINIMAL}`, /mdclusterd\.toml: bogus: unknown key \(allowed here: node-id, data-dir, listen, peers, tls, md, timing/],
    ['unknown key in a section', withSection('timing', 'tick-msec = 5'), /timing\.tick-msec: unknown key \(allowed here: tick-ms, heartbeat-ticks, election-ticks, lease-ticks/],
    ['tick-ms out of range', withSection('timing', 'tick-ms = 0'), /timing\.tick-ms: expected an integer number of milliseconds from 1 to 1000, got 0/],
    ['tick-ms not an integer', withSection('timing', 'tick-ms = 2.5'), /timing\.tick-ms: expected an integer number of milliseconds from 1 to 1000, got 2\.5/],
    ['tick-ms a string', withSection('timing', 'tick-ms = "10"'), /timing\.tick-ms: expected an integer number of milliseconds from 1 to 1000, got "10"/],
    ['driver enum', withSection('md', 'driver = "zfs"'), /md\.driver: expected "kernel" or "sim", got "zfs"/],
    ['fence-action enum', withSection('master', 'fence-action = "shoot"'), /master\.fence-action: expected "stop-array", "reboot" or "none", got "shoot"/],
    ['fence-command type', withSection('master', 'fence-command = "/bin/fence"'), /master\.fence-command: expected an array of strings \(argv\)/],
    ['fence-command element type', withSection('master', 'fence-command = ["/bin/f", 3]'), /master\.fence-command\[1\]: expected each argument to be a string, got 3/],
    ['bad peer address port', MINIMAL.replace('"10.0.0.2:8401"', '"10.0.0.2:99999"'), /peers\.n2: expected "host:port" .* port from 1 to 65535, got "10\.0\.0\.2:99999"/],
    ['bad peer address host', MINIMAL.replace('"10.0.0.2:8401"', '"bad host:1"'), /peers\.n2: expected "host:port"/],
    ['bad peer id', MINIMAL.replace('n3 = ', '"bad id!" = '), /peers\."bad id!": expected a node id as the key/],
    ['node-id missing', MINIMAL.replace('node-id = "n1"', ''), /mdclusterd\.toml: node-id: missing: expected a node id string/],
    ['node-id invalid', MINIMAL.replace('node-id = "n1"', 'node-id = "-x"'), /node-id: expected a node id: 1-63 characters/],
    ['node-id not among peers', MINIMAL.replace('node-id = "n1"', 'node-id = "n9"'), /peers: expected an entry for this node \("n9" = "host:port"\)/],
    ['duplicate peer address', MINIMAL.replace('"10.0.0.2:8401"', '"10.0.0.1:8401"'), /peers\.n2: expected a distinct address; "10\.0\.0\.1:8401" is also used by peers\.n1/],
    ['tls missing', MINIMAL.replace(/\[tls\][^]*$/, ''), /tls: missing: expected a table/],
    ['tls key missing', MINIMAL.replace('key = "/tls/n1.key"', ''), /tls\.key: missing: expected a file path string/],
    ['lease too long', withSection('timing', 'lease-ticks = 28'), /timing\.lease-ticks: expected fewer ticks than election-ticks - drift bound = 30 - 2 = 28, got 28/],
    ['lease not above heartbeat', withSection('timing', 'heartbeat-ticks = 5\nlease-ticks = 5'), /timing\.lease-ticks: expected more ticks than timing\.heartbeat-ticks \(5\)/],
    ['heartbeat not below election', withSection('timing', 'heartbeat-ticks = 30\nlease-ticks = 20'), /timing\.heartbeat-ticks: expected fewer ticks than timing\.election-ticks \(30\), got 30/],
    ['both drift keys', withSection('timing', 'clock-drift-ppm = 100\ndrift-bound-ticks = 2'), /timing\.clock-drift-ppm: expected only one of/],
    ['ppm drift makes lease unsafe', withSection('timing', 'clock-drift-ppm = 100000\nlease-ticks = 25'), /timing\.lease-ticks: expected fewer ticks than election-ticks - drift bound = 30 - 7 = 23, got 25/],
    ['sim without dir', withSection('md', 'driver = "sim"'), /md\.sim-disk-dir: required when md\.driver = "sim"/],
    ['kernel with sim dir', withSection('md', 'sim-disk-dir = "/x"'), /md\.sim-disk-dir: only allowed when md\.driver = "sim"/],
    ['fence required without command', withSection('master', 'fence-required = true'), /master\.fence-command: expected a non-empty argv when master\.fence-required = true/],
    ['relative fence program', withSection('master', 'fence-command = ["fence", "{node}"]'), /master\.fence-command\[0\]: expected an absolute program path/],
    ['dead-after not above ping', withSection('transport', 'ping-interval-ms = 1000\ndead-after-ms = 1000'), /transport\.dead-after-ms: expected more than transport\.ping-interval-ms \(1000\)/],
    ['reconnect max below min', withSection('transport', 'reconnect-min-ms = 500\nreconnect-max-ms = 100'), /transport\.reconnect-max-ms: expected at least transport\.reconnect-min-ms \(500\)/],
    ['bad mail', withSection('alerts', 'mail = "root"'), /alerts\.mail: expected a mail address like "root@localhost", got "root"/],
    ['bad log level', withSection('log', 'level = "trace"'), /log\.level: expected "error", "warn", "info" or "debug", got "trace"/],
    ['section given as a value', `timing = 5\n${MINIMAL}`, /timing: expected a table, got 5/],
    ['too many peers', MINIMAL.replace('[tls]', Array.from({ length: 9 }, (_, i) => `x${i} = "10.1.0.${i}:1"`).join('\n') + '\n[tls]'), /peers: expected 1 to 9 peers/],
    ['control socket path too long', withSection('listen', `control-socket = "/run/${'s'.repeat(120)}"`), /listen\.control-socket: expected a unix socket path of at most 107 bytes/],
    ['bad status address', withSection('listen', 'status = "8400"'), /listen\.status: expected "host:port"/],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      const e = bad(text);
      expect(e.message).toMatch(want);
      expect(e.message.startsWith(`${FILE}`)).toBe(true);
      expect(e.details['file']).toBe(FILE);
    });
  }

  it('reports every problem, one line each', () => {
    const e = bad(withSection('timing', 'tick-ms = 0\nheartbeat-ticks = -1\nfoo = 1'));
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(3);
    expect((e.details['issues'] as unknown[]).length).toBe(3);
  });

  it('reports TOML syntax errors with line and column', () => {
    const e = bad(`node-id = "n1"\n[peers\n`);
    expect(e.message).toMatch(/^\/etc\/mdclusterd\/mdclusterd\.toml:2:\d+: not valid TOML/);
  });
});

describe('config: reading the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdcfg-'));

  it('a missing file is E_BAD_CONFIG naming it', () => {
    expect(() => loadConfig(join(dir, 'nope.toml'))).toThrow(/nope\.toml: cannot read the config file: ENOENT/);
  });

  it('an oversized file is refused before parsing', () => {
    const f = join(dir, 'big.toml');
    writeFileSync(f, `# ${'x'.repeat(CONFIG_MAX_BYTES)}\n`);
    try {
      loadConfig(f);
      throw new Error('accepted');
    } catch (e) {
      expect((e as OpError).code).toBe('E_BAD_CONFIG');
      expect((e as OpError).message).toMatch(/at most 1048576 are allowed/);
    }
  });

  it('a directory is E_BAD_CONFIG, not a crash', () => {
    expect(() => loadConfig(dir)).toThrow(OpError);
  });

  it('the default path constant is the documented one', () => {
    expect(DEFAULT_CONFIG_PATH).toBe('/etc/mdclusterd/mdclusterd.toml');
  });
});

describe('config: arbitrary input never escapes as anything but E_BAD_CONFIG', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        parseConfigText(text, FILE);
      } catch (e) {
        return e instanceof OpError && e.code === 'E_BAD_CONFIG';
      }
      return true;
    }), { numRuns: 300 });
  });

  it('random values in the right places', () => {
    const value = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant('[1, "a"]'), fc.constant('{ a = 1 }'));
    const keys = ['tick-ms', 'heartbeat-ticks', 'election-ticks', 'lease-ticks', 'drift-bound-ticks', 'clock-drift-ppm', 'nonsense'];
    fc.assert(fc.property(fc.constantFrom(...keys), value, (key, v) => {
      const lit = typeof v === 'string' && !v.startsWith('[') && !v.startsWith('{') ? JSON.stringify(v) : String(v);
      if (typeof v === 'number' && !Number.isFinite(v)) return true;
      try {
        const c = parseConfigText(withSection('timing', `${key} = ${lit}`), FILE);
        return c.timing.leaseTicks < c.timing.electionTicks - c.timing.driftBoundTicks && c.timing.heartbeatTicks < c.timing.leaseTicks;
      } catch (e) {
        return e instanceof OpError && e.code === 'E_BAD_CONFIG';
      }
    }), { numRuns: 300 });
  });
});

describe('config: [spare-groups]', () => {
  it('reads groups of md devices and UUIDs (a /dev/ prefix dropped); none by default', () => {
    expect(parseConfigText(MINIMAL, FILE).spareGroups).toEqual([]);
    const c = parseConfigText(withSection('spare-groups', 'shared = ["md0", "/dev/md1", "0a1b2c3d:00000000:00000000:00000001"]'), FILE);
    expect(c.spareGroups).toEqual([{ name: 'shared', arrays: ['md0', 'md1', '0a1b2c3d:00000000:00000000:00000001'] }]);
  });

  it('refuses an array in two groups and a word that is neither an md device nor a UUID', () => {
    expect(bad(withSection('spare-groups', 'a = ["md0"]\nb = ["/dev/md0"]')).message).toMatch(/md0 is listed twice/);
    expect(bad(withSection('spare-groups', 'a = ["sdb"]')).message).toMatch(/md device .* or a UUID/);
  });
});
